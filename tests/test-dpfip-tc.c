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

/* Unit tests of dpfip's tc provider (lib/dpfip-offload-tc.c) against a
 * model of the kernel with mlx5e behind it: "ovstest test-dpfip-tc".
 *
 * The model decodes every netlink request the provider sends and applies
 * what mlx5e (Linux 6.1, switchdev) accepts, per ../shared/hardware.md:
 *   - chain-0 priorities above 16 only with the firmware's
 *     ignore_flow_level ("Requested priority is out of supported range");
 *   - a pedit of an IP address only in a rule that matches ip_proto TCP,
 *     UDP or ICMP exactly ("can't offload re-write of non TCP/UDP"), so
 *     never for ICMPv6;
 *   - pedit of the fields mlx5e rewrites only (MACs, IPv4 TTL and
 *     addresses, IPv6 hop limit and addresses, TCP/UDP ports), commands
 *     set and add;
 *   - csum with IPV4HDR, TCP and UDP only ("can't offload TC csum action
 *     for some header/s"), and only after a pedit;
 *   - gact only as "pass", mirred only as an egress redirect to a port of
 *     the same eSwitch;
 *   - flower keys: Ethernet type and addresses, ip_proto, IP addresses,
 *     TTL, fragment flags, TCP/UDP destination ports under a mask (only
 *     with ip_proto TCP or UDP: "Only UDP and TCP transports are supported
 *     for L4 matching") and TCP flags.  As the kernel does, a TCP port
 *     key counts only under ip_proto TCP and a UDP one only under UDP.
 * A refused filter with skip_sw fails with EOPNOTSUPP and the driver's
 * message as extended ack; without it the kernel keeps it in software
 * (not_in_hw), as the kernel does.  Filter dumps (full and terse) list a
 * port's filters with the counters the test gives them.
 *
 * Each check prints what it tested when it fails; the run ends with the
 * number of checks. */

#include <config.h>
#undef NDEBUG
#include "dpfip-offload-provider.h"
#include "dpfip-offload-tc.h"
#include "dpfip-test-check.h"

#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_csum.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/tc_act/tc_pedit.h>
#include <stdio.h>
#include <string.h>
#include "netlink.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "tc.h"
#include "tests/ovstest.h"
#include "timeval.h"
#include "util.h"


/* The model. */

#define MAX_MODEL_FILTERS 64

struct model_port {
    int ifindex;
    bool eswitch;                   /* A port of the mlx5 eSwitch. */
};

struct model_filter {
    int ifindex;
    uint16_t prio;
    uint16_t protocol;              /* As in tcm_info. */
    uint32_t handle;
    uint32_t flags;                 /* TCA_CLS_FLAGS_*. */
    uint8_t ip_proto;
    uint16_t tp_dst, tp_dst_mask;   /* As the kernel took them. */
    uint16_t tcp_flags, tcp_flags_mask;
    uint32_t ipv4_src, ipv4_src_mask;   /* Host order. */
    bool pass;                      /* Its action is gact pass. */
    size_t cookie_len;
    uint8_t cookie[16];
    uint64_t n_packets;
    uint64_t n_bytes;
};

static struct {
    struct model_port ports[4];
    bool ignore_flow_level;         /* Firmware lets chain 0 go past 16. */
    struct model_filter filters[MAX_MODEL_FILTERS];
    size_t n_filters;
    uint32_t next_handle;
    int n_dumps;
    int n_terse_dumps;
    int n_hw_refusals;              /* Filters mlx5e refused that stayed
                                     * in software tc. */
    char last_refusal[128];
} model;

static void
model_reset(bool ignore_flow_level)
{
    memset(&model, 0, sizeof model);
    /* 10 and 11: eSwitch representors; 12: a veth. */
    model.ports[0] = (struct model_port) { 10, true };
    model.ports[1] = (struct model_port) { 11, true };
    model.ports[2] = (struct model_port) { 12, false };
    model.ignore_flow_level = ignore_flow_level;
    model.next_handle = 1;
}

static const struct model_port *
model_port(int ifindex)
{
    for (size_t i = 0; i < ARRAY_SIZE(model.ports); i++) {
        if (model.ports[i].ifindex == ifindex) {
            return &model.ports[i];
        }
    }
    return NULL;
}

/* What mlx5e says of pedit key 'k' of header type 'htype': NULL if it
 * rewrites that field, else why not.  Sets '*addr' for an IP address. */
