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

/* The rte_flow offload provider.  One FIP direction is one transfer rule,
 * created on the transfer proxy (mlx5: the E-Switch manager, the uplink):
 *
 *   DNAT  prio 2+gen  REPRESENTED_PORT(uplink) /
 *                     ETH(dst=ext_mac, has_vlan=0) /
 *                     IPV4(dst=fip, not a fragment) | IPV6(dst=fip)
 *         -> SET_MAC_SRC(router) SET_MAC_DST(vm) SET_IPV*_DST(fixed)
 *            DEC_TTL COUNT REPRESENTED_PORT(vm)
 *   SNAT  prio 2+gen  REPRESENTED_PORT(vm) /
 *                     ETH(src=vm_mac, dst=router, has_vlan=0) /
 *                     IPV4(src=fixed, not a fragment) | IPV6(src=fixed)
 *         -> SET_MAC_SRC(ext) SET_MAC_DST(gw) SET_IPV*_SRC(fip)
 *            DEC_TTL COUNT REPRESENTED_PORT(uplink)
 *
 * and what software must handle is taken out before, by exception rules
 * at priority 1 that JUMP to MISS_GROUP, where no rule is: the packet
 * misses there and continues at the source port's software path.  They
 * depend only on the port, the family and the destination MAC dpfip
 * answers to there (uplink: the external MAC; VM port: the router MAC),
 * so all FIPs of a port share them (refcounted):
 *
 *   both ports, IPv4:  TTL <= 1; UDP with checksum 0; protocol ICMP (an
 *                      error's quote must be translated too, RFC 5508)
 *   both ports, IPv6:  hop limit <= 1; next header ICMPv6 (neighbor
 *                      discovery, echo), fragment, hop-by-hop, routing,
 *                      destination options
 *   VM port:           destination in each internal prefix of the port
 *
 * (IPv4 fragments are left out by the rewrite rule's own match.)
 *
 * A direction with an allow-list (spec->allows) has one rewrite rule per
 * entry instead, each matching the entry too (protocol, destination port
 * under a mask, one TCP flag, the remote prefix), all at the FIP's
 * priority: they overlap only where their actions are the same.  What no
 * entry matches misses to software, which applies the whole list.
 *
 * So a FIP without allow-lists costs 2 rules, a (port, family) at most 6
 * + its internal prefixes, and the number of distinct masks does not grow
 * with FIPs (an allow-list's entries add the masks they use).
 *
 * VLAN (issue 12): the rewrite rules take untagged frames only.  A VLAN
 * on the uplink side goes into build_l2() (a VLAN item for DNAT and
 * OF_POP_VLAN, OF_PUSH_VLAN + OF_SET_VLAN_VID for SNAT) and into 'struct
 * shared_key' (the uplink's exceptions then match the tagged frames).
 *
 * The DPDK-facing code uses only util.h's allocators, hmap and
 * dynamic-string from OVS, so it can be tested against the net_eswitch
 * model outside ovs-vswitchd (dpdk/tests/offload/). */

#ifdef DPDK_NETDEV

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_version.h>
#include "hash.h"
#include "netdev.h"
#include "netdev-dpdk.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"

/* DPDK 24.11 (which OVS 3.5 needs) made the IPv6 addresses of
 * rte_ipv6_hdr and rte_flow_action_set_ipv6 a 'struct rte_ipv6_addr'
 * (rte_ip6.h); before they are uint8_t[16].  Both are the same 16 bytes
 * at the same offsets: IPV6_BYTES() gives them as bytes either way.
 * Selected by the version rte_version.h reports. */
#if RTE_VERSION >= RTE_VERSION_NUM(24, 11, 0, 0)
#define IPV6_BYTES(ADDR) ((ADDR).a)
#else
#define IPV6_BYTES(ADDR) (ADDR)
#endif

/* Lower wins.  Never 0: OVS's netdev-offload-dpdk uses it. */
#define PRIORITY_EXCEPTION 1
#define PRIORITY_FIP(GEN) (2 + (GEN))

/* A group no rule is ever put in. */
#define MISS_GROUP 0xdf1f

/* Drivers whose transfer rules miss in a jumped-to group to the source
 * port's representor (rte_flow leaves it to the driver): mlx5's rdma-core
 * DR tables default to that miss; net_eswitch models mlx5. */
