/* SPDX-License-Identifier: BSD-3-Clause
 *
 * rte_flow_ops of a switch port: translates transfer rules (the mlx5-like
 * subset dpfip needs) into the switch's rule table, with precise
 * rte_flow_error reports for everything else, and mlx5's limits: the
 * priority range, the modify-header budget, groups and JUMP, one transfer
 * proxy (the uplink), handles that are reused small integers, no rule on
 * a stopped port.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_flow_driver.h>
#include <rte_malloc.h>

#include "eswitch.h"

/* A pattern while it is compiled: each layer's fixed header. */
struct esw_match {
    uint16_t src_port;
    bool eth;
    int8_t has_vlan;            /* -1: don't care. */
    uint8_t l3;                 /* 0: any, 4 or 6. */
    int16_t l4_proto;           /* -1: any, else IP protocol number. */
    uint8_t l3_len;
    uint8_t l4_len;
    uint8_t eth_spec[RTE_ETHER_HDR_LEN];
    uint8_t eth_mask[RTE_ETHER_HDR_LEN];
    uint8_t l3_spec[40];
    uint8_t l3_mask[40];
    uint8_t l4_spec[20];
    uint8_t l4_mask[20];
};

/* Compile state: the rule and its pattern. */
struct esw_compiled {
    struct esw_rule *r;
    struct esw_match match;
};

static inline uint32_t
flow_to_handle(const struct rte_flow *flow)
{
    return (uint32_t) (uintptr_t) flow;
}

static inline struct rte_flow *
handle_to_flow(uint32_t handle)
{
    return (struct rte_flow *) (uintptr_t) handle;
}

/* rte_flow_error.message must outlive the call: one buffer per thread. */
static __thread char esw_errmsg[256];

