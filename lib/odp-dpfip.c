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
#include "odp-dpfip.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/ip6.h>
#include "compiler.h"
#include "csum.h"
#include "dp-packet.h"
#include "netlink.h"
#include "odp-netlink.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "util.h"

/* Checksums follow RFC 1624 (HC' = ~(~HC + ~m + m')).  The terms ~m + m'
 * of a whole address are summed once, unfolded, into 'csum_delta'; OVS's
 * recalc_csum32() and recalc_csum128() add the same 16-bit terms one at a
 * time, and since a ones'-complement fold is zero only for a zero sum, one
 * fold at the end gives exactly their result.  A TTL (hop limit) one lower
 * changes its 16-bit word by the same amount whatever the TTL: another
 * constant. */
#define TTL_DEC_CSUM_DELTA ((uint16_t) ~htons(1 << 8))

static uint32_t
csum_delta(const ovs_be16 *old, const ovs_be16 *new, size_t n)
{
    uint32_t delta = 0;

    for (size_t i = 0; i < n; i++) {
        delta += (uint16_t) ~old[i] + new[i];
    }
    return delta;
}

static uint32_t
csum_delta32(ovs_be32 old, ovs_be32 new)
{
    return old == new ? 0 : csum_delta((const ovs_be16 *) &old,
                                       (const ovs_be16 *) &new, 2);
}

/* Initializes 'rw' to set 'eth_src' and 'eth_dst' and to replace the source
 * (or, if 'rewrite_dst', the destination) address 'old_addr' by 'new_addr'
 * (IPv4-mapped unless 'ipv6'). */
void
odp_dpfip_rewrite_init(struct ovs_action_dpfip_rewrite *rw,
                       const struct eth_addr *eth_src,
                       const struct eth_addr *eth_dst, bool ipv6,
                       bool rewrite_dst,
                       const struct in6_addr *old_addr,
                       const struct in6_addr *new_addr)
{
    memset(rw, 0, sizeof *rw);
    rw->eth_src = *eth_src;
    rw->eth_dst = *eth_dst;
    rw->ipv6 = ipv6;
    rw->rewrite_dst = rewrite_dst;
    rw->old_addr = *old_addr;
    rw->new_addr = *new_addr;
    if (ipv6) {
        rw->csum_delta = (ipv6_addr_equals(old_addr, new_addr) ? 0
                          : csum_delta(ALIGNED_CAST(const ovs_be16 *,
                                                    old_addr),
                                       ALIGNED_CAST(const ovs_be16 *,
                                                    new_addr), 8));
    } else {
        rw->csum_delta = csum_delta32(in6_addr_get_mapped_ipv4(old_addr),
                                      in6_addr_get_mapped_ipv4(new_addr));
    }
}

void
odp_dpfip_rewrite_put(struct ofpbuf *odp_actions,
                      const struct ovs_action_dpfip_rewrite *rw)
{
    nl_msg_put_unspec(odp_actions, OVS_ACTION_ATTR_DPFIP_REWRITE,
                      rw, sizeof *rw);
}

/* Execution. */

/* csum_finish() without the call and the loop: two end-around carries
 * fold any 32-bit sum. */
static inline uint16_t
csum_fold(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    return (sum & 0xffff) + (sum >> 16);
}

static inline ovs_be16
csum_add_full(ovs_be16 csum, uint32_t delta)
{
    return ~csum_fold((uint16_t) ~csum + delta);
}

/* An offloaded (partial) L4 checksum field holds the folded pseudo-header
 * sum, not its complement: the delta is added to it as it is. */
static inline ovs_be16
csum_add_partial(ovs_be16 sum, uint32_t delta)
{
    return csum_fold(sum + delta);
}

/* Adds 'delta' (a pseudo-header address change) to the L4 checksum of
 * 'packet', whose L4 protocol is 'proto', where OVS's packet_set_ipv4_addr()
 * and packet_update_csum128() would. */
static inline void ALWAYS_INLINE
update_l4_csum(struct dp_packet *packet, uint8_t proto, uint32_t delta,
               bool ipv6)
{
    size_t l4_size = dp_packet_l4_size(packet);

    if (proto == IPPROTO_TCP && l4_size >= TCP_HEADER_LEN) {
        struct tcp_header *th = dp_packet_l4(packet);

        th->tcp_csum = (dp_packet_hwol_l4_is_tcp(packet)
                        ? csum_add_partial(th->tcp_csum, delta)
                        : csum_add_full(th->tcp_csum, delta));
    } else if (proto == IPPROTO_UDP && l4_size >= UDP_HEADER_LEN) {
        struct udp_header *uh = dp_packet_l4(packet);

        if (dp_packet_hwol_l4_is_udp(packet)) {
            uh->udp_csum = csum_add_partial(uh->udp_csum, delta);
        } else if (uh->udp_csum) {
            /* Zero means "no checksum" (IPv4); a sum of zero is sent as
             * 0xffff. */
            uh->udp_csum = csum_add_full(uh->udp_csum, delta);
            if (!uh->udp_csum) {
                uh->udp_csum = htons(0xffff);
            }
        }
    } else if (ipv6 && proto == IPPROTO_ICMPV6
               && l4_size >= sizeof(struct icmp6_header)) {
        struct icmp6_header *icmp = dp_packet_l4(packet);

        icmp->icmp6_cksum = csum_add_full(icmp->icmp6_cksum, delta);
    }
}

