/*
 * Copyright (c) 2026 The dpfip authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#include <config.h>
#include "dpfip-offload-provider.h"

#include <string.h>
#include "packets.h"
#include "util.h"

/* What every offload provider checks in a spec and the prefix arithmetic
 * they share.  Pure functions: tests/test-dpfip-offload-spec.c (an
 * ovstest) and dpdk/tests/offload/ cover them. */

/* Address bytes of 'a' in its family: 4 for IPv4, 16 for IPv6. */
const uint8_t *
dpfip_offload_addr_bytes(const struct in6_addr *a, bool is_ipv4)
{
    return is_ipv4 ? &a->s6_addr[12] : a->s6_addr;
}

/* Stores the mask of a /'plen' of the family in 'mask' (4 or 16 bytes
 * used, the rest zeroed). */
void
dpfip_offload_prefix_mask(int plen, bool is_ipv4, uint8_t mask[16])
{
    int i;

    memset(mask, 0, 16);
    for (i = 0; i < plen && i < (is_ipv4 ? 32 : 128); i++) {
        mask[i / 8] |= 0x80 >> (i % 8);
    }
}

bool
dpfip_offload_addr_in_prefix(const struct in6_addr *a,
                             const struct dpfip_offload_prefix *p,
                             bool is_ipv4)
{
    const uint8_t *x = dpfip_offload_addr_bytes(a, is_ipv4);
    const uint8_t *y = dpfip_offload_addr_bytes(&p->addr, is_ipv4);
    uint8_t mask[16];
    int i;

    dpfip_offload_prefix_mask(p->plen, is_ipv4, mask);
    for (i = 0; i < (is_ipv4 ? 4 : 16); i++) {
        if ((x[i] ^ y[i]) & mask[i]) {
            return false;
        }
    }
    return true;
}

/* Sets the internal prefixes of 'spec' to the 'n' of 'prefixes' (at most
 * DPFIP_OFFLOAD_MAX_INTERNAL are kept; dpfip_offload_spec_check() refuses
 * a spec that had more), and the first one into the single-prefix
 * fields. */
void
dpfip_offload_spec_set_internal(struct dpfip_offload_rule_spec *spec,
                                const struct dpfip_offload_prefix *prefixes,
                                size_t n)
{
    size_t i;

    memset(spec->internals, 0, sizeof spec->internals);
    spec->n_internals = n;
    for (i = 0; i < n && i < DPFIP_OFFLOAD_MAX_INTERNAL; i++) {
        spec->internals[i] = prefixes[i];
    }
    spec->has_internal = n > 0;
    spec->internal = n ? prefixes[0].addr : in6addr_any;
    spec->internal_plen = n ? prefixes[0].plen : 0;
}

/* The allow-list part of dpfip_offload_spec_check(). */
static bool
check_allows(const struct dpfip_offload_rule_spec *spec, char **error)
{
    int max_plen = spec->is_ipv4 ? 32 : 128;

    if (!spec->allows) {
        if (spec->n_allows) {
            *error = xstrdup("allow-list entries without a list");
            return false;
        }
        return true;
    }
    if (!spec->n_allows || spec->n_allows > DPFIP_OFFLOAD_MAX_ALLOWS) {
        *error = xasprintf("%u allow-list entries (1 to %d)",
                           spec->n_allows, DPFIP_OFFLOAD_MAX_ALLOWS);
        return false;
    }
    for (unsigned int i = 0; i < spec->n_allows; i++) {
        const struct dpfip_offload_allow *a = &spec->allows[i];

        if (a->ip_proto && a->ip_proto != IPPROTO_TCP
            && a->ip_proto != IPPROTO_UDP) {
            *error = xasprintf("allow-list entry %u: protocol %u (TCP, "
                               "UDP or any)", i, a->ip_proto);
            return false;
        }
        if (!a->ip_proto && (a->port_mask || a->tcp_flags)) {
            *error = xasprintf("allow-list entry %u: a port or TCP flag "
                               "without a protocol", i);
            return false;
        }
        if (a->tcp_flags && a->ip_proto != IPPROTO_TCP) {
            *error = xasprintf("allow-list entry %u: TCP flags on UDP", i);
            return false;
        }
        if (a->remote.plen < 0 || a->remote.plen > max_plen
            || (spec->is_ipv4 && !IN6_IS_ADDR_V4MAPPED(&a->remote.addr)
                && a->remote.plen)) {
            *error = xasprintf("allow-list entry %u: bad remote prefix", i);
            return false;
        }
    }
    return true;
}

/* Returns true if 'spec' makes sense, otherwise false with the reason in
 * '*error'.  Port handles must be below 'max_port'. */
bool
dpfip_offload_spec_check(const struct dpfip_offload_rule_spec *spec,
                         uint32_t max_port, char **error)
{
    int max_plen = spec->is_ipv4 ? 32 : 128;
    bool dnat = spec->direction == DPFIP_DNAT;
    unsigned int i;

    if (spec->direction != DPFIP_DNAT && spec->direction != DPFIP_SNAT) {
        *error = xasprintf("bad direction %d", (int) spec->direction);
        return false;
    }
    if (spec->generation > 1) {
        *error = xasprintf("bad generation %u", spec->generation);
        return false;
    }
    if (spec->in_port >= max_port || spec->out_port >= max_port) {
        *error = xasprintf("port %"PRIu32" is not a port of this provider",
                           spec->in_port >= max_port
                           ? spec->in_port : spec->out_port);
        return false;
    }
    if (spec->n_internals > DPFIP_OFFLOAD_MAX_INTERNAL) {
        *error = xasprintf("%u internal prefixes (at most %d)",
                           spec->n_internals, DPFIP_OFFLOAD_MAX_INTERNAL);
        return false;
    }
    if (spec->is_ipv4
        && (!IN6_IS_ADDR_V4MAPPED(&spec->floating)
            || !IN6_IS_ADDR_V4MAPPED(&spec->fixed))) {
        *error = xstrdup("IPv4 addresses must be IPv4-mapped");
        return false;
    }
    for (i = 0; i < spec->n_internals; i++) {
        const struct dpfip_offload_prefix *p = &spec->internals[i];

        if (spec->is_ipv4 && !IN6_IS_ADDR_V4MAPPED(&p->addr)) {
            *error = xstrdup("IPv4 addresses must be IPv4-mapped");
            return false;
        }
        if (p->plen < 0 || p->plen > max_plen) {
            *error = xasprintf("internal prefix length %d out of range "
                               "[0, %d]", p->plen, max_plen);
            return false;
        }
        if (!dnat && !p->plen) {
            *error = xstrdup("internal prefix /0 covers every destination: "
                             "software never translates");
            return false;
        }
        if (dnat && eth_addr_equals(spec->ext_mac, spec->router_mac)
            && dpfip_offload_addr_in_prefix(&spec->floating, p,
                                            spec->is_ipv4)) {
            *error = xstrdup("floating IP inside the internal prefix with "
                             "external MAC == router MAC: software passes "
                             "its traffic to the bridge");
            return false;
        }
    }
    return check_allows(spec, error);
}
