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

#include <errno.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* The rte_flow offload provider: one FIP direction becomes transfer rules
 * created on the transfer proxy of the port the traffic enters from.
 *
 *   DNAT  REPRESENTED_PORT(uplink) / ETH(dst=ext_mac) / IPV4|IPV6(dst=fip)
 *         -> SET_MAC_SRC(router) SET_MAC_DST(vm) SET_IPV*_DST(fixed)
 *            DEC_TTL COUNT REPRESENTED_PORT(vm)
 *   SNAT  REPRESENTED_PORT(vm) / ETH(src=vm_mac,dst=router) /
 *         IPV4|IPV6(src=fixed)
 *         -> SET_MAC_SRC(ext) SET_MAC_DST(gw) SET_IPV*_SRC(fip)
 *            DEC_TTL COUNT REPRESENTED_PORT(uplink)
 *
 * plus the splits and the TTL guard described in dpfip-offload-provider.h.
 * The DPDK-facing code uses only util.h's allocators and dynamic-string
 * from OVS, so it can be tested against the net_eswitch model outside
 * ovs-vswitchd (dpdk/tests/offload/). */

#ifdef DPDK_NETDEV

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

/* Lower wins: the TTL guard must beat the rewrite.  Generation 1 sits
 * below generation 0 (priorities 2 and 3), so that a replacement can be
 * created next to the rules it replaces without overlapping them at one
 * priority. */
#define PRIORITY_GUARD(GEN) (2 * (GEN))
#define PRIORITY_FIP(GEN) (2 * (GEN) + 1)

/* More rules than this for one spec is a configuration we refuse rather
 * than fill the switch with (e.g. an IPv6 /128 internal prefix). */
#define MAX_RULES 160

/* One way to split the match on a field of the L3 header into disjoint
 * masked values whose union is what we want to match. */
struct split {
    size_t ofs;                     /* Byte offset in the L3 header. */
    size_t len;                     /* Bytes, at most 16. */
    unsigned int n;                 /* Number of alternatives. */
    bool on_ttl;                    /* Splits the TTL field. */
    uint8_t values[128][16];
    uint8_t masks[128][16];
};

struct hw_flow {
    struct rte_flow *flow;
    bool guard;                     /* COUNT + DROP for TTL <= 1. */
};

struct dpfip_offload_rule {
    uint16_t in_port;
    uint16_t out_port;
    uint16_t proxy;                 /* Port the flows were created on. */
    struct hw_flow *flows;
    size_t n_flows;
    size_t n_guards;
    struct dpfip_offload_stats totals;
};

/* The error convention: the PMD's message verbatim. */
static int
flow_error(const struct rte_flow_error *err, int ret, char **error)
{
    int code = ret < 0 ? -ret : ret ? ret : EINVAL;

    if (err->message) {
        *error = xstrdup(err->message);
    } else {
        *error = xasprintf("rte_flow error type %d: %s", (int) err->type,
                           ovs_strerror(code));
    }
    return code;
}

static const char *
port_name(uint16_t port, char name[RTE_ETH_NAME_MAX_LEN])
{
    if (rte_eth_dev_get_name_by_port(port, name)) {
        snprintf(name, RTE_ETH_NAME_MAX_LEN, "?");
    }
    return name;
}

static int
pick_proxy(uint16_t port, uint16_t *proxy, char **error)
{
    struct rte_flow_error err;
    int ret;

    memset(&err, 0, sizeof err);
    ret = rte_flow_pick_transfer_proxy(port, proxy, &err);
    return ret ? flow_error(&err, ret, error) : 0;
}