static const char *
mlx5e_pedit_key(uint16_t htype, uint16_t cmd, const struct tc_pedit_key *k,
                bool *addr)
{
    uint32_t change = ~k->mask;     /* Bits the key writes, host order. */

    if (cmd != TCA_PEDIT_KEY_EX_CMD_SET && cmd != TCA_PEDIT_KEY_EX_CMD_ADD) {
        return "unsupported pedit cmd";
    }
    switch (htype) {
    case TCA_PEDIT_KEY_EX_HDR_TYPE_ETH:
        return k->off <= 8 && !(k->off % 4) ? NULL
               : "unsupported pedit field (eth)";
    case TCA_PEDIT_KEY_EX_HDR_TYPE_IP4:
        if (k->off == 8 && change == htonl(0xff000000)) {
            return NULL;                                    /* TTL. */
        }
        if (k->off == 12 || k->off == 16) {
            *addr = true;
            return NULL;
        }
        return "unsupported pedit field (ip4)";
    case TCA_PEDIT_KEY_EX_HDR_TYPE_IP6:
        if (k->off == 4 && change == htonl(0x000000ff)) {
            return NULL;                                    /* Hop limit. */
        }
        if (k->off >= 8 && k->off <= 36 && !(k->off % 4)) {
            *addr = true;
            return NULL;
        }
        return "unsupported pedit field (ip6)";
    case TCA_PEDIT_KEY_EX_HDR_TYPE_TCP:
    case TCA_PEDIT_KEY_EX_HDR_TYPE_UDP:
        return !k->off ? NULL : "unsupported pedit field (l4)";
    default:
        return "unsupported pedit header type";
    }
}

static const char *
mlx5e_pedit(const struct nlattr *opts, bool *addr)
{
    const struct nlattr *parms = nl_attr_find_nested(opts,
                                                     TCA_PEDIT_PARMS_EX);
    const struct nlattr *keys_ex = nl_attr_find_nested(opts,
                                                       TCA_PEDIT_KEYS_EX);
    const struct tc_pedit *sel;
    const struct nlattr *key;
    size_t left;
    int i = 0;

    if (!parms || !keys_ex) {
        return "pedit without extended keys";
    }
    sel = nl_attr_get(parms);
    NL_NESTED_FOR_EACH (key, left, keys_ex) {
        const struct nlattr *htype = nl_attr_find_nested(
            key, TCA_PEDIT_KEY_EX_HTYPE);
        const struct nlattr *cmd = nl_attr_find_nested(key,
                                                       TCA_PEDIT_KEY_EX_CMD);
        const char *why;

        if (i >= sel->nkeys || !htype || !cmd) {
            return "malformed pedit";
        }
        why = mlx5e_pedit_key(nl_attr_get_u16(htype), nl_attr_get_u16(cmd),
                              &sel->keys[i], addr);
        if (why) {
            return why;
        }
        i++;
    }
    return i == sel->nkeys ? NULL : "malformed pedit";
}

/* Decodes the flower filter in 'opts' (TCA_OPTIONS) into 'f' and returns
 * NULL if mlx5e offloads it, else the driver's message. */
static const char *
mlx5e_check(const struct nlattr *opts, uint16_t prio,
            struct model_filter *f)
{
    const struct nlattr *a, *acts = NULL;
    bool modify_addr = false, pedit = false;
    uint16_t tcp_dst = 0, tcp_dst_mask = 0, udp_dst = 0, udp_dst_mask = 0;
    const char *why = NULL;
    size_t left;

