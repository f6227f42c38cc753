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
 * the ingress of the uplink (DNAT) and of the VM's port (SNAT), in the
 * shapes mlx5e offloads (../shared/hardware.md, "tc flower on mlx5e").
 *
 * Per spec, in chain 0 of the port's ingress, at priorities of dpfip's own
 * (see "Priorities" below):
 *
 *   - "pass" rules for the exceptions, each matching the rewrite's match
 *     plus the exception, with one gact "pass" action: the packet leaves
 *     tc unchanged and reaches the openvswitch vport's rx handler, i.e.
 *     the software datapath, which handles it exactly as without offload.
 *     Both directions: TTL/hop limit <= 1.  SNAT: destination inside the
 *     internal prefix.
 *   - one rewrite rule per IP protocol that mlx5e rewrites an address for
 *     (it refuses an address pedit unless the rule matches ip_proto TCP,
 *     UDP or ICMP, and never rewrites ICMPv6) and that needs no more than
 *     the outer header rewritten: TCP and UDP, IPv4 and IPv6 (an ICMP
 *     error quotes the packet it is about, and its quote must be
 *     translated too, RFC 5508).  Each matches the FIP and "not a
 *     fragment"; its actions are pedit (MACs, the address, TTL/hop limit
 *     "add 0xff" in its byte, i.e. minus one), csum with only the flags
 *     mlx5e takes (IPv4 header, and TCP or UDP) and mirred egress
 *     redirect to the output port.
 *   - with an allow-list, one such rewrite rule per entry and protocol
 *     instead, which also matches the entry's destination port under its
 *     mask, its remote prefix and its TCP flag (mlx5e takes ports and TCP
 *     flags under an exact ip_proto TCP or UDP only, which each rewrite
 *     rule has anyway).
 *
 * Everything no rule takes (other protocols, ICMP and ICMPv6, and so IPv6
 * neighbor discovery, fragments: act_csum would compute the L4 checksum
 * of a first fragment over that fragment alone) reaches software.
 * Exceptions sit one priority above (lower number than) the rewrite rules
 * of their generation, so a packet that matches both is passed.
 *
 * Priorities: DPFIP_TC_PRIO_MIN..MAX (0xc000..), far above the small
 * numbers OVS's netdev-offload-tc allocates.  mlx5e takes chain-0
 * priorities above 16 only with the firmware's ignore_flow_level, so the
 * first install on a port asks the hardware with a skip_sw filter that
 * matches nothing; if it refuses there but takes DPFIP_TC_PRIO_LOW_MIN
 * (9..16), that port uses the low range.  A port with no tc hardware
 * (veth) refuses both and keeps the high range, where software tc works.
 *
 * Ownership: the first action of every dpfip filter carries dpfip's
 * cookie, so that the cleanup after a restart removes dpfip's filters
 * and only them (and anything in the high range, which only dpfip uses).
 *
 * Counters: one terse dump (TCA_DUMP_FLAGS_TERSE) of a port's ingress
 * per second at most answers stats() for all of the port's rules; a
 * rewrite filter missing from a dump is gone.
 *
 * TTL: OVS's lib/tc.c only emits pedit "set" keys, which would need one
 * rule per TTL value; this file builds the whole filter itself with OVS's
 * netlink helpers so that it can use the pedit "add" command.
 *
 * Flags: Open_vSwitch other_config:tc-policy (spec->policy): skip_hw,
 * skip_sw or none (the kernel tries hardware and falls back to software
 * tc).  Whether a rule is in hardware is read back from TCA_FLOWER_FLAGS
 * (in_hw / not_in_hw) at install and at every dump.  A refusal comes back
 * with the kernel's extended ack text, shown by dpfip/show. */

#include <config.h>
#include "dpfip-offload-provider.h"
#include "dpfip-offload-tc.h"

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
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(dpfip_offload_tc);

#ifndef TCA_DUMP_FLAGS_TERSE
#define TCA_DUMP_FLAGS_TERSE (1 << 0)
#endif
#ifndef TCA_DUMP_FLAGS
#define TCA_DUMP_FLAGS 15
#endif

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
BUILD_ASSERT_DECL(DPFIP_TC_PRIO_LOW_MIN + 2 * PRIOS_PER_GENERATION - 1
                  == DPFIP_TC_PRIO_LOW_MAX);

/* The protocols with a rewrite rule, per family. */
static const uint8_t ipv4_protos[] = { IPPROTO_TCP, IPPROTO_UDP };
static const uint8_t ipv6_protos[] = { IPPROTO_TCP, IPPROTO_UDP };

/* At most: 2 pass rules (TTL, internal prefix), and a rewrite rule per
 * protocol or, with an allow-list, per entry and protocol. */
#define MAX_PASS 2
#define MAX_REWRITES (ARRAY_SIZE(ipv4_protos) * DPFIP_OFFLOAD_MAX_ALLOWS)

