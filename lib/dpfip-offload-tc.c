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

/* dpfip offload provider for the Linux kernel datapath: tc flower rules on
 * the ingress of the uplink (DNAT) and of the VM's port (SNAT).
 *
 * Per spec, in chain 0 of the port's ingress, at priorities of dpfip's own
 * (DPFIP_TC_PRIO_MIN..DPFIP_TC_PRIO_MAX, far above the small numbers that
 * OVS's netdev-offload-tc allocates, see dpfip-offload-provider.h):
 *
 *   - "pass" rules for the exceptions, each matching the rewrite's match
 *     plus the exception, with one gact "pass" action: the packet leaves
 *     tc unchanged and reaches the openvswitch vport's rx handler, i.e.
 *     the software datapath, which handles it exactly as without offload.
 *     DNAT: TTL/hop limit <= 1; IPv6 also hop limit 255 (neighbor
 *     discovery).  SNAT: TTL/hop limit <= 1; destination inside the
 *     internal prefix.
 *   - one rewrite rule: match (see dpfip-offload-provider.h) and "not a
 *     fragment", actions pedit (MACs, the address, TTL/hop limit "add
 *     0xff" in its byte, i.e. minus one), csum (IPv4 header, TCP, UDP;
 *     ICMPv6 for IPv6) and mirred egress redirect to the output port.
 *
 * Exceptions sit one priority above (lower number than) the rewrite rule
 * of their generation, so a packet that matches both is passed.
 * Fragments never match the rewrite rule (act_csum would compute the L4
 * checksum of a first fragment over that fragment alone) and go to
 * software, like everything else that no rule takes.
 *
 * TTL: OVS's lib/tc.c only emits pedit "set" keys, which would need one
 * rule per TTL value; this file builds the whole filter itself with OVS's
 * netlink helpers so that it can use the pedit "add" command.
 *
 * Flags: Open_vSwitch other_config:tc-policy (spec->policy): skip_hw,
 * skip_sw or none (the kernel tries hardware and falls back to software
 * tc).  Whether a rule is in hardware is read back from TCA_FLOWER_FLAGS
 * (in_hw / not_in_hw) at install and at every stats poll. */

#include <config.h>
#include "dpfip-offload-provider.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_csum.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/tc_act/tc_pedit.h>
#include <string.h>
#include "hash.h"
#include "netlink.h"
#include "netlink-socket.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "tc.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(dpfip_offload_tc);

/* Priorities within a generation. */
enum {
    PRIO_IPV4_PASS,
    PRIO_IPV4_NAT,
    PRIO_IPV6_PASS,
    PRIO_IPV6_NAT,
    PRIOS_PER_GENERATION
};
BUILD_ASSERT_DECL(DPFIP_TC_PRIO_MIN + 2 * PRIOS_PER_GENERATION - 1
                  == DPFIP_TC_PRIO_MAX);

/* At most: 3 pass rules and the rewrite rule. */
#define MAX_FILTERS 4

struct tc_filter {
    int ifindex;
    uint16_t prio;
    ovs_be16 protocol;
    uint32_t handle;
    bool in_hw;
};

struct dpfip_offload_rule {
    struct dpfip_offload_rule_spec spec;
    struct tc_filter filters[MAX_FILTERS];
    int n_filters;
    int nat;                        /* Index of the rewrite rule. */
};

/* The match of one filter. */
struct tc_match {
    ovs_be16 eth_type;
    bool match_src_mac;
    struct eth_addr dst_mac;
    struct eth_addr src_mac;
    struct in6_addr dst, dst_mask;  /* IPv4 is IPv4-mapped. */
    struct in6_addr src, src_mask;
    uint8_t ttl, ttl_mask;
    bool not_fragment;
};

/* Ports whose dpfip priorities were flushed by this process. */
struct reconciled_port {
    struct hmap_node node;
    int ifindex;
};
static struct hmap reconciled = HMAP_INITIALIZER(&reconciled);