    NL_NESTED_FOR_EACH (a, left, opts) {
        switch (nl_attr_type(a)) {
        case TCA_FLOWER_FLAGS:
            f->flags = nl_attr_get_u32(a);
            break;
        case TCA_FLOWER_ACT:
            acts = a;
            break;
        case TCA_FLOWER_KEY_IP_PROTO:
            f->ip_proto = nl_attr_get_u8(a);
            break;
        case TCA_FLOWER_KEY_ETH_TYPE:
        case TCA_FLOWER_KEY_ETH_DST: case TCA_FLOWER_KEY_ETH_DST_MASK:
        case TCA_FLOWER_KEY_ETH_SRC: case TCA_FLOWER_KEY_ETH_SRC_MASK:
        case TCA_FLOWER_KEY_IPV4_DST: case TCA_FLOWER_KEY_IPV4_DST_MASK:
        case TCA_FLOWER_KEY_IPV6_SRC: case TCA_FLOWER_KEY_IPV6_SRC_MASK:
        case TCA_FLOWER_KEY_IPV6_DST: case TCA_FLOWER_KEY_IPV6_DST_MASK:
        case TCA_FLOWER_KEY_IP_TTL: case TCA_FLOWER_KEY_IP_TTL_MASK:
        case TCA_FLOWER_KEY_FLAGS: case TCA_FLOWER_KEY_FLAGS_MASK:
            break;
        case TCA_FLOWER_KEY_IPV4_SRC:
            f->ipv4_src = ntohl(nl_attr_get_be32(a));
            break;
        case TCA_FLOWER_KEY_IPV4_SRC_MASK:
            f->ipv4_src_mask = ntohl(nl_attr_get_be32(a));
            break;
        case TCA_FLOWER_KEY_TCP_DST:
            tcp_dst = ntohs(nl_attr_get_be16(a));
            break;
        case TCA_FLOWER_KEY_TCP_DST_MASK:
            tcp_dst_mask = ntohs(nl_attr_get_be16(a));
            break;
        case TCA_FLOWER_KEY_UDP_DST:
            udp_dst = ntohs(nl_attr_get_be16(a));
            break;
        case TCA_FLOWER_KEY_UDP_DST_MASK:
            udp_dst_mask = ntohs(nl_attr_get_be16(a));
            break;
        case TCA_FLOWER_KEY_TCP_FLAGS:
            f->tcp_flags = ntohs(nl_attr_get_be16(a));
            break;
        case TCA_FLOWER_KEY_TCP_FLAGS_MASK:
            f->tcp_flags_mask = ntohs(nl_attr_get_be16(a));
            break;
        default:
            why = why ? why : "unsupported flower key";
            break;
        }
    }
    /* The kernel reads each port key only under its protocol. */
    if (f->ip_proto == IPPROTO_TCP) {
        f->tp_dst = tcp_dst;
        f->tp_dst_mask = tcp_dst_mask;
    } else if (f->ip_proto == IPPROTO_UDP) {
        f->tp_dst = udp_dst;
        f->tp_dst_mask = udp_dst_mask;
    } else if (tcp_dst_mask || udp_dst_mask) {
        why = why ? why : "Only UDP and TCP transports are supported for L4 "
                          "matching";
    }
    if (f->tcp_flags_mask && f->ip_proto != IPPROTO_TCP) {
        f->tcp_flags_mask = 0;      /* Not a TCP rule: ignored. */
    }
    if (prio > 16 && !model.ignore_flow_level) {
        return "Requested priority is out of supported range";
    }
    if (!acts) {
        return why ? why : "no actions";
    }
    NL_NESTED_FOR_EACH (a, left, acts) {
        const struct nlattr *kind = nl_attr_find_nested(a, TCA_ACT_KIND);
        const struct nlattr *o = nl_attr_find_nested(a, TCA_ACT_OPTIONS);
        const struct nlattr *cookie = nl_attr_find_nested(a,
                                                          TCA_ACT_COOKIE);
        const char *k = kind ? nl_attr_get_string(kind) : "";

        if (nl_attr_type(a) == 1 && cookie
            && nl_attr_get_size(cookie) <= sizeof f->cookie) {
            f->cookie_len = nl_attr_get_size(cookie);
            memcpy(f->cookie, nl_attr_get(cookie), f->cookie_len);
        }
        if (why || !o) {
            why = why ? why : "action without options";
        } else if (!strcmp(k, "pedit")) {
            why = mlx5e_pedit(o, &modify_addr);
            pedit = true;
        } else if (!strcmp(k, "csum")) {
            const struct nlattr *p = nl_attr_find_nested(o, TCA_CSUM_PARMS);
            const struct tc_csum *c = p ? nl_attr_get(p) : NULL;

            if (!c || c->update_flags & ~(TCA_CSUM_UPDATE_FLAG_IPV4HDR
                                          | TCA_CSUM_UPDATE_FLAG_TCP
                                          | TCA_CSUM_UPDATE_FLAG_UDP)) {
                why = "can't offload TC csum action for some header/s";
            } else if (!pedit) {
                why = "TC csum action is only offloaded with pedit action";
            }
        } else if (!strcmp(k, "mirred")) {
            const struct nlattr *p = nl_attr_find_nested(o,
                                                         TCA_MIRRED_PARMS);
            const struct tc_mirred *m = p ? nl_attr_get(p) : NULL;
            const struct model_port *out = m ? model_port(m->ifindex) : NULL;

            if (!m || m->eaction != TCA_EGRESS_REDIR) {
                why = "unsupported mirred action";
            } else if (!out || !out->eswitch) {
                why = "devices are not on same switch HW, can't offload "
                      "forwarding";
            }
        } else if (!strcmp(k, "gact")) {
            const struct nlattr *p = nl_attr_find_nested(o, TCA_GACT_PARMS);
            const struct tc_gact *g = p ? nl_attr_get(p) : NULL;

            f->pass = g && g->action == TC_ACT_OK;
            why = f->pass ? NULL : "unsupported gact action";
        } else {
            why = "unsupported action";
        }
    }
    if (!why && modify_addr && f->ip_proto != IPPROTO_TCP
        && f->ip_proto != IPPROTO_UDP && f->ip_proto != IPPROTO_ICMP) {
        why = "can't offload re-write of non TCP/UDP";
    }
    return why;
}

