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

/* The fused rewrite (lib/odp-dpfip.c) against OVS's generic masked set
 * actions: random packets of every kind, well-formed and not, go through
 * both with odp_execute_actions(); the bytes must be the same, except where
 * odp-dpfip.h says the masked sets are wrong, and the checksums of the
 * result are verified from scratch.  Also the action's text form through
 * odp-util (format, parse, bad length).
 *
 * Usage: ovstest test-dpfip-rewrite [N [SEED]] */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <string.h>
#include <netinet/ip6.h>
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "netlink.h"
#include "odp-dpfip.h"
#include "odp-execute.h"
#include "odp-netlink.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "tests/ovstest.h"
#include "packets.h"
#include "random.h"
#include "util.h"
#include "dpfip-test-check.h"

enum l4_kind {
    L4_TCP,
    L4_UDP,
    L4_UDP_NO_CSUM,
    L4_ICMP,                    /* ICMP or ICMPv6. */
    L4_OTHER,                   /* GRE: no checksum of dpfip's concern. */
    N_L4_KINDS
};

static const char *l4_names[N_L4_KINDS] = {
    "tcp", "udp", "udp-no-csum", "icmp", "other"
};

/* What was generated: the checks' input. */
struct gen_case {
    bool ipv6;
    bool rewrite_dst;
    enum l4_kind l4;
    bool short_l3;              /* Frame ends inside the fixed L3 header. */
    bool malformed;             /* Bad IHL or length: no L4 for OVS. */
    bool later_frag;            /* A non-first fragment. */
    bool truncated_l4;          /* L4 header cut short. */
    bool ext_hdrs;              /* IPv6 extension headers. */
    bool rh_segleft;            /* ... with a routing header to go. */
    bool partial;               /* Offloaded (partial) L4 checksum. */
    bool addr_other;            /* The address is not the action's old. */
    size_t l4_ofs;              /* Frame offset of the L4 header. */
    size_t l4_len;              /* L4 bytes present (before padding). */
    size_t csum_ofs;            /* Frame offset of the L4 checksum, or 0. */
    uint8_t proto;
    uint8_t ttl;
};

static struct eth_addr
random_mac(void)
{
    struct eth_addr mac;

    random_bytes(&mac, sizeof mac);
    mac.ea[0] &= ~1;
    return mac;
}

static struct in6_addr
random_addr(bool ipv6)
{
    struct in6_addr addr;

    if (ipv6) {
        random_bytes(&addr, sizeof addr);
    } else {
        in6_addr_set_mapped_ipv4(&addr, htonl(random_uint32()));
    }
    return addr;
}

static void
put_random(struct ofpbuf *b, size_t n)
{
    random_bytes(ofpbuf_put_uninit(b, n), n);
}

/* Ones'-complement sum of 'n' bytes at 'p', unfolded. */
static uint32_t
sum_bytes(const void *p, size_t n)
{
    return csum_continue(0, p, n);
}

static uint32_t
pseudo_sum(bool ipv6, const uint8_t *src, const uint8_t *dst, uint8_t proto,
           size_t l4_len)
{
    uint32_t sum = sum_bytes(src, ipv6 ? 16 : 4) + sum_bytes(dst, ipv6 ? 16
                                                                : 4);
    ovs_be16 words[3] = { htons(proto), htons(l4_len >> 16),
                          htons(l4_len & 0xffff) };

    return sum + sum_bytes(words, sizeof words);
}

