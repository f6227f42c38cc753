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
#include "dpfip-icmp.h"

#include <string.h>
#include <netinet/icmp6.h>
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/thread.h"
#include "timeval.h"
#include "util.h"

/* The largest error: RFC 1812 4.3.2.3 (IPv4), RFC 4443 2.4 c (IPv6). */
#define ICMP4_ERROR_MAX 576
#define ICMP6_ERROR_MAX 1280

/* What a new error's IP header carries: Linux's defaults. */
#define ICMP_ERROR_TTL 64
#define ICMP4_ERROR_TOS 0xc0            /* IPTOS_PREC_INTERNETCONTROL. */

static bool
icmp4_is_error(uint8_t type)
{
    return (type == ICMP4_DST_UNREACH || type == ICMP4_SOURCEQUENCH
            || type == ICMP4_REDIRECT || type == ICMP4_TIME_EXCEEDED
            || type == ICMP4_PARAM_PROB);
}

static bool
may_answer_ipv4(const struct dp_packet *packet)
{
    const struct ip_header *nh = dp_packet_l3(packet);
    size_t l3_size = dp_packet_l3_size(packet);

    if (!nh || l3_size < IP_HEADER_LEN) {
        return false;
    }

    size_t ihl = IP_IHL(nh->ip_ihl_ver) * 4;

    if (ihl < IP_HEADER_LEN || ihl > l3_size) {
        return false;
    }

    ovs_be32 src = get_16aligned_be32(&nh->ip_src);
    ovs_be32 dst = get_16aligned_be32(&nh->ip_dst);

    if (!src || ip_is_multicast(src) || src == htonl(UINT32_MAX)
        || ip_is_multicast(dst) || dst == htonl(UINT32_MAX)
        || (nh->ip_frag_off & htons(IP_FRAG_OFF_MASK))) {
        return false;
    }
    if (nh->ip_proto == IPPROTO_ICMP) {
        const uint8_t *type = (const uint8_t *) nh + ihl;

        /* An error about an error, or one too short to tell, is never
         * sent. */
        return ihl < l3_size && !icmp4_is_error(*type);
    }
    return true;
}

static bool
may_answer_ipv6(const struct dp_packet *packet)
{
    const struct ovs_16aligned_ip6_hdr *nh = dp_packet_l3(packet);
    size_t size = dp_packet_l3_size(packet);

    if (!nh || size < IPV6_HEADER_LEN) {
        return false;
    }

    struct in6_addr src, dst;

    memcpy(&src, &nh->ip6_src, sizeof src);
    memcpy(&dst, &nh->ip6_dst, sizeof dst);
    if (ipv6_addr_is_multicast(&src) || ipv6_is_zero(&src)
        || ipv6_addr_is_multicast(&dst)) {
        return false;
    }

    const struct ovs_16aligned_ip6_frag *frag_hdr;
    const void *data = nh + 1;
    uint8_t proto = nh->ip6_nxt;
    uint8_t nw_frag = 0;

    size -= IPV6_HEADER_LEN;
    if (!parse_ipv6_ext_hdrs(&data, &size, &proto, &nw_frag, &frag_hdr)
        || (nw_frag & FLOW_NW_FRAG_LATER)) {
        return false;
    }
    if (proto == IPPROTO_ICMPV6) {
        /* Types below 128 are errors. */
        return size >= 1 && *(const uint8_t *) data >= ICMP6_ECHO_REQUEST;
    }
    return true;
}

/* Returns true if 'packet' (of 'family', its L3 offset set) is one that an
 * ICMP error may answer. */
bool
dpfip_icmp_may_answer(const struct dp_packet *packet,
                      enum dpfip_family family)
{
    const struct eth_header *eh = dp_packet_eth(packet);

    if (!eh || eth_addr_is_multicast(eh->eth_dst)) {
        return false;
    }
    return (family == DPFIP_IPV4
            ? may_answer_ipv4(packet)
            : may_answer_ipv6(packet));
}

/* The rate limit: a token bucket that refills at every look, so that a
 * burst never exceeds ICMP_ERROR_BURST (OVS's token_bucket refills only
 * when empty, which lets a burst reach twice that). */
#define ICMP_ERRORS_PER_MSEC 1
#define ICMP_ERROR_BURST 50

struct icmp_rate {
    long long int last;             /* When last refilled, in msec. */
    long long int tokens;
};