static int
dpfip_rte_flow_probe(uint32_t in_port, uint32_t out_port, char **reason)
{
    char name[2][RTE_ETH_NAME_MAX_LEN];
    struct rte_eth_dev_info info[2];
    uint32_t ports[2] = { in_port, out_port };
    uint16_t proxy;
    int i, ret;

    for (i = 0; i < 2; i++) {
        if (ports[i] >= RTE_MAX_ETHPORTS
            || !rte_eth_dev_is_valid_port(ports[i])) {
            *reason = xasprintf("port %"PRIu32" is not a DPDK port",
                                ports[i]);
            return ENODEV;
        }
        port_name(ports[i], name[i]);
        ret = rte_eth_dev_info_get(ports[i], &info[i]);
        if (ret) {
            *reason = xasprintf("port %"PRIu32" (%s): cannot get device "
                                "info (%s)", ports[i], name[i],
                                ovs_strerror(-ret));
            return -ret;
        }
        if (info[i].switch_info.domain_id
            == RTE_ETH_DEV_SWITCH_DOMAIN_ID_INVALID) {
            *reason = xasprintf("port %"PRIu32" (%s) is not in a switch "
                                "domain (no switchdev eSwitch)", ports[i],
                                name[i]);
            return EOPNOTSUPP;
        }
    }
    if (in_port == out_port) {
        *reason = xasprintf("in and out are the same port %"PRIu32" (%s)",
                            in_port, name[0]);
        return EINVAL;
    }
    if (info[0].switch_info.domain_id != info[1].switch_info.domain_id) {
        *reason = xasprintf("ports %"PRIu32" (%s) and %"PRIu32" (%s) are in "
                            "different switch domains (%u and %u)",
                            in_port, name[0], out_port, name[1],
                            info[0].switch_info.domain_id,
                            info[1].switch_info.domain_id);
        return EOPNOTSUPP;
    }
    /* Rules go to the in port's proxy.  Proxies of the two ports may
     * differ (without the PMD op every port is its own) and still share
     * the switch's table. */
    return pick_proxy(in_port, &proxy, reason);
}

/* Address bytes of 'a' in its family: 4 for IPv4, 16 for IPv6. */
static const uint8_t *
addr_bytes(const struct in6_addr *a, bool is_ipv4)
{
    return is_ipv4 ? &a->s6_addr[12] : a->s6_addr;
}

static bool
addr_in_prefix(const struct in6_addr *a, const struct in6_addr *prefix,
               int plen, bool is_ipv4)
{
    const uint8_t *x = addr_bytes(a, is_ipv4);
    const uint8_t *p = addr_bytes(prefix, is_ipv4);
    int i;

    for (i = 0; i < plen; i++) {
        uint8_t bit = 0x80 >> (i % 8);

        if ((x[i / 8] & bit) != (p[i / 8] & bit)) {
            return false;
        }
    }
    return true;
}

static void
split_init(struct split *s, size_t ofs, size_t len, bool on_ttl)
{
    memset(s, 0, sizeof *s);
    s->ofs = ofs;
    s->len = len;
    s->on_ttl = on_ttl;
}

/* Alternative i (0 <= i < plen) of "not in prefix": the first i bits equal
 * the prefix, bit i differs.  Together exactly the complement. */
static void
split_not_prefix(struct split *s, const uint8_t *prefix, int plen)
{
    int i, b;

    for (i = 0; i < plen; i++) {
        uint8_t *v = s->values[s->n];
        uint8_t *m = s->masks[s->n];

        for (b = 0; b <= i; b++) {
            uint8_t bit = 0x80 >> (b % 8);

            m[b / 8] |= bit;
            v[b / 8] |= (prefix[b / 8] ^ (b == i ? 0xff : 0)) & bit;
        }
        s->n++;
    }
}

static bool
check_spec(const struct dpfip_offload_rule_spec *spec, char **error)
{
    int max_plen = spec->is_ipv4 ? 32 : 128;
    bool dnat = spec->direction == DPFIP_DNAT;

    if (spec->direction != DPFIP_DNAT && spec->direction != DPFIP_SNAT) {
        *error = xasprintf("bad direction %d", (int) spec->direction);
        return false;
    }
    if (spec->generation > 1) {
        *error = xasprintf("bad generation %u", spec->generation);
        return false;
    }
    if (spec->is_ipv4
        && (!IN6_IS_ADDR_V4MAPPED(&spec->floating)
            || !IN6_IS_ADDR_V4MAPPED(&spec->fixed)
            || (spec->has_internal
                && !IN6_IS_ADDR_V4MAPPED(&spec->internal)))) {
        *error = xstrdup("IPv4 addresses must be IPv4-mapped");
        return false;
    }
    if (spec->in_port >= RTE_MAX_ETHPORTS
        || spec->out_port >= RTE_MAX_ETHPORTS) {
        *error = xasprintf("port %"PRIu32" is not a DPDK port",
                           spec->in_port >= RTE_MAX_ETHPORTS
                           ? spec->in_port : spec->out_port);
        return false;
    }
    if (!spec->has_internal) {
        return true;
    }
    if (spec->internal_plen < 0 || spec->internal_plen > max_plen) {
        *error = xasprintf("internal prefix length %d out of range [0, %d]",
                           spec->internal_plen, max_plen);
        return false;
    }
    if (!dnat && !spec->internal_plen) {
        *error = xstrdup("internal prefix /0 covers every destination: "
                         "software never translates");
        return false;
    }
    if (dnat && !memcmp(&spec->ext_mac, &spec->router_mac,
                        sizeof spec->ext_mac)
        && addr_in_prefix(&spec->floating, &spec->internal,
                          spec->internal_plen, spec->is_ipv4)) {
        *error = xstrdup("floating IP inside the internal prefix with "
                         "external MAC == router MAC: software passes "
                         "its traffic to the bridge");
        return false;
    }
    return true;
}