static bool
driver_misses_to_software(const char *driver)
{
    return (driver && (!strncmp(driver, "mlx5", 4)
                       || !strcmp(driver, "net_mlx5")
                       || !strcmp(driver, "net_eswitch")));
}

enum exception_kind {
    EXC_TTL,                        /* TTL / hop limit 0 or 1. */
    EXC_UDP_CSUM0,                  /* IPv4 UDP without checksum. */
    EXC_PROTO,                      /* IP protocol / next header 'proto'. */
    EXC_INTERNAL,                   /* Destination in 'prefix'. */
};

/* IP protocols that stay in software.  ICMP errors quote the packet they
 * are about, and the NIC can rewrite only the outer header. */
static const uint8_t v4_exception_protos[] = {
    1,                              /* ICMP. */
};
static const uint8_t v6_exception_protos[] = {
    58,                             /* ICMPv6: ND, echo. */
    44,                             /* Fragment. */
    0,                              /* Hop-by-hop options. */
    43,                             /* Routing. */
    60,                             /* Destination options. */
};

/* What identifies a shared exception rule. */
struct shared_key {
    uint16_t proxy;
    uint16_t in_port;
    uint8_t kind;                   /* enum exception_kind. */
    uint8_t proto;                  /* EXC_PROTO. */
    bool is_ipv4;
    struct eth_addr dst_mac;
    struct dpfip_offload_prefix prefix;     /* EXC_INTERNAL. */
};

struct shared_rule {
    struct hmap_node node;          /* In 'shared_rules' while current. */
    struct shared_key key;
    struct rte_flow *flow;          /* NULL once lost. */
    unsigned int refcnt;
};

/* Rules created through one transfer proxy.  'epoch' grows when they are
 * found lost (the proxy was stopped): rules of an older epoch are gone
 * from hardware and their handles may name other rules now. */
struct proxy {
    struct hmap_node node;          /* In 'proxies', by port. */
    uint16_t port;
    uint64_t epoch;
    struct ovs_list rules;          /* 'struct dpfip_offload_rule's. */
};

#define MAX_EXCEPTIONS (ARRAY_SIZE(v6_exception_protos) + 2 \
                        + DPFIP_OFFLOAD_MAX_INTERNAL)

struct dpfip_offload_rule {
    struct ovs_list node;           /* In its proxy's 'rules'. */
    struct proxy *proxy;
    uint64_t epoch;                 /* The proxy's, at install. */
    uint16_t in_port;
    uint16_t out_port;
    struct rte_flow *flows[DPFIP_OFFLOAD_MAX_ALLOWS]; /* Rewrite rules. */
    size_t n_flows;
    struct shared_rule *exceptions[MAX_EXCEPTIONS];
    size_t n_exceptions;
    struct dpfip_offload_stats totals;
};

static struct hmap shared_rules = HMAP_INITIALIZER(&shared_rules);
static struct hmap proxies = HMAP_INITIALIZER(&proxies);

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

static struct proxy *
proxy_get(uint16_t port, bool create)
{
    struct proxy *p;

    HMAP_FOR_EACH_WITH_HASH (p, node, hash_int(port, 0), &proxies) {
        if (p->port == port) {
            return p;
        }
    }
    if (!create) {
        return NULL;
    }
    p = xzalloc(sizeof *p);
    p->port = port;
    ovs_list_init(&p->rules);
    hmap_insert(&proxies, &p->node, hash_int(port, 0));
    return p;
}

/* Everything 'p' installed is gone from hardware: no handle of it may be
 * passed to the PMD again, and no new FIP may share its exceptions. */
static void
proxy_lost(struct proxy *p)
{
    struct shared_rule *sr;

    p->epoch++;
    HMAP_FOR_EACH_SAFE (sr, node, &shared_rules) {
        if (sr->key.proxy == p->port) {
            hmap_remove(&shared_rules, &sr->node);
            hmap_node_nullify(&sr->node);
            sr->flow = NULL;
        }
    }
}

static bool
rule_is_lost(const struct dpfip_offload_rule *rule)
{
    return !rule->n_flows || rule->epoch != rule->proxy->epoch;
}