static void
put_filter_msg(struct ofpbuf *b, const struct model_filter *f, int type)
{
    struct gnet_stats_basic basic = { .bytes = f->n_bytes,
                                      .packets = f->n_packets };
    size_t opts, acts, act, stats;
    struct tcmsg *tc;

    nl_msg_put_nlmsghdr(b, sizeof *tc, type, 0);
    tc = ofpbuf_put_zeros(b, sizeof *tc);
    tc->tcm_family = AF_UNSPEC;
    tc->tcm_ifindex = f->ifindex;
    tc->tcm_parent = TC_INGRESS_PARENT;
    tc->tcm_info = tc_make_handle(f->prio, f->protocol);
    tc->tcm_handle = f->handle;
    nl_msg_put_string(b, TCA_KIND, "flower");
    nl_msg_put_u32(b, TCA_CHAIN, 0);
    opts = nl_msg_start_nested(b, TCA_OPTIONS);
    nl_msg_put_u32(b, TCA_FLOWER_FLAGS, f->flags);
    acts = nl_msg_start_nested(b, TCA_FLOWER_ACT);
    act = nl_msg_start_nested(b, 1);
    nl_msg_put_string(b, TCA_ACT_KIND, f->pass ? "gact" : "pedit");
    if (f->cookie_len) {
        nl_msg_put_unspec(b, TCA_ACT_COOKIE, f->cookie, f->cookie_len);
    }
    stats = nl_msg_start_nested(b, TCA_ACT_STATS);
    nl_msg_put_unspec(b, TCA_STATS_BASIC, &basic, sizeof basic);
    nl_msg_end_nested(b, stats);
    nl_msg_end_nested(b, act);
    nl_msg_end_nested(b, acts);
    nl_msg_end_nested(b, opts);
    nl_msg_nlmsghdr(b)->nlmsg_len = b->size;
}

static int
model_new_filter(const struct tcmsg *tc, struct nlattr **ta,
                 struct ofpbuf **replyp, char **extack)
{
    const struct model_port *port = model_port(tc->tcm_ifindex);
    struct model_filter f;
    const char *why;

    if (!port) {
        return ENODEV;
    }
    if (model.n_filters >= MAX_MODEL_FILTERS) {
        return ENOSPC;
    }
    memset(&f, 0, sizeof f);
    f.ifindex = tc->tcm_ifindex;
    f.prio = tc_get_major(tc->tcm_info);
    f.protocol = tc_get_minor(tc->tcm_info);
    for (size_t i = 0; i < model.n_filters; i++) {
        const struct model_filter *g = &model.filters[i];

        if (g->ifindex == f.ifindex && g->prio == f.prio
            && g->protocol != f.protocol) {
            *extack = xstrdup("Filter with specified priority/protocol "
                              "not found");
            return EINVAL;
        }
    }
    why = mlx5e_check(ta[TCA_OPTIONS], f.prio, &f);
    if (!port->eswitch) {
        why = "Block doesn't support offloads";
    } else if (why) {
        snprintf(model.last_refusal, sizeof model.last_refusal, "%s", why);
    }
    if (f.flags & TCA_CLS_FLAGS_SKIP_HW) {
        f.flags |= TCA_CLS_FLAGS_NOT_IN_HW;
    } else if (why) {
        if (f.flags & TCA_CLS_FLAGS_SKIP_SW) {
            *extack = xasprintf("mlx5_core: %s", why);
            return EOPNOTSUPP;
        }
        /* In software tc only, silently, as the kernel does. */
        model.n_hw_refusals += port->eswitch;
        f.flags |= TCA_CLS_FLAGS_NOT_IN_HW;
    } else {
        f.flags |= TCA_CLS_FLAGS_IN_HW;
    }
    f.handle = model.next_handle++;
    model.filters[model.n_filters++] = f;
    if (replyp) {
        *replyp = ofpbuf_new(512);
        put_filter_msg(*replyp, &f, RTM_NEWTFILTER);
    }
    return 0;
}

/* Deletes one filter, or with handle 0 all of a priority (protocol 0:
 * any), as the kernel does. */
static int
model_del_filter(const struct tcmsg *tc)
{
    uint16_t prio = tc_get_major(tc->tcm_info);
    uint16_t protocol = tc_get_minor(tc->tcm_info);
    bool deleted = false;
    size_t i = 0;

    while (i < model.n_filters) {
        const struct model_filter *f = &model.filters[i];

        if (f->ifindex == tc->tcm_ifindex && f->prio == prio
            && (f->protocol == protocol || (!protocol && !tc->tcm_handle))
            && (f->handle == tc->tcm_handle || !tc->tcm_handle)) {
            model.filters[i] = model.filters[--model.n_filters];
            deleted = true;
        } else {
            i++;
        }
    }
    return deleted ? 0 : ENOENT;
}

static int
model_transact(struct ofpbuf *request, struct ofpbuf **replyp,
               char **extack)
{
    static const struct nl_policy policy[] = {
        [TCA_KIND] = { .type = NL_A_STRING, .optional = true },
        [TCA_OPTIONS] = { .type = NL_A_NESTED, .optional = true },
    };
    struct nlattr *ta[ARRAY_SIZE(policy)];
    const struct nlmsghdr *nlmsg = nl_msg_nlmsghdr(request);
    const struct tcmsg *tc = ofpbuf_at(request, NLMSG_HDRLEN, sizeof *tc);
    int error = EOPNOTSUPP;

    if (replyp) {
        *replyp = NULL;
    }
    if (!tc || !nl_policy_parse(request, NLMSG_HDRLEN + sizeof *tc, policy,
                                ta, ARRAY_SIZE(ta))) {
        error = EINVAL;
    } else if (nlmsg->nlmsg_type == RTM_NEWQDISC) {
        error = model_port(tc->tcm_ifindex) ? 0 : ENODEV;
    } else if (nlmsg->nlmsg_type == RTM_NEWTFILTER) {
        error = (ta[TCA_OPTIONS] && ta[TCA_KIND]
                 && !strcmp(nl_attr_get_string(ta[TCA_KIND]), "flower")
                 ? model_new_filter(tc, ta, replyp, extack) : EINVAL);
    } else if (nlmsg->nlmsg_type == RTM_DELTFILTER) {
        error = model_del_filter(tc);
    }
    ofpbuf_uninit(request);
    return error;
}