static int
esw_err(struct rte_flow_error *error, int code, enum rte_flow_error_type type,
        const void *cause, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
esw_err(struct rte_flow_error *error, int code, enum rte_flow_error_type type,
        const void *cause, const char *fmt, ...)
{
    va_list args;
    int n;

    n = snprintf(esw_errmsg, sizeof esw_errmsg, "eswitch: ");
    va_start(args, fmt);
    vsnprintf(esw_errmsg + n, sizeof esw_errmsg - n, fmt, args);
    va_end(args);
    return rte_flow_error_set(error, code, type, cause, esw_errmsg);
}

static const char *
item_name(enum rte_flow_item_type type)
{
    const char *name = NULL;

    if (rte_flow_conv(RTE_FLOW_CONV_OP_ITEM_NAME_PTR, &name, sizeof name,
                      (void *) (uintptr_t) type, NULL) <= 0 || !name) {
        return "unknown";
    }
    return name;
}

static const char *
action_name(enum rte_flow_action_type type)
{
    const char *name = NULL;

    if (rte_flow_conv(RTE_FLOW_CONV_OP_ACTION_NAME_PTR, &name, sizeof name,
                      (void *) (uintptr_t) type, NULL) <= 0 || !name) {
        return "unknown";
    }
    return name;
}

/* Appends to the rule's description, silently truncating. */
static void
desc_add(struct esw_rule *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
desc_add(struct esw_rule *r, const char *fmt, ...)
{
    size_t n = strlen(r->desc);
    va_list args;

    if (n + 1 >= sizeof r->desc) {
        return;
    }
    va_start(args, fmt);
    vsnprintf(r->desc + n, sizeof r->desc - n, fmt, args);
    va_end(args);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
    while (n--) {
        if (*p++) {
            return false;
        }
    }
    return true;
}

static int
prefix_len(const uint8_t *mask, size_t n)
{
    size_t i;
    int len = 0;

    for (i = 0; i < n; i++) {
        uint8_t b = mask[i];

        while (b & 0x80) {
            len++;
            b <<= 1;
        }
        if (b) {
            return -1;
        }
        if (mask[i] != 0xff) {
            return all_zero(mask + i + 1, n - i - 1) ? len : -1;
        }
    }
    return len;
}

static void
desc_addr(struct esw_rule *r, const char *key, int af, const uint8_t *spec,
          const uint8_t *mask)
{
    size_t n = af == AF_INET ? 4 : 16;
    char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
    int plen;

    if (all_zero(mask, n)) {
        return;
    }
    inet_ntop(af, spec, a, sizeof a);
    plen = prefix_len(mask, n);
    if (plen >= 0) {
        desc_add(r, " %s=%s/%d", key, a, plen);
    } else {
        inet_ntop(af, mask, m, sizeof m);
        desc_add(r, " %s=%s/%s", key, a, m);
    }
}

static void
desc_mac(struct esw_rule *r, const char *key, const uint8_t *spec,
         const uint8_t *mask)
{
    char a[RTE_ETHER_ADDR_FMT_SIZE], m[RTE_ETHER_ADDR_FMT_SIZE];

    if (all_zero(mask, RTE_ETHER_ADDR_LEN)) {
        return;
    }
    rte_ether_format_addr(a, sizeof a, (const struct rte_ether_addr *) spec);
    rte_ether_format_addr(m, sizeof m, (const struct rte_ether_addr *) mask);
    desc_add(r, " %s=%s", key, a);
    if (strcmp(m, "FF:FF:FF:FF:FF:FF")) {
        desc_add(r, "/%s", m);
    }
}

/* Masked fields other than those named in the summary: reported as a
 * count so a reader knows the match is narrower than shown. */
static void
desc_other(struct esw_rule *r, const char *key, const uint8_t *mask,
           size_t n, const uint8_t *named, size_t n_named)
{
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        if (mask[i] && !(i < n_named && named[i])) {
            k++;
        }
    }
    if (k) {
        desc_add(r, " %s_other_bytes=%zu", key, k);
    }
}

static void
desc_match(struct esw_rule *r, const struct esw_match *m)
{
    size_t mark_len = 40;
    uint8_t named[40];

    desc_add(r, " match");
    if (m->eth) {
        desc_mac(r, "eth_dst", m->eth_spec, m->eth_mask);
        desc_mac(r, "eth_src", m->eth_spec + 6, m->eth_mask + 6);
        if (m->eth_mask[12] || m->eth_mask[13]) {
            desc_add(r, " eth_type=0x%02x%02x", m->eth_spec[12],
                     m->eth_spec[13]);
        }
    }
    if (m->has_vlan >= 0) {
        desc_add(r, " vlan=%d", m->has_vlan);
    }
    memset(named, 0, sizeof named);
    if (m->l3 == 4) {
        desc_add(r, " ipv4");
        desc_addr(r, "ipv4_src", AF_INET, m->l3_spec + 12, m->l3_mask + 12);
        desc_addr(r, "ipv4_dst", AF_INET, m->l3_spec + 16, m->l3_mask + 16);
        if (m->l3_mask[9]) {
            desc_add(r, " ip_proto=%u", m->l3_spec[9]);
        }
        memset(named + 12, 1, 8);
        named[9] = 1;
        desc_other(r, "ipv4", m->l3_mask, m->l3_len, named, mark_len);
    } else if (m->l3 == 6) {
        desc_add(r, " ipv6");
        desc_addr(r, "ipv6_src", AF_INET6, m->l3_spec + 8, m->l3_mask + 8);
        desc_addr(r, "ipv6_dst", AF_INET6, m->l3_spec + 24,
                  m->l3_mask + 24);
        if (m->l3_mask[6]) {
            desc_add(r, " ip_proto=%u", m->l3_spec[6]);
        }
        memset(named + 8, 1, 32);
        named[6] = 1;
        desc_other(r, "ipv6", m->l3_mask, m->l3_len, named, mark_len);
    }
    if (m->l4_proto >= 0) {
        const char *l4 = m->l4_proto == IPPROTO_TCP ? "tcp"
                         : m->l4_proto == IPPROTO_UDP ? "udp"
                         : m->l4_proto == IPPROTO_ICMP ? "icmp" : "icmp6";

        desc_add(r, " %s", l4);
        memset(named, 0, sizeof named);
        if (m->l4_proto == IPPROTO_TCP || m->l4_proto == IPPROTO_UDP) {
            if (m->l4_mask[0] || m->l4_mask[1]) {
                desc_add(r, " %s_src=%u", l4,
                         (m->l4_spec[0] << 8) | m->l4_spec[1]);
            }
            if (m->l4_mask[2] || m->l4_mask[3]) {
                desc_add(r, " %s_dst=%u", l4,
                         (m->l4_spec[2] << 8) | m->l4_spec[3]);
            }
            memset(named, 1, 4);
        }
        desc_other(r, l4, m->l4_mask, m->l4_len, named, mark_len);
    }
    if (!m->eth && m->has_vlan < 0 && !m->l3 && m->l4_proto < 0) {
        desc_add(r, " any");
    }
}

/* Copies spec & mask of a header-like item; refuses ranges. */
static int
item_copy(const struct rte_flow_item *item, size_t n, const void *dmask,
          uint8_t *spec_out, uint8_t *mask_out, struct rte_flow_error *error)
{
    const uint8_t *spec = item->spec;
    const uint8_t *mask = item->mask ? item->mask : dmask;
    const uint8_t *last = item->last;
    size_t i;

    if (!spec) {
        memset(spec_out, 0, n);
        memset(mask_out, 0, n);
        return 0;
    }
    for (i = 0; i < n; i++) {
        mask_out[i] = mask[i];
        spec_out[i] = spec[i] & mask[i];
    }
    if (last) {
        for (i = 0; i < n; i++) {
            if ((last[i] & mask[i]) != spec_out[i]) {
                return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                               item, "item %s: ranges ('last') are not "
                               "supported", item_name(item->type));
            }
        }
    }
    return 0;
}