/* On the first action of each of dpfip's filters. */
static const uint8_t dpfip_cookie[8] = { 'd', 'p', 'f', 'i', 'p', 0, 0, 1 };

/* How often a port's counters are dumped at most: mlx5e refreshes them
 * about once a second. */
#define STATS_INTERVAL_MS 1000

/* What this provider knows of one port's ingress. */
struct tc_port {
    struct hmap_node node;          /* In 'tc_ports'. */
    int ifindex;
    bool reconciled;                /* Stale dpfip filters removed. */
    bool probed;                    /* 'prio_base' asked of hardware. */
    uint16_t prio_base;             /* DPFIP_TC_PRIO_MIN or _LOW_MIN. */
    struct hmap filters;            /* Installed "struct tc_filter"s. */
    uint64_t dump_seq;              /* Counter dumps so far. */
    long long int dumped_at;        /* time_msec() of the last one. */
    int dump_error;                 /* Its result. */
};

static struct hmap tc_ports = HMAP_INITIALIZER(&tc_ports);

struct tc_filter {
    struct hmap_node node;          /* In its port's 'filters'. */
    struct tc_port *port;
    uint16_t prio;
    ovs_be16 protocol;
    uint32_t handle;
    uint8_t ip_proto;               /* Rewrite rules only. */
    bool in_hw;
    uint64_t dump_seq;              /* The port's dump that last had it. */
    uint64_t n_packets;             /* Of its first action, then. */
    uint64_t n_bytes;
};

struct dpfip_offload_rule {
    struct dpfip_offload_rule_spec spec;
    struct tc_filter *filters;      /* Pass rules first; never moves (the
                                     * port's 'filters' point into it). */
    int n_filters;
    int n_pass;
};

/* The match of one filter. */
struct tc_match {
    ovs_be16 eth_type;
    bool match_src_mac;
    struct eth_addr dst_mac;
    struct eth_addr src_mac;
    struct in6_addr dst, dst_mask;  /* IPv4 is IPv4-mapped. */
    struct in6_addr src, src_mask;
    uint8_t ip_proto;               /* 0: any. */
    uint8_t ttl, ttl_mask;
    bool not_fragment;
    ovs_be16 tp_dst, tp_dst_mask;   /* TCP or UDP, as 'ip_proto'. */
    ovs_be16 tcp_flags, tcp_flags_mask;
};

/* One filter of a dump or an echo. */
struct filter_msg {
    uint16_t prio;
    ovs_be16 protocol;
    uint32_t handle;
    bool in_hw;
    bool ours;                      /* Its first action has our cookie. */
    bool has_stats;
    uint64_t n_packets;
    uint64_t n_bytes;
};

static const struct dpfip_tc_kernel linux_kernel;
static const struct dpfip_tc_kernel *kernel = &linux_kernel;

static uint32_t
hash_filter(uint16_t prio, ovs_be16 protocol, uint32_t handle)
{
    return hash_3words(prio, (OVS_FORCE uint32_t) protocol, handle);
}

static struct tc_filter *
find_filter(const struct tc_port *port, uint16_t prio, ovs_be16 protocol,
            uint32_t handle)
{
    struct tc_filter *f;

    HMAP_FOR_EACH_WITH_HASH (f, node, hash_filter(prio, protocol, handle),
                             &port->filters) {
        if (f->prio == prio && f->protocol == protocol
            && f->handle == handle) {
            return f;
        }
    }
    return NULL;
}

static struct tc_port *
port_get(int ifindex)
{
    uint32_t hash = hash_int(ifindex, 0);
    struct tc_port *port;

    HMAP_FOR_EACH_WITH_HASH (port, node, hash, &tc_ports) {
        if (port->ifindex == ifindex) {
            return port;
        }
    }
    port = xzalloc(sizeof *port);
    port->ifindex = ifindex;
    port->prio_base = DPFIP_TC_PRIO_MIN;
    hmap_init(&port->filters);
    hmap_insert(&tc_ports, &port->node, hash);
    return port;
}

void
dpfip_offload_tc_set_kernel(const struct dpfip_tc_kernel *k)
{
    struct tc_port *port;

    HMAP_FOR_EACH_POP (port, node, &tc_ports) {
        ovs_assert(hmap_is_empty(&port->filters));
        hmap_destroy(&port->filters);
        free(port);
    }
    kernel = k ? k : &linux_kernel;
}

static uint16_t
prio_of(const struct tc_port *port,
        const struct dpfip_offload_rule_spec *spec, bool nat)
{
    int k = spec->is_ipv4 ? (nat ? PRIO_IPV4_NAT : PRIO_IPV4_PASS)
                          : (nat ? PRIO_IPV6_NAT : PRIO_IPV6_PASS);

    return port->prio_base + spec->generation * PRIOS_PER_GENERATION + k;
}