/* Both MACs in header order, so that one copy writes them. */
struct eth_macs {
    uint8_t bytes[2 * ETH_ADDR_LEN];
};

static inline void
rewrite_eth(struct dp_packet *packet, const struct eth_macs *macs)
{
    struct eth_header *eh = dp_packet_eth(packet);

    if (eh) {
        memcpy(eh, macs->bytes, sizeof macs->bytes);
    }
}

/* Whether 'packet''s L3 header is shorter than 'len'.  A parsed L4 header
 * means it is not: miniflow_extract() checked it. */
static inline bool
l3_is_short(const struct dp_packet *packet, size_t len)
{
    return (OVS_UNLIKELY(packet->l4_ofs == UINT16_MAX)
            && dp_packet_l3_size(packet) < len);
}

static inline void
rewrite_ipv4(struct dp_packet *packet, bool rewrite_dst, uint32_t delta,
             ovs_be32 old4, ovs_be32 new4)
{
    struct ip_header *nh = dp_packet_l3(packet);

    if (OVS_UNLIKELY(!nh || l3_is_short(packet, IP_HEADER_LEN))) {
        return;
    }

    /* memcpy(): one unaligned access where get_16aligned_be32() and
     * put_16aligned_be32() make two. */
    ovs_16aligned_be32 *field = rewrite_dst ? &nh->ip_dst : &nh->ip_src;
    ovs_be32 cur;

    memcpy(&cur, field, sizeof cur);

    if (OVS_UNLIKELY(cur != old4)) {
        /* Not the address the delta is for (a hand-made datapath flow). */
        delta = csum_delta32(cur, new4);
    }
    if (OVS_LIKELY(cur != new4)) {
        pkt_metadata_init_conn(&packet->md);
        if (OVS_LIKELY(!(nh->ip_frag_off & htons(IP_FRAG_OFF_MASK)))) {
            /* Only a first (or the only) fragment has an L4 header. */
            update_l4_csum(packet, nh->ip_proto, delta, false);
        }
        memcpy(field, &new4, sizeof new4);
    }

    if (OVS_LIKELY(nh->ip_ttl)) {
        nh->ip_csum = csum_add_full(nh->ip_csum, delta + TTL_DEC_CSUM_DELTA);
        nh->ip_ttl--;
    } else {
        /* 0 wraps to 255: not the constant delta. */
        nh->ip_csum = recalc_csum16(csum_add_full(nh->ip_csum, delta),
                                    htons(0), htons(UINT8_MAX << 8));
        nh->ip_ttl = UINT8_MAX;
    }
}

static void
rewrite_ipv6(struct dp_packet *packet,
             const struct ovs_action_dpfip_rewrite *rw)
{
    struct ovs_16aligned_ip6_hdr *nh = dp_packet_l3(packet);

    if (OVS_UNLIKELY(!nh || l3_is_short(packet, IPV6_HEADER_LEN))) {
        return;
    }

    ovs_16aligned_be32 *field = (rw->rewrite_dst ? nh->ip6_dst.be32
                                                 : nh->ip6_src.be32);
    if (OVS_LIKELY(memcmp(field, &rw->new_addr, sizeof rw->new_addr))) {
        uint32_t delta = rw->csum_delta;
        uint8_t proto = nh->ip6_nxt;
        bool update_l4 = true;

        if (OVS_UNLIKELY(memcmp(field, &rw->old_addr, sizeof rw->old_addr))) {
            delta = csum_delta(ALIGNED_CAST(const ovs_be16 *, field),
                               ALIGNED_CAST(const ovs_be16 *, &rw->new_addr),
                               8);
        }
        if (OVS_UNLIKELY(proto != IPPROTO_TCP && proto != IPPROTO_UDP
                         && proto != IPPROTO_ICMPV6)) {
            /* Extension headers: where the L4 header is, whether this is a
             * first fragment and whether a routing header's final
             * destination is in the pseudo-header instead, as OVS's
             * packet_set_ipv6() decides it. */
            bool first_frag = true;
            bool rh_present = false;

            proto = 0;
            if (packet->l4_ofs != UINT16_MAX) {
                rh_present = packet_rh_present(packet, &proto, &first_frag);
            }
            update_l4 = first_frag && !(rw->rewrite_dst && rh_present);
        }
        if (update_l4) {
            update_l4_csum(packet, proto, delta, true);
        }
        memcpy(field, &rw->new_addr, sizeof rw->new_addr);
        pkt_metadata_init_conn(&packet->md);
    }
    nh->ip6_hlim--;
}

/* Applies the OVS_ACTION_ATTR_DPFIP_REWRITE action 'a' to every packet in
 * 'batch'.  The packets' L2 and L3 (and L4) offsets must be set, as they
 * are in the datapath. */