/* Returns true if one more ICMP error may be sent now. */
bool
dpfip_icmp_rate_allows(void)
{
    static struct ovs_mutex mutex = OVS_MUTEX_INITIALIZER;
    static struct icmp_rate rate OVS_GUARDED_BY(mutex) = {
        .last = 0, .tokens = ICMP_ERROR_BURST,
    };
    long long int now = time_msec();
    bool allowed;

    ovs_mutex_lock(&mutex);
    if (now > rate.last) {
        long long int elapsed = now - rate.last;

        rate.tokens = (elapsed >= ICMP_ERROR_BURST
                       ? ICMP_ERROR_BURST
                       : MIN(ICMP_ERROR_BURST,
                             rate.tokens + elapsed * ICMP_ERRORS_PER_MSEC));
        rate.last = now;
    }
    allowed = rate.tokens > 0;
    if (allowed) {
        rate.tokens--;
    }
    ovs_mutex_unlock(&mutex);
    return allowed;
}

/* Size of the quote of 'packet' that fits in an error of at most 'max'
 * bytes after 'headers' bytes of its own. */
static size_t
quote_size(const struct dp_packet *packet, size_t max, size_t headers)
{
    return MIN(dp_packet_l3_size(packet), max - headers);
}

/* Destination unreachable: fragmentation needed and DF set (RFC 792). */
#define ICMP4_CODE_FRAG_NEEDED 4

/* An ICMP error of 'type' and 'code' about 'orig', with 'rest' (the second
 * 32 bits of the ICMP header: the next-hop MTU of a fragmentation needed,
 * the MTU of an ICMPv6 packet too big). */
struct router_error {
    uint8_t type;
    uint8_t code;
    uint32_t rest;
};

static struct dp_packet *
router_error_ipv4(const struct dp_packet *orig, const struct eth_addr *eth,
                  const struct eth_addr *eth_src, const struct in6_addr *src,
                  const struct router_error *e)
{
    const struct ip_header *onh = dp_packet_l3(orig);
    size_t quote = MIN(quote_size(orig, ICMP4_ERROR_MAX,
                                  IP_HEADER_LEN + ICMP_HEADER_LEN),
                       ntohs(onh->ip_tot_len));
    size_t l3_size = IP_HEADER_LEN + ICMP_HEADER_LEN + quote;
    struct dp_packet *packet = dp_packet_new(0);
    struct ip_header *nh;
    struct icmp_header *icmp;

    nh = eth_compose(packet, *eth, *eth_src, ETH_TYPE_IP, l3_size);
    nh->ip_ihl_ver = IP_IHL_VER(5, 4);
    nh->ip_tos = ICMP4_ERROR_TOS;
    nh->ip_tot_len = htons(l3_size);
    nh->ip_ttl = ICMP_ERROR_TTL;
    nh->ip_proto = IPPROTO_ICMP;
    put_16aligned_be32(&nh->ip_src, in6_addr_get_mapped_ipv4(src));
    nh->ip_dst = onh->ip_src;
    nh->ip_csum = csum(nh, IP_HEADER_LEN);

    icmp = (struct icmp_header *) (nh + 1);
    dp_packet_set_l4(packet, icmp);
    icmp->icmp_type = e->type;
    icmp->icmp_code = e->code;
    put_16aligned_be32(&icmp->icmp_fields.gateway, htonl(e->rest));
    memcpy(icmp + 1, onh, quote);
    icmp->icmp_csum = csum(icmp, ICMP_HEADER_LEN + quote);
    return packet;
}