static uint32_t
cls_flags(enum dpfip_offload_policy policy)
{
    return (policy == DPFIP_OFFLOAD_POLICY_SKIP_HW ? TCA_CLS_FLAGS_SKIP_HW
            : policy == DPFIP_OFFLOAD_POLICY_SKIP_SW ? TCA_CLS_FLAGS_SKIP_SW
            : 0);
}

/* The real kernel: one NETLINK_ROUTE socket of the main thread. */
static struct nl_sock *tc_sock;

static int
linux_transact(struct ofpbuf *request, struct ofpbuf **replyp,
               char **extack)
{
    uint64_t stub[1024 / 8];
    struct ofpbuf buf;
    uint32_t seq;
    int error;

    if (replyp) {
        *replyp = NULL;
    }
    if (!tc_sock) {
        error = nl_sock_create(NETLINK_ROUTE, &tc_sock);
        if (error) {
            ofpbuf_uninit(request);
            return error;
        }
    }
    /* An ack (or the error, with its extended ack) ends the answer. */
    nl_msg_nlmsghdr(request)->nlmsg_flags |= NLM_F_ACK;
    error = nl_sock_send(tc_sock, request, true);
    seq = nl_msg_nlmsghdr(request)->nlmsg_seq;
    ofpbuf_uninit(request);
    if (error) {
        return error;
    }

    ofpbuf_use_stub(&buf, stub, sizeof stub);
    for (;;) {
        const char *msg = NULL;
        int err;

        error = nl_sock_recv(tc_sock, &buf, NULL, true);
        if (error) {
            break;
        }
        if (nl_msg_nlmsghdr(&buf)->nlmsg_seq != seq) {
            continue;
        }
        if (nl_msg_nlmsgerr(&buf, &err, &msg)) {
            error = err;
            if (err && msg && msg[0] && extack) {
                *extack = xstrdup(msg);
            }
            break;
        }
        if (replyp && !*replyp) {
            *replyp = ofpbuf_clone(&buf);
        }
    }
    ofpbuf_uninit(&buf);
    if (error && replyp) {
        ofpbuf_delete(*replyp);
        *replyp = NULL;
    }
    return error;
}

static int
linux_dump(struct ofpbuf *request,
           void (*cb)(const struct ofpbuf *msg, void *aux), void *aux)
{
    uint64_t stub[NL_DUMP_BUFSIZE / 8];
    struct ofpbuf buf, msg;
    struct nl_dump dump;

    nl_dump_start(&dump, NETLINK_ROUTE, request);
    ofpbuf_uninit(request);
    ofpbuf_use_stub(&buf, stub, sizeof stub);
    while (nl_dump_next(&dump, &msg, &buf)) {
        cb(&msg, aux);
    }
    ofpbuf_uninit(&buf);
    return nl_dump_done(&dump);
}

static const struct dpfip_tc_kernel linux_kernel = {
    .transact = linux_transact,
    .dump = linux_dump,
};

/* "MESSAGE (errno text: extack)" in a new string; frees 'extack'. */
static char *
refusal(const char *message, int error, char *extack)
{
    char *s = (extack
               ? xasprintf("%s (%s: %s)", message, ovs_strerror(error),
                           extack)
               : xasprintf("%s (%s)", message, ovs_strerror(error)));

    free(extack);
    return s;
}