/* The L4 header of 'kind' with some payload, at the end of 'b'. */
static void
put_l4(struct ofpbuf *b, struct gen_case *c)
{
    size_t start = b->size;

    switch (c->l4) {
    case L4_TCP:
        c->proto = IPPROTO_TCP;
        put_random(b, TCP_HEADER_LEN);
        ((uint8_t *) b->data)[start + 12] = 5 << 4;
        c->csum_ofs = start + 16;
        break;
    case L4_UDP:
    case L4_UDP_NO_CSUM:
        c->proto = IPPROTO_UDP;
        put_random(b, UDP_HEADER_LEN);
        c->csum_ofs = start + 6;
        break;
    case L4_ICMP:
        c->proto = c->ipv6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        put_random(b, 8);
        ((uint8_t *) b->data)[start] = c->ipv6 ? 128 : 8;
        ((uint8_t *) b->data)[start + 1] = 0;
        c->csum_ofs = start + 2;
        break;
    case L4_OTHER:
        c->proto = IPPROTO_GRE;
        c->csum_ofs = 0;
        break;
    case N_L4_KINDS:
    default:
        OVS_NOT_REACHED();
    }
    put_random(b, random_range(48));
    if (c->l4 != L4_OTHER && !random_range(10)) {
        /* Truncated: the frame ends inside the L4 header. */
        size_t hdr = c->l4 == L4_TCP ? TCP_HEADER_LEN : 8;

        b->size = start + random_range(hdr);
        c->truncated_l4 = true;
        c->csum_ofs = 0;
    }
    c->l4_ofs = start;
    c->l4_len = b->size - start;
}

/* Fills in the L4 checksum of the packet in 'b' (L3 at ETH_HEADER_LEN),
 * from scratch: a full one, zero (UDP without), or for an offloaded
 * checksum the folded pseudo-header sum. */
static void
set_l4_csum(struct ofpbuf *b, const struct gen_case *c,
            const uint8_t *src, const uint8_t *dst)
{
    uint8_t *frame = b->data;

    if (!c->csum_ofs) {
        return;
    }
    memset(frame + c->csum_ofs, 0, 2);
    ovs_be16 *field = ALIGNED_CAST(ovs_be16 *, frame + c->csum_ofs);
    uint32_t pseudo = (c->l4 == L4_ICMP && !c->ipv6 ? 0
                       : pseudo_sum(c->ipv6, src, dst, c->proto, c->l4_len));
    if (c->partial) {
        put_unaligned_be16(field, ~csum_finish(pseudo));
    } else if (c->l4 == L4_UDP_NO_CSUM) {
        put_unaligned_be16(field, 0);
    } else {
        ovs_be16 csum = csum_finish(csum_continue(pseudo, frame + c->l4_ofs,
                                                  c->l4_len));
        if (!csum && c->proto == IPPROTO_UDP) {
            csum = htons(0xffff);
        }
        put_unaligned_be16(field, csum);
    }
}

/* A random IPv4 frame in 'b', described by 'c'; its source or destination
 * (per 'c->rewrite_dst') is 'addr'. */
static void
gen_ipv4(struct ofpbuf *b, struct gen_case *c, ovs_be32 addr)
{
    size_t l3 = b->size;
    uint8_t opt_words = random_range(6) ? 0 : 1 + random_range(10);
    struct ip_header *ip;

    ofpbuf_put_zeros(b, IP_HEADER_LEN + opt_words * 4);
    memset((uint8_t *) b->data + l3 + IP_HEADER_LEN, 1, opt_words * 4);

    unsigned int frag = random_range(8);
    c->later_frag = frag >= 6;
    if (c->later_frag) {
        /* Anything but an L4 header here, whatever the protocol says. */
        c->proto = (const uint8_t []) { IPPROTO_TCP, IPPROTO_UDP,
                                        IPPROTO_ICMP }[random_range(3)];
        c->l4_ofs = b->size;
        put_random(b, random_range(64));
        c->l4_len = b->size - c->l4_ofs;
    } else {
        put_l4(b, c);
    }

    ip = ALIGNED_CAST(struct ip_header *, (uint8_t *) b->data + l3);
    ip->ip_ihl_ver = IP_IHL_VER(5 + opt_words, 4);
    ip->ip_tos = random_uint8();
    ip->ip_tot_len = htons(b->size - l3);
    ip->ip_id = htons(random_uint16());
    ip->ip_frag_off = (frag < 3 ? 0 : frag < 5 ? htons(IP_DF)
                       : frag == 5 ? htons(IP_MORE_FRAGMENTS)
                       : htons((1 + random_range(100))
                               | (random_range(2) ? IP_MORE_FRAGMENTS : 0)));
    ip->ip_ttl = c->ttl;
    ip->ip_proto = c->proto;
    put_16aligned_be32(&ip->ip_src, htonl(random_uint32()));
    put_16aligned_be32(&ip->ip_dst, htonl(random_uint32()));
    put_16aligned_be32(c->rewrite_dst ? &ip->ip_dst : &ip->ip_src, addr);
    if (!c->later_frag) {
        set_l4_csum(b, c, (uint8_t *) &ip->ip_src, (uint8_t *) &ip->ip_dst);
    }

    switch (random_range(24)) {
    case 0:
        ip->ip_ihl_ver = IP_IHL_VER(random_range(5), 4);
        c->malformed = true;
        break;
    case 1:
        ip->ip_tot_len = htons(b->size - l3 + 1 + random_range(100));
        c->malformed = true;
        break;
    default:
        break;
    }
    ip->ip_csum = 0;
    ip->ip_csum = csum(ip, IP_HEADER_LEN + opt_words * 4);
}