static uint16_t
prio_of(const struct dpfip_offload_rule_spec *spec, bool nat)
{
    int k = spec->is_ipv4 ? (nat ? PRIO_IPV4_NAT : PRIO_IPV4_PASS)
                          : (nat ? PRIO_IPV6_NAT : PRIO_IPV6_PASS);

    return DPFIP_TC_PRIO_MIN + spec->generation * PRIOS_PER_GENERATION + k;
}

static uint32_t
cls_flags(enum dpfip_offload_policy policy)
{
    return (policy == DPFIP_OFFLOAD_POLICY_SKIP_HW ? TCA_CLS_FLAGS_SKIP_HW
            : policy == DPFIP_OFFLOAD_POLICY_SKIP_SW ? TCA_CLS_FLAGS_SKIP_SW
            : 0);
}

/* Deletes every filter of the priority 'prio' on the ingress of
 * 'ifindex'.  Returns 0 or a positive errno value (ENOENT and EINVAL: no
 * such priority). */
static int
del_prio(int ifindex, uint16_t prio)
{
    struct ofpbuf request;
    struct tcmsg *tcmsg;

    tcmsg = tc_make_request(ifindex, RTM_DELTFILTER, NLM_F_ACK, &request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = tc_make_handle(prio, 0);
    tcmsg->tcm_handle = 0;
    return tc_transact(&request, NULL);
}

/* Removes whatever dpfip rules an earlier ovs-vswitchd left on the ingress
 * of 'ifindex', once per port and process. */
void
dpfip_offload_tc_reconcile(int ifindex)
{
    uint32_t hash = hash_int(ifindex, 0);
    struct reconciled_port *p;
    int n = 0;

    HMAP_FOR_EACH_WITH_HASH (p, node, hash, &reconciled) {
        if (p->ifindex == ifindex) {
            return;
        }
    }
    p = xmalloc(sizeof *p);
    p->ifindex = ifindex;
    hmap_insert(&reconciled, &p->node, hash);

    for (int prio = DPFIP_TC_PRIO_MIN; prio <= DPFIP_TC_PRIO_MAX; prio++) {
        if (!del_prio(ifindex, prio)) {
            n++;
        }
    }
    if (n) {
        VLOG_INFO("ifindex %d: removed stale dpfip tc rules at %d "
                  "priorities", ifindex, n);
    }
}

/* The last 32 bits of 'a': an IPv4-mapped address or a mask of one
 * (which is not IPv4-mapped, so in6_addr_get_mapped_ipv4() would give 0). */
static ovs_be32
low32(const struct in6_addr *a)
{
    ovs_be32 x;

    memcpy(&x, &a->s6_addr[12], sizeof x);
    return x;
}

static void
put_addr(struct ofpbuf *req, bool is_ipv4, int attr4, int attr6,
         const struct in6_addr *addr, const struct in6_addr *mask)
{
    if (is_ipv4) {
        nl_msg_put_be32(req, attr4, low32(addr));
        nl_msg_put_be32(req, attr4 + 1, low32(mask));
    } else {
        nl_msg_put_in6_addr(req, attr6, addr);
        nl_msg_put_in6_addr(req, attr6 + 1, mask);
    }
}

static void
put_match(struct ofpbuf *req, const struct tc_match *m, bool is_ipv4)
{
    nl_msg_put_be16(req, TCA_FLOWER_KEY_ETH_TYPE, m->eth_type);
    nl_msg_put_unspec(req, TCA_FLOWER_KEY_ETH_DST, &m->dst_mac,
                      ETH_ADDR_LEN);
    nl_msg_put_unspec(req, TCA_FLOWER_KEY_ETH_DST_MASK, &eth_addr_exact,
                      ETH_ADDR_LEN);
    if (m->match_src_mac) {
        nl_msg_put_unspec(req, TCA_FLOWER_KEY_ETH_SRC, &m->src_mac,
                          ETH_ADDR_LEN);
        nl_msg_put_unspec(req, TCA_FLOWER_KEY_ETH_SRC_MASK, &eth_addr_exact,
                          ETH_ADDR_LEN);
    }
    if (!ipv6_mask_is_any(&m->dst_mask)) {
        put_addr(req, is_ipv4, TCA_FLOWER_KEY_IPV4_DST,
                 TCA_FLOWER_KEY_IPV6_DST, &m->dst, &m->dst_mask);
    }
    if (!ipv6_mask_is_any(&m->src_mask)) {
        put_addr(req, is_ipv4, TCA_FLOWER_KEY_IPV4_SRC,
                 TCA_FLOWER_KEY_IPV6_SRC, &m->src, &m->src_mask);
    }
    if (m->ttl_mask) {
        nl_msg_put_u8(req, TCA_FLOWER_KEY_IP_TTL, m->ttl);
        nl_msg_put_u8(req, TCA_FLOWER_KEY_IP_TTL_MASK, m->ttl_mask);
    }
    if (m->not_fragment) {
        nl_msg_put_be32(req, TCA_FLOWER_KEY_FLAGS, htonl(0));
        nl_msg_put_be32(req, TCA_FLOWER_KEY_FLAGS_MASK,
                        htonl(TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT));
    }
}

/* pedit keys, at most: 3 (MACs) + 4 (IPv6 address) + 1 (TTL). */
#define MAX_PEDIT_KEYS 8

struct pedit {
    struct tc_pedit sel;
    struct tc_pedit_key keys[MAX_PEDIT_KEYS];
    struct {
        uint16_t htype;             /* enum pedit_header_type. */
        uint16_t cmd;               /* enum pedit_cmd. */
    } keys_ex[MAX_PEDIT_KEYS];
};

static void
pedit_add(struct pedit *p, enum pedit_header_type htype,
          enum pedit_cmd cmd, int off, ovs_be32 val, ovs_be32 keep)
{
    int i = p->sel.nkeys++;

    ovs_assert(i < MAX_PEDIT_KEYS);
    p->keys[i].off = off;
    p->keys[i].val = (OVS_FORCE uint32_t) val;
    p->keys[i].mask = (OVS_FORCE uint32_t) keep;
    p->keys_ex[i].htype = htype;
    p->keys_ex[i].cmd = cmd;
}

/* Sets the 4-byte words of 'data' at 'off' (a multiple of 4). */
static void
pedit_set_words(struct pedit *p, enum pedit_header_type htype, int off,
                const void *data, size_t n_words)
{
    for (size_t i = 0; i < n_words; i++) {
        pedit_add(p, htype, TCA_PEDIT_KEY_EX_CMD_SET, off + 4 * i,
                  get_unaligned_be32(ALIGNED_CAST(const ovs_be32 *,
                                                  (const uint8_t *) data
                                                  + 4 * i)),
                  htonl(0));
    }
}

static void
put_act_pedit(struct ofpbuf *req, const struct dpfip_offload_rule_spec *spec)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    const struct eth_addr *new_dst = dnat ? &spec->vm_mac : &spec->gw_mac;
    const struct eth_addr *new_src = dnat ? &spec->router_mac
                                          : &spec->ext_mac;
    const struct in6_addr *addr = dnat ? &spec->fixed : &spec->floating;
    struct pedit p;
    uint8_t macs[12];
    size_t offset, keys_ex;

    memset(&p, 0, sizeof p);
    memcpy(macs, new_dst, ETH_ADDR_LEN);
    memcpy(macs + ETH_ADDR_LEN, new_src, ETH_ADDR_LEN);
    pedit_set_words(&p, TCA_PEDIT_KEY_EX_HDR_TYPE_ETH, 0, macs, 3);

    if (spec->is_ipv4) {
        ovs_be32 ip = low32(addr);

        /* dst at 16, src at 12. */
        pedit_set_words(&p, TCA_PEDIT_KEY_EX_HDR_TYPE_IP4, dnat ? 16 : 12,
                        &ip, 1);
        /* TTL: the first byte of the word at 8; "add 0xff" within it. */
        pedit_add(&p, TCA_PEDIT_KEY_EX_HDR_TYPE_IP4, TCA_PEDIT_KEY_EX_CMD_ADD,
                  8, htonl(0xff000000), htonl(0x00ffffff));
    } else {
        /* dst at 24, src at 8. */
        pedit_set_words(&p, TCA_PEDIT_KEY_EX_HDR_TYPE_IP6, dnat ? 24 : 8,
                        addr, 4);
        /* Hop limit: the last byte of the word at 4. */
        pedit_add(&p, TCA_PEDIT_KEY_EX_HDR_TYPE_IP6, TCA_PEDIT_KEY_EX_CMD_ADD,
                  4, htonl(0x000000ff), htonl(0xffffff00));
    }
    p.sel.action = TC_ACT_PIPE;

    nl_msg_put_string(req, TCA_ACT_KIND, "pedit");
    offset = nl_msg_start_nested(req, TCA_ACT_OPTIONS);
    nl_msg_put_unspec(req, TCA_PEDIT_PARMS_EX, &p.sel,
                      sizeof p.sel + p.sel.nkeys * sizeof p.keys[0]);
    keys_ex = nl_msg_start_nested(req, TCA_PEDIT_KEYS_EX);
    for (int i = 0; i < p.sel.nkeys; i++) {
        size_t key = nl_msg_start_nested(req, TCA_PEDIT_KEY_EX);

        nl_msg_put_u16(req, TCA_PEDIT_KEY_EX_HTYPE, p.keys_ex[i].htype);
        nl_msg_put_u16(req, TCA_PEDIT_KEY_EX_CMD, p.keys_ex[i].cmd);
        nl_msg_end_nested(req, key);
    }
    nl_msg_end_nested(req, keys_ex);
    nl_msg_end_nested(req, offset);
}