static int
model_dump(struct ofpbuf *request,
           void (*cb)(const struct ofpbuf *msg, void *aux), void *aux)
{
    const struct tcmsg *tc = ofpbuf_at(request, NLMSG_HDRLEN, sizeof *tc);
    const struct nlattr *a;
    bool terse = false;
    size_t left;

    ovs_assert(tc && nl_msg_nlmsghdr(request)->nlmsg_type == RTM_GETTFILTER);
    NL_ATTR_FOR_EACH (a, left, ofpbuf_at(request, NLMSG_HDRLEN + sizeof *tc,
                                         0),
                      request->size - NLMSG_HDRLEN - sizeof *tc) {
        if (nl_attr_type(a) == TCA_DUMP_FLAGS) {
            terse = true;
        }
    }
    model.n_dumps++;
    model.n_terse_dumps += terse;
    for (size_t i = 0; i < model.n_filters; i++) {
        if (model.filters[i].ifindex == tc->tcm_ifindex) {
            struct ofpbuf b;

            ofpbuf_init(&b, 512);
            put_filter_msg(&b, &model.filters[i], RTM_NEWTFILTER);
            cb(&b, aux);
            ofpbuf_uninit(&b);
        }
    }
    ofpbuf_uninit(request);
    return model_port(tc->tcm_ifindex) ? 0 : ENODEV;
}

static const struct dpfip_tc_kernel model_kernel = {
    .transact = model_transact,
    .dump = model_dump,
};

/* Specs. */

/* An IPv4 (mapped) or IPv6 address. */
static struct in6_addr
ip(const char *s)
{
    struct in6_addr a;
    ovs_be32 ip4;

    if (ip_parse(s, &ip4)) {
        return in6_addr_mapped_ipv4(ip4);
    }
    ovs_assert(ipv6_parse(s, &a));
    return a;
}

/* One direction of a FIP between uplink 10 and VM port 11 ('vm_port'). */
static struct dpfip_offload_rule_spec
make_spec(enum dpfip_direction dir, bool is_ipv4, int n,
          enum dpfip_offload_policy policy, int vm_port)
{
    static const struct family {
        const char *floating, *fixed, *internal;
        int internal_plen;
    } families[2] = {
        { "203.0.113.%d", "10.0.0.%d", "10.0.0.0", 24 },
        { "2001:db8:f::%d", "fd00::%d", "fd00::", 64 },
    };
    const struct family *f = &families[!is_ipv4];
    struct dpfip_offload_rule_spec s;
    char addr[64];

    memset(&s, 0, sizeof s);
    s.direction = dir;
    s.is_ipv4 = is_ipv4;
    snprintf(addr, sizeof addr, f->floating, 10 + n);
    s.floating = ip(addr);
    snprintf(addr, sizeof addr, f->fixed, 5 + n);
    s.fixed = ip(addr);
    s.internal = ip(f->internal);
    s.internal_plen = f->internal_plen;
    s.has_internal = true;
    ovs_assert(eth_addr_from_string("02:00:00:00:00:05", &s.vm_mac));
    ovs_assert(eth_addr_from_string("02:00:00:00:00:01", &s.router_mac));
    ovs_assert(eth_addr_from_string("02:fe:00:00:00:00", &s.ext_mac));
    ovs_assert(eth_addr_from_string("02:00:00:00:00:fe", &s.gw_mac));
    s.in_port = dir == DPFIP_DNAT ? 10 : vm_port;
    s.out_port = dir == DPFIP_DNAT ? vm_port : 10;
    s.policy = policy;
    return s;
}

static const struct dpfip_offload_class *tc = &dpfip_offload_tc_class;

static void
remove_rule(struct dpfip_offload_rule *rule)
{
    char *error = NULL;

    CHECK(!tc->remove(rule, &error), "remove: %s", error);
    free(error);
}

/* The tests. */

/* Every rule shape the provider makes, IPv4 and IPv6, both directions,
 * with skip_sw on a ConnectX without ignore_flow_level: all must be
 * taken by the hardware. */