static int
esw_source_port(struct eswitch *sw, const struct rte_flow_item *item,
                struct esw_compiled *c, struct rte_flow_error *error)
{
    uint32_t id;

    if (!item->spec) {
        return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_SPEC, item,
                       "item %s: a spec naming the port is required",
                       item_name(item->type));
    }
    if (item->last) {
        return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST, item,
                       "item %s: ranges ('last') are not supported",
                       item_name(item->type));
    }
    if (item->type == RTE_FLOW_ITEM_TYPE_PORT_ID) {
        const struct rte_flow_item_port_id *s = item->spec, *m = item->mask;

        if (m && m->id != UINT32_MAX) {
            return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                           item, "item PORT_ID: only a full mask is "
                           "supported");
        }
        id = s->id;
    } else {
        const struct rte_flow_item_ethdev *s = item->spec, *m = item->mask;

        if (m && m->port_id != UINT16_MAX) {
            return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                           item, "item %s: only a full mask is supported",
                           item_name(item->type));
        }
        id = s->port_id;
    }
    if (id >= RTE_MAX_ETHPORTS || !eswitch_port_by_id(sw, id)) {
        return esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_ITEM_SPEC, item,
                       "item %s: port %u is not a port of switch %s",
                       item_name(item->type), id, sw->name);
    }
    c->match.src_port = id;
    return 0;
}

static int
esw_compile_pattern(struct eswitch *sw, const struct rte_flow_item *items,
                    struct esw_compiled *c, struct rte_flow_error *error)
{
    struct esw_match *m = &c->match;
    const struct rte_flow_item *item;
    bool have_src = false;
    int layer = 1;              /* Last layer seen: 2 eth, 3 ip, 4 l4. */
    int err;

