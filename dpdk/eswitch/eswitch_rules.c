/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The switch's transfer table, as mlx5 software steering builds it: per
 * group, one matcher (a hash table) per distinct (priority, mask); a
 * packet visits the matchers of group 0 in priority order, JUMPs to other
 * groups, and a miss in a group other than 0 continues at the source
 * port's software path (rx burst).  Plus the rewrite actions with
 * checksum maintenance, i.e. what the NIC does in hardware.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_jhash.h>
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
    int tags;

    memset(p, 0, sizeof *p);
    p->data = d;
    p->len = len;
    p->l4_proto = -1;
    if (len < RTE_ETHER_HDR_LEN) {
        return;
    }
    /* Like the NIC's parser: the L3 type and header come after up to
     * two VLAN tags. */
    p->l3_off = RTE_ETHER_HDR_LEN;
    type = (d[ETH_TYPE_OFS] << 8) | d[ETH_TYPE_OFS + 1];
    for (tags = 0; tags < 2 && (type == RTE_ETHER_TYPE_VLAN
                                || type == RTE_ETHER_TYPE_QINQ
                                || type == RTE_ETHER_TYPE_QINQ1); tags++) {
        if (len < (uint32_t) p->l3_off + 4) {
            return;
        }
        p->has_vlan = true;
        type = (d[p->l3_off + 2] << 8) | d[p->l3_off + 3];
        p->l3_off += 4;
    }
    p->eth_type = type;
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

