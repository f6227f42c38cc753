/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The switch's transfer table: rule lists per source port (ordered by
 * priority, then age), packet matching and the rewrite actions with
 * checksum maintenance, i.e. what the NIC does in hardware.
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "eswitch.h"

#define ETH_TYPE_OFS    12
#define IP4_TTL_OFS     8
#define IP4_CSUM_OFS    10
#define IP4_SRC_OFS     12
#define IP4_DST_OFS     16
#define IP6_HLIM_OFS    7
#define IP6_SRC_OFS     8
#define IP6_DST_OFS     24
#define IP6_HDR_LEN     40
#define IPPROTO_ICMPV6_ 58

/* Bytes of L4 header needed before a protocol counts as present. */
static uint16_t
l4_min_len(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP:
        return sizeof(struct rte_tcp_hdr);
    case IPPROTO_UDP:
        return sizeof(struct rte_udp_hdr);
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6_:
        return 4;
    default:
        return 0;
    }
}

void
esw_pkt_parse(struct esw_pkt *p, uint8_t *d, uint32_t len)
{
    uint16_t type;
    uint8_t proto;

    memset(p, 0, sizeof *p);
    p->data = d;
    p->len = len;
    p->l4_proto = -1;
    if (len < RTE_ETHER_HDR_LEN) {
        return;
    }
    type = (d[ETH_TYPE_OFS] << 8) | d[ETH_TYPE_OFS + 1];
    if (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ
        || type == RTE_ETHER_TYPE_QINQ1) {
        /* The model does not look behind VLAN tags. */
        p->has_vlan = true;
        return;
    }
    p->l3_off = RTE_ETHER_HDR_LEN;
    if (type == RTE_ETHER_TYPE_IPV4) {
        const uint8_t *ip = d + p->l3_off;
        uint16_t ihl, frag;

        if (len < p->l3_off + sizeof(struct rte_ipv4_hdr)
            || (ip[0] >> 4) != 4) {
            return;
        }
        ihl = (ip[0] & 0xf) * 4;
        if (ihl < sizeof(struct rte_ipv4_hdr) || len < p->l3_off + ihl) {
            return;
        }
        p->l3 = 4;
        frag = ((ip[6] << 8) | ip[7]) & RTE_IPV4_HDR_OFFSET_MASK;
        if (frag) {
            return;             /* Later fragments carry no L4 header. */
        }
        proto = ip[9];
        p->l4_off = p->l3_off + ihl;
    } else if (type == RTE_ETHER_TYPE_IPV6) {
        const uint8_t *ip = d + p->l3_off;

        if (len < (uint32_t) p->l3_off + IP6_HDR_LEN || (ip[0] >> 4) != 6) {
            return;
        }
        p->l3 = 6;
        proto = ip[6];
        p->l4_off = p->l3_off + IP6_HDR_LEN;
    } else {
        return;
    }
    if (len >= (uint32_t) p->l4_off + l4_min_len(proto)) {
        p->l4_proto = proto;
    }
}

static bool
masked_equal(const uint8_t *data, const uint8_t *spec, const uint8_t *mask,
             unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        if ((data[i] & mask[i]) != spec[i]) {
            return false;
        }
    }
    return true;
}

bool
esw_rule_matches(const struct rte_flow *r, const struct esw_pkt *p)
{
    const struct esw_match *m = &r->match;

    if (m->has_vlan >= 0 && m->has_vlan != p->has_vlan) {
        return false;
    }
    if (m->eth && (p->len < RTE_ETHER_HDR_LEN
                   || !masked_equal(p->data, m->eth_spec, m->eth_mask,
                                    RTE_ETHER_HDR_LEN))) {
        return false;
    }
    if (m->l3) {
        if (p->l3 != m->l3
            || !masked_equal(p->data + p->l3_off, m->l3_spec, m->l3_mask,
                             m->l3_len)) {
            return false;
        }
    }
    if (m->l4_proto >= 0) {
        if (p->l4_proto != m->l4_proto) {
            return false;
        }
        if (m->l4_len) {
            if (p->len < (uint32_t) p->l4_off + m->l4_len
                || !masked_equal(p->data + p->l4_off, m->l4_spec,
                                 m->l4_mask, m->l4_len)) {
                return false;
            }
        }
    }
    return true;
}

/* RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), on 16-bit words as stored,
 * which keeps it independent of the host byte order. */