static struct dp_packet *
router_error_ipv6(const struct dp_packet *orig, const struct eth_addr *eth,
                  const struct eth_addr *eth_src, const struct in6_addr *src,
                  const struct router_error *e)
{
    const struct ovs_16aligned_ip6_hdr *onh = dp_packet_l3(orig);
    size_t quote = quote_size(orig, ICMP6_ERROR_MAX,
                              IPV6_HEADER_LEN + ICMP6_DATA_HEADER_LEN);
    size_t l4_size = ICMP6_DATA_HEADER_LEN + quote;
    struct dp_packet *packet = dp_packet_new(0);
    struct ovs_16aligned_ip6_hdr *nh;
    struct icmp6_data_header *icmp;
    struct in6_addr dst;
    uint32_t sum;

    memcpy(&dst, &onh->ip6_src, sizeof dst);
    eth_compose(packet, *eth, *eth_src, ETH_TYPE_IPV6, IPV6_HEADER_LEN);
    icmp = compose_ipv6(packet, IPPROTO_ICMPV6, src, &dst, 0, 0,
                        ICMP_ERROR_TTL, l4_size);
    nh = dp_packet_l3(packet);      /* compose_ipv6() may move the data. */
    icmp->icmp6_base.icmp6_type = e->type;
    icmp->icmp6_base.icmp6_code = e->code;
    put_16aligned_be32(&icmp->icmp6_data.be32[0], htonl(e->rest));
    memcpy(icmp + 1, onh, quote);
    /* compose_ipv6() updated the zero checksum for the addresses. */
    icmp->icmp6_base.icmp6_cksum = 0;
    sum = packet_csum_pseudoheader6(nh);
    icmp->icmp6_base.icmp6_cksum = csum_finish(csum_continue(sum, icmp,
                                                             l4_size));
    return packet;
}

/* Returns a new ICMP time exceeded (ICMPv6 time exceeded) about 'orig', a
 * packet of 'family' with its L2 and L3 offsets set, from 'eth_src' and
 * 'ip_src' back to where 'orig' came from, tagged with VLAN 'vlan' unless
 * it is 0.  The caller checked dpfip_icmp_may_answer(). */
static struct dp_packet *
router_error(const struct dp_packet *orig, enum dpfip_family family,
             const struct eth_addr *eth_src, const struct in6_addr *ip_src,
             uint16_t vlan, const struct router_error *e)
{
    const struct eth_header *eh = dp_packet_eth(orig);
    struct eth_addr eth_dst = eh ? eh->eth_src : eth_addr_zero;
    struct dp_packet *packet;

    packet = (family == DPFIP_IPV4
              ? router_error_ipv4(orig, &eth_dst, eth_src, ip_src, e)
              : router_error_ipv6(orig, &eth_dst, eth_src, ip_src, e));
    if (vlan) {
        eth_push_vlan(packet, htons(ETH_TYPE_VLAN_8021Q), htons(vlan));
    }
    return packet;
}

struct dp_packet *
dpfip_icmp_time_exceeded(const struct dp_packet *orig,
                         enum dpfip_family family,
                         const struct eth_addr *eth_src,
                         const struct in6_addr *ip_src, uint16_t vlan)
{
    struct router_error e = {
        .type = family == DPFIP_IPV4 ? ICMP4_TIME_EXCEEDED
                                     : ICMP6_TIME_EXCEEDED,
        .code = 0,              /* In transit, ICMP and ICMPv6 alike. */
    };

    return router_error(orig, family, eth_src, ip_src, vlan, &e);
}

/* Returns a new ICMP fragmentation needed (ICMPv6 packet too big) naming
 * 'mtu', otherwise as dpfip_icmp_time_exceeded(). */
struct dp_packet *
dpfip_icmp_too_big(const struct dp_packet *orig, enum dpfip_family family,
                   const struct eth_addr *eth_src,
                   const struct in6_addr *ip_src, uint16_t vlan,
                   uint16_t mtu)
{
    struct router_error e = {
        .type = family == DPFIP_IPV4 ? ICMP4_DST_UNREACH
                                     : ICMP6_PACKET_TOO_BIG,
        .code = family == DPFIP_IPV4 ? ICMP4_CODE_FRAG_NEEDED : 0,
        .rest = mtu,            /* IPv4: 16 unused bits, then the MTU. */
    };

    return router_error(orig, family, eth_src, ip_src, vlan, &e);
}

/* Translation of ICMP errors. */

bool
dpfip_icmp_is_error(enum dpfip_family family, uint8_t type)
{
    return (family == DPFIP_IPV4
            ? (type == ICMP4_DST_UNREACH || type == ICMP4_TIME_EXCEEDED
               || type == ICMP4_PARAM_PROB)
            : (type == ICMP6_DST_UNREACH || type == ICMP6_PACKET_TOO_BIG
               || type == ICMP6_TIME_EXCEEDED || type == ICMP6_PARAM_PROB));
}

/* A checksum of a quoted packet that covers its addresses. */
struct quoted_csum {
    ovs_be16 *csum;                 /* NULL if the quote does not hold it. */
    bool udp;                       /* Zero means none; never made zero. */
};