static void
put_act_csum(struct ofpbuf *req, bool is_ipv4)
{
    struct tc_csum parm = {
        .action = TC_ACT_PIPE,
        .update_flags = (is_ipv4
                         ? (TCA_CSUM_UPDATE_FLAG_IPV4HDR
                            | TCA_CSUM_UPDATE_FLAG_TCP
                            | TCA_CSUM_UPDATE_FLAG_UDP)
                         : (TCA_CSUM_UPDATE_FLAG_TCP
                            | TCA_CSUM_UPDATE_FLAG_UDP
                            | TCA_CSUM_UPDATE_FLAG_ICMP)),
    };
    size_t offset;

    nl_msg_put_string(req, TCA_ACT_KIND, "csum");
    offset = nl_msg_start_nested(req, TCA_ACT_OPTIONS);
    nl_msg_put_unspec(req, TCA_CSUM_PARMS, &parm, sizeof parm);
    nl_msg_end_nested(req, offset);
}

static void
put_act_mirred(struct ofpbuf *req, int ifindex)
{
    struct tc_mirred m = {
        .action = TC_ACT_STOLEN,
        .eaction = TCA_EGRESS_REDIR,
        .ifindex = ifindex,
    };
    size_t offset;

    nl_msg_put_string(req, TCA_ACT_KIND, "mirred");
    offset = nl_msg_start_nested(req, TCA_ACT_OPTIONS);
    nl_msg_put_unspec(req, TCA_MIRRED_PARMS, &m, sizeof m);
    nl_msg_end_nested(req, offset);
}