static void
test_mlx5e_accepts(void)
{
    model_reset(false);
    dpfip_offload_tc_set_kernel(&model_kernel);
    for (int fam = 0; fam < 2; fam++) {
        for (int d = 0; d < 2; d++) {
            enum dpfip_direction dir = d ? DPFIP_SNAT : DPFIP_DNAT;
            struct dpfip_offload_rule_spec s = make_spec(
                dir, !fam, 0, DPFIP_OFFLOAD_POLICY_SKIP_SW, 11);
            struct dpfip_offload_rule *rule = NULL;
            char *error = NULL;
            int err;

            err = tc->install(&s, &rule, &error);
            CHECK(!err, "%s %s with skip_sw: %s (mlx5e: %s)",
                  fam ? "IPv6" : "IPv4", d ? "SNAT" : "DNAT",
                  error ? error : "", model.last_refusal);
            free(error);
            if (err) {
                continue;
            }
            CHECK(tc->in_hw(rule), "rule in_hw");
            remove_rule(rule);
        }
    }
    CHECK(!model.n_hw_refusals, "mlx5e refused %d filters, last: %s",
          model.n_hw_refusals, model.last_refusal);
    CHECK(!model.n_filters, "%"PRIuSIZE" filters left", model.n_filters);
    dpfip_offload_tc_set_kernel(NULL);
}

/* The shapes: per family the rewrite protocols mlx5e takes, all with the
 * cookie, pass rules before rewrite rules, priorities in the range the
 * hardware takes. */
static void
test_shapes(bool ignore_flow_level)
{
    struct dpfip_offload_rule *dnat4, *snat4, *dnat6;
    struct dpfip_offload_rule_spec s;
    int rewrite_protos[2][256];
    uint16_t lo = ignore_flow_level ? DPFIP_TC_PRIO_MIN
                                    : DPFIP_TC_PRIO_LOW_MIN;
    uint16_t hi = ignore_flow_level ? DPFIP_TC_PRIO_MAX
                                    : DPFIP_TC_PRIO_LOW_MAX;
    char *error = NULL;
    int n_pass = 0;

    model_reset(ignore_flow_level);
    dpfip_offload_tc_set_kernel(&model_kernel);
    s = make_spec(DPFIP_DNAT, true, 0, DPFIP_OFFLOAD_POLICY_NONE, 11);
    CHECK(!tc->install(&s, &dnat4, &error), "%s", error);
    s = make_spec(DPFIP_SNAT, true, 0, DPFIP_OFFLOAD_POLICY_NONE, 11);
    CHECK(!tc->install(&s, &snat4, &error), "%s", error);
    s = make_spec(DPFIP_DNAT, false, 0, DPFIP_OFFLOAD_POLICY_NONE, 11);
    CHECK(!tc->install(&s, &dnat6, &error), "%s", error);
    free(error);

    memset(rewrite_protos, 0, sizeof rewrite_protos);
    for (size_t i = 0; i < model.n_filters; i++) {
        const struct model_filter *f = &model.filters[i];
        bool v6 = f->protocol == (OVS_FORCE uint16_t) htons(ETH_TYPE_IPV6);

        CHECK(f->prio >= lo && f->prio <= hi, "prio %d not in %d..%d",
              f->prio, lo, hi);
        CHECK(f->flags & TCA_CLS_FLAGS_IN_HW, "filter prio %d not in_hw",
              f->prio);
        CHECK(f->cookie_len == 8 && !memcmp(f->cookie, "dpfip", 5),
              "filter prio %d without dpfip's cookie", f->prio);
        if (f->pass) {
            n_pass++;
        } else {
            rewrite_protos[v6][f->ip_proto]++;
        }
    }
    /* DNAT4 and SNAT4 (uplink and VM port), DNAT6.  mlx5e would rewrite
     * ICMP too, but not an error's quote: ICMP stays in software. */
    CHECK(rewrite_protos[0][IPPROTO_TCP] == 2
          && rewrite_protos[0][IPPROTO_UDP] == 2
          && !rewrite_protos[0][IPPROTO_ICMP],
          "IPv4 rewrite filters tcp %d udp %d icmp %d",
          rewrite_protos[0][IPPROTO_TCP], rewrite_protos[0][IPPROTO_UDP],
          rewrite_protos[0][IPPROTO_ICMP]);
    CHECK(rewrite_protos[1][IPPROTO_TCP] == 1
          && rewrite_protos[1][IPPROTO_UDP] == 1
          && !rewrite_protos[1][IPPROTO_ICMPV6],
          "IPv6 rewrite filters tcp %d udp %d icmpv6 %d",
          rewrite_protos[1][IPPROTO_TCP], rewrite_protos[1][IPPROTO_UDP],
          rewrite_protos[1][IPPROTO_ICMPV6]);
    /* TTL for each; the internal prefix for SNAT. */
    CHECK(n_pass == 4, "%d pass filters", n_pass);
    CHECK(!model.n_hw_refusals, "mlx5e refused %d filters, last: %s",
          model.n_hw_refusals, model.last_refusal);

    remove_rule(dnat4);
    remove_rule(snat4);
    remove_rule(dnat6);
    CHECK(!model.n_filters, "%"PRIuSIZE" filters left", model.n_filters);
    dpfip_offload_tc_set_kernel(NULL);
}

/* Allow-lists: a rewrite filter per entry and protocol, with the entry's
 * destination port under its mask, its TCP flag and its remote prefix as
 * keys mlx5e takes, all in hardware, and the pass rules as without a
 * list.  What no filter matches reaches software, which applies the
 * list. */