/* Everything needed to build the rte_flow rules of one spec. */
struct builder {
    const struct dpfip_offload_rule_spec *spec;
    struct rte_flow_attr attr;
    struct rte_flow_item_ethdev src;
    struct rte_flow_item_eth eth_spec, eth_mask;
    union {
        struct rte_flow_item_ipv4 v4;
        struct rte_flow_item_ipv6 v6;
    } l3_base_spec, l3_base_mask, l3_spec, l3_mask;
    size_t ttl_ofs;
    struct rte_flow_item pattern[4];

    struct rte_flow_action_set_mac mac_src, mac_dst;
    struct rte_flow_action_set_ipv4 ip4;
    struct rte_flow_action_set_ipv6 ip6;
    struct rte_flow_action_count count;
    struct rte_flow_action_ethdev out;
    struct rte_flow_action actions[8];
    struct rte_flow_action guard_actions[3];

    struct split splits[2];
    size_t n_splits;
};

static void
build_base(struct builder *b, const struct dpfip_offload_rule_spec *spec)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    const uint8_t *floating = addr_bytes(&spec->floating, spec->is_ipv4);
    const uint8_t *fixed = addr_bytes(&spec->fixed, spec->is_ipv4);
    uint8_t *l3s = (uint8_t *) &b->l3_base_spec;
    uint8_t *l3m = (uint8_t *) &b->l3_base_mask;
    size_t addr_len = spec->is_ipv4 ? 4 : 16;
    size_t addr_ofs;
    int n;

    memset(b, 0, sizeof *b);
    b->spec = spec;
    b->attr.transfer = 1;

    b->src.port_id = spec->in_port;
    b->pattern[0].type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT;
    b->pattern[0].spec = &b->src;
    b->pattern[0].mask = &rte_flow_item_ethdev_mask;

    if (dnat) {
        memcpy(&b->eth_spec.hdr.dst_addr, &spec->ext_mac, RTE_ETHER_ADDR_LEN);
        memset(&b->eth_mask.hdr.dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    } else {
        memcpy(&b->eth_spec.hdr.src_addr, &spec->vm_mac, RTE_ETHER_ADDR_LEN);
        memset(&b->eth_mask.hdr.src_addr, 0xff, RTE_ETHER_ADDR_LEN);
        memcpy(&b->eth_spec.hdr.dst_addr, &spec->router_mac,
               RTE_ETHER_ADDR_LEN);
        memset(&b->eth_mask.hdr.dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    }
    b->pattern[1].type = RTE_FLOW_ITEM_TYPE_ETH;
    b->pattern[1].spec = &b->eth_spec;
    b->pattern[1].mask = &b->eth_mask;

    if (spec->is_ipv4) {
        b->ttl_ofs = offsetof(struct rte_ipv4_hdr, time_to_live);
        addr_ofs = (dnat ? offsetof(struct rte_ipv4_hdr, dst_addr)
                    : offsetof(struct rte_ipv4_hdr, src_addr));
        b->pattern[2].type = RTE_FLOW_ITEM_TYPE_IPV4;
    } else {
        b->ttl_ofs = offsetof(struct rte_ipv6_hdr, hop_limits);
        addr_ofs = (dnat ? offsetof(struct rte_ipv6_hdr, dst_addr)
                    : offsetof(struct rte_ipv6_hdr, src_addr));
        b->pattern[2].type = RTE_FLOW_ITEM_TYPE_IPV6;
    }
    memcpy(l3s + addr_ofs, dnat ? floating : fixed, addr_len);
    memset(l3m + addr_ofs, 0xff, addr_len);
    b->pattern[2].spec = &b->l3_spec;
    b->pattern[2].mask = &b->l3_mask;
    b->pattern[3].type = RTE_FLOW_ITEM_TYPE_END;

    /* Splits: see dpfip-offload-provider.h for why. */
    if (!dnat && spec->has_internal) {
        struct split *s = &b->splits[b->n_splits++];

        split_init(s, (spec->is_ipv4
                       ? offsetof(struct rte_ipv4_hdr, dst_addr)
                       : offsetof(struct rte_ipv6_hdr, dst_addr)),
                   addr_len, false);
        split_not_prefix(s, addr_bytes(&spec->internal, spec->is_ipv4),
                         spec->internal_plen);
    }
    if (dnat && !spec->is_ipv4) {
        struct split *s = &b->splits[b->n_splits++];
        uint8_t all_ones = 0xff;

        split_init(s, b->ttl_ofs, 1, true);
        split_not_prefix(s, &all_ones, 8);
    }

    n = 0;
    memcpy(b->mac_src.mac_addr, dnat ? &spec->router_mac : &spec->ext_mac,
           RTE_ETHER_ADDR_LEN);
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_SET_MAC_SRC;
    b->actions[n++].conf = &b->mac_src;
    memcpy(b->mac_dst.mac_addr, dnat ? &spec->vm_mac : &spec->gw_mac,
           RTE_ETHER_ADDR_LEN);
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_SET_MAC_DST;
    b->actions[n++].conf = &b->mac_dst;
    if (spec->is_ipv4) {
        memcpy(&b->ip4.ipv4_addr, dnat ? fixed : floating, 4);
        b->actions[n].type = (dnat ? RTE_FLOW_ACTION_TYPE_SET_IPV4_DST
                              : RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC);
        b->actions[n++].conf = &b->ip4;
    } else {
        memcpy(b->ip6.ipv6_addr, dnat ? fixed : floating, 16);
        b->actions[n].type = (dnat ? RTE_FLOW_ACTION_TYPE_SET_IPV6_DST
                              : RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC);
        b->actions[n++].conf = &b->ip6;
    }
    b->actions[n++].type = RTE_FLOW_ACTION_TYPE_DEC_TTL;
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_COUNT;
    b->actions[n++].conf = &b->count;
    b->out.port_id = spec->out_port;
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT;
    b->actions[n++].conf = &b->out;
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_END;

    b->guard_actions[0].type = RTE_FLOW_ACTION_TYPE_COUNT;
    b->guard_actions[0].conf = &b->count;
    b->guard_actions[1].type = RTE_FLOW_ACTION_TYPE_DROP;
    b->guard_actions[2].type = RTE_FLOW_ACTION_TYPE_END;
}

/* Number of alternatives of the splits that apply to a rule, the main
 * rule's ('guard' false) or the TTL guard's. */
static size_t
n_alternatives(const struct builder *b, bool guard)
{
    size_t i, n = 1;

    for (i = 0; i < b->n_splits; i++) {
        /* The guard's TTL <= 1 already excludes TTL 255. */
        if (!(guard && b->splits[i].on_ttl)) {
            n *= b->splits[i].n;
        }
    }
    return n;
}

/* Fills the L3 item for alternative 'k' of the main rule or the guard. */
static void
build_l3(struct builder *b, bool guard, size_t k)
{
    uint8_t *spec = (uint8_t *) &b->l3_spec;
    uint8_t *mask = (uint8_t *) &b->l3_mask;
    size_t i, j;

    b->l3_spec = b->l3_base_spec;
    b->l3_mask = b->l3_base_mask;
    for (i = 0; i < b->n_splits; i++) {
        const struct split *s = &b->splits[i];
        size_t alt;

        if (guard && s->on_ttl) {
            continue;
        }
        alt = k % s->n;
        k /= s->n;
        for (j = 0; j < s->len; j++) {
            spec[s->ofs + j] |= s->values[alt][j];
            mask[s->ofs + j] |= s->masks[alt][j];
        }
    }
    if (guard) {
        spec[b->ttl_ofs] = 0;
        mask[b->ttl_ofs] = 0xfe;
    }
    b->attr.priority = (guard ? PRIORITY_GUARD(b->spec->generation)
                        : PRIORITY_FIP(b->spec->generation));
}

/* Validates (validate_only) or creates every rule of 'b' in order,
 * guards first, storing created flows in 'rule'. */
static int
for_each_rule(struct builder *b, struct dpfip_offload_rule *rule,
              bool validate_only, char **error)
{
    int pass;

    for (pass = 0; pass < 2; pass++) {
        bool guard = pass == 0;
        size_t k, n;

        if (guard && !b->spec->ttl_guard) {
            continue;
        }
        n = n_alternatives(b, guard);
        for (k = 0; k < n; k++) {
            const struct rte_flow_action *actions
                = guard ? b->guard_actions : b->actions;
            struct rte_flow_error err;
            struct rte_flow *flow;
            int ret;

            build_l3(b, guard, k);
            memset(&err, 0, sizeof err);
            if (validate_only) {
                ret = rte_flow_validate(rule->proxy, &b->attr, b->pattern,
                                        actions, &err);
                if (ret) {
                    return flow_error(&err, ret, error);
                }
                continue;
            }
            flow = rte_flow_create(rule->proxy, &b->attr, b->pattern,
                                   actions, &err);
            if (!flow) {
                return flow_error(&err, rte_errno, error);
            }
            rule->flows[rule->n_flows].flow = flow;
            rule->flows[rule->n_flows].guard = guard;
            rule->n_flows++;
            rule->n_guards += guard;
        }
    }
    return 0;
}

static void
destroy_flows(struct dpfip_offload_rule *rule, int *retp, char **error)
{
    while (rule->n_flows) {
        struct hw_flow *f = &rule->flows[--rule->n_flows];
        struct rte_flow_error err;
        int ret;

        if (!f->flow) {
            continue;           /* Known to be gone already. */
        }
        memset(&err, 0, sizeof err);
        ret = rte_flow_destroy(rule->proxy, f->flow, &err);
        if (ret && retp && !*retp) {
            *retp = flow_error(&err, ret, error);
        }
    }
}

static int
dpfip_rte_flow_install(const struct dpfip_offload_rule_spec *spec,
                       struct dpfip_offload_rule **rulep, char **error)
{
    struct dpfip_offload_rule *rule;
    struct builder *b;
    size_t n_rules;
    int ret;

    *rulep = NULL;
    if (!check_spec(spec, error)) {
        return EINVAL;
    }
    b = xmalloc(sizeof *b);
    build_base(b, spec);
    n_rules = (n_alternatives(b, false)
               + (spec->ttl_guard ? n_alternatives(b, true) : 0));
    if (n_rules > MAX_RULES) {
        *error = xasprintf("would need %"PRIuSIZE" hardware rules (more "
                           "than %d)", n_rules, MAX_RULES);
        free(b);
        return E2BIG;
    }

    rule = xzalloc(sizeof *rule);
    rule->in_port = spec->in_port;
    rule->out_port = spec->out_port;
    rule->flows = xcalloc(n_rules, sizeof *rule->flows);
    ret = pick_proxy(spec->in_port, &rule->proxy, error);
    if (!ret) {
        /* Validate everything before creating anything, so that a rule
         * the PMD cannot do never leaves half a FIP in hardware. */
        ret = for_each_rule(b, rule, true, error);
    }
    if (!ret) {
        ret = for_each_rule(b, rule, false, error);
        if (ret) {
            destroy_flows(rule, NULL, NULL);
        }
    }
    free(b);
    if (ret) {
        free(rule->flows);
        free(rule);
        return ret;
    }
    *rulep = rule;
    return 0;
}

static int
dpfip_rte_flow_remove(struct dpfip_offload_rule *rule, char **error)
{
    int ret = 0;

    if (rule) {
        destroy_flows(rule, &ret, error);
        free(rule->flows);
        free(rule);
    }
    return ret;
}

static int
dpfip_rte_flow_stats(struct dpfip_offload_rule *rule,
                     struct dpfip_offload_stats *stats, char **error)
{
    static const struct rte_flow_action count[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    size_t i, n_lost = 0;
    int ret = 0;

    for (i = 0; i < rule->n_flows; i++) {
        /* Read and reset: the hardware gives counts since the last
         * reset, we keep the totals. */
        struct rte_flow_query_count q = { .reset = 1 };
        struct rte_flow_error err;
        int error_;

        if (!rule->flows[i].flow) {
            n_lost++;
            continue;
        }
        memset(&err, 0, sizeof err);
        error_ = rte_flow_query(rule->proxy, rule->flows[i].flow, count, &q,
                                &err);
        if (error_) {
            if (!ret) {
                ret = flow_error(&err, error_, error);
            }
            if (err.type == RTE_FLOW_ERROR_TYPE_HANDLE) {
                /* Someone flushed the port (OVS's netdev-offload-dpdk
                 * does on its own cleanup) or it went away: never pass
                 * the stale handle to the PMD again. */
                rule->flows[i].flow = NULL;
            }
            continue;
        }
        if (rule->flows[i].guard) {
            rule->totals.n_dropped += q.hits_set ? q.hits : 0;
            rule->totals.n_dropped_bytes += q.bytes_set ? q.bytes : 0;
        } else {
            rule->totals.n_packets += q.hits_set ? q.hits : 0;
            rule->totals.n_bytes += q.bytes_set ? q.bytes : 0;
        }
    }
    if (n_lost && !ret) {
        *error = xasprintf("%"PRIuSIZE" of %"PRIuSIZE" hardware rules are "
                           "gone (port flushed or removed)", n_lost,
                           rule->n_flows);
        ret = ENOENT;
    }
    *stats = rule->totals;
    return ret;
}

static void
dpfip_rte_flow_describe(const struct dpfip_offload_rule *rule,
                        struct ds *ds)
{
    ds_put_format(ds, "rte_flow: %"PRIuSIZE" transfer rules",
                  rule->n_flows);
    if (rule->n_guards) {
        ds_put_format(ds, " (%"PRIuSIZE" TTL guards)", rule->n_guards);
    }
    ds_put_format(ds, ", port %u -> port %u, on proxy port %u",
                  rule->in_port, rule->out_port, rule->proxy);
}

#else /* !DPDK_NETDEV */

/* Without DPDK the provider exists, so the manager needs no #ifdef, but
 * refuses everything with the reason. */

static int
dpfip_rte_flow_unsupported(char **error)
{
    *error = xstrdup("DPDK support not built");
    return EOPNOTSUPP;
}

static int
dpfip_rte_flow_probe(uint32_t in_port OVS_UNUSED,
                     uint32_t out_port OVS_UNUSED, char **reason)
{
    return dpfip_rte_flow_unsupported(reason);
}

static int
dpfip_rte_flow_install(
    const struct dpfip_offload_rule_spec *spec OVS_UNUSED,
    struct dpfip_offload_rule **rulep, char **error)
{
    *rulep = NULL;
    return dpfip_rte_flow_unsupported(error);
}

static int
dpfip_rte_flow_remove(struct dpfip_offload_rule *rule OVS_UNUSED,
                      char **error OVS_UNUSED)
{
    return 0;                   /* There are no handles to remove. */
}

static int
dpfip_rte_flow_stats(struct dpfip_offload_rule *rule OVS_UNUSED,
                     struct dpfip_offload_stats *stats, char **error)
{
    memset(stats, 0, sizeof *stats);
    return dpfip_rte_flow_unsupported(error);
}

static void
dpfip_rte_flow_describe(const struct dpfip_offload_rule *rule OVS_UNUSED,
                        struct ds *ds)
{
    ds_put_cstr(ds, "rte_flow: DPDK support not built");
}

#endif /* DPDK_NETDEV */

const struct dpfip_offload_class dpfip_offload_rte_flow_class = {
    .name = "rte_flow",
    .probe = dpfip_rte_flow_probe,
    .install = dpfip_rte_flow_install,
    .remove = dpfip_rte_flow_remove,
    .stats = dpfip_rte_flow_stats,
    .describe = dpfip_rte_flow_describe,
};