static int
add_ingress_qdisc(int ifindex, char **extack)
{
    struct ofpbuf request;
    struct tcmsg *tcmsg;
    int error;

    tcmsg = tc_make_request(ifindex, RTM_NEWQDISC,
                            NLM_F_EXCL | NLM_F_CREATE, &request);
    tcmsg->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
    tcmsg->tcm_parent = TC_H_INGRESS;
    nl_msg_put_string(&request, TCA_KIND, "ingress");
    nl_msg_put_unspec(&request, TCA_OPTIONS, NULL, 0);
    error = kernel->transact(&request, NULL, extack);
    return error == EEXIST ? 0 : error;
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
    if (m->ip_proto) {
        nl_msg_put_u8(req, TCA_FLOWER_KEY_IP_PROTO, m->ip_proto);
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
    if (m->tp_dst_mask) {
        bool tcp = m->ip_proto == IPPROTO_TCP;

        nl_msg_put_be16(req, tcp ? TCA_FLOWER_KEY_TCP_DST
                                 : TCA_FLOWER_KEY_UDP_DST, m->tp_dst);
        nl_msg_put_be16(req, tcp ? TCA_FLOWER_KEY_TCP_DST_MASK
                                 : TCA_FLOWER_KEY_UDP_DST_MASK,
                        m->tp_dst_mask);
    }
    if (m->tcp_flags_mask) {
        nl_msg_put_be16(req, TCA_FLOWER_KEY_TCP_FLAGS, m->tcp_flags);
        nl_msg_put_be16(req, TCA_FLOWER_KEY_TCP_FLAGS_MASK,
                        m->tcp_flags_mask);
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

/* mlx5e takes csum with IPV4HDR, TCP and UDP only. */
static void
put_act_csum(struct ofpbuf *req, bool is_ipv4, uint8_t ip_proto)
{
    struct tc_csum parm = {
        .action = TC_ACT_PIPE,
        .update_flags = ((is_ipv4 ? TCA_CSUM_UPDATE_FLAG_IPV4HDR : 0)
                         | (ip_proto == IPPROTO_TCP
                            ? TCA_CSUM_UPDATE_FLAG_TCP : 0)
                         | (ip_proto == IPPROTO_UDP
                            ? TCA_CSUM_UPDATE_FLAG_UDP : 0)),
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

static const struct nl_policy first_act_policy[] = {
    [TCA_ACT_KIND] = { .type = NL_A_STRING, .optional = false, },
    [TCA_ACT_COOKIE] = { .type = NL_A_UNSPEC, .optional = true, },
    [TCA_ACT_STATS] = { .type = NL_A_NESTED, .optional = true, },
};

/* Parses one filter message (an echo or part of a dump) into '*fm'.
 * Returns 0, EPROTO, or EAFNOSUPPORT for a filter that is not flower (OVS
 * puts matchall filters on ingress for policing). */
static int
parse_filter_msg(const struct ofpbuf *msg, struct filter_msg *fm)
{
    struct nlattr *ta[ARRAY_SIZE(tca_policy)];
    struct nlattr *fa[ARRAY_SIZE(flower_policy)];
    struct nlattr *aa[ARRAY_SIZE(first_act_policy)];
    const struct nlattr *act;
    const struct tcmsg *tc;
    struct ofpbuf b = *msg;

    memset(fm, 0, sizeof *fm);
    tc = ofpbuf_at(&b, NLMSG_HDRLEN, sizeof *tc);
    if (!tc || !nl_policy_parse(&b, NLMSG_HDRLEN + sizeof *tc, tca_policy,
                                ta, ARRAY_SIZE(ta))) {
        return EPROTO;
    }
    if (strcmp(nl_attr_get_string(ta[TCA_KIND]), "flower")) {
        return EAFNOSUPPORT;
    }
    fm->prio = tc_get_major(tc->tcm_info);
    fm->protocol = (OVS_FORCE ovs_be16) tc_get_minor(tc->tcm_info);
    fm->handle = tc->tcm_handle;
    if (!ta[TCA_OPTIONS]) {
        /* A dump lists each priority's classifier itself too. */
        return EAFNOSUPPORT;
    }
    if (!nl_parse_nested(ta[TCA_OPTIONS], flower_policy, fa,
                         ARRAY_SIZE(fa))) {
        return EPROTO;
    }
    if (fa[TCA_FLOWER_FLAGS]) {
        fm->in_hw = (nl_attr_get_u32(fa[TCA_FLOWER_FLAGS])
                     & TCA_CLS_FLAGS_IN_HW) != 0;
    }
    act = fa[TCA_FLOWER_ACT] ? nl_attr_find_nested(fa[TCA_FLOWER_ACT], 1)
                             : NULL;
    if (!act) {
        return 0;
    }
    if (!nl_parse_nested(act, first_act_policy, aa, ARRAY_SIZE(aa))) {
        return EPROTO;
    }
    fm->ours = (aa[TCA_ACT_COOKIE]
                && nl_attr_get_size(aa[TCA_ACT_COOKIE]) == sizeof dpfip_cookie
                && !memcmp(nl_attr_get(aa[TCA_ACT_COOKIE]), dpfip_cookie,
                           sizeof dpfip_cookie));
    if (aa[TCA_ACT_STATS]) {
        struct ovs_flow_stats sw, hw;

        memset(&sw, 0, sizeof sw);
        memset(&hw, 0, sizeof hw);
        if (tc_parse_action_stats(CONST_CAST(struct nlattr *, act),
                                  &sw, &hw, NULL)) {
            return EPROTO;
        }
        fm->has_stats = true;
        fm->n_packets = (get_32aligned_u64(&sw.n_packets)
                         + get_32aligned_u64(&hw.n_packets));
        fm->n_bytes = (get_32aligned_u64(&sw.n_bytes)
                       + get_32aligned_u64(&hw.n_bytes));
    }
    return 0;
}

/* Adds one flower filter at 'prio' on the ingress of 'port': with
 * 'rewrite', the rewrite actions of that spec, otherwise "pass".  On
 * success fills '*f' and adds it to the port's filters. */
static int
add_filter(struct tc_port *port, uint16_t prio, uint32_t flags,
           const struct tc_match *m, bool is_ipv4,
           const struct dpfip_offload_rule_spec *rewrite,
           struct tc_filter *f, char **extack)
{
    struct ofpbuf request, *reply = NULL;
    struct filter_msg fm;
    struct tcmsg *tcmsg;
    size_t opts, acts, act;
    int error;

    tcmsg = tc_make_request(port->ifindex, RTM_NEWTFILTER,
                            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, &request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = tc_make_handle(prio, (OVS_FORCE uint16_t) m->eth_type);
    tcmsg->tcm_handle = 0;
    nl_msg_put_string(&request, TCA_KIND, "flower");
    nl_msg_put_u32(&request, TCA_CHAIN, 0);

    opts = nl_msg_start_nested(&request, TCA_OPTIONS);
    put_match(&request, m, is_ipv4);
    nl_msg_put_u32(&request, TCA_FLOWER_FLAGS, flags);
    acts = nl_msg_start_nested(&request, TCA_FLOWER_ACT);
    act = nl_msg_start_nested(&request, 1);
    if (rewrite) {
        put_act_pedit(&request, rewrite);
    } else {
        put_act_pass(&request);
    }
    /* Marks the filter as dpfip's (see dpfip_tc_reconcile()). */
    nl_msg_put_unspec(&request, TCA_ACT_COOKIE, dpfip_cookie,
                      sizeof dpfip_cookie);
    nl_msg_end_nested(&request, act);
    if (rewrite) {
        act = nl_msg_start_nested(&request, 2);
        put_act_csum(&request, is_ipv4, m->ip_proto);
        nl_msg_end_nested(&request, act);
        act = nl_msg_start_nested(&request, 3);
        put_act_mirred(&request, rewrite->out_port);
        nl_msg_end_nested(&request, act);
    }
    nl_msg_end_nested(&request, acts);
    nl_msg_end_nested(&request, opts);

    error = kernel->transact(&request, &reply, extack);
    if (error) {
        return error;
    }
    error = reply ? parse_filter_msg(reply, &fm) : EPROTO;
    ofpbuf_delete(reply);
    if (error) {
        return EPROTO;
    }

    memset(f, 0, sizeof *f);
    f->port = port;
    f->prio = prio;
    f->protocol = m->eth_type;
    f->handle = fm.handle;
    f->ip_proto = rewrite ? m->ip_proto : 0;
    f->in_hw = fm.in_hw;
    f->dump_seq = port->dump_seq;
    hmap_insert(&port->filters, &f->node,
                hash_filter(f->prio, f->protocol, f->handle));
    return 0;
}

static int
del_filter_at(int ifindex, uint16_t prio, ovs_be16 protocol,
              uint32_t handle, char **extack)
{
    struct ofpbuf request;
    struct tcmsg *tcmsg;
    int error;

    tcmsg = tc_make_request(ifindex, RTM_DELTFILTER, 0, &request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = tc_make_handle(prio, (OVS_FORCE uint16_t) protocol);
    tcmsg->tcm_handle = handle;
    nl_msg_put_string(&request, TCA_KIND, "flower");
    nl_msg_put_u32(&request, TCA_CHAIN, 0);
    error = kernel->transact(&request, NULL, extack);
    /* Gone with its port, or flushed: nothing left to remove. */
    return error == ENOENT || error == ENODEV || error == EINVAL ? 0 : error;
}

/* Deletes 'f' from the kernel and from its port's filters. */
static int
del_filter(struct tc_filter *f, char **extack)
{
    hmap_remove(&f->port->filters, &f->node);
    return del_filter_at(f->port->ifindex, f->prio, f->protocol, f->handle,
                         extack);
}

static void
start_dump(struct ofpbuf *request, int ifindex, bool terse)
{
    struct tcmsg *tcmsg;

    tcmsg = tc_make_request(ifindex, RTM_GETTFILTER, NLM_F_DUMP, request);
    tcmsg->tcm_parent = TC_INGRESS_PARENT;
    tcmsg->tcm_info = 0;
    tcmsg->tcm_handle = 0;
    nl_msg_put_u32(request, TCA_CHAIN, 0);
    if (terse) {
        struct nla_bitfield32 dump_flags = { TCA_DUMP_FLAGS_TERSE,
                                             TCA_DUMP_FLAGS_TERSE };

        nl_msg_put_unspec(request, TCA_DUMP_FLAGS, &dump_flags,
                          sizeof dump_flags);
    }
}

/* Filters of an earlier ovs-vswitchd, found by reconcile(). */
struct stale_filters {
    size_t n, allocated;
    struct filter_msg *filters;
};

static void
collect_stale(const struct ofpbuf *msg, void *stale_)
{
    struct stale_filters *stale = stale_;
    struct filter_msg fm;

    if (!parse_filter_msg(msg, &fm)
        && (fm.ours || (fm.prio >= DPFIP_TC_PRIO_MIN
                        && fm.prio <= DPFIP_TC_PRIO_MAX))) {
        if (stale->n >= stale->allocated) {
            stale->filters = x2nrealloc(stale->filters, &stale->allocated,
                                        sizeof *stale->filters);
        }
        stale->filters[stale->n++] = fm;
    }
}

/* Removes whatever dpfip filters an earlier ovs-vswitchd left on the
 * ingress of 'ifindex', once per port and process: those with dpfip's
 * cookie, and anything in dpfip's high range (also of dpfip versions
 * before the cookie). */
static void
dpfip_tc_reconcile(uint32_t ifindex)
{
    struct stale_filters stale = { 0, 0, NULL };
    struct tc_port *port;
    struct ofpbuf request;
    size_t n = 0;

    if (!ifindex || ifindex > INT_MAX) {
        return;
    }
    port = port_get(ifindex);
    if (port->reconciled) {
        return;
    }
    port->reconciled = true;

    start_dump(&request, ifindex, false);
    /* No ingress qdisc (EINVAL): nothing to remove. */
    kernel->dump(&request, collect_stale, &stale);
    for (size_t i = 0; i < stale.n; i++) {
        const struct filter_msg *fm = &stale.filters[i];
        char *extack = NULL;

        if (!del_filter_at(ifindex, fm->prio, fm->protocol, fm->handle,
                           &extack)) {
            n++;
        }
        free(extack);
    }
    free(stale.filters);
    if (n) {
        VLOG_INFO("ifindex %"PRIu32": removed %"PRIuSIZE" stale dpfip tc "
                  "filters", ifindex, n);
    }
}

/* Asks the hardware behind 'port' which of dpfip's ranges it takes, with
 * a skip_sw pass filter that matches nothing (destination MAC 0), removed
 * right away. */
static void
probe_prios(struct tc_port *port)
{
    static const uint16_t bases[] = { DPFIP_TC_PRIO_MIN,
                                      DPFIP_TC_PRIO_LOW_MIN };
    char *high_refusal = NULL;

    port->probed = true;
    port->prio_base = DPFIP_TC_PRIO_MIN;
    for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
        struct tc_match m = { .eth_type = htons(ETH_TYPE_IP) };
        struct tc_filter f;
        char *extack = NULL;
        int error;

        error = add_filter(port, bases[i] + PRIO_IPV4_PASS,
                           TCA_CLS_FLAGS_SKIP_SW, &m, true, NULL, &f,
                           &extack);
        if (!error) {
            del_filter(&f, NULL);
            port->prio_base = bases[i];
            if (i) {
                VLOG_INFO("ifindex %d: hardware refuses tc priority %d "
                          "(%s), using %d..%d", port->ifindex, bases[0],
                          high_refusal, DPFIP_TC_PRIO_LOW_MIN,
                          DPFIP_TC_PRIO_LOW_MAX);
            }
            free(extack);
            break;
        }
        if (!i) {
            high_refusal = extack ? extack : xstrdup(ovs_strerror(error));
        } else {
            /* No tc offload here at all (a veth: "block doesn't support
             * offloads"): priorities do not matter to software tc. */
            VLOG_DBG("ifindex %d: no tc hardware (%s)", port->ifindex,
                     high_refusal);
            free(extack);
        }
    }
    free(high_refusal);
}

static void
refresh_filter(const struct ofpbuf *msg, void *port_)
{
    struct tc_port *port = port_;
    struct filter_msg fm;
    struct tc_filter *f;

    if (!parse_filter_msg(msg, &fm)) {
        f = find_filter(port, fm.prio, fm.protocol, fm.handle);
        if (f) {
            f->dump_seq = port->dump_seq;
            f->in_hw = fm.in_hw;
            if (fm.has_stats) {
                f->n_packets = fm.n_packets;
                f->n_bytes = fm.n_bytes;
            }
        }
    }
}

/* Refreshes the counters and in_hw flags of all of 'port''s filters with
 * one terse dump, at most every STATS_INTERVAL_MS. */
static int
refresh_port(struct tc_port *port)
{
    long long int now = time_msec();
    struct ofpbuf request;

    if (port->dump_seq && now - port->dumped_at < STATS_INTERVAL_MS) {
        return port->dump_error;
    }
    port->dumped_at = now;
    port->dump_seq++;
    start_dump(&request, port->ifindex, true);
    port->dump_error = kernel->dump(&request, refresh_filter, port);
    return port->dump_error;
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
    if (spec->allows && spec->n_allows > DPFIP_OFFLOAD_MAX_ALLOWS) {
        *error = xasprintf("%u allow-list entries, at most %d",
                           spec->n_allows, DPFIP_OFFLOAD_MAX_ALLOWS);
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

static struct in6_addr
prefix_mask(const struct dpfip_offload_prefix *p, bool is_ipv4)
{
    return ipv6_create_mask(is_ipv4 ? 96 + p->plen : p->plen);
}

/* Fills 'out' (room for MAX_REWRITES) with the rewrite matches of 'spec',
 * each 'base' and more: one per protocol, or with an allow-list one per
 * entry and protocol (an entry for any protocol becomes one for TCP and
 * one for UDP: mlx5e rewrites an address only under an exact ip_proto,
 * and the L4 keys need one too).  Returns how many. */
static size_t
rewrite_matches(const struct dpfip_offload_rule_spec *spec,
                const struct tc_match *base, struct tc_match *out)
{
    const uint8_t *protos = spec->is_ipv4 ? ipv4_protos : ipv6_protos;
    size_t n_protos = (spec->is_ipv4 ? ARRAY_SIZE(ipv4_protos)
                                     : ARRAY_SIZE(ipv6_protos));
    size_t n_entries = spec->allows ? spec->n_allows : 1;
    size_t n = 0;

    for (size_t i = 0; i < n_entries; i++) {
        const struct dpfip_offload_allow *a = (spec->allows
                                               ? &spec->allows[i] : NULL);

        for (size_t j = 0; j < n_protos; j++) {
            struct tc_match *m;

            if (a && a->ip_proto && a->ip_proto != protos[j]) {
                continue;
            }
            m = &out[n++];
            *m = *base;
            m->ip_proto = protos[j];
            m->not_fragment = true;
            if (!a) {
                continue;
            }
            m->tp_dst = htons(a->port);
            m->tp_dst_mask = htons(a->port_mask);
            m->tcp_flags = htons(a->tcp_flags);
            m->tcp_flags_mask = htons(a->tcp_flags);
            if (a->remote.plen) {
                struct in6_addr mask = prefix_mask(&a->remote,
                                                   spec->is_ipv4);
                struct in6_addr addr = ipv6_addr_bitand(&a->remote.addr,
                                                        &mask);

                if (spec->direction == DPFIP_DNAT) {
                    m->src = addr;
                    m->src_mask = mask;
                } else {
                    m->dst = addr;
                    m->dst_mask = mask;
                }
            }
        }
    }
    return n;
}

static void
rule_free(struct dpfip_offload_rule *rule)
{
    if (rule) {
        free(rule->filters);
        free(rule);
    }
}

static int
dpfip_tc_install(const struct dpfip_offload_rule_spec *spec,
                 struct dpfip_offload_rule **rulep, char **errorp)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    struct tc_match base, pass[MAX_PASS], rewrites[MAX_REWRITES];
    struct dpfip_offload_rule *rule;
    size_t n_rewrites;
    char *extack = NULL;
    struct tc_port *port;
    int n_pass = 0, error;

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

    /* Exceptions (see the top of this file). */
    pass[n_pass] = base;
    pass[n_pass].ttl = 0;
    pass[n_pass++].ttl_mask = 0xfe;     /* TTL 0 or 1. */
    if (!dnat && spec->has_internal) {
        struct in6_addr mask = ipv6_create_mask(spec->is_ipv4
                                                ? 96 + spec->internal_plen
                                                : spec->internal_plen);

        pass[n_pass] = base;
        pass[n_pass].dst = ipv6_addr_bitand(&spec->internal, &mask);
        pass[n_pass++].dst_mask = mask;
    }
    n_rewrites = rewrite_matches(spec, &base, rewrites);

    error = add_ingress_qdisc(spec->in_port, &extack);
    if (error) {
        *errorp = refusal("tc ingress qdisc", error, extack);
        return error;
    }
    dpfip_tc_reconcile(spec->in_port);
    port = port_get(spec->in_port);
    if (!port->probed && spec->policy != DPFIP_OFFLOAD_POLICY_SKIP_HW) {
        probe_prios(port);
    }

    rule = xzalloc(sizeof *rule);
    rule->spec = *spec;
    rule->filters = xcalloc(n_pass + n_rewrites, sizeof *rule->filters);
    for (size_t i = 0; !error && i < n_pass + n_rewrites; i++) {
        struct tc_filter *f = &rule->filters[rule->n_filters];
        bool is_pass = i < n_pass;
        const struct tc_match *m = is_pass ? &pass[i] : &rewrites[i - n_pass];

        error = add_filter(port, prio_of(port, spec, !is_pass),
                           cls_flags(spec->policy), m, spec->is_ipv4,
                           is_pass ? NULL : spec, f, &extack);
        if (!error) {
            rule->n_filters++;
            rule->n_pass += is_pass;
        } else if (error == ENOENT) {
            /* No flower classifier (or one of the actions) in this
             * kernel, and the module could not be loaded. */
            VLOG_INFO("adding a flower filter on ifindex %"PRIu32": %s",
                      spec->in_port, ovs_strerror(error));
            free(extack);
            *errorp = xstrdup("tc flower unavailable");
        } else {
            *errorp = refusal("tc flower refused the rule", error, extack);
        }
        extack = NULL;
    }
    if (error) {
        for (int i = rule->n_filters - 1; i >= 0; i--) {
            del_filter(&rule->filters[i], NULL);
        }
        rule_free(rule);
        return error;
    }
    if (spec->policy == DPFIP_OFFLOAD_POLICY_NONE) {
        bool rewrite_in_hw = false, pass_in_hw = true;

        for (int i = 0; i < rule->n_filters; i++) {
            if (i < rule->n_pass) {
                pass_in_hw = pass_in_hw && rule->filters[i].in_hw;
            } else {
                rewrite_in_hw = rewrite_in_hw || rule->filters[i].in_hw;
            }
        }
        if (rewrite_in_hw && !pass_in_hw) {
            /* A NIC that takes a rewrite rule but not a pass rule would
             * rewrite the exceptions too (e.g. forward TTL 0): keep all
             * of them in software tc then. */
            struct dpfip_offload_rule_spec sw = *spec;

            VLOG_INFO("ifindex %"PRIu32": a pass rule is not in hardware, "
                      "installing all rules with skip_hw", spec->in_port);
            dpfip_tc_remove(rule, errorp);
            free(*errorp);
            *errorp = NULL;
            sw.policy = DPFIP_OFFLOAD_POLICY_SKIP_HW;
            return dpfip_tc_install(&sw, rulep, errorp);
        }
    }
    *rulep = rule;
    return 0;
}

static int
dpfip_tc_remove(struct dpfip_offload_rule *rule, char **errorp)
{
    int error = 0;

    /* The rewrite rules first, so that nothing is rewritten while the
     * exceptions are already gone. */
    for (int i = rule->n_filters - 1; i >= 0; i--) {
        struct tc_filter *f = &rule->filters[i];
        int ifindex = f->port->ifindex;
        char *extack = NULL;
        int err = del_filter(f, &extack);

        if (err && !error) {
            char *what = xasprintf("deleting flower filter prio %"PRIu16
                                   " handle %#"PRIx32" on ifindex %d",
                                   f->prio, f->handle, ifindex);

            error = err;
            *errorp = refusal(what, err, extack);
            free(what);
        } else {
            free(extack);
        }
    }
    rule_free(rule);
    return error;
}

static int
dpfip_tc_stats(struct dpfip_offload_rule *rule,
               struct dpfip_offload_stats *stats, char **errorp)
{
    struct tc_port *port = rule->filters[rule->n_pass].port;
    uint64_t n_packets = 0, n_bytes = 0;
    int error;

    memset(stats, 0, sizeof *stats);
    error = refresh_port(port);
    if (error) {
        *errorp = xasprintf("dumping the flower filters of ifindex %d: %s",
                            port->ifindex, ovs_strerror(error));
        /* ENODEV: the port is gone, and the FIP will soon be inactive.
         * EINVAL: no ingress qdisc any more (OVS deletes it when it first
         * configures a port's ingress policing). */
        return error == EINVAL ? ENOENT : error;
    }
    for (int i = rule->n_pass; i < rule->n_filters; i++) {
        const struct tc_filter *f = &rule->filters[i];

        if (f->dump_seq != port->dump_seq) {
            *errorp = xasprintf("flower filter prio %"PRIu16" handle %#"
                                PRIx32" on ifindex %d is gone", f->prio,
                                f->handle, port->ifindex);
            return ENOENT;
        }
        n_packets += f->n_packets;
        n_bytes += f->n_bytes;
    }
    /* tc counts from the network header on ingress; the datapath's
     * counters (and so dpfip's) include the Ethernet header. */
    stats->n_packets = n_packets;
    stats->n_bytes = n_bytes + ETH_HEADER_LEN * n_packets;
    return 0;
}

static bool
dpfip_tc_in_hw(const struct dpfip_offload_rule *rule)
{
    for (int i = rule->n_pass; i < rule->n_filters; i++) {
        if (!rule->filters[i].in_hw) {
            return false;
        }
    }
    return true;
}

static void
dpfip_tc_describe(const struct dpfip_offload_rule *rule, struct ds *ds)
{
    const struct tc_filter *first = &rule->filters[rule->n_pass];

    ds_put_format(ds, "tc flower, ingress of ifindex %d, prio %"PRIu16":",
                  first->port->ifindex, first->prio);
    for (int i = rule->n_pass; i < rule->n_filters; i++) {
        const struct tc_filter *f = &rule->filters[i];

        ds_put_format(ds, " %s handle %#"PRIx32" (%s)",
                      f->ip_proto == IPPROTO_TCP ? "tcp" : "udp",
                      f->handle, f->in_hw ? "in_hw" : "not_in_hw");
    }
    ds_put_format(ds, " + %d pass rules, to ifindex %"PRIu32,
                  rule->n_pass, rule->spec.out_port);
}

const struct dpfip_offload_class dpfip_offload_tc_class = {
    .name = "tc",
    .probe = dpfip_tc_probe,
    .install = dpfip_tc_install,
    .remove = dpfip_tc_remove,
    .stats = dpfip_tc_stats,
    .describe = dpfip_tc_describe,
    .in_hw = dpfip_tc_in_hw,
    .reconcile = dpfip_tc_reconcile,
    .allow_lists = true,
};