static void
put_ext_hdr(struct ofpbuf *b, uint8_t type, struct gen_case *c,
            uint8_t **next)
{
    uint8_t *h = ofpbuf_put_zeros(b, 8);

    **next = type;
    *next = &h[0];
    if (type == IPPROTO_ROUTING) {
        h[2] = 4;                       /* A segment routing header. */
        h[3] = random_range(2);         /* Segments left. */
        c->rh_segleft |= h[3] != 0;
    } else if (type == IPPROTO_FRAGMENT) {
        ovs_be16 offlg = (random_range(2)
                          ? htons(IP6F_MORE_FRAG)
                          : htons(((1 + random_range(100)) << 3)
                                  | (random_range(2) ? IP6F_MORE_FRAG : 0)));
        memcpy(&h[2], &offlg, 2);
        c->later_frag |= (ntohs(offlg) >> 3) != 0;
        random_bytes(&h[4], 4);
    } else {
        h[2] = 1;                       /* PadN, 4 bytes. */
        h[3] = 4;
    }
}

static void
gen_ipv6(struct ofpbuf *b, struct gen_case *c, const struct in6_addr *addr)
{
    static const uint8_t ext_types[] = {
        IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT
    };
    size_t l3 = b->size;
    struct ovs_16aligned_ip6_hdr *ip6;
    uint8_t nxt0 = 0;
    uint8_t *next = &nxt0;

    ofpbuf_put_zeros(b, IPV6_HEADER_LEN);
    if (!random_range(4)) {
        int n = 1 + random_range(2);

        c->ext_hdrs = true;
        for (int i = 0; i < n; i++) {
            /* Hop-by-hop options only first. */
            put_ext_hdr(b, ext_types[(i ? 1 : 0) + random_range(i ? 3 : 4)],
                        c, &next);
        }
    }
    if (c->later_frag) {
        c->proto = (const uint8_t []) { IPPROTO_TCP, IPPROTO_UDP,
                                        IPPROTO_ICMPV6 }[random_range(3)];
        c->l4_ofs = b->size;
        put_random(b, random_range(64));
        c->l4_len = b->size - c->l4_ofs;
    } else {
        put_l4(b, c);
    }
    *next = c->proto;

    ip6 = ALIGNED_CAST(struct ovs_16aligned_ip6_hdr *,
                       (uint8_t *) b->data + l3);
    put_16aligned_be32(&ip6->ip6_flow, htonl((6 << 28)
                                             | (random_uint32() & 0xfffffff)));
    ip6->ip6_plen = htons(b->size - l3 - IPV6_HEADER_LEN);
    ip6->ip6_nxt = nxt0;
    ip6->ip6_hlim = c->ttl;
    struct in6_addr other = random_addr(true);
    memcpy(&ip6->ip6_src, &other, 16);
    other = random_addr(true);
    memcpy(&ip6->ip6_dst, &other, 16);
    memcpy(c->rewrite_dst ? &ip6->ip6_dst : &ip6->ip6_src, addr, 16);
    if (!c->later_frag) {
        set_l4_csum(b, c, (uint8_t *) &ip6->ip6_src,
                    (uint8_t *) &ip6->ip6_dst);
    }
    if (!random_range(24)) {
        ip6->ip6_plen = htons(b->size - l3 + random_range(100));
        c->malformed = true;
    }
}