static int
dpfip_rte_flow_probe(uint32_t in_port, uint32_t out_port, char **reason)
{
    char name[2][RTE_ETH_NAME_MAX_LEN];
    struct rte_eth_dev_info info[2], pinfo;
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
    ret = pick_proxy(in_port, &proxy, reason);
    if (ret) {
        return ret;
    }
    ret = rte_eth_dev_info_get(proxy, &pinfo);
    if (ret || !driver_misses_to_software(pinfo.driver_name)) {
        *reason = xasprintf("driver %s of proxy port %u: not known to send "
                            "a miss after JUMP to software",
                            ret ? "?" : pinfo.driver_name, proxy);
        return EOPNOTSUPP;
    }
    return 0;
}

/* Everything needed to build one rule. */
struct builder {
    struct rte_flow_attr attr;
    struct rte_flow_item_ethdev src;
    struct rte_flow_item_eth eth_spec, eth_mask;
    union {
        struct rte_flow_item_ipv4 v4;
        struct rte_flow_item_ipv6 v6;
    } l3_spec, l3_mask;
    struct rte_flow_item_udp udp_spec, udp_mask;
    struct rte_flow_item_tcp tcp_spec, tcp_mask;
    struct rte_flow_item pattern[5];

    struct rte_flow_action_set_mac mac_src, mac_dst;
    struct rte_flow_action_set_ipv4 ip4;
    struct rte_flow_action_set_ipv6 ip6;
    struct rte_flow_action_count count;
    struct rte_flow_action_ethdev out;
    struct rte_flow_action_jump jump;
    struct rte_flow_action actions[8];
};