void
odp_dpfip_rewrite_execute(struct dp_packet_batch *batch,
                          const struct nlattr *a)
{
    const struct ovs_action_dpfip_rewrite *rw = nl_attr_get(a);
    /* A copy: the compiler cannot tell that the packets' bytes do not
     * alias the action's. */
    struct eth_macs macs;
    struct dp_packet *packet;

    memcpy(macs.bytes, &rw->eth_dst, ETH_ADDR_LEN);
    memcpy(macs.bytes + ETH_ADDR_LEN, &rw->eth_src, ETH_ADDR_LEN);
    if (rw->ipv6) {
        DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
            rewrite_eth(packet, &macs);
            rewrite_ipv6(packet, rw);
        }
    } else {
        ovs_be32 old4 = in6_addr_get_mapped_ipv4(&rw->old_addr);
        ovs_be32 new4 = in6_addr_get_mapped_ipv4(&rw->new_addr);
        uint32_t delta = rw->csum_delta;
        bool rewrite_dst = rw->rewrite_dst;

        DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
            rewrite_eth(packet, &macs);
            rewrite_ipv4(packet, rewrite_dst, delta, old4, new4);
        }
    }
}

/* Formatting and parsing: dpfip_rewrite(eth_src=MAC,eth_dst=MAC,
 * ipv4_dst=OLD->NEW), with ipv4_src, ipv6_src or ipv6_dst in place of
 * ipv4_dst.  The TTL (hop limit) decrement and the checksum delta are
 * implied. */

static void
format_addr(struct ds *ds, bool ipv6, const struct in6_addr *addr)
{
    if (ipv6) {
        ipv6_format_addr(addr, ds);
    } else {
        ds_put_format(ds, IP_FMT, IP_ARGS(in6_addr_get_mapped_ipv4(addr)));
    }
}

void
odp_dpfip_rewrite_format(struct ds *ds, const struct nlattr *a)
{
    const struct ovs_action_dpfip_rewrite *rw = nl_attr_get(a);

    ds_put_format(ds, "dpfip_rewrite(eth_src="ETH_ADDR_FMT",eth_dst="
                  ETH_ADDR_FMT",%s_%s=", ETH_ADDR_ARGS(rw->eth_src),
                  ETH_ADDR_ARGS(rw->eth_dst), rw->ipv6 ? "ipv6" : "ipv4",
                  rw->rewrite_dst ? "dst" : "src");
    format_addr(ds, rw->ipv6, &rw->old_addr);
    ds_put_cstr(ds, "->");
    format_addr(ds, rw->ipv6, &rw->new_addr);
    ds_put_char(ds, ')');
}

static bool
parse_addr(const char *s, bool ipv6, struct in6_addr *addr)
{
    if (ipv6) {
        return inet_pton(AF_INET6, s, addr) == 1;
    }

    ovs_be32 ip;

    if (inet_pton(AF_INET, s, &ip) != 1) {
        return false;
    }
    in6_addr_set_mapped_ipv4(addr, ip);
    return true;
}

/* Parses a dpfip_rewrite action at the start of 's' into 'odp_actions'.
 * Returns the number of characters parsed, 0 if 's' does not start with
 * "dpfip_rewrite(", or -EINVAL if the rest is malformed. */
int
odp_dpfip_rewrite_parse(const char *s, struct ofpbuf *odp_actions)
{
    char old_s[INET6_ADDRSTRLEN], new_s[INET6_ADDRSTRLEN];
    struct in6_addr old_addr, new_addr;
    struct eth_addr eth_src, eth_dst;
    struct ovs_action_dpfip_rewrite rw;
    char family[5], field[4];
    int n = 0;

    if (strncmp(s, "dpfip_rewrite(", strlen("dpfip_rewrite("))) {
        return 0;
    }
    if (!ovs_scan(s, "dpfip_rewrite(eth_src="ETH_ADDR_SCAN_FMT",eth_dst="
                  ETH_ADDR_SCAN_FMT",%4[a-z0-9]_%3[a-z]=%45[0-9a-fA-F:.]->"
                  "%45[0-9a-fA-F:.])%n", ETH_ADDR_SCAN_ARGS(eth_src),
                  ETH_ADDR_SCAN_ARGS(eth_dst), family, field, old_s, new_s,
                  &n)) {
        return -EINVAL;
    }

    bool ipv6 = !strcmp(family, "ipv6");
    if ((!ipv6 && strcmp(family, "ipv4"))
        || (strcmp(field, "src") && strcmp(field, "dst"))
        || !parse_addr(old_s, ipv6, &old_addr)
        || !parse_addr(new_s, ipv6, &new_addr)) {
        return -EINVAL;
    }
    odp_dpfip_rewrite_init(&rw, &eth_src, &eth_dst, ipv6,
                           !strcmp(field, "dst"), &old_addr, &new_addr);
    odp_dpfip_rewrite_put(odp_actions, &rw);
    return n;
}