static void
test_allow_lists(void)
{
    struct dpfip_offload_allow allows[] = {
        { .ip_proto = IPPROTO_TCP, .tcp_flags = TCP_ACK },
        { .ip_proto = IPPROTO_TCP, .tcp_flags = TCP_RST },
        { .ip_proto = IPPROTO_UDP, .port = 5000, .port_mask = 0xffff },
        { .ip_proto = IPPROTO_TCP, .port = 1024, .port_mask = 0xfc00 },
        { .ip_proto = 0, .remote = { ip("198.51.100.0"), 24 } },
    };
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *rule = NULL;
    int ack = 0, rst = 0, udp5000 = 0, range = 0, prefix = 0, other = 0;
    int n_rewrite = 0, n_pass = 0;
    char *error = NULL;

    model_reset(false);
    dpfip_offload_tc_set_kernel(&model_kernel);
    s = make_spec(DPFIP_DNAT, true, 0, DPFIP_OFFLOAD_POLICY_SKIP_SW, 11);
    s.allows = allows;
    s.n_allows = ARRAY_SIZE(allows);
    CHECK(!tc->install(&s, &rule, &error), "install: %s (mlx5e: %s)",
          error ? error : "", model.last_refusal);
    free(error);
    if (!rule) {
        dpfip_offload_tc_set_kernel(NULL);
        return;
    }
    CHECK(tc->in_hw(rule), "an allow-list rule not in_hw");
    for (size_t i = 0; i < model.n_filters; i++) {
        const struct model_filter *f = &model.filters[i];

        if (f->pass) {
            n_pass++;
            continue;
        }
        n_rewrite++;
        if (f->ip_proto == IPPROTO_TCP && f->tcp_flags_mask == TCP_ACK
            && f->tcp_flags == TCP_ACK && !f->tp_dst_mask) {
            ack++;
        } else if (f->ip_proto == IPPROTO_TCP && f->tcp_flags_mask == TCP_RST
                   && f->tcp_flags == TCP_RST && !f->tp_dst_mask) {
            rst++;
        } else if (f->ip_proto == IPPROTO_UDP && f->tp_dst == 5000
                   && f->tp_dst_mask == 0xffff && !f->ipv4_src_mask) {
            udp5000++;
        } else if (f->ip_proto == IPPROTO_TCP && f->tp_dst == 1024
                   && f->tp_dst_mask == 0xfc00 && !f->tcp_flags_mask) {
            range++;
        } else if (f->ipv4_src == 0xc6336400 && f->ipv4_src_mask == 0xffffff00
                   && !f->tp_dst_mask && !f->tcp_flags_mask) {
            prefix++;           /* 198.51.100.0/24, TCP and UDP. */
        } else {
            other++;
        }
    }
    CHECK(ack == 1 && rst == 1 && udp5000 == 1 && range == 1 && prefix == 2
          && !other && n_rewrite == 6,
          "rewrite filters: ack %d rst %d udp:5000 %d tcp:1024/0xfc00 %d "
          "@198.51.100.0/24 %d other %d (of %d)", ack, rst, udp5000, range,
          prefix, other, n_rewrite);
    CHECK(n_pass == 1, "%d pass filters (TTL)", n_pass);
    CHECK(!model.n_hw_refusals, "mlx5e refused %d filters, last: %s",
          model.n_hw_refusals, model.last_refusal);
    remove_rule(rule);
    CHECK(!model.n_filters, "%"PRIuSIZE" filters left", model.n_filters);
    dpfip_offload_tc_set_kernel(NULL);
}

/* A port without tc hardware (a veth) keeps the high range, in software
 * tc, and the hardware's refusal of an unsupported output comes back with
 * mlx5e's message, as a permanent error. */
static void
test_software_and_refusal(void)
{
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *rule;
    char *error = NULL;
    int err;

    model_reset(false);
    dpfip_offload_tc_set_kernel(&model_kernel);
    s = make_spec(DPFIP_SNAT, true, 0, DPFIP_OFFLOAD_POLICY_NONE, 12);
    CHECK(!tc->install(&s, &rule, &error), "%s", error);
    if (rule) {
        CHECK(!tc->in_hw(rule), "a veth rule in_hw");
        for (size_t i = 0; i < model.n_filters; i++) {
            CHECK(model.filters[i].prio >= DPFIP_TC_PRIO_MIN,
                  "veth filter at prio %d", model.filters[i].prio);
        }
        remove_rule(rule);
    }

    /* DNAT from the eSwitch uplink to the veth, skip_sw. */
    s = make_spec(DPFIP_DNAT, true, 1, DPFIP_OFFLOAD_POLICY_SKIP_SW, 12);
    err = tc->install(&s, &rule, &error);
    CHECK(err == EOPNOTSUPP, "install to a foreign port: %s",
          ovs_strerror(err));
    CHECK(error && strstr(error, "not on same switch HW"),
          "reason without the driver's message: %s", error ? error : "");
    CHECK(!dpfip_offload_error_is_transient(err), "refusal is transient");
    CHECK(!model.n_filters, "%"PRIuSIZE" filters left after a refusal",
          model.n_filters);
    free(error);
    dpfip_offload_tc_set_kernel(NULL);
}