/* The pattern's L2 part: untagged frames with these MACs. */
static void
build_l2(struct builder *b, const struct eth_addr *dst,
         const struct eth_addr *src, bool untagged)
{
    if (dst) {
        memcpy(&b->eth_spec.hdr.dst_addr, dst, RTE_ETHER_ADDR_LEN);
        memset(&b->eth_mask.hdr.dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    }
    if (src) {
        memcpy(&b->eth_spec.hdr.src_addr, src, RTE_ETHER_ADDR_LEN);
        memset(&b->eth_mask.hdr.src_addr, 0xff, RTE_ETHER_ADDR_LEN);
    }
    if (untagged) {
        /* An ETH item alone also takes VLAN-tagged frames (mlx5). */
        b->eth_spec.has_vlan = 0;
        b->eth_mask.has_vlan = 1;
    }
    b->pattern[1].type = RTE_FLOW_ITEM_TYPE_ETH;
    b->pattern[1].spec = &b->eth_spec;
    b->pattern[1].mask = &b->eth_mask;
}

static void
build_start(struct builder *b, uint16_t in_port, bool is_ipv4,
            uint32_t priority)
{
    memset(b, 0, sizeof *b);
    b->attr.transfer = 1;
    b->attr.priority = priority;
    b->src.port_id = in_port;
    b->pattern[0].type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT;
    b->pattern[0].spec = &b->src;
    b->pattern[0].mask = &rte_flow_item_ethdev_mask;
    b->pattern[2].type = (is_ipv4 ? RTE_FLOW_ITEM_TYPE_IPV4
                          : RTE_FLOW_ITEM_TYPE_IPV6);
    b->pattern[2].spec = &b->l3_spec;
    b->pattern[2].mask = &b->l3_mask;
    b->pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
}

/* The address field 'dst' (else source) of the L3 item, spec and mask. */
static void
build_l3_addr(struct builder *b, bool is_ipv4, bool dst,
              const struct dpfip_offload_prefix *p)
{
    const uint8_t *a = dpfip_offload_addr_bytes(&p->addr, is_ipv4);
    uint8_t mask[16], *vs, *ms;
    int i;

    dpfip_offload_prefix_mask(p->plen, is_ipv4, mask);
    if (is_ipv4) {
        vs = (uint8_t *) (dst ? &b->l3_spec.v4.hdr.dst_addr
                          : &b->l3_spec.v4.hdr.src_addr);
        ms = (uint8_t *) (dst ? &b->l3_mask.v4.hdr.dst_addr
                          : &b->l3_mask.v4.hdr.src_addr);
    } else {
        vs = (dst ? IPV6_BYTES(b->l3_spec.v6.hdr.dst_addr)
              : IPV6_BYTES(b->l3_spec.v6.hdr.src_addr));
        ms = (dst ? IPV6_BYTES(b->l3_mask.v6.hdr.dst_addr)
              : IPV6_BYTES(b->l3_mask.v6.hdr.src_addr));
    }
    for (i = 0; i < (is_ipv4 ? 4 : 16); i++) {
        vs[i] = a[i] & mask[i];
        ms[i] = mask[i];
    }
}

/* The L3 item's IP protocol (IPv6: next header). */
static void
build_l3_proto(struct builder *b, bool is_ipv4, uint8_t proto)
{
    if (is_ipv4) {
        b->l3_spec.v4.hdr.next_proto_id = proto;
        b->l3_mask.v4.hdr.next_proto_id = 0xff;
    } else {
        b->l3_spec.v6.hdr.proto = proto;
        b->l3_mask.v6.hdr.proto = 0xff;
    }
}

static void
build_fate_jump(struct builder *b)
{
    b->jump.group = MISS_GROUP;
    b->actions[0].type = RTE_FLOW_ACTION_TYPE_JUMP;
    b->actions[0].conf = &b->jump;
    b->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
}

/* What 'allow' adds to the match of a rewrite rule of 'spec'. */
static void
build_allow(struct builder *b, const struct dpfip_offload_rule_spec *spec,
            const struct dpfip_offload_allow *allow)
{
    bool dnat = spec->direction == DPFIP_DNAT;

    if (allow->remote.plen) {
        build_l3_addr(b, spec->is_ipv4, !dnat, &allow->remote);
    }
    if (!allow->ip_proto) {
        return;
    }
    build_l3_proto(b, spec->is_ipv4, allow->ip_proto);
    if (allow->ip_proto == IPPROTO_TCP) {
        b->tcp_spec.hdr.dst_port = htons(allow->port & allow->port_mask);
        b->tcp_mask.hdr.dst_port = htons(allow->port_mask);
        b->tcp_spec.hdr.tcp_flags = allow->tcp_flags;
        b->tcp_mask.hdr.tcp_flags = allow->tcp_flags;
        b->pattern[3].type = RTE_FLOW_ITEM_TYPE_TCP;
        b->pattern[3].spec = &b->tcp_spec;
        b->pattern[3].mask = &b->tcp_mask;
    } else {
        b->udp_spec.hdr.dst_port = htons(allow->port & allow->port_mask);
        b->udp_mask.hdr.dst_port = htons(allow->port_mask);
        b->pattern[3].type = RTE_FLOW_ITEM_TYPE_UDP;
        b->pattern[3].spec = &b->udp_spec;
        b->pattern[3].mask = &b->udp_mask;
    }
    b->pattern[4].type = RTE_FLOW_ITEM_TYPE_END;
}

/* The rewrite rule of 'spec', for packets that 'allow' matches if it is
 * nonnull. */
static void
build_fip(struct builder *b, const struct dpfip_offload_rule_spec *spec,
          const struct dpfip_offload_allow *allow)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    struct dpfip_offload_prefix host;
    const uint8_t *to;
    int n = 0;

    build_start(b, spec->in_port, spec->is_ipv4,
                PRIORITY_FIP(spec->generation));
    if (dnat) {
        build_l2(b, &spec->ext_mac, NULL, true);
    } else {
        build_l2(b, &spec->router_mac, &spec->vm_mac, true);
    }
    host.addr = dnat ? spec->floating : spec->fixed;
    host.plen = spec->is_ipv4 ? 32 : 128;
    build_l3_addr(b, spec->is_ipv4, dnat, &host);
    if (spec->is_ipv4) {
        /* Not a fragment (MF and offset 0): mlx5's "frag" bit. */
        b->l3_mask.v4.hdr.fragment_offset = htons(0x3fff);
    }
    if (allow) {
        build_allow(b, spec, allow);
    }

    memcpy(b->mac_src.mac_addr, dnat ? &spec->router_mac : &spec->ext_mac,
           RTE_ETHER_ADDR_LEN);
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_SET_MAC_SRC;
    b->actions[n++].conf = &b->mac_src;
    memcpy(b->mac_dst.mac_addr, dnat ? &spec->vm_mac : &spec->gw_mac,
           RTE_ETHER_ADDR_LEN);
    b->actions[n].type = RTE_FLOW_ACTION_TYPE_SET_MAC_DST;
    b->actions[n++].conf = &b->mac_dst;
    to = dpfip_offload_addr_bytes(dnat ? &spec->fixed : &spec->floating,
                                  spec->is_ipv4);
    if (spec->is_ipv4) {
        memcpy(&b->ip4.ipv4_addr, to, 4);
        b->actions[n].type = (dnat ? RTE_FLOW_ACTION_TYPE_SET_IPV4_DST
                              : RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC);
        b->actions[n++].conf = &b->ip4;
    } else {
        memcpy(IPV6_BYTES(b->ip6.ipv6_addr), to, 16);
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
}

/* The exception rule 'k'. */
static void
build_exception(struct builder *b, const struct shared_key *k)
{
    build_start(b, k->in_port, k->is_ipv4, PRIORITY_EXCEPTION);
    build_l2(b, &k->dst_mac, NULL, false);
    switch ((enum exception_kind) k->kind) {
    case EXC_TTL:
        if (k->is_ipv4) {
            b->l3_mask.v4.hdr.time_to_live = 0xfe;
        } else {
            b->l3_mask.v6.hdr.hop_limits = 0xfe;
        }
        break;
    case EXC_UDP_CSUM0:
        b->udp_mask.hdr.dgram_cksum = 0xffff;
        b->pattern[3].type = RTE_FLOW_ITEM_TYPE_UDP;
        b->pattern[3].spec = &b->udp_spec;
        b->pattern[3].mask = &b->udp_mask;
        b->pattern[4].type = RTE_FLOW_ITEM_TYPE_END;
        break;
    case EXC_PROTO:
        build_l3_proto(b, k->is_ipv4, k->proto);
        break;
    case EXC_INTERNAL:
        build_l3_addr(b, k->is_ipv4, true, &k->prefix);
        break;
    }
    build_fate_jump(b);
}

/* Clears the bits of 'p' outside its length, so that equal prefixes
 * compare equal. */
static void
build_prefix_normalize(struct dpfip_offload_prefix *p, bool is_ipv4)
{
    uint8_t mask[16], *a = is_ipv4 ? &p->addr.s6_addr[12] : p->addr.s6_addr;
    int i;

    dpfip_offload_prefix_mask(p->plen, is_ipv4, mask);
    for (i = 0; i < (is_ipv4 ? 4 : 16); i++) {
        a[i] &= mask[i];
    }
}

/* The exceptions a rule of 'spec' needs, into 'keys'. */
static size_t
exception_keys(const struct dpfip_offload_rule_spec *spec, uint16_t proxy,
               struct shared_key *keys)
{
    bool dnat = spec->direction == DPFIP_DNAT;
    const uint8_t *protos = (spec->is_ipv4 ? v4_exception_protos
                             : v6_exception_protos);
    size_t n_protos = (spec->is_ipv4 ? ARRAY_SIZE(v4_exception_protos)
                       : ARRAY_SIZE(v6_exception_protos));
    size_t i, n = 0;

    memset(keys, 0, MAX_EXCEPTIONS * sizeof *keys);
    for (i = 0; i < MAX_EXCEPTIONS; i++) {
        keys[i].proxy = proxy;
        keys[i].in_port = spec->in_port;
        keys[i].is_ipv4 = spec->is_ipv4;
        keys[i].dst_mac = dnat ? spec->ext_mac : spec->router_mac;
    }
    keys[n++].kind = EXC_TTL;
    if (spec->is_ipv4) {
        keys[n++].kind = EXC_UDP_CSUM0;
    }
    for (i = 0; i < n_protos; i++) {
        keys[n].kind = EXC_PROTO;
        keys[n++].proto = protos[i];
    }
    if (!dnat) {
        for (i = 0; i < spec->n_internals; i++) {
            keys[n].kind = EXC_INTERNAL;
            keys[n].prefix = spec->internals[i];
            /* Normalized, so that equal prefixes share one rule. */
            build_prefix_normalize(&keys[n].prefix, spec->is_ipv4);
            n++;
        }
    }
    return n;
}

static uint32_t
shared_hash(const struct shared_key *k)
{
    return hash_bytes(k, sizeof *k, 0);
}

static struct shared_rule *
shared_find(const struct shared_key *k)
{
    struct shared_rule *sr;

    HMAP_FOR_EACH_WITH_HASH (sr, node, shared_hash(k), &shared_rules) {
        if (!memcmp(&sr->key, k, sizeof *k)) {
            return sr;
        }
    }
    return NULL;
}

static void
shared_unref(struct shared_rule *sr, uint16_t proxy)
{
    if (sr && !--sr->refcnt) {
        if (sr->flow) {
            struct rte_flow_error err;

            memset(&err, 0, sizeof err);
            rte_flow_destroy(proxy, sr->flow, &err);
        }
        if (!hmap_node_is_null(&sr->node)) {
            hmap_remove(&shared_rules, &sr->node);
        }
        free(sr);
    }
}

static int
validate(uint16_t proxy, const struct builder *b, char **error)
{
    struct rte_flow_error err;
    int ret;

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(proxy, &b->attr, b->pattern, b->actions, &err);
    return ret ? flow_error(&err, ret, error) : 0;
}

static int
create(uint16_t proxy, const struct builder *b, struct rte_flow **flowp,
       char **error)
{
    struct rte_flow_error err;

    memset(&err, 0, sizeof err);
    *flowp = rte_flow_create(proxy, &b->attr, b->pattern, b->actions, &err);
    return *flowp ? 0 : flow_error(&err, rte_errno, error);
}

static void
rule_free(struct dpfip_offload_rule *rule, bool destroy)
{
    size_t i;

    if (destroy && !rule_is_lost(rule)) {
        for (i = 0; i < rule->n_flows; i++) {
            struct rte_flow_error err;

            memset(&err, 0, sizeof err);
            rte_flow_destroy(rule->proxy->port, rule->flows[i], &err);
        }
    }
    for (i = 0; i < rule->n_exceptions; i++) {
        shared_unref(rule->exceptions[i], rule->proxy->port);
    }
    ovs_list_remove(&rule->node);
    free(rule);
}

static int
dpfip_rte_flow_install(const struct dpfip_offload_rule_spec *spec,
                       struct dpfip_offload_rule **rulep, char **error)
{
    struct shared_key keys[MAX_EXCEPTIONS];
    struct dpfip_offload_rule *rule;
    struct builder *b;
    uint16_t proxy_port;
    size_t i, n_keys, n_flows;
    int ret;

    *rulep = NULL;
    if (!dpfip_offload_spec_check(spec, RTE_MAX_ETHPORTS, error)) {
        return EINVAL;
    }
    n_flows = spec->allows ? spec->n_allows : 1;
    ret = pick_proxy(spec->in_port, &proxy_port, error);
    if (ret) {
        return ret;
    }
    n_keys = exception_keys(spec, proxy_port, keys);

    /* Validate everything not yet in hardware before creating anything,
     * so that a rule the PMD cannot do never leaves half a FIP there. */
    b = xmalloc(n_flows * sizeof *b);
    for (i = 0, ret = 0; !ret && i < n_flows; i++) {
        build_fip(&b[i], spec, spec->allows ? &spec->allows[i] : NULL);
        ret = validate(proxy_port, &b[i], error);
    }
    for (i = 0; !ret && i < n_keys; i++) {
        if (!shared_find(&keys[i])) {
            struct builder eb;

            build_exception(&eb, &keys[i]);
            ret = validate(proxy_port, &eb, error);
        }
    }
    if (ret) {
        free(b);
        return ret;
    }

    rule = xzalloc(sizeof *rule);
    rule->proxy = proxy_get(proxy_port, true);
    rule->epoch = rule->proxy->epoch;
    rule->in_port = spec->in_port;
    rule->out_port = spec->out_port;
    ovs_list_push_back(&rule->proxy->rules, &rule->node);
    /* Exceptions first: the rewrite rule must never see what they take. */
    for (i = 0; !ret && i < n_keys; i++) {
        struct shared_rule *sr = shared_find(&keys[i]);

        if (!sr) {
            struct builder eb;
            struct rte_flow *flow;

            build_exception(&eb, &keys[i]);
            ret = create(proxy_port, &eb, &flow, error);
            if (ret) {
                break;
            }
            sr = xzalloc(sizeof *sr);
            sr->key = keys[i];
            sr->flow = flow;
            hmap_insert(&shared_rules, &sr->node, shared_hash(&sr->key));
        }
        sr->refcnt++;
        rule->exceptions[rule->n_exceptions++] = sr;
    }
    for (i = 0; !ret && i < n_flows; i++) {
        ret = create(proxy_port, &b[i], &rule->flows[i], error);
        if (!ret) {
            rule->n_flows++;
        }
    }
    free(b);
    if (ret) {
        rule_free(rule, true);
        return ret;
    }
    *rulep = rule;
    return 0;
}

static int
dpfip_rte_flow_remove(struct dpfip_offload_rule *rule,
                      char **error OVS_UNUSED)
{
    if (rule) {
        rule_free(rule, true);
    }
    return 0;
}

static int
dpfip_rte_flow_stats(struct dpfip_offload_rule *rule,
                     struct dpfip_offload_stats *stats, char **error)
{
    static const struct rte_flow_action count[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    /* Read and reset: the hardware gives counts since the last reset
     * (from a cache it refreshes about once a second), we keep totals. */
    struct rte_flow_query_count q;
    struct rte_flow_error err;
    int ret;

    *stats = rule->totals;
    if (rule_is_lost(rule)) {
        *error = xasprintf("hardware rules are gone (proxy port %u was "
                           "stopped or flushed)", rule->proxy->port);
        return ENOENT;
    }
    for (size_t i = 0; i < rule->n_flows; i++) {
        memset(&err, 0, sizeof err);
        memset(&q, 0, sizeof q);
        q.reset = 1;
        ret = rte_flow_query(rule->proxy->port, rule->flows[i], count, &q,
                             &err);
        if (ret) {
            ret = flow_error(&err, ret, error);
            if (ret == ENOENT) {
                /* Of whatever error type (mlx5: UNSPECIFIED): the proxy
                 * was flushed, with every rule we had there, and the
                 * handles will name new rules.  Never pass them to the
                 * PMD again. */
                proxy_lost(rule->proxy);
            }
            *stats = rule->totals;
            return ret;
        }
        rule->totals.n_packets += q.hits_set ? q.hits : 0;
        rule->totals.n_bytes += q.bytes_set ? q.bytes : 0;
    }
    *stats = rule->totals;
    return 0;
}

/* Whether the rules of 'port' (as transfer proxy) survived a change of
 * its netdev: a stop flushes them.  Queries without reset until one is
 * missing. */
static bool
dpfip_rte_flow_port_changed(uint32_t port)
{
    static const struct rte_flow_action count[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct dpfip_offload_rule *rule;
    struct proxy *p = port < RTE_MAX_ETHPORTS ? proxy_get(port, false)
                                               : NULL;

    if (!p) {
        return false;               /* Not a proxy of ours. */
    }
    LIST_FOR_EACH (rule, node, &p->rules) {
        struct rte_flow_query_count q = { .reset = 0 };
        struct rte_flow_error err;

        if (rule_is_lost(rule)) {
            return true;
        }
        memset(&err, 0, sizeof err);
        if (rte_flow_query(p->port, rule->flows[0], count, &q, &err)
            == -ENOENT) {
            proxy_lost(p);
            return true;
        }
    }
    return false;
}

static int
dpfip_rte_flow_port_handle(const struct netdev *netdev, char **reason)
{
    int id = netdev_dpdk_get_port_id(CONST_CAST(struct netdev *, netdev));

    if (id < 0) {
        *reason = xasprintf("%s is not a DPDK port", netdev_get_name(netdev));
    }
    return id;
}

static void
dpfip_rte_flow_describe(const struct dpfip_offload_rule *rule,
                        struct ds *ds)
{
    ds_put_format(ds, "rte_flow: %"PRIuSIZE" transfer rule%s and %"PRIuSIZE
                  " shared exception rules, port %u -> port %u, on proxy "
                  "port %u", rule->n_flows, rule->n_flows == 1 ? "" : "s",
                  rule->n_exceptions, rule->in_port, rule->out_port,
                  rule->proxy->port);
    if (rule_is_lost(rule)) {
        ds_put_cstr(ds, " (lost)");
    }
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

static bool
dpfip_rte_flow_port_changed(uint32_t port OVS_UNUSED)
{
    return false;
}

static int
dpfip_rte_flow_port_handle(const struct netdev *netdev OVS_UNUSED,
                           char **reason)
{
    dpfip_rte_flow_unsupported(reason);
    return -1;
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
    .port_handle = dpfip_rte_flow_port_handle,
    .port_changed = dpfip_rte_flow_port_changed,
    .max_internal = DPFIP_OFFLOAD_MAX_INTERNAL,
    .allow_lists = true,
};