static void
put_act_pass(struct ofpbuf *req)
{
    struct tc_gact p = { .action = TC_ACT_OK };
    size_t offset;

    nl_msg_put_string(req, TCA_ACT_KIND, "gact");
    offset = nl_msg_start_nested(req, TCA_ACT_OPTIONS);
    nl_msg_put_unspec(req, TCA_GACT_PARMS, &p, sizeof p);
    nl_msg_end_nested(req, offset);
}

static const struct nl_policy tca_policy[] = {
    [TCA_KIND] = { .type = NL_A_STRING, .optional = false, },
    [TCA_OPTIONS] = { .type = NL_A_NESTED, .optional = true, },
};

static const struct nl_policy flower_policy[] = {
    [TCA_FLOWER_FLAGS] = { .type = NL_A_U32, .optional = true, },
    [TCA_FLOWER_ACT] = { .type = NL_A_NESTED, .optional = true, },
};

/* Parses a filter message 'reply' (from an echo or a get): the handle, the
 * in_hw flag, and the counters of the first action if 'stats'. */
static int
parse_filter(struct ofpbuf *reply, struct tc_filter *f,
             struct ovs_flow_stats *stats)
{
    struct nlattr *ta[ARRAY_SIZE(tca_policy)];
    struct nlattr *fa[ARRAY_SIZE(flower_policy)];
    struct tcmsg *tc;