    if (!items) {
        return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, NULL,
                       "pattern is NULL");
    }
    for (item = items; item->type != RTE_FLOW_ITEM_TYPE_END; item++) {
        switch ((int) item->type) {
        case RTE_FLOW_ITEM_TYPE_VOID:
            break;

        case RTE_FLOW_ITEM_TYPE_PORT_ID:
        case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT:
        case RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR:
            if (have_src) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "item %s: only one source port item is "
                               "allowed", item_name(item->type));
            }
            err = esw_source_port(sw, item, c, error);
            if (err) {
                return err;
            }
            have_src = true;
            break;

        case RTE_FLOW_ITEM_TYPE_ETH: {
            const struct rte_flow_item_eth *s = item->spec;
            const struct rte_flow_item_eth *mk = item->mask
                                                 ? item->mask
                                                 : &rte_flow_item_eth_mask;

            if (layer >= 2) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "item ETH must come before L3/L4 items and "
                               "only once");
            }
            err = item_copy(item, RTE_ETHER_HDR_LEN, &rte_flow_item_eth_mask,
                            m->eth_spec, m->eth_mask, error);
            if (err) {
                return err;
            }
            m->eth = !all_zero(m->eth_mask, RTE_ETHER_HDR_LEN);
            if (s && mk->reserved) {
                return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "item ETH: reserved bits in mask");
            }
            if (s && mk->has_vlan) {
                m->has_vlan = s->has_vlan;
            }
            layer = 2;
            break;
        }

        case RTE_FLOW_ITEM_TYPE_IPV4:
        case RTE_FLOW_ITEM_TYPE_IPV6: {
            bool v4 = item->type == RTE_FLOW_ITEM_TYPE_IPV4;

            if (layer >= 3) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "item %s: only one L3 item, before any L4 "
                               "item", item_name(item->type));
            }
            if (v4) {
                m->l3_len = sizeof(struct rte_ipv4_hdr);
                err = item_copy(item, m->l3_len, &rte_flow_item_ipv4_mask,
                                m->l3_spec, m->l3_mask, error);
            } else {
                const struct rte_flow_item_ipv6 *mk = item->mask;

                if (item->spec && mk
                    && !all_zero((const uint8_t *) mk
                                 + sizeof(struct rte_ipv6_hdr),
                                 sizeof *mk - sizeof(struct rte_ipv6_hdr))) {
                    return esw_err(error, ENOTSUP,
                                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, item,
                                   "item IPV6: extension header matching "
                                   "is not supported");
                }
                m->l3_len = sizeof(struct rte_ipv6_hdr);
                err = item_copy(item, m->l3_len, &rte_flow_item_ipv6_mask,
                                m->l3_spec, m->l3_mask, error);
            }
            if (err) {
                return err;
            }
            m->l3 = v4 ? 4 : 6;
            layer = 3;
            break;
        }

        case RTE_FLOW_ITEM_TYPE_UDP:
        case RTE_FLOW_ITEM_TYPE_TCP:
        case RTE_FLOW_ITEM_TYPE_ICMP:
        case RTE_FLOW_ITEM_TYPE_ICMP6: {
            size_t n;
            const void *dmask;
            int need_l3 = 0;

            if (layer >= 4 || !m->l3) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "item %s must follow an IPV4 or IPV6 item "
                               "(once)", item_name(item->type));
            }
            switch ((int) item->type) {
            case RTE_FLOW_ITEM_TYPE_UDP:
                m->l4_proto = IPPROTO_UDP;
                n = sizeof(struct rte_udp_hdr);
                dmask = &rte_flow_item_udp_mask;
                break;
            case RTE_FLOW_ITEM_TYPE_TCP:
                m->l4_proto = IPPROTO_TCP;
                n = sizeof(struct rte_tcp_hdr);
                dmask = &rte_flow_item_tcp_mask;
                break;
            case RTE_FLOW_ITEM_TYPE_ICMP:
                m->l4_proto = IPPROTO_ICMP;
                n = sizeof(struct rte_icmp_hdr);
                dmask = &rte_flow_item_icmp_mask;
                need_l3 = 4;
                break;
            default:
                m->l4_proto = 58;
                n = sizeof(struct rte_flow_item_icmp6);
                dmask = &rte_flow_item_icmp6_mask;
                need_l3 = 6;
                break;
            }
            if (need_l3 && m->l3 != need_l3) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "item %s needs an IPV%d item",
                               item_name(item->type), need_l3);
            }
            err = item_copy(item, n, dmask, m->l4_spec, m->l4_mask, error);
            if (err) {
                return err;
            }
            m->l4_len = all_zero(m->l4_mask, n) ? 0 : n;
            layer = 4;
            break;
        }

        default:
            return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                           "item type %s not supported",
                           item_name(item->type));
        }
    }
    return 0;
}

/* Modify-header commands of 'op' on mlx5: one per 32-bit field. */
static unsigned int
op_cost(enum esw_op op)
{
    switch (op) {
    case ESW_OP_SET_MAC_SRC:
    case ESW_OP_SET_MAC_DST:
        return 2;
    case ESW_OP_SET_IPV6_SRC:
    case ESW_OP_SET_IPV6_DST:
        return 4;
    case ESW_OP_SET_IPV4_SRC:
    case ESW_OP_SET_IPV4_DST:
    case ESW_OP_DEC_TTL:
    case ESW_OP_SET_TTL:
    case ESW_OP_SET_TP_SRC:
    case ESW_OP_SET_TP_DST:
    default:
        return 1;
    }
}

static struct esw_action *
esw_add_op(struct esw_rule *r, enum esw_op op)
{
    struct esw_action *a;

    if (r->n_acts >= ESW_MAX_ACTIONS) {
        return NULL;
    }
    a = &r->acts[r->n_acts++];
    a->op = op;
    r->n_modify += op_cost(op);
    return a;
}

static int
esw_compile_actions(struct eswitch *sw, const struct rte_flow_action *acts,
                    struct esw_compiled *c, struct rte_flow_error *error)
{
    const struct rte_flow_action *act;
    const struct esw_match *m = &c->match;
    struct esw_rule *r = c->r;
    bool fate = false;
    char buf[INET6_ADDRSTRLEN];