static void
csum_replace(uint8_t *csum, const uint8_t *old, const uint8_t *new,
             unsigned int len)
{
    uint32_t sum;
    uint16_t c;
    unsigned int i;

    memcpy(&c, csum, 2);
    sum = (uint16_t) ~c;
    for (i = 0; i + 1 < len; i += 2) {
        uint16_t o, n;

        memcpy(&o, old + i, 2);
        memcpy(&n, new + i, 2);
        sum += (uint16_t) ~o;
        sum += n;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    c = ~sum;
    memcpy(csum, &c, 2);
}

/* Where the L4 checksum lives, or NULL if it does not cover the field
 * being changed.  'pseudo' tells whether the change is to an address of
 * the pseudo header (ICMPv4 has none). */
static uint8_t *
l4_csum_ptr(const struct esw_pkt *p, bool pseudo)
{
    uint8_t *l4 = p->data + p->l4_off;

    switch (p->l4_proto) {
    case IPPROTO_TCP:
        return l4 + offsetof(struct rte_tcp_hdr, cksum);
    case IPPROTO_UDP: {
        uint16_t c;

        memcpy(&c, l4 + offsetof(struct rte_udp_hdr, dgram_cksum), 2);
        if (!c && p->l3 == 4) {
            return NULL;        /* IPv4 UDP without checksum. */
        }
        return l4 + offsetof(struct rte_udp_hdr, dgram_cksum);
    }
    case IPPROTO_ICMPV6_:
        return p->l3 == 6 ? l4 + 2 : NULL;
    case IPPROTO_ICMP:
        return pseudo ? NULL : l4 + 2;
    default:
        return NULL;
    }
}

static void
l4_csum_update(const struct esw_pkt *p, const uint8_t *old,
               const uint8_t *new, unsigned int len, bool pseudo)
{
    uint8_t *csum = p->l4_proto >= 0 ? l4_csum_ptr(p, pseudo) : NULL;

    if (csum) {
        csum_replace(csum, old, new, len);
        if (p->l4_proto == IPPROTO_UDP && !csum[0] && !csum[1]) {
            csum[0] = csum[1] = 0xff;   /* 0 means "none" in UDP. */
        }
    }
}

static void
set_field(const struct esw_pkt *p, unsigned int ofs, const uint8_t *val,
          unsigned int len, bool pseudo)
{
    uint8_t *field = p->data + ofs;

    l4_csum_update(p, field, val, len, pseudo);
    memcpy(field, val, len);
}

/* Returns false if the packet must go to the slow path instead. */
static bool
esw_apply(const struct rte_flow *r, const struct esw_pkt *p)
{
    uint8_t *ip = p->data + p->l3_off;
    bool ip4_csum = false;
    unsigned int i;

    if (r->dec_ttl) {
        uint8_t ttl = p->l3 == 4 ? ip[IP4_TTL_OFS] : ip[IP6_HLIM_OFS];

        if (ttl <= 1) {
            /* Expiring: the slow path sends ICMP time exceeded. */
            return false;
        }
    }
    for (i = 0; i < r->n_acts; i++) {
        const struct esw_action *a = &r->acts[i];

        switch (a->op) {
        case ESW_OP_SET_MAC_SRC:
            memcpy(p->data + RTE_ETHER_ADDR_LEN, a->mac, RTE_ETHER_ADDR_LEN);
            break;
        case ESW_OP_SET_MAC_DST:
            memcpy(p->data, a->mac, RTE_ETHER_ADDR_LEN);
            break;
        case ESW_OP_SET_IPV4_SRC:
        case ESW_OP_SET_IPV4_DST:
            if (p->l3 == 4) {
                set_field(p, p->l3_off + (a->op == ESW_OP_SET_IPV4_SRC
                                          ? IP4_SRC_OFS : IP4_DST_OFS),
                          a->ip4, 4, true);
                ip4_csum = true;
            }
            break;
        case ESW_OP_SET_IPV6_SRC:
        case ESW_OP_SET_IPV6_DST:
            if (p->l3 == 6) {
                set_field(p, p->l3_off + (a->op == ESW_OP_SET_IPV6_SRC
                                          ? IP6_SRC_OFS : IP6_DST_OFS),
                          a->ip6, 16, true);
            }
            break;
        case ESW_OP_DEC_TTL:
            if (p->l3 == 4) {
                ip[IP4_TTL_OFS]--;
                ip4_csum = true;
            } else if (p->l3 == 6) {
                ip[IP6_HLIM_OFS]--;
            }
            break;
        case ESW_OP_SET_TTL:
            if (p->l3 == 4) {
                ip[IP4_TTL_OFS] = a->ttl;
                ip4_csum = true;
            } else if (p->l3 == 6) {
                ip[IP6_HLIM_OFS] = a->ttl;
            }
            break;
        case ESW_OP_SET_TP_SRC:
        case ESW_OP_SET_TP_DST:
            if (p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP) {
                set_field(p, p->l4_off + (a->op == ESW_OP_SET_TP_SRC
                                          ? 0 : 2), a->tp, 2, false);
            }
            break;
        }
    }
    if (ip4_csum) {
        struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *) ip;

        h->hdr_checksum = 0;
        h->hdr_checksum = rte_ipv4_cksum(h);
    }
    return true;
}