    tc = ofpbuf_at(reply, NLMSG_HDRLEN, sizeof *tc);
    if (!tc || !nl_policy_parse(reply, NLMSG_HDRLEN + sizeof *tc, tca_policy,
                                ta, ARRAY_SIZE(ta))
        || !ta[TCA_OPTIONS]
        || !nl_parse_nested(ta[TCA_OPTIONS], flower_policy, fa,
                            ARRAY_SIZE(fa))) {
        return EPROTO;
    }
    f->handle = tc->tcm_handle;
    if (fa[TCA_FLOWER_FLAGS]) {
        f->in_hw = (nl_attr_get_u32(fa[TCA_FLOWER_FLAGS])
                    & TCA_CLS_FLAGS_IN_HW) != 0;
    }
    if (stats && fa[TCA_FLOWER_ACT]) {
        const struct nlattr *act = nl_attr_find_nested(fa[TCA_FLOWER_ACT], 1);
        struct ovs_flow_stats sw, hw, dropped;

        memset(&sw, 0, sizeof sw);
        memset(&hw, 0, sizeof hw);
        memset(&dropped, 0, sizeof dropped);
        if (!act || tc_parse_action_stats(CONST_CAST(struct nlattr *, act),
                                          &sw, &hw, &dropped)) {
            return EPROTO;
        }
        put_32aligned_u64(&stats->n_packets,
                          get_32aligned_u64(&sw.n_packets)
                          + get_32aligned_u64(&hw.n_packets));
        put_32aligned_u64(&stats->n_bytes,
                          get_32aligned_u64(&sw.n_bytes)
                          + get_32aligned_u64(&hw.n_bytes));
    }
    return 0;
}

/* Adds one flower filter on the ingress of 'ifindex'; 'nat' chooses the
 * rewrite actions, otherwise "pass". */