    if (!acts) {
        return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL,
                       "actions is NULL");
    }
    desc_add(r, " actions");
    for (act = acts; act->type != RTE_FLOW_ACTION_TYPE_END; act++) {
        const char *name = action_name(act->type);
        struct esw_action *a = NULL;
        enum esw_op op;
        int need_l3 = 0;

        if (act->type != RTE_FLOW_ACTION_TYPE_VOID
            && act->type != RTE_FLOW_ACTION_TYPE_COUNT
            && act->type != RTE_FLOW_ACTION_TYPE_DEC_TTL && !act->conf) {
            switch ((int) act->type) {
            case RTE_FLOW_ACTION_TYPE_DROP:
                break;
            case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
            case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
            case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
            case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST:
            case RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC:
            case RTE_FLOW_ACTION_TYPE_SET_IPV6_DST:
            case RTE_FLOW_ACTION_TYPE_SET_TTL:
            case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
            case RTE_FLOW_ACTION_TYPE_SET_TP_DST:
            case RTE_FLOW_ACTION_TYPE_PORT_ID:
            case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
            case RTE_FLOW_ACTION_TYPE_JUMP:
                return esw_err(error, EINVAL,
                               RTE_FLOW_ERROR_TYPE_ACTION_CONF, act,
                               "action %s needs a configuration", name);
            default:
                break;
            }
        }

        switch ((int) act->type) {
        case RTE_FLOW_ACTION_TYPE_VOID:
            break;

        case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
        case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: {
            const struct rte_flow_action_set_mac *c = act->conf;
            char mac[RTE_ETHER_ADDR_FMT_SIZE];

            op = act->type == RTE_FLOW_ACTION_TYPE_SET_MAC_SRC
                 ? ESW_OP_SET_MAC_SRC : ESW_OP_SET_MAC_DST;
            a = esw_add_op(r, op);
            if (a) {
                memcpy(a->mac, c->mac_addr, RTE_ETHER_ADDR_LEN);
                rte_ether_format_addr(mac, sizeof mac,
                                      (const struct rte_ether_addr *) a->mac);
                desc_add(r, " %s=%s", op == ESW_OP_SET_MAC_SRC
                         ? "set_mac_src" : "set_mac_dst", mac);
            }
            break;
        }

        case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
        case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST: {
            const struct rte_flow_action_set_ipv4 *c = act->conf;

            need_l3 = 4;
            op = act->type == RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC
                 ? ESW_OP_SET_IPV4_SRC : ESW_OP_SET_IPV4_DST;
            a = esw_add_op(r, op);
            if (a) {
                memcpy(a->ip4, &c->ipv4_addr, 4);
                inet_ntop(AF_INET, a->ip4, buf, sizeof buf);
                desc_add(r, " %s=%s", op == ESW_OP_SET_IPV4_SRC
                         ? "set_ipv4_src" : "set_ipv4_dst", buf);
            }
            break;
        }

        case RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC:
        case RTE_FLOW_ACTION_TYPE_SET_IPV6_DST: {
            const struct rte_flow_action_set_ipv6 *c = act->conf;

            need_l3 = 6;
            op = act->type == RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC
                 ? ESW_OP_SET_IPV6_SRC : ESW_OP_SET_IPV6_DST;
            a = esw_add_op(r, op);
            if (a) {
                memcpy(a->ip6, c->ipv6_addr, 16);
                inet_ntop(AF_INET6, a->ip6, buf, sizeof buf);
                desc_add(r, " %s=%s", op == ESW_OP_SET_IPV6_SRC
                         ? "set_ipv6_src" : "set_ipv6_dst", buf);
            }
            break;
        }

        case RTE_FLOW_ACTION_TYPE_DEC_TTL:
            need_l3 = -1;
            a = esw_add_op(r, ESW_OP_DEC_TTL);
            desc_add(r, " dec_ttl");
            break;

        case RTE_FLOW_ACTION_TYPE_SET_TTL: {
            const struct rte_flow_action_set_ttl *c = act->conf;

            need_l3 = -1;
            a = esw_add_op(r, ESW_OP_SET_TTL);
            if (a) {
                a->ttl = c->ttl_value;
                desc_add(r, " set_ttl=%u", c->ttl_value);
            }
            break;
        }

        case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
        case RTE_FLOW_ACTION_TYPE_SET_TP_DST: {
            const struct rte_flow_action_set_tp *c = act->conf;

            if (m->l4_proto != IPPROTO_TCP && m->l4_proto != IPPROTO_UDP) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "action %s needs a TCP or UDP item in "
                               "the pattern", name);
            }
            op = act->type == RTE_FLOW_ACTION_TYPE_SET_TP_SRC
                 ? ESW_OP_SET_TP_SRC : ESW_OP_SET_TP_DST;
            a = esw_add_op(r, op);
            if (a) {
                memcpy(a->tp, &c->port, 2);
                desc_add(r, " %s=%u", op == ESW_OP_SET_TP_SRC
                         ? "set_tp_src" : "set_tp_dst",
                         rte_be_to_cpu_16(c->port));
            }
            break;
        }

        case RTE_FLOW_ACTION_TYPE_COUNT:
            if (r->count) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "only one COUNT action per rule");
            }
            r->count = true;
            desc_add(r, " count");
            break;

        case RTE_FLOW_ACTION_TYPE_PORT_ID:
        case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT: {
            uint32_t id;

            if (fate) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "only one fate action (PORT_ID, "
                               "REPRESENTED_PORT, JUMP or DROP) per rule");
            }
            if (act->type == RTE_FLOW_ACTION_TYPE_PORT_ID) {
                id = ((const struct rte_flow_action_port_id *)
                      act->conf)->id;
            } else {
                id = ((const struct rte_flow_action_ethdev *)
                      act->conf)->port_id;
            }
            if (id >= RTE_MAX_ETHPORTS || !eswitch_port_by_id(sw, id)) {
                return esw_err(error, ENODEV,
                               RTE_FLOW_ERROR_TYPE_ACTION_CONF, act,
                               "action %s: port %u is not a port of "
                               "switch %s", name, id, sw->name);
            }
            r->fate = ESW_FATE_PORT;
            r->out_port = id;
            fate = true;
            desc_add(r, " port_id=%u", id);
            break;
        }

        case RTE_FLOW_ACTION_TYPE_JUMP: {
            const struct rte_flow_action_jump *j = act->conf;

            if (fate) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "only one fate action (PORT_ID, "
                               "REPRESENTED_PORT, JUMP or DROP) per rule");
            }
            if (sw->group_miss == ESW_GROUP_MISS_NONE) {
                return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "action JUMP not supported (switch %s "
                               "has no groups: group-miss=none)", sw->name);
            }
            if (j->group == r->group) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "target group must be other than the "
                               "current flow group");
            }
            r->fate = ESW_FATE_JUMP;
            r->jump_group = j->group;
            fate = true;
            desc_add(r, " jump=%u", j->group);
            break;
        }

        case RTE_FLOW_ACTION_TYPE_DROP:
            if (fate) {
                return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               act, "only one fate action (PORT_ID, "
                               "REPRESENTED_PORT, JUMP or DROP) per rule");
            }
            r->fate = ESW_FATE_DROP;
            fate = true;
            desc_add(r, " drop");
            break;

        default:
            return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, act,
                           "action type %s not supported", name);
        }

        if (act->type != RTE_FLOW_ACTION_TYPE_VOID
            && act->type != RTE_FLOW_ACTION_TYPE_COUNT
            && act->type != RTE_FLOW_ACTION_TYPE_DROP
            && act->type != RTE_FLOW_ACTION_TYPE_JUMP
            && act->type != RTE_FLOW_ACTION_TYPE_PORT_ID
            && act->type != RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT
            && (!a || r->n_modify > ESW_MODIFY_BUDGET)) {
            /* mlx5: MLX5_MAX_MODIFY_NUM in flow_dv_convert_modify_action. */
            return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, act,
                           "too many items to modify (%u commands, at most "
                           "%d)", r->n_modify, ESW_MODIFY_BUDGET);
        }
        /* Like mlx5: header rewrites need the header in the pattern. */
        if (need_l3 > 0 && m->l3 != need_l3) {
            return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, act,
                           "action %s needs an IPV%d item in the pattern",
                           name, need_l3);
        }
        if (need_l3 < 0 && !m->l3) {
            return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, act,
                           "action %s needs an IPV4 or IPV6 item in the "
                           "pattern", name);
        }
    }
    if (!fate) {
        return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, acts,
                       "no fate action (PORT_ID, REPRESENTED_PORT, JUMP or "
                       "DROP)");
    }
    return 0;
}