/* The packet as a lookup key. */
void
esw_pkt_key(const struct esw_pkt *p, uint16_t src_port, struct esw_key *k)
{
    uint8_t *b = k->b;

    memset(k, 0, sizeof *k);
    b[ESW_K_SRC] = src_port >> 8;
    b[ESW_K_SRC + 1] = src_port & 0xff;
    b[ESW_K_FLAGS] = p->has_vlan ? ESW_KF_VLAN : 0;
    b[ESW_K_L3] = p->l3;
    b[ESW_K_L4] = p->l4_proto >= 0 ? p->l4_proto : ESW_L4_NONE;
    if (p->len >= RTE_ETHER_HDR_LEN) {
        memcpy(b + ESW_K_ETH, p->data, 12);
        b[ESW_K_ETH + 12] = p->eth_type >> 8;
        b[ESW_K_ETH + 13] = p->eth_type & 0xff;
    }
    if (p->l3) {
        uint32_t n = RTE_MIN(p->len - p->l3_off, 40u);

        memcpy(b + ESW_K_L3H, p->data + p->l3_off, n);
    }
    if (p->l4_proto >= 0) {
        uint32_t n = RTE_MIN(p->len - p->l4_off, 20u);

        memcpy(b + ESW_K_L4H, p->data + p->l4_off, n);
    }
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

/* Rewrites 'p' in place.  DEC_TTL is mlx5's: "add 0xff" to the TTL or
 * hop limit, so 1 leaves as 0 and 0 as 255; nothing expires here. */
static void
esw_apply(const struct esw_rule *r, const struct esw_pkt *p)
{
    uint8_t *ip = p->data + p->l3_off;
    bool ip4_csum = false;
    unsigned int i;

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
                ip[IP4_TTL_OFS] += 0xff;
                ip4_csum = true;
            } else if (p->l3 == 6) {
                ip[IP6_HLIM_OFS] += 0xff;
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


/* Lookup. */

static uint32_t
key_hash(const struct esw_key *k)
{
    return rte_jhash(k->b, sizeof k->b, 0);
}

static void
key_and(struct esw_key *out, const struct esw_key *a, const struct esw_key *m)
{
    unsigned int i;

    for (i = 0; i < ESW_KEY_LEN; i++) {
        out->b[i] = a->b[i] & m->b[i];
    }
}

static struct esw_group *
group_find(struct eswitch *sw, uint32_t id)
{
    struct esw_group *g;

    TAILQ_FOREACH (g, &sw->groups, next) {
        if (g->id == id) {
            return g;
        }
    }
    return NULL;
}

/* The newest matching rule of 'm' for 'key' (already masked). */
static struct esw_rule *
matcher_lookup(const struct esw_matcher *m, const struct esw_key *masked)
{
    struct esw_rule *r;

    for (r = m->buckets[key_hash(masked) & (m->n_buckets - 1)]; r;
         r = r->hnext) {
        if (!memcmp(r->key.b, masked->b, ESW_KEY_LEN)) {
            return r;
        }
    }
    return NULL;
}

/* The rule of group 'g' that 'pkt' hits, or NULL. */
static struct esw_rule *
group_lookup(const struct esw_group *g, const struct esw_key *pkt)
{
    const struct esw_matcher *m;

    TAILQ_FOREACH (m, &g->matchers, next) {
        struct esw_key masked;
        struct esw_rule *r;

        key_and(&masked, pkt, &m->mask);
        r = matcher_lookup(m, &masked);
        if (r) {
            return r;
        }
    }
    return NULL;
}

/* Runs 'm' received on 'in' through the table; returns true if hardware
 * consumed it (forwarded or dropped), false if it goes to the
 * application, possibly rewritten by rules it met on the way.  Caller
 * holds sw->lock for reading. */
bool
esw_rules_process(struct eswitch_port *in, struct rte_mbuf *m)
{
    uint32_t len = rte_pktmbuf_data_len(m);
    struct eswitch *sw = in->sw;
    uint32_t group = 0;
    struct esw_pkt p;
    struct esw_key key;
    int hops;

    esw_pkt_parse(&p, rte_pktmbuf_mtod(m, uint8_t *), len);
    esw_pkt_key(&p, in->port_id, &key);
    for (hops = 0; hops < ESW_MAX_JUMPS; hops++) {
        const struct esw_group *g = group_find(sw, group);
        struct esw_rule *r = g ? group_lookup(g, &key) : NULL;
        struct eswitch_port *out;

        if (!r) {
            if (group) {
                /* mlx5 (rdma-core DR): a table's default miss goes where
                 * "no rule" goes, the source port's representor. */
                __atomic_fetch_add(&sw->group_misses, 1, __ATOMIC_RELAXED);
            }
            return false;
        }
        __atomic_fetch_add(&r->hits, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&r->bytes, len, __ATOMIC_RELAXED);
        if (r->n_acts) {
            esw_apply(r, &p);
            esw_pkt_parse(&p, p.data, len);
            esw_pkt_key(&p, in->port_id, &key);
        }
        switch (r->fate) {
        case ESW_FATE_JUMP:
            group = r->jump_group;
            continue;
        case ESW_FATE_DROP:
            rte_pktmbuf_free(m);
            return true;
        case ESW_FATE_PORT:
            /* The port may be gone: mlx5 keeps a proxy's rules that
             * point at a closed representor. */
            out = eswitch_port_by_id(sw, r->out_port);
            if (!out) {
                __atomic_fetch_add(&sw->lost_tx, 1, __ATOMIC_RELAXED);
            } else if (esw_sock_send_raw(out, p.data, len)) {
                __atomic_fetch_add(&out->hw_tx_errs, 1, __ATOMIC_RELAXED);
            } else {
                __atomic_fetch_add(&out->hw_tx_pkts, 1, __ATOMIC_RELAXED);
                __atomic_fetch_add(&out->hw_tx_bytes, len,
                                   __ATOMIC_RELAXED);
            }
            rte_pktmbuf_free(m);
            return true;
        }
    }
    __atomic_fetch_add(&sw->jump_loops, 1, __ATOMIC_RELAXED);
    rte_pktmbuf_free(m);
    return true;
}

/* Table maintenance; callers hold sw->lock for writing. */

static int
matcher_grow(struct esw_matcher *m)
{
    uint32_t n = m->n_buckets ? m->n_buckets * 2 : 16;
    struct esw_rule **b = calloc(n, sizeof *b);
    uint32_t i;

    if (!b) {
        return -ENOMEM;
    }
    for (i = 0; i < m->n_buckets; i++) {
        struct esw_rule *r, *nxt;

        for (r = m->buckets[i]; r; r = nxt) {
            uint32_t h = key_hash(&r->key) & (n - 1);

            nxt = r->hnext;
            r->hnext = b[h];
            b[h] = r;
        }
    }
    /* Keep "newest first" within a bucket: rehashing reversed each
     * chain, so restore the order by reversing every new chain. */
    for (i = 0; i < n; i++) {
        struct esw_rule *prev = NULL, *r = b[i], *nxt;

        for (; r; r = nxt) {
            nxt = r->hnext;
            r->hnext = prev;
            prev = r;
        }
        b[i] = prev;
    }
    free(m->buckets);
    m->buckets = b;
    m->n_buckets = n;
    return 0;
}

static struct esw_matcher *
matcher_get(struct eswitch *sw, struct esw_group *g, uint32_t priority,
            const struct esw_key *mask)
{
    struct esw_matcher *m, *pos;

    TAILQ_FOREACH (m, &g->matchers, next) {
        if (m->priority == priority
            && !memcmp(m->mask.b, mask->b, ESW_KEY_LEN)) {
            return m;
        }
    }
    m = calloc(1, sizeof *m);
    if (!m || matcher_grow(m)) {
        free(m);
        return NULL;
    }
    m->group = g->id;
    m->priority = priority;
    m->mask = *mask;
    m->seq = ++sw->matcher_seq;
    /* Priority order; the newest matcher first among equals. */
    TAILQ_FOREACH (pos, &g->matchers, next) {
        if (pos->priority >= priority) {
            break;
        }
    }
    if (pos) {
        TAILQ_INSERT_BEFORE(pos, m, next);
    } else {
        TAILQ_INSERT_TAIL(&g->matchers, m, next);
    }
    sw->n_matchers++;
    if (sw->n_matchers > sw->peak_matchers) {
        sw->peak_matchers = sw->n_matchers;
    }
    return m;
}

static uint8_t
l3_bit(uint8_t l3)
{
    return l3 == 4 ? 2 : l3 == 6 ? 4 : 1;
}

/* True if 'a' and 'b' do different things to a packet. */
static bool
rules_differ(const struct esw_rule *a, const struct esw_rule *b)
{
    return (a->fate != b->fate
            || (a->fate == ESW_FATE_PORT && a->out_port != b->out_port)
            || (a->fate == ESW_FATE_JUMP && a->jump_group != b->jump_group)
            || a->n_acts != b->n_acts
            || memcmp(a->acts, b->acts, a->n_acts * sizeof a->acts[0]));
}

/* True if some packet matches both 'a' and 'b'. */
static bool
rules_intersect(const struct esw_rule *a, const struct esw_rule *b)
{
    unsigned int i;

    for (i = 0; i < ESW_KEY_LEN; i++) {
        if ((a->key.b[i] ^ b->key.b[i]) & a->matcher->mask.b[i]
            & b->matcher->mask.b[i]) {
            return false;
        }
    }
    return true;
}

/* Equal priorities that overlap are undefined on mlx5 (software steering
 * prefers the newest matcher): flags 'r' if a rule of its group and
 * priority matches a common packet and does something else. */
static bool
check_overlap(const struct esw_group *g, const struct esw_rule *r)
{
    const struct esw_matcher *m;

    TAILQ_FOREACH (m, &g->matchers, next) {
        uint32_t i;

        if (m->priority != r->priority || !m->n_by_src[r->src_port]) {
            continue;
        }
        if (m == r->matcher) {
            /* Same mask: only an equal key overlaps, in r's bucket. */
            const struct esw_rule *x;

            for (x = m->buckets[key_hash(&r->key) & (m->n_buckets - 1)];
                 x; x = x->hnext) {
                if (x != r && !memcmp(x->key.b, r->key.b, ESW_KEY_LEN)
                    && rules_differ(x, r)) {
                    return true;
                }
            }
            continue;
        }
        if (m->mask.b[ESW_K_L3] && r->matcher->mask.b[ESW_K_L3]
            && !(m->l3_seen & l3_bit(r->l3))) {
            continue;
        }
        for (i = 0; i < m->n_buckets; i++) {
            const struct esw_rule *x;

            for (x = m->buckets[i]; x; x = x->hnext) {
                if (x != r && x->src_port == r->src_port
                    && rules_intersect(x, r) && rules_differ(x, r)) {
                    return true;
                }
            }
        }
    }
    return false;
}

static int
handle_alloc(struct esw_handles *h, struct esw_rule *r)
{
    uint32_t id;

    if (h->n_free) {
        id = h->free[--h->n_free];
    } else {
        if (h->high + 1 >= h->size) {
            uint32_t n = h->size ? h->size * 2 : 64;
            struct esw_rule **rules = realloc(h->rules, n * sizeof *rules);
            uint32_t *fr;

            if (!rules) {
                return -ENOMEM;
            }
            memset(rules + h->size, 0, (n - h->size) * sizeof *rules);
            h->rules = rules;
            fr = realloc(h->free, n * sizeof *fr);
            if (!fr) {
                return -ENOMEM;
            }
            h->free = fr;
            h->size = n;
        }
        id = ++h->high;
    }
    h->rules[id] = r;
    r->handle = id;
    return 0;
}

static void
handle_release(struct esw_handles *h, uint32_t id)
{
    h->rules[id] = NULL;
    h->free[h->n_free++] = id;  /* Reused first, like mlx5's pool cache. */
}

void
esw_handles_free(struct esw_handles *h)
{
    free(h->rules);
    free(h->free);
    memset(h, 0, sizeof *h);
}

struct esw_rule *
esw_rule_by_handle(struct eswitch_port *owner, uint32_t handle)
{
    const struct esw_handles *h = &owner->handles;

    return handle && handle <= h->high ? h->rules[handle] : NULL;
}

/* Puts 'r' (compiled, with r->mask) into the table.  Returns 0 or a
 * negative errno value. */
int
esw_rules_insert(struct eswitch *sw, struct esw_rule *r)
{
    struct eswitch_port *owner = eswitch_port_by_id(sw, r->owner_port);
    struct eswitch_port *src = eswitch_port_by_id(sw, r->src_port);
    struct esw_group *g = group_find(sw, r->group);
    struct esw_matcher *m;
    uint32_t h;

    if (!owner) {
        return -ENODEV;
    }
    if (!g) {
        g = calloc(1, sizeof *g);
        if (!g) {
            return -ENOMEM;
        }
        g->id = r->group;
        TAILQ_INIT(&g->matchers);
        TAILQ_INSERT_TAIL(&sw->groups, g, next);
    }
    m = matcher_get(sw, g, r->priority, &r->mask);
    if (!m || handle_alloc(&owner->handles, r)) {
        return -ENOMEM;
    }
    if (m->n_rules + 1 > m->n_buckets) {
        matcher_grow(m);        /* Only slower if it fails. */
    }
    key_and(&r->key, &r->key, &m->mask);
    r->matcher = m;
    r->sw = sw;
    r->overlap = check_overlap(g, r);
    if (r->overlap) {
        sw->n_overlaps++;
        ESW_LOG(WARNING, "switch %s: rule %u (port %u) overlaps a rule of "
                "equal priority %u in group %u that does something else: "
                "hardware picks either", sw->name, r->handle, r->owner_port,
                r->priority, r->group);
    }
    h = key_hash(&r->key) & (m->n_buckets - 1);
    r->hnext = m->buckets[h];   /* Newest first. */
    m->buckets[h] = r;
    m->n_rules++;
    m->n_by_src[r->src_port]++;
    m->l3_seen |= l3_bit(r->l3);
    g->n_rules++;
    TAILQ_INSERT_TAIL(&sw->rules, r, next);
    owner->n_owned++;
    sw->n_rules++;
    if (sw->n_rules > sw->peak_rules) {
        sw->peak_rules = sw->n_rules;
    }
    if (src) {
        __atomic_fetch_add(&src->n_rules, 1, __ATOMIC_RELEASE);
    }
    eswitch_state_changed(sw);
    return 0;
}

void
esw_rules_remove(struct eswitch *sw, struct esw_rule *r)
{
    struct esw_matcher *m = r->matcher;
    struct esw_group *g = group_find(sw, r->group);
    struct eswitch_port *owner = eswitch_port_by_id(sw, r->owner_port);
    struct eswitch_port *src = eswitch_port_by_id(sw, r->src_port);
    struct esw_rule **pp;

    for (pp = &m->buckets[key_hash(&r->key) & (m->n_buckets - 1)];
         *pp != r; pp = &(*pp)->hnext) {
        continue;
    }
    *pp = r->hnext;
    m->n_rules--;
    m->n_by_src[r->src_port]--;
    if (!m->n_rules) {
        TAILQ_REMOVE(&g->matchers, m, next);
        free(m->buckets);
        free(m);
        sw->n_matchers--;
    }
    if (!--g->n_rules) {
        TAILQ_REMOVE(&sw->groups, g, next);
        free(g);
    }
    TAILQ_REMOVE(&sw->rules, r, next);
    if (owner) {
        handle_release(&owner->handles, r->handle);
        owner->n_owned--;
    }
    if (src) {
        __atomic_fetch_sub(&src->n_rules, 1, __ATOMIC_RELEASE);
    }
    sw->n_rules--;
    sw->n_destroys++;
    rte_free(r);
    eswitch_state_changed(sw);
}

/* Removes the rules owned by 'port_id' (dev_stop, close, flush). */
unsigned int
esw_rules_flush_owner(struct eswitch *sw, uint16_t port_id)
{
    struct esw_rule *r, *nxt;
    unsigned int n = 0;

    RTE_TAILQ_FOREACH_SAFE (r, &sw->rules, next, nxt) {
        if (r->owner_port == port_id) {
            esw_rules_remove(sw, r);
            n++;
        }
    }
    return n;
}

/* The background counter refresh (mlx5_flow_query_alarm): queries return
 * what this copied last.  Caller holds sw->lock. */
void
esw_rules_refresh_counters(struct eswitch *sw)
{
    struct esw_rule *r;

    TAILQ_FOREACH (r, &sw->rules, next) {
        r->cached_hits = __atomic_load_n(&r->hits, __ATOMIC_RELAXED);
        r->cached_bytes = __atomic_load_n(&r->bytes, __ATOMIC_RELAXED);
    }
}