/* Counters: the rewrite filters' counters summed per rule, one terse
 * dump per port whatever the number of rules, and a rewrite filter gone
 * from the port means the rule is gone. */
static void
test_stats(void)
{
    struct dpfip_offload_rule *rules[4];
    struct dpfip_offload_stats st;
    long long int deadline;
    char *error = NULL;
    int err, dumps;

    model_reset(true);
    dpfip_offload_tc_set_kernel(&model_kernel);
    for (int i = 0; i < 4; i++) {
        struct dpfip_offload_rule_spec s = make_spec(
            i % 2 ? DPFIP_SNAT : DPFIP_DNAT, true, i / 2,
            DPFIP_OFFLOAD_POLICY_NONE, 11);

        CHECK(!tc->install(&s, &rules[i], &error), "%s", error);
    }
    /* Hits on every rewrite filter: 10 packets of 100 bytes each. */
    for (size_t i = 0; i < model.n_filters; i++) {
        if (!model.filters[i].pass) {
            model.filters[i].n_packets = 10;
            model.filters[i].n_bytes = 1000;
        }
    }
    dumps = model.n_dumps;
    for (int i = 0; i < 4; i++) {
        CHECK(!tc->stats(rules[i], &st, &error), "%s", error);
        /* TCP and UDP; plus the Ethernet header per packet. */
        CHECK(st.n_packets == 20, "rule %d: %"PRIu64" packets", i,
              st.n_packets);
        CHECK(st.n_bytes == 2000 + 20 * 14, "rule %d: %"PRIu64" bytes", i,
              st.n_bytes);
    }
    CHECK(model.n_dumps - dumps == 2 && model.n_terse_dumps == 2,
          "%d dumps (%d terse) for 4 rules on 2 ports",
          model.n_dumps - dumps, model.n_terse_dumps);

    /* A rewrite filter of rule 0 (on the uplink) disappears: the next
     * dump, at most a second later, says the rule is gone. */
    for (size_t i = 0; i < model.n_filters; i++) {
        if (!model.filters[i].pass && model.filters[i].ifindex == 10) {
            model.filters[i] = model.filters[--model.n_filters];
            break;
        }
    }
    deadline = time_msec() + 5000;
    do {
        free(error);
        error = NULL;
        err = tc->stats(rules[0], &st, &error);
        if (!err) {
            xnanosleep(10 * 1000 * 1000);
        }
    } while (!err && time_msec() < deadline);
    CHECK(err == ENOENT, "lost filter: %s", ovs_strerror(err));
    free(error);
    for (int i = 0; i < 4; i++) {
        remove_rule(rules[i]);
    }
    CHECK(!model.n_filters, "%"PRIuSIZE" filters left", model.n_filters);
    dpfip_offload_tc_set_kernel(NULL);
}

/* After a restart: dpfip's filters go (with its cookie, or anywhere in
 * its high range), filters of others stay. */
static void
test_reconcile(void)
{
    static const struct model_filter left[] = {
        /* OVS's own, at a low priority. */
        { .ifindex = 11, .prio = 10, .protocol = 0x0008, .handle = 100 },
        /* dpfip's in the low range, with its cookie. */
        { .ifindex = 11, .prio = 12, .protocol = 0x0008, .handle = 101,
          .cookie_len = 8, .cookie = { 'd', 'p', 'f', 'i', 'p', 0, 0, 1 } },
        /* An older dpfip's, without a cookie. */
        { .ifindex = 11, .prio = 0xc001, .protocol = 0x0008, .handle = 102 },
    };
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *rule;
    char *error = NULL;

    model_reset(true);
    dpfip_offload_tc_set_kernel(&model_kernel);
    memcpy(model.filters, left, sizeof left);
    model.n_filters = ARRAY_SIZE(left);
    model.next_handle = 200;

    s = make_spec(DPFIP_SNAT, true, 0, DPFIP_OFFLOAD_POLICY_NONE, 11);
    CHECK(!tc->install(&s, &rule, &error), "%s", error);
    free(error);
    if (rule) {
        remove_rule(rule);
    }
    CHECK(model.n_filters == 1 && model.filters[0].handle == 100,
          "%"PRIuSIZE" filters left, the first with handle %"PRIu32,
          model.n_filters, model.n_filters ? model.filters[0].handle : 0);
    model.n_filters = 0;
    dpfip_offload_tc_set_kernel(NULL);
}

static void
test_dpfip_tc_main(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_mlx5e_accepts();
    test_allow_lists();
    test_shapes(false);
    test_shapes(true);
    test_software_and_refusal();
    test_stats();
    test_reconcile();

    check_exit();
}

OVSTEST_REGISTER("test-dpfip-tc", test_dpfip_tc_main);