/* The compiled pattern as (key, mask) of the rule. */
static void
esw_build_key(const struct esw_match *m, struct esw_rule *r)
{
    uint8_t *k = r->key.b, *mk = r->mask.b;

    memset(&r->key, 0, sizeof r->key);
    memset(&r->mask, 0, sizeof r->mask);
    r->src_port = m->src_port;
    k[ESW_K_SRC] = m->src_port >> 8;
    k[ESW_K_SRC + 1] = m->src_port & 0xff;
    mk[ESW_K_SRC] = mk[ESW_K_SRC + 1] = 0xff;
    r->has_vlan = m->has_vlan;
    if (m->has_vlan >= 0) {
        k[ESW_K_FLAGS] = m->has_vlan ? ESW_KF_VLAN : 0;
        mk[ESW_K_FLAGS] = ESW_KF_VLAN;
    }
    r->eth_item = m->eth;
    r->l3 = m->l3;
    r->l4_proto = m->l4_proto;
    r->l3_len = m->l3_len;
    r->l4_len = m->l4_len;
    if (m->eth) {
        /* The ether type is the one after any VLAN tags, like the NIC's
         * parser: ETH without a VLAN item matches tagged frames too. */
        memcpy(k + ESW_K_ETH, m->eth_spec, RTE_ETHER_HDR_LEN);
        memcpy(mk + ESW_K_ETH, m->eth_mask, RTE_ETHER_HDR_LEN);
    }
    if (m->l3) {
        k[ESW_K_L3] = m->l3;
        mk[ESW_K_L3] = 0xff;
        memcpy(k + ESW_K_L3H, m->l3_spec, m->l3_len);
        memcpy(mk + ESW_K_L3H, m->l3_mask, m->l3_len);
    }
    if (m->l4_proto >= 0) {
        k[ESW_K_L4] = m->l4_proto;
        mk[ESW_K_L4] = 0xff;
        memcpy(k + ESW_K_L4H, m->l4_spec, m->l4_len);
        memcpy(mk + ESW_K_L4H, m->l4_mask, m->l4_len);
    }
}