/* Replaces the IPv4 (IPv4-mapped in 'new') or IPv6 address at 'field' by
 * 'new', with an incremental update of 'qc' (RFC 1624). */
static void
replace_addr(void *field, const struct in6_addr *new, bool ipv6,
             const struct quoted_csum *qc)
{
    if (qc && qc->csum && !(qc->udp && !*qc->csum)) {
        ovs_be16 sum;

        if (ipv6) {
            sum = recalc_csum128(*qc->csum, field, new);
        } else {
            sum = recalc_csum32(*qc->csum, get_16aligned_be32(field),
                                in6_addr_get_mapped_ipv4(new));
        }
        *qc->csum = qc->udp && !sum ? htons(0xffff) : sum;
    }
    if (ipv6) {
        memcpy(field, new, sizeof *new);
    } else {
        put_16aligned_be32(field, in6_addr_get_mapped_ipv4(new));
    }
}

/* The L4 checksum of a quoted packet of protocol 'proto' whose L4 header
 * starts at 'l4' with 'l4_size' bytes quoted: TCP, UDP, ICMPv6. */
static struct quoted_csum
quoted_l4_csum(uint8_t *l4, size_t l4_size, uint8_t proto, bool ipv6)
{
    struct quoted_csum qc = { NULL, proto == IPPROTO_UDP };

    if (proto == IPPROTO_TCP && l4_size >= 18) {
        qc.csum = ALIGNED_CAST(ovs_be16 *, l4 + 16);
    } else if (proto == IPPROTO_UDP && l4_size >= 8) {
        qc.csum = ALIGNED_CAST(ovs_be16 *, l4 + 6);
    } else if (ipv6 && proto == IPPROTO_ICMPV6 && l4_size >= 4) {
        qc.csum = ALIGNED_CAST(ovs_be16 *, l4 + 2);
    }
    return qc;
}

/* Translates the error in 'l3' ('size' bytes, its outer addresses already
 * translated) whose quoted packet should have 'old' as its source (if
 * 'quoted_src') or destination: that becomes 'new'.  Returns false if the
 * quote is too short or names another address. */
static bool
translate_quote_ipv4(uint8_t *l3, size_t size, bool quoted_src,
                     const struct in6_addr *old, const struct in6_addr *new)
{
    struct ip_header *nh = ALIGNED_CAST(struct ip_header *, l3);
    size_t ihl = IP_IHL(nh->ip_ihl_ver) * 4;

    if (size < ihl + ICMP_HEADER_LEN + IP_HEADER_LEN) {
        return false;
    }

    uint8_t *inner = l3 + ihl + ICMP_HEADER_LEN;
    struct ip_header *inh = ALIGNED_CAST(struct ip_header *, inner);
    size_t inner_size = size - ihl - ICMP_HEADER_LEN;
    size_t inner_ihl = IP_IHL(inh->ip_ihl_ver) * 4;
    ovs_16aligned_be32 *field = quoted_src ? &inh->ip_src : &inh->ip_dst;

    if (inner_ihl < IP_HEADER_LEN || inner_ihl > inner_size
        || get_16aligned_be32(field) != in6_addr_get_mapped_ipv4(old)) {
        return false;
    }

    struct quoted_csum qc = { NULL, false };

    if (!(inh->ip_frag_off & htons(IP_FRAG_OFF_MASK))) {
        qc = quoted_l4_csum(inner + inner_ihl, inner_size - inner_ihl,
                            inh->ip_proto, false);
    }
    replace_addr(field, new, false, &qc);
    inh->ip_csum = 0;
    inh->ip_csum = csum(inh, inner_ihl);
    return true;
}