static int
add_filter(const struct dpfip_offload_rule_spec *spec,
           const struct tc_match *m, bool nat, struct tc_filter *f)
{
    struct ofpbuf request, *reply = NULL;
    struct tcmsg *tcmsg;
    size_t opts, acts, act;
    int error;

    memset(f, 0, sizeof *f);
    f->ifindex = spec->in_port;
    f->prio = prio_of(spec, nat);
    f->protocol = m->eth_type;

    tcmsg = tc_make_request(f->ifindex, RTM_NEWTFILTER,
                            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, &request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = tc_make_handle(f->prio,
                                     (OVS_FORCE uint16_t) f->protocol);
    tcmsg->tcm_handle = 0;
    nl_msg_put_string(&request, TCA_KIND, "flower");
    nl_msg_put_u32(&request, TCA_CHAIN, 0);

    opts = nl_msg_start_nested(&request, TCA_OPTIONS);
    put_match(&request, m, spec->is_ipv4);
    nl_msg_put_u32(&request, TCA_FLOWER_FLAGS, cls_flags(spec->policy));
    acts = nl_msg_start_nested(&request, TCA_FLOWER_ACT);
    if (nat) {
        act = nl_msg_start_nested(&request, 1);
        put_act_pedit(&request, spec);
        nl_msg_end_nested(&request, act);
        act = nl_msg_start_nested(&request, 2);
        put_act_csum(&request, spec->is_ipv4);
        nl_msg_end_nested(&request, act);
        act = nl_msg_start_nested(&request, 3);
        put_act_mirred(&request, spec->out_port);
        nl_msg_end_nested(&request, act);
    } else {
        act = nl_msg_start_nested(&request, 1);
        put_act_pass(&request);
        nl_msg_end_nested(&request, act);
    }
    nl_msg_end_nested(&request, acts);
    nl_msg_end_nested(&request, opts);

    error = tc_transact(&request, &reply);
    if (!error) {
        error = parse_filter(reply, f, NULL);
        ofpbuf_delete(reply);
    }
    return error;
}

static int
del_filter(const struct tc_filter *f)
{
    struct ofpbuf request;
    struct tcmsg *tcmsg;
    int error;

    tcmsg = tc_make_request(f->ifindex, RTM_DELTFILTER, NLM_F_ACK, &request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = tc_make_handle(f->prio,
                                     (OVS_FORCE uint16_t) f->protocol);
    tcmsg->tcm_handle = f->handle;
    nl_msg_put_string(&request, TCA_KIND, "flower");
    nl_msg_put_u32(&request, TCA_CHAIN, 0);
    error = tc_transact(&request, NULL);
    /* Gone with its port, or flushed: nothing left to remove. */
    return error == ENOENT || error == ENODEV || error == EINVAL ? 0 : error;
}

static int
get_filter(struct tc_filter *f, struct ovs_flow_stats *stats)
{
    struct ofpbuf request, *reply = NULL;
    struct tcmsg *tcmsg;
    int error;

    tcmsg = tc_make_request(f->ifindex, RTM_GETTFILTER, NLM_F_ECHO,
                            &request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = tc_make_handle(f->prio,
                                     (OVS_FORCE uint16_t) f->protocol);
    tcmsg->tcm_handle = f->handle;
    nl_msg_put_string(&request, TCA_KIND, "flower");
    nl_msg_put_u32(&request, TCA_CHAIN, 0);
    error = tc_transact(&request, &reply);
    if (!error) {
        error = parse_filter(reply, f, stats);
        ofpbuf_delete(reply);
    }
    return error;
}

static int
dpfip_tc_probe(uint32_t in_port, uint32_t out_port, char **reason)
{
    if (!in_port || !out_port || in_port > INT_MAX || out_port > INT_MAX) {
        *reason = xstrdup("port without an ifindex");
        return EINVAL;
    }
    return 0;
}

static bool
addr_in_prefix(const struct in6_addr *a, const struct in6_addr *prefix,
               int plen, bool is_ipv4)
{
    struct in6_addr mask = ipv6_create_mask(is_ipv4 ? 96 + plen : plen);
    struct in6_addr x = ipv6_addr_bitand(a, &mask);
    struct in6_addr y = ipv6_addr_bitand(prefix, &mask);

    return ipv6_addr_equals(&x, &y);
}

static bool
check_spec(const struct dpfip_offload_rule_spec *spec, char **error)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    int max_plen = spec->is_ipv4 ? 32 : 128;

    if (spec->direction != DPFIP_DNAT && spec->direction != DPFIP_SNAT) {
        *error = xasprintf("bad direction %d", (int) spec->direction);
        return false;
    }
    if (spec->generation > 1) {
        *error = xasprintf("bad generation %u", spec->generation);
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
    if (dnat && eth_addr_equals(spec->ext_mac, spec->router_mac)
        && addr_in_prefix(&spec->floating, &spec->internal,
                          spec->internal_plen, spec->is_ipv4)) {
        *error = xstrdup("floating IP inside the internal prefix with "
                         "external MAC == router MAC: software passes "
                         "its traffic to the bridge");
        return false;
    }
    return true;
}

static struct in6_addr
host_mask(bool is_ipv4)
{
    return is_ipv4 ? ipv6_create_mask(128) : in6addr_exact;
}

static int dpfip_tc_remove(struct dpfip_offload_rule *, char **errorp);

static int
dpfip_tc_install(const struct dpfip_offload_rule_spec *spec,
                 struct dpfip_offload_rule **rulep, char **errorp)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    struct tc_match base, m[MAX_FILTERS];
    bool nat[MAX_FILTERS];
    struct dpfip_offload_rule *rule;
    int n = 0, error;

    *rulep = NULL;
    if (!check_spec(spec, errorp)) {
        return EINVAL;
    }

    memset(&base, 0, sizeof base);
    base.eth_type = htons(spec->is_ipv4 ? ETH_TYPE_IP : ETH_TYPE_IPV6);
    if (dnat) {
        base.dst_mac = spec->ext_mac;
        base.dst = spec->floating;
        base.dst_mask = host_mask(spec->is_ipv4);
    } else {
        base.dst_mac = spec->router_mac;
        base.match_src_mac = true;
        base.src_mac = spec->vm_mac;
        base.src = spec->fixed;
        base.src_mask = host_mask(spec->is_ipv4);
    }

    /* Exceptions first (see the top of this file). */
    m[n] = base;
    m[n].ttl = 0;
    m[n].ttl_mask = 0xfe;           /* TTL 0 or 1. */
    nat[n++] = false;
    if (dnat && !spec->is_ipv4) {
        m[n] = base;
        m[n].ttl = 255;
        m[n].ttl_mask = 0xff;       /* Neighbor discovery. */
        nat[n++] = false;
    }
    if (!dnat && spec->has_internal) {
        struct in6_addr mask = ipv6_create_mask(spec->is_ipv4
                                                ? 96 + spec->internal_plen
                                                : spec->internal_plen);

        m[n] = base;
        m[n].dst = ipv6_addr_bitand(&spec->internal, &mask);
        m[n].dst_mask = mask;
        nat[n++] = false;
    }
    m[n] = base;
    m[n].not_fragment = true;
    nat[n++] = true;

    error = tc_add_del_qdisc(spec->in_port, true, 0, TC_INGRESS);
    if (error && error != EEXIST) {
        *errorp = xasprintf("tc ingress qdisc: %s", ovs_strerror(error));
        return error;
    }
    dpfip_offload_tc_reconcile(spec->in_port);

    rule = xzalloc(sizeof *rule);
    rule->spec = *spec;
    for (int i = 0; i < n; i++) {
        error = add_filter(spec, &m[i], nat[i],
                           &rule->filters[rule->n_filters]);
        if (error) {
            if (error == ENOENT) {
                /* No flower classifier (or one of the actions) in this
                 * kernel, and the module could not be loaded. */
                VLOG_INFO("adding a flower filter on ifindex %d: %s",
                          spec->in_port, ovs_strerror(error));
                *errorp = xstrdup("tc flower unavailable");
            } else {
                *errorp = xasprintf("tc flower refused the rule (%s)",
                                    ovs_strerror(error));
            }
            break;
        }
        if (nat[i]) {
            rule->nat = rule->n_filters;
        }
        rule->n_filters++;
    }
    if (!error && spec->policy == DPFIP_OFFLOAD_POLICY_NONE
        && rule->filters[rule->nat].in_hw) {
        /* A NIC that takes the rewrite rule but not a pass rule would
         * rewrite the exceptions too (e.g. forward TTL 0): keep all of
         * them in software tc then. */
        for (int i = 0; i < rule->n_filters; i++) {
            if (!rule->filters[i].in_hw) {
                struct dpfip_offload_rule_spec sw = *spec;

                VLOG_INFO("ifindex %d: a pass rule is not in hardware, "
                          "installing all rules with skip_hw",
                          spec->in_port);
                dpfip_tc_remove(rule, errorp);
                free(*errorp);
                *errorp = NULL;
                sw.policy = DPFIP_OFFLOAD_POLICY_SKIP_HW;
                return dpfip_tc_install(&sw, rulep, errorp);
            }
        }
    }
    if (error) {
        for (int i = rule->n_filters - 1; i >= 0; i--) {
            del_filter(&rule->filters[i]);
        }
        free(rule);
        return error;
    }
    *rulep = rule;
    return 0;
}

static int
dpfip_tc_remove(struct dpfip_offload_rule *rule, char **errorp)
{
    int error = 0;

    /* The rewrite rule first, so that nothing is rewritten while the
     * exceptions are already gone. */
    for (int i = rule->n_filters - 1; i >= 0; i--) {
        int err = del_filter(&rule->filters[i]);

        if (err && !error) {
            error = err;
            *errorp = xasprintf("deleting flower filter prio %"PRIu16
                                " handle %#"PRIx32" on ifindex %d: %s",
                                rule->filters[i].prio,
                                rule->filters[i].handle,
                                rule->filters[i].ifindex,
                                ovs_strerror(err));
        }
    }
    free(rule);
    return error;
}

static int
dpfip_tc_stats(struct dpfip_offload_rule *rule,
               struct dpfip_offload_stats *stats, char **errorp)
{
    struct tc_filter *f = &rule->filters[rule->nat];
    struct ovs_flow_stats s;
    int error;

    memset(stats, 0, sizeof *stats);
    memset(&s, 0, sizeof s);
    error = get_filter(f, &s);
    if (error) {
        *errorp = xasprintf("flower filter prio %"PRIu16" handle %#"PRIx32
                            " on ifindex %d: %s", f->prio, f->handle,
                            f->ifindex, ovs_strerror(error));
        /* ENODEV: the port is gone, and the FIP will soon be inactive.
         * EINVAL: no ingress qdisc any more (OVS deletes it when it first
         * configures a port's ingress policing). */
        return error == EINVAL ? ENOENT : error;
    }
    /* tc counts from the network header on ingress; the datapath's
     * counters (and so dpfip's) include the Ethernet header. */
    stats->n_packets = get_32aligned_u64(&s.n_packets);
    stats->n_bytes = (get_32aligned_u64(&s.n_bytes)
                      + ETH_HEADER_LEN * stats->n_packets);
    return 0;
}

static void
dpfip_tc_describe(const struct dpfip_offload_rule *rule, struct ds *ds)
{
    const struct tc_filter *nat = &rule->filters[rule->nat];

    ds_put_format(ds, "tc flower, ingress of ifindex %d, prio %"PRIu16
                  " handle %#"PRIx32" (%s) + %d pass rules, to ifindex %"
                  PRIu32, nat->ifindex, nat->prio, nat->handle,
                  nat->in_hw ? "in_hw" : "not_in_hw", rule->n_filters - 1,
                  rule->spec.out_port);
}

static bool
dpfip_tc_in_hw(const struct dpfip_offload_rule *rule)
{
    return rule->filters[rule->nat].in_hw;
}

const struct dpfip_offload_class dpfip_offload_tc_class = {
    .name = "tc",
    .probe = dpfip_tc_probe,
    .install = dpfip_tc_install,
    .remove = dpfip_tc_remove,
    .stats = dpfip_tc_stats,
    .describe = dpfip_tc_describe,
    .in_hw = dpfip_tc_in_hw,
};