/* Caller holds sw->lock. */
static int
esw_compile(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
            const struct rte_flow_item *items,
            const struct rte_flow_action *acts, struct esw_rule *r,
            struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;
    struct esw_compiled c;
    int err;

    if (!sw) {
        return esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "port %u is not in a switch", dev->data->port_id);
    }
    if (!attr) {
        return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, NULL,
                       "attributes are NULL");
    }
    if (!attr->transfer) {
        return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER,
                       attr, "only transfer rules are supported "
                       "(attr.transfer=1, no ingress/egress)");
    }
    if (attr->ingress || attr->egress) {
        return esw_err(error, EINVAL, attr->ingress
                       ? RTE_FLOW_ERROR_TYPE_ATTR_INGRESS
                       : RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, attr,
                       "cannot use attr ingress/egress with attr transfer");
    }
    if (attr->group && sw->group_miss == ESW_GROUP_MISS_NONE) {
        return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, attr,
                       "only group 0 is supported (switch %s has no "
                       "groups: group-miss=none)", sw->name);
    }
    if (attr->priority > ESW_MAX_PRIORITY) {
        return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY,
                       attr, "priority out of range (%u > %u)",
                       attr->priority, ESW_MAX_PRIORITY);
    }

    memset(r, 0, sizeof *r);
    memset(&c, 0, sizeof c);
    c.r = r;
    r->group = attr->group;
    r->priority = attr->priority;
    r->owner_port = dev->data->port_id;
    /* Implicit source: the port itself. */
    c.match.src_port = dev->data->port_id;
    c.match.has_vlan = -1;
    c.match.l4_proto = -1;
    err = esw_compile_pattern(sw, items, &c, error);
    if (!err) {
        desc_match(r, &c.match);
        err = esw_compile_actions(sw, acts, &c, error);
    }
    if (!err) {
        esw_build_key(&c.match, r);
    }
    return err;
}

static int
esw_flow_validate(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
                  const struct rte_flow_item items[],
                  const struct rte_flow_action acts[],
                  struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct esw_rule *r;
    int err;

    r = rte_malloc("eswitch_rule", sizeof *r, 0);
    if (!r) {
        return esw_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "out of memory");
    }
    if (port->sw) {
        rte_rwlock_read_lock(&port->sw->lock);
    }
    err = esw_compile(dev, attr, items, acts, r, error);
    if (port->sw) {
        rte_rwlock_read_unlock(&port->sw->lock);
    }
    rte_free(r);
    return err;
}

static struct rte_flow *
esw_flow_create(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
                const struct rte_flow_item items[],
                const struct rte_flow_action acts[],
                struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;
    struct esw_rule *r;
    uint32_t handle;
    int err;

    r = rte_zmalloc("eswitch_rule", sizeof *r, 0);
    if (!r) {
        esw_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                "out of memory");
        return NULL;
    }
    if (!sw) {
        esw_compile(dev, attr, items, acts, r, error);
        rte_free(r);
        return NULL;
    }

    rte_rwlock_write_lock(&sw->lock);
    err = esw_compile(dev, attr, items, acts, r, error);
    if (err) {
        goto error;
    }
    if (!dev->data->dev_started) {
        /* mlx5 keeps no rules on a stopped port (dev_stop flushed them);
         * rte_flow does not promise creating one works there. */
        esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                "port %u is not started", dev->data->port_id);
        goto error;
    }
    sw->n_creates++;
    if (sw->fail_every && sw->n_creates % sw->fail_every == 0) {
        sw->n_injected++;
        eswitch_state_changed(sw);
        esw_err(error, EIO, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                "injected failure (fail-every=%u, create #%"PRIu64")",
                sw->fail_every, sw->n_creates);
        goto error;
    }
    if (sw->n_rules >= sw->capacity) {
        sw->n_full++;
        eswitch_state_changed(sw);
        esw_err(error, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                "table full (capacity %u)", sw->capacity);
        goto error;
    }
    err = esw_rules_insert(sw, r);
    if (err) {
        esw_err(error, -err, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                "cannot insert the rule: %s", strerror(-err));
        goto error;
    }
    handle = r->handle;
    rte_rwlock_write_unlock(&sw->lock);
    return handle_to_flow(handle);