static bool
translate_quote_ipv6(uint8_t *l3, size_t size, bool quoted_src,
                     const struct in6_addr *old, const struct in6_addr *new)
{
    if (size < IPV6_HEADER_LEN + ICMP6_DATA_HEADER_LEN + IPV6_HEADER_LEN) {
        return false;
    }

    uint8_t *inner = l3 + IPV6_HEADER_LEN + ICMP6_DATA_HEADER_LEN;
    struct ovs_16aligned_ip6_hdr *inh
        = ALIGNED_CAST(struct ovs_16aligned_ip6_hdr *, inner);
    union ovs_16aligned_in6_addr *field = quoted_src ? &inh->ip6_src
                                                     : &inh->ip6_dst;

    if (memcmp(field, old, sizeof *old)) {
        return false;
    }

    const struct ovs_16aligned_ip6_frag *frag_hdr;
    size_t l4_size = size - IPV6_HEADER_LEN - ICMP6_DATA_HEADER_LEN
                     - IPV6_HEADER_LEN;
    const void *l4 = inh + 1;
    uint8_t proto = inh->ip6_nxt;
    uint8_t nw_frag = 0;
    struct quoted_csum qc = { NULL, false };

    if (parse_ipv6_ext_hdrs(&l4, &l4_size, &proto, &nw_frag, &frag_hdr)
        && !(nw_frag & FLOW_NW_FRAG_LATER)) {
        qc = quoted_l4_csum(CONST_CAST(uint8_t *, l4), l4_size, proto, true);
    }
    replace_addr(field, new, true, &qc);
    return true;
}

/* Returns a copy of the ICMP (ICMPv6) error 'orig', a packet of 'family'
 * with its L2 and L3 offsets set, translated for a FIP: with 'eth_src' and
 * 'eth_dst', the TTL (hop limit) one lower, and, towards the VM
 * ('dnat'), the outer destination and the quoted packet's source 'old'
 * (the FIP) replaced by 'new' (the fixed address), away from the VM the
 * outer source and the quoted packet's destination; the checksums right;
 * tagged with 'vlan' unless it is 0.  Returns NULL if the quote is too
 * short or is not about 'old'. */
struct dp_packet *
dpfip_icmp_translate_error(const struct dp_packet *orig,
                           enum dpfip_family family, bool dnat,
                           const struct eth_addr *eth_src,
                           const struct eth_addr *eth_dst,
                           const struct in6_addr *old,
                           const struct in6_addr *new, uint16_t vlan)
{
    bool ipv6 = family == DPFIP_IPV6;
    size_t size = dp_packet_l3_size(orig);
    struct dp_packet *packet = dp_packet_new(0);
    uint8_t *l3;
    bool ok;

    l3 = eth_compose(packet, *eth_dst, *eth_src,
                     ipv6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP, size);
    memcpy(l3, dp_packet_l3(orig), size);
    if (ipv6) {
        struct ovs_16aligned_ip6_hdr *nh
            = ALIGNED_CAST(struct ovs_16aligned_ip6_hdr *, l3);
        size_t plen = ntohs(nh->ip6_plen);

        size = MIN(size, IPV6_HEADER_LEN + plen);
        ok = translate_quote_ipv6(l3, size, dnat, old, new);
        if (ok) {
            struct icmp6_header *icmp
                = ALIGNED_CAST(struct icmp6_header *, nh + 1);

            replace_addr(dnat ? &nh->ip6_dst : &nh->ip6_src, new, true,
                         NULL);
            nh->ip6_hlim--;
            icmp->icmp6_cksum = 0;
            icmp->icmp6_cksum = csum_finish(csum_continue(
                                    packet_csum_pseudoheader6(nh), icmp,
                                    size - IPV6_HEADER_LEN));
        }
    } else {
        struct ip_header *nh = ALIGNED_CAST(struct ip_header *, l3);
        size_t ihl = IP_IHL(nh->ip_ihl_ver) * 4;

        size = MIN(size, ntohs(nh->ip_tot_len));
        ok = translate_quote_ipv4(l3, size, dnat, old, new);
        if (ok) {
            struct icmp_header *icmp
                = ALIGNED_CAST(struct icmp_header *, l3 + ihl);

            replace_addr(dnat ? &nh->ip_dst : &nh->ip_src, new, false,
                         NULL);
            nh->ip_ttl--;
            nh->ip_csum = 0;
            nh->ip_csum = csum(nh, ihl);
            icmp->icmp_csum = 0;
            icmp->icmp_csum = csum(icmp, size - ihl);
        }
    }
    if (!ok) {
        dp_packet_delete(packet);
        return NULL;
    }
    dp_packet_set_size(packet, ((char *) dp_packet_l3(packet)
                                - (char *) dp_packet_data(packet)) + size);
    if (vlan) {
        eth_push_vlan(packet, htons(ETH_TYPE_VLAN_8021Q), htons(vlan));
    }
    return packet;
}