/* Completes a CHECKSUM_PARTIAL TCP/UDP checksum left by the sender. */
void
esw_fix_partial_csum(uint8_t *data, uint32_t len)
{
    struct esw_pkt p;
    uint8_t *csum;
    uint16_t c;

    esw_pkt_parse(&p, data, len);
    if (p.l4_proto != IPPROTO_TCP && p.l4_proto != IPPROTO_UDP) {
        return;
    }
    csum = p.data + p.l4_off + (p.l4_proto == IPPROTO_TCP
                                ? offsetof(struct rte_tcp_hdr, cksum)
                                : offsetof(struct rte_udp_hdr, dgram_cksum));
    if (p.l3 == 4) {
        const struct rte_ipv4_hdr *h =
            (const struct rte_ipv4_hdr *) (data + p.l3_off);

        if ((uint32_t) p.l3_off + rte_be_to_cpu_16(h->total_length) > len) {
            return;
        }
        memset(csum, 0, 2);
        c = rte_ipv4_udptcp_cksum(h, data + p.l4_off);
    } else {
        const struct rte_ipv6_hdr *h =
            (const struct rte_ipv6_hdr *) (data + p.l3_off);

        if ((uint32_t) p.l4_off + rte_be_to_cpu_16(h->payload_len) > len) {
            return;
        }
        memset(csum, 0, 2);
        c = rte_ipv6_udptcp_cksum(h, data + p.l4_off);
    }
    memcpy(csum, &c, 2);
}

bool
esw_rules_process(struct eswitch_port *in, struct rte_mbuf *m)
{
    uint32_t len = rte_pktmbuf_data_len(m);
    struct eswitch_port *out;
    struct rte_flow *r;
    struct esw_pkt p;
    int err;

    esw_pkt_parse(&p, rte_pktmbuf_mtod(m, uint8_t *), len);
    TAILQ_FOREACH (r, &in->rules, next) {
        if (esw_rule_matches(r, &p)) {
            break;
        }
    }
    if (!r || !esw_apply(r, &p)) {
        return false;
    }
    __atomic_fetch_add(&r->hits, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->bytes, len, __ATOMIC_RELAXED);

    out = r->out;
    if (out) {
        err = esw_sock_send_raw(out, p.data, len);
        if (err) {
            __atomic_fetch_add(&out->hw_tx_errs, 1, __ATOMIC_RELAXED);
        } else {
            __atomic_fetch_add(&out->hw_tx_pkts, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&out->hw_tx_bytes, len, __ATOMIC_RELAXED);
        }
    }
    rte_pktmbuf_free(m);
    return true;
}

/* Table maintenance; callers hold sw->lock for writing. */

void
esw_rules_insert(struct eswitch *sw, struct rte_flow *r)
{
    struct eswitch_port *src = r->src;
    struct rte_flow *pos;

    r->id = sw->next_rule_id++;
    r->magic = ESW_RULE_MAGIC;
    r->sw = sw;
    /* Lower priority value wins; among equals, the older rule.  Scan from
     * the tail: rules mostly arrive in priority order, so insertion stays
     * O(1) with hundreds of thousands of rules. */
    TAILQ_FOREACH_REVERSE (pos, &src->rules, esw_rule_list, next) {
        if (pos->priority <= r->priority) {
            break;
        }
    }
    if (pos) {
        TAILQ_INSERT_AFTER(&src->rules, pos, r, next);
    } else {
        TAILQ_INSERT_HEAD(&src->rules, r, next);
    }
    sw->n_rules++;
    if (sw->n_rules > sw->peak_rules) {
        sw->peak_rules = sw->n_rules;
    }
    __atomic_fetch_add(&src->n_rules, 1, __ATOMIC_RELEASE);
    eswitch_state_changed(sw);
}

void
esw_rules_remove(struct eswitch *sw, struct rte_flow *r)
{
    TAILQ_REMOVE(&r->src->rules, r, next);
    sw->n_rules--;
    sw->n_destroys++;
    __atomic_fetch_sub(&r->src->n_rules, 1, __ATOMIC_RELEASE);
    r->magic = 0;
    rte_free(r);
    eswitch_state_changed(sw);
}

bool
esw_rule_valid(const struct eswitch *sw, const struct rte_flow *r)
{
    return r && r->magic == ESW_RULE_MAGIC && r->sw == sw;
}

void
esw_rules_purge_port(struct eswitch *sw, uint16_t port_id)
{
    unsigned int i;

    for (i = 0; i < sw->n_ports; i++) {
        struct rte_flow *r, *nxt;

        RTE_TAILQ_FOREACH_SAFE (r, &sw->ports[i]->rules, next, nxt) {
            if (r->src->port_id == port_id || r->owner_port == port_id
                || (r->out && r->out->port_id == port_id)) {
                esw_rules_remove(sw, r);
            }
        }
    }
}

unsigned int
esw_rules_flush_owner(struct eswitch *sw, uint16_t port_id)
{
    unsigned int i, n = 0;

    for (i = 0; i < sw->n_ports; i++) {
        struct rte_flow *r, *nxt;

        RTE_TAILQ_FOREACH_SAFE (r, &sw->ports[i]->rules, next, nxt) {
            if (r->owner_port == port_id) {
                esw_rules_remove(sw, r);
                n++;
            }
        }
    }
    return n;
}