error:
    rte_rwlock_write_unlock(&sw->lock);
    rte_free(r);
    return NULL;
}

static int
esw_flow_destroy(struct rte_eth_dev *dev, struct rte_flow *flow,
                 struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;
    struct esw_rule *r;

    if (!sw) {
        return esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "port %u is not in a switch", dev->data->port_id);
    }
    rte_rwlock_write_lock(&sw->lock);
    r = esw_rule_by_handle(port, flow_to_handle(flow));
    if (r) {
        esw_rules_remove(sw, r);
    } else {
        /* As mlx5_flow_destroy(): an index that names no flow is
         * ignored.  One that names another flow destroys that one. */
        sw->n_stale_destroys++;
        eswitch_state_changed(sw);
    }
    rte_rwlock_write_unlock(&sw->lock);
    return 0;
}

static int
esw_flow_flush(struct rte_eth_dev *dev, struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;

    if (!sw) {
        return esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "port %u is not in a switch", dev->data->port_id);
    }
    rte_rwlock_write_lock(&sw->lock);
    esw_rules_flush_owner(sw, dev->data->port_id);
    rte_rwlock_write_unlock(&sw->lock);
    return 0;
}

static int
esw_flow_query(struct rte_eth_dev *dev, struct rte_flow *flow,
               const struct rte_flow_action *action, void *data,
               struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;
    struct rte_flow_query_count *q = data;
    struct esw_rule *r;
    int err = 0;

    while (action && action->type == RTE_FLOW_ACTION_TYPE_VOID) {
        action++;
    }
    if (!action || action->type != RTE_FLOW_ACTION_TYPE_COUNT) {
        return esw_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, action,
                       "only COUNT can be queried");
    }
    if (!q) {
        return esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "query data is NULL");
    }
    if (!sw) {
        return esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "port %u is not in a switch", dev->data->port_id);
    }
    /* The write lock: a reset moves the bases. */
    rte_rwlock_write_lock(&sw->lock);
    r = esw_rule_by_handle(port, flow_to_handle(flow));
    if (!r) {
        /* mlx5: ENOENT with type UNSPECIFIED, not HANDLE. */
        err = esw_err(error, ENOENT, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                      "unknown flow handle");
    } else if (!r->count) {
        err = esw_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, action,
                      "rule has no COUNT action");
    } else {
        /* From the cache the background refresh fills (about once a
         * second, like mlx5's); lifetime counters stay for the state
         * file, a reset only moves the bases. */
        q->hits = r->cached_hits - r->hits_base;
        q->bytes = r->cached_bytes - r->bytes_base;
        if (q->reset) {
            r->hits_base = r->cached_hits;
            r->bytes_base = r->cached_bytes;
        }
        q->hits_set = 1;
        q->bytes_set = 1;
    }
    rte_rwlock_write_unlock(&sw->lock);
    return err;
}

/* mlx5: the E-Switch manager (the uplink) for every port of the switch. */
static int
esw_flow_pick_transfer_proxy(struct rte_eth_dev *dev, uint16_t *proxy,
                             struct rte_flow_error *error)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;
    int err = 0;

    if (!sw) {
        return esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                       "port %u is not in a switch", dev->data->port_id);
    }
    rte_rwlock_read_lock(&sw->lock);
    if (sw->uplink) {
        *proxy = sw->uplink->port_id;
    } else {
        err = esw_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                      "switch %s has no uplink (transfer proxy)", sw->name);
    }
    rte_rwlock_read_unlock(&sw->lock);
    return err;
}

const struct rte_flow_ops eswitch_flow_ops = {
    .validate = esw_flow_validate,
    .create = esw_flow_create,
    .destroy = esw_flow_destroy,
    .flush = esw_flow_flush,
    .query = esw_flow_query,
    .pick_transfer_proxy = esw_flow_pick_transfer_proxy,
};