/* A random frame and a random action for it. */
static void
gen_case(struct ofpbuf *b, struct gen_case *c,
         struct ovs_action_dpfip_rewrite *rw)
{
    memset(c, 0, sizeof *c);
    c->ipv6 = random_range(2);
    c->rewrite_dst = random_range(2);
    c->l4 = random_range(N_L4_KINDS);
    c->ttl = random_uint8();

    struct eth_addr src = random_mac(), dst = random_mac();
    struct in6_addr old_addr = random_addr(c->ipv6);
    struct in6_addr new_addr = random_addr(c->ipv6);
    struct in6_addr addr = old_addr;

    switch (random_range(20)) {
    case 0:
        addr = random_addr(c->ipv6);    /* A hand-made datapath flow. */
        c->addr_other = true;
        break;
    case 1:
        addr = new_addr;                /* Nothing to change. */
        c->addr_other = true;
        break;
    default:
        break;
    }
    odp_dpfip_rewrite_init(rw, &src, &dst, c->ipv6, c->rewrite_dst,
                           &old_addr, &new_addr);
    c->partial = ((c->l4 == L4_TCP || c->l4 == L4_UDP)
                  && !random_range(6));

    ofpbuf_clear(b);
    struct eth_header *eh = ofpbuf_put_zeros(b, ETH_HEADER_LEN);
    eh->eth_dst = random_mac();
    eh->eth_src = random_mac();
    eh->eth_type = htons(c->ipv6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
    if (c->ipv6) {
        gen_ipv6(b, c, &addr);
    } else {
        gen_ipv4(b, c, in6_addr_get_mapped_ipv4(&addr));
    }
    if (!random_range(30)) {
        /* The frame ends inside the fixed L3 header. */
        b->size = ETH_HEADER_LEN + random_range(c->ipv6 ? IPV6_HEADER_LEN
                                                        : IP_HEADER_LEN);
        c->short_l3 = true;
    } else if (!random_range(8)) {
        put_random(b, 1 + random_range(20));    /* Ethernet padding. */
    }
}

static struct dp_packet *
make_packet(const struct ofpbuf *frame, const struct gen_case *c)
{
    struct dp_packet *p = dp_packet_clone_data(frame->data, frame->size);
    struct flow flow;

    pkt_metadata_init(&p->md, u32_to_odp(1));
    flow_extract(p, &flow);
    if (c->partial) {
        if (c->l4 == L4_TCP) {
            dp_packet_hwol_set_csum_tcp(p);
        } else {
            dp_packet_hwol_set_csum_udp(p);
        }
    }
    return p;
}

static void
execute(struct dp_packet *p, const struct ofpbuf *actions)
{
    struct dp_packet_batch batch;

    dp_packet_batch_init_packet(&batch, p);
    odp_execute_actions(NULL, &batch, false, actions->data, actions->size,
                        NULL);
}

/* OVS's own translation of the same rewrite: masked set actions with the
 * TTL one lower, as ofproto-dpif commits them. */
static void
put_masked_sets(struct ofpbuf *actions,
                const struct ovs_action_dpfip_rewrite *rw, uint8_t ttl)
{
    size_t ofs = nl_msg_start_nested(actions, OVS_ACTION_ATTR_SET_MASKED);
    struct ovs_key_ethernet *eth;

    eth = nl_msg_put_unspec_zero(actions, OVS_KEY_ATTR_ETHERNET,
                                 2 * sizeof *eth);
    eth[0].eth_src = rw->eth_src;
    eth[0].eth_dst = rw->eth_dst;
    eth[1].eth_src = eth_addr_exact;
    eth[1].eth_dst = eth_addr_exact;
    nl_msg_end_nested(actions, ofs);

    ofs = nl_msg_start_nested(actions, OVS_ACTION_ATTR_SET_MASKED);
    if (rw->ipv6) {
        struct ovs_key_ipv6 *ip6;

        ip6 = nl_msg_put_unspec_zero(actions, OVS_KEY_ATTR_IPV6,
                                     2 * sizeof *ip6);
        if (rw->rewrite_dst) {
            ip6[0].ipv6_dst = rw->new_addr;
            ip6[1].ipv6_dst = in6addr_exact;
        } else {
            ip6[0].ipv6_src = rw->new_addr;
            ip6[1].ipv6_src = in6addr_exact;
        }
        ip6[0].ipv6_hlimit = ttl - 1;
        ip6[1].ipv6_hlimit = UINT8_MAX;
    } else {
        struct ovs_key_ipv4 *ip;

        ip = nl_msg_put_unspec_zero(actions, OVS_KEY_ATTR_IPV4,
                                    2 * sizeof *ip);
        if (rw->rewrite_dst) {
            ip[0].ipv4_dst = in6_addr_get_mapped_ipv4(&rw->new_addr);
            ip[1].ipv4_dst = OVS_BE32_MAX;
        } else {
            ip[0].ipv4_src = in6_addr_get_mapped_ipv4(&rw->new_addr);
            ip[1].ipv4_src = OVS_BE32_MAX;
        }
        ip[0].ipv4_ttl = ttl - 1;
        ip[1].ipv4_ttl = UINT8_MAX;
    }
    nl_msg_end_nested(actions, ofs);
}

/* Verifies the checksums of the rewritten frame 'p' from scratch. */
static void
check_checksums(const uint8_t *p, const struct gen_case *c, int n)
{
    const uint8_t *l3 = p + ETH_HEADER_LEN;
    const uint8_t *src = l3 + (c->ipv6 ? 8 : 12);
    const uint8_t *dst = l3 + (c->ipv6 ? 24 : 16);

    if (!c->ipv6) {
        size_t ihl = (l3[0] & 0x0f) * 4;

        CHECK(!csum(l3, ihl), "packet %d: IPv4 header checksum", n);
    }
    if (!c->csum_ofs || c->later_frag || c->rh_segleft) {
        return;
    }

    ovs_be16 field = get_unaligned_be16(ALIGNED_CAST(const ovs_be16 *,
                                                     p + c->csum_ofs));
    uint32_t pseudo = (c->l4 == L4_ICMP && !c->ipv6 ? 0
                       : pseudo_sum(c->ipv6, src, dst, c->proto, c->l4_len));
    if (c->partial) {
        CHECK(field == (ovs_be16) ~csum_finish(pseudo),
              "packet %d: partial %s checksum holds the pseudo-header sum",
              n, l4_names[c->l4]);
    } else if (c->l4 == L4_UDP_NO_CSUM) {
        CHECK(!field, "packet %d: UDP checksum 0 stays 0", n);
    } else {
        CHECK(!csum_finish(csum_continue(pseudo, p + c->l4_ofs, c->l4_len)),
              "packet %d: %s checksum", n, l4_names[c->l4]);
    }
}

static void
describe(struct ds *s, const struct gen_case *c)
{
    ds_put_format(s, "%s %s %s ttl=%d%s%s%s%s%s%s%s%s", c->ipv6 ? "ipv6"
                  : "ipv4", c->rewrite_dst ? "dst" : "src", l4_names[c->l4],
                  c->ttl, c->short_l3 ? " short-l3" : "",
                  c->malformed ? " malformed" : "",
                  c->later_frag ? " later-fragment" : "",
                  c->truncated_l4 ? " truncated-l4" : "",
                  c->ext_hdrs ? " ext-headers" : "",
                  c->rh_segleft ? " routing-header" : "",
                  c->partial ? " partial-csum" : "",
                  c->addr_other ? " other-address" : "");
}

/* Counts of what was covered, so that a generator bug cannot make the test
 * pass on nothing. */
enum {
    COV_SHORT, COV_MALFORMED, COV_LATER_FRAG, COV_TRUNCATED, COV_EXT,
    COV_RH, COV_PARTIAL, COV_OTHER_ADDR, COV_TTL0, N_COV
};

static void
test_random(int n_packets)
{
    static const char *cov_names[N_COV] = {
        "short-l3", "malformed", "later-fragment", "truncated-l4",
        "ext-headers", "routing-header", "partial-csum", "other-address",
        "ttl-0",
    };
    int kinds[2][N_L4_KINDS] = { { 0 } };
    int cov[N_COV] = { 0 };
    struct ofpbuf frame, fused, generic;
    int n_shown = 0;

    ofpbuf_init(&frame, 256);
    ofpbuf_init(&fused, 64);
    ofpbuf_init(&generic, 128);
    for (int n = 0; n < n_packets; n++) {
        struct ovs_action_dpfip_rewrite rw;
        struct gen_case c;

        gen_case(&frame, &c, &rw);
        kinds[c.ipv6][c.l4]++;
        cov[COV_SHORT] += c.short_l3;
        cov[COV_MALFORMED] += c.malformed;
        cov[COV_LATER_FRAG] += c.later_frag;
        cov[COV_TRUNCATED] += c.truncated_l4;
        cov[COV_EXT] += c.ext_hdrs;
        cov[COV_RH] += c.rh_segleft;
        cov[COV_PARTIAL] += c.partial;
        cov[COV_OTHER_ADDR] += c.addr_other;
        cov[COV_TTL0] += !c.ttl;

        ofpbuf_clear(&fused);
        odp_dpfip_rewrite_put(&fused, &rw);
        ofpbuf_clear(&generic);
        put_masked_sets(&generic, &rw, c.ttl);

        struct dp_packet *a = make_packet(&frame, &c);
        execute(a, &fused);

        /* The expected frame: what the masked sets make, but for the cases
         * where they are wrong (see odp-dpfip.h). */
        struct dp_packet *b;
        if (c.short_l3) {
            /* The masked sets would write past the frame: not run. */
            b = dp_packet_clone_data(frame.data, frame.size);
            struct eth_header *eh = dp_packet_data(b);
            eh->eth_src = rw.eth_src;
            eh->eth_dst = rw.eth_dst;
        } else {
            b = make_packet(&frame, &c);
            execute(b, &generic);
            uint8_t *exp = dp_packet_data(b);
            if (c.later_frag && !c.ipv6) {
                memcpy(exp + c.l4_ofs, (uint8_t *) frame.data + c.l4_ofs,
                       frame.size - c.l4_ofs);
            }
            if (c.partial && c.csum_ofs) {
                /* The masked sets treat it as a full checksum. */
                memcpy(exp + c.csum_ofs,
                       (uint8_t *) dp_packet_data(a) + c.csum_ofs, 2);
            }
        }

        bool same = (dp_packet_size(a) == dp_packet_size(b)
                     && !memcmp(dp_packet_data(a), dp_packet_data(b),
                                dp_packet_size(a)));
        if (!same && n_shown++ < 5) {
            struct ds s = DS_EMPTY_INITIALIZER;

            describe(&s, &c);
            ds_put_cstr(&s, "\nfused:\n");
            ds_put_hex_dump(&s, dp_packet_data(a), dp_packet_size(a), 0,
                            false);
            ds_put_cstr(&s, "expected:\n");
            ds_put_hex_dump(&s, dp_packet_data(b), dp_packet_size(b), 0,
                            false);
            CHECK(same, "packet %d: %s", n, ds_cstr(&s));
            ds_destroy(&s);
        } else {
            CHECK(same, "packet %d", n);
        }
        if (!c.short_l3 && !c.malformed) {
            check_checksums(dp_packet_data(a), &c, n);
        }
        dp_packet_delete(a);
        dp_packet_delete(b);
    }
    ofpbuf_uninit(&frame);
    ofpbuf_uninit(&fused);
    ofpbuf_uninit(&generic);

    printf("%d packets:", n_packets);
    for (int v6 = 0; v6 < 2; v6++) {
        for (int k = 0; k < N_L4_KINDS; k++) {
            printf(" %s-%s=%d", v6 ? "ipv6" : "ipv4", l4_names[k],
                   kinds[v6][k]);
            CHECK(kinds[v6][k] > 0, "no %s %s packet", v6 ? "ipv6" : "ipv4",
                  l4_names[k]);
        }
    }
    for (int i = 0; i < N_COV; i++) {
        printf(" %s=%d", cov_names[i], cov[i]);
        CHECK(cov[i] > 0, "no %s packet", cov_names[i]);
    }
    putchar('\n');
}

/* The text form, through odp-util as ovs-dpctl and ofproto/trace use it. */
static void
test_text(void)
{
    static const char *good[] = {
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv4_dst=203.0.113.10->10.0.0.5)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:01,eth_dst=aa:aa:aa:aa:aa:fe,"
        "ipv4_src=10.0.0.5->203.0.113.10)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv6_dst=2001:db8:f::10->fd00::5)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:01,eth_dst=aa:aa:aa:aa:aa:fe,"
        "ipv6_src=fd00::5->2001:db8:f::10)",
    };
    static const char *bad[] = {
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv4_dst=203.0.113.10->10.0.0.256)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv5_dst=203.0.113.10->10.0.0.5)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv4_mid=203.0.113.10->10.0.0.5)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv4_dst=fd00::5->2001:db8::1)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,ipv4_dst=1.2.3.4->5.6.7.8)",
        "dpfip_rewrite(eth_src=aa:aa:aa:aa:aa:02,eth_dst=aa:aa:aa:aa:aa:05,"
        "ipv4_dst=203.0.113.10->10.0.0.5",
    };
    struct ofpbuf actions;
    struct ds s;

    ofpbuf_init(&actions, 64);
    ds_init(&s);
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        ofpbuf_clear(&actions);
        ds_clear(&s);
        int error = odp_actions_from_string(good[i], NULL, &actions);
        CHECK(!error, "parse %s: %s", good[i], ovs_strerror(error));
        format_odp_actions(&s, actions.data, actions.size, NULL);
        CHECK(!strcmp(ds_cstr(&s), good[i]), "round trip: %s -> %s",
              good[i], ds_cstr(&s));
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ofpbuf_clear(&actions);
        int error = odp_actions_from_string(bad[i], NULL, &actions);
        CHECK(error == EINVAL, "refuse %s: %s", bad[i], ovs_strerror(error));
    }

    /* A wrong length is shown as such, never read past. */
    ofpbuf_clear(&actions);
    ds_clear(&s);
    nl_msg_put_unspec_zero(&actions, OVS_ACTION_ATTR_DPFIP_REWRITE, 8);
    format_odp_actions(&s, actions.data, actions.size, NULL);
    CHECK(strstr(ds_cstr(&s), "bad length 8, expected 52"), "%s",
          ds_cstr(&s));

    /* The delta is the whole address change, computed once. */
    struct ovs_action_dpfip_rewrite rw;
    struct in6_addr a4, b4;
    struct eth_addr mac = eth_addr_zero;
    in6_addr_set_mapped_ipv4(&a4, htonl(0xcb00710a));
    in6_addr_set_mapped_ipv4(&b4, htonl(0x0a000005));
    odp_dpfip_rewrite_init(&rw, &mac, &mac, false, true, &a4, &b4);
    CHECK(csum_finish(rw.csum_delta)
          == recalc_csum32(htons(0xffff), htonl(0xcb00710a),
                           htonl(0x0a000005)),
          "IPv4 delta 0x%"PRIx32, rw.csum_delta);
    odp_dpfip_rewrite_init(&rw, &mac, &mac, false, true, &a4, &a4);
    CHECK(!rw.csum_delta, "no change, no delta");

    ofpbuf_uninit(&actions);
    ds_destroy(&s);
}

static void
test_dpfip_rewrite_main(int argc, char *argv[])
{
    int n_packets = argc > 1 ? atoi(argv[1]) : 20000;
    unsigned int seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 0x5eed;

    odp_execute_init();
    random_set_seed(seed);
    printf("seed %#x\n", seed);
    test_text();
    test_random(n_packets);
    check_exit();
}

OVSTEST_REGISTER("test-dpfip-rewrite", test_dpfip_rewrite_main);
