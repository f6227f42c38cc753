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

#ifndef DPFIP_CONFIG_H
#define DPFIP_CONFIG_H 1

/* OVSDB keys -> validated dpfip configuration.
 *
 * Every dpfip key of the database is parsed here and nowhere else, by pure
 * functions (no global state, no ofproto), tested by tests/test-dpfip-
 * config.c.  The policy for bad input is the same everywhere: a parse
 * function returns every problem it found, each naming its key and the
 * reason, and the object the keys belong to is unusable until they are
 * fixed, nothing else:
 *
 *   - Open_vSwitch keys (dpfip_global_cfg): a bad value is reported and
 *     that key keeps its previous value (the switch-wide object cannot be
 *     "invalid" without taking every FIP down);
 *   - Bridge keys (dpfip_bridge_cfg): every FIP of the bridge is invalid
 *     with the reason;
 *   - Interface keys (dpfip_iface_cfg): every FIP of the interface is
 *     invalid with the reason;
 *   - one FLOATING=FIXED item (dpfip_pair_cfg): that FIP is invalid. */

#include <stdbool.h>
#include <netinet/in.h>
#include "openvswitch/types.h"
#include "ovs-atomic.h"
#include "packets.h"

struct ds;
struct smap;

enum dpfip_family {
    DPFIP_IPV4,
    DPFIP_IPV6,
};
#define DPFIP_N_FAMILIES 2

const char *dpfip_family_to_string(enum dpfip_family);

/* Address helpers: IPv4 addresses are kept IPv4-mapped. */
bool dpfip_addr_parse(const char *, struct in6_addr *, enum dpfip_family *);
void dpfip_addr_format(const struct in6_addr *, struct ds *);
bool dpfip_mac_parse(const char *, struct eth_addr *);

/* One address prefix.  IPv4 is IPv4-mapped, 'plen' counting from the
 * IPv4 address (0..32). */
struct dpfip_prefix {
    struct in6_addr addr;           /* Host bits zero. */
    unsigned int plen;
    enum dpfip_family family;
};

bool dpfip_prefix_contains(const struct dpfip_prefix *,
                           const struct in6_addr *);
struct in6_addr dpfip_prefix_mask(enum dpfip_family, unsigned int plen);

/* An immutable, reference-counted list of prefixes of both families, shared
 * by the configuration, the FIPs' rewrites and their published snapshots
 * (which may outlive the configuration by an RCU grace period). */
struct dpfip_prefixes {
    struct ovs_refcount ref_cnt;
    size_t n;
    struct dpfip_prefix p[];
};

struct dpfip_prefixes *dpfip_prefixes_ref(const struct dpfip_prefixes *);
void dpfip_prefixes_unref(struct dpfip_prefixes *);
bool dpfip_prefixes_equal(const struct dpfip_prefixes *,
                          const struct dpfip_prefixes *);
const struct dpfip_prefix *dpfip_prefixes_find(const struct dpfip_prefixes *,
                                               enum dpfip_family,
                                               const struct in6_addr *);
size_t dpfip_prefixes_count(const struct dpfip_prefixes *,
                            enum dpfip_family);
void dpfip_prefixes_format(const struct dpfip_prefixes *, struct ds *);

/* Open_vSwitch other_config. */
enum dpfip_offload_mode {
    DPFIP_OFFLOAD_AUTO,             /* dpfip-offload=auto (default). */
    DPFIP_OFFLOAD_SOFTWARE,         /* dpfip-offload=software. */
};

enum dpfip_tc_policy {
    DPFIP_TC_POLICY_NONE,           /* tc-policy=none (default). */
    DPFIP_TC_POLICY_SKIP_SW,        /* tc-policy=skip_sw. */
    DPFIP_TC_POLICY_SKIP_HW,        /* tc-policy=skip_hw. */
};

struct dpfip_global_cfg {
    bool enabled;                   /* dpfip-enable. */
    enum dpfip_offload_mode offload;    /* dpfip-offload. */
    enum dpfip_tc_policy tc_policy;     /* tc-policy (OVS's own key). */
    bool fused_rewrite;             /* dpfip-fused-rewrite. */
};

void dpfip_global_cfg_init(struct dpfip_global_cfg *);
char *dpfip_global_cfg_parse(const struct smap *other_config,
                             struct dpfip_global_cfg *)
    OVS_WARN_UNUSED_RESULT;
const char *dpfip_offload_mode_to_string(enum dpfip_offload_mode);
const char *dpfip_tc_policy_to_string(enum dpfip_tc_policy);

/* How a bridge announces its active FIPs (dpfip-announce). */
enum dpfip_announce_mode {
    DPFIP_ANNOUNCE_ARP = 1 << 0,
    DPFIP_ANNOUNCE_BGP = 1 << 1,
    DPFIP_ANNOUNCE_BOTH = DPFIP_ANNOUNCE_ARP | DPFIP_ANNOUNCE_BGP,
};
const char *dpfip_announce_mode_to_string(enum dpfip_announce_mode);

#define DPFIP_ANNOUNCE_COUNT_DEFAULT 5
#define DPFIP_ANNOUNCE_COUNT_MAX 100

/* A router: the addresses dpfip answers ARP/ND for, with their prefix
 * lengths (the subnets behind it), at most one per family. */
struct dpfip_router_cfg {
    bool has[DPFIP_N_FAMILIES];
    struct dpfip_prefix addr[DPFIP_N_FAMILIES];    /* Host bits kept. */
};

/* Bridge other_config.  Router MAC, router and internal prefixes are the
 * defaults of the bridge's interfaces. */
struct dpfip_bridge_cfg {
    char *uplink;                               /* dpfip-uplink. */
    uint16_t uplink_vlan;                       /* dpfip-uplink-vlan, 0. */
    bool has_gw[DPFIP_N_FAMILIES];              /* dpfip-gateway. */
    struct in6_addr gw[DPFIP_N_FAMILIES];
    bool has_gw_mac;                            /* dpfip-gateway-mac. */
    struct eth_addr gw_mac;
    bool has_ext_mac;                           /* dpfip-external-mac. */
    struct eth_addr ext_mac;
    struct dpfip_router_cfg router;             /* dpfip-router. */
    bool has_router_mac;                        /* dpfip-router-mac. */
    struct eth_addr router_mac;
    struct dpfip_prefixes *internal;            /* dpfip-internal, or the
                                                 * router's prefixes. */
    unsigned int announce_count;                /* dpfip-announce-count. */
    enum dpfip_announce_mode announce;          /* dpfip-announce. */
    char *route_table;                          /* dpfip-route-table. */
};

bool dpfip_bridge_cfg_is_wanted(const struct smap *other_config);
char *dpfip_bridge_cfg_parse(const struct smap *other_config,
                             struct dpfip_bridge_cfg *)
    OVS_WARN_UNUSED_RESULT;
bool dpfip_bridge_cfg_equal(const struct dpfip_bridge_cfg *,
                            const struct dpfip_bridge_cfg *);
void dpfip_bridge_cfg_destroy(struct dpfip_bridge_cfg *);

/* Interface other_config:dpfip-ingress and dpfip-egress: a stateless
 * allow-list for one direction of the interface's FIP traffic, a list of
 * PROTOCOL[:PORT[-PORT]][@PREFIX] items, or "pipeline": the bridge's own
 * flows decide instead (see struct dpfip_filter).  What no item allows is
 * dropped,
 * except what the VM needs for the connections of the other direction:
 * TCP segments with ACK or RST, ICMP echo replies and ICMP errors.  An
 * item's port is the destination port (inbound: the VM's service; outbound:
 * the remote service), its prefix the remote end's address. */
struct dpfip_filter_item {
    uint8_t nw_proto;                   /* IPPROTO_*, 0 for any ("ip"). */
    bool family[DPFIP_N_FAMILIES];      /* The FIPs it applies to. */
    uint16_t port_min, port_max;        /* 0, 0: any port. */
    bool has_remote;
    struct dpfip_prefix remote;         /* Host bits zero. */
};

/* Immutable and reference counted, like 'struct dpfip_prefixes'. */
struct dpfip_filter {
    struct ovs_refcount ref_cnt;
    bool pipeline;                      /* "pipeline": after the rewrite the
                                         * packet goes to table 0, whose
                                         * flows filter it; no items. */
    size_t n;
    struct dpfip_filter_item items[];
};

struct dpfip_filter *dpfip_filter_ref(const struct dpfip_filter *);
void dpfip_filter_unref(struct dpfip_filter *);
bool dpfip_filter_equal(const struct dpfip_filter *,
                        const struct dpfip_filter *);
bool dpfip_filter_applies(const struct dpfip_filter *, enum dpfip_family);
void dpfip_filter_format(const struct dpfip_filter *, struct ds *);
char *dpfip_filter_parse(const char *key, const char *value,
                         struct dpfip_filter **)
    OVS_WARN_UNUSED_RESULT;

/* Interface other_config and external_ids: what the FIPs of one VM port
 * share.  Whatever the interface does not set comes from its bridge, see
 * dpfip_iface_cfg_resolve(). */
struct dpfip_iface_cfg {
    struct eth_addr vm_mac;         /* dpfip-mac or attached-mac. */
    bool has_router;                /* dpfip-router. */
    struct dpfip_router_cfg router;
    bool has_router_mac;            /* dpfip-router-mac. */
    struct eth_addr router_mac;
    struct dpfip_prefixes *internal;    /* dpfip-internal, or NULL. */
    struct dpfip_filter *ingress;       /* dpfip-ingress, or NULL: all. */
    struct dpfip_filter *egress;        /* dpfip-egress, or NULL: all. */
    unsigned int mtu;                   /* dpfip-mtu, or 0: the port's. */
};

/* The smallest dpfip-mtu, and the smallest for IPv6 (RFC 8200 5). */
#define DPFIP_MIN_MTU 68
#define DPFIP_MIN_MTU_IPV6 1280

char *dpfip_iface_cfg_parse(const struct smap *external_ids,
                            const struct smap *other_config,
                            struct dpfip_iface_cfg *)
    OVS_WARN_UNUSED_RESULT;
bool dpfip_iface_cfg_equal(const struct dpfip_iface_cfg *,
                           const struct dpfip_iface_cfg *);
void dpfip_iface_cfg_destroy(struct dpfip_iface_cfg *);
char *dpfip_iface_cfg_check_family(const struct dpfip_iface_cfg *,
                                   enum dpfip_family)
    OVS_WARN_UNUSED_RESULT;

/* The routing context of one VM port: its router and what is behind it,
 * from its interface's keys with its bridge's as defaults.  A port with a
 * router MAC of its own uses another router (e.g. OVN's), so the bridge's
 * dpfip-router is not its router. */
struct dpfip_route_ctx {
    struct eth_addr router_mac;
    struct dpfip_router_cfg answered;   /* Router addresses dpfip answers
                                         * ARP/ND for on this port. */
    struct dpfip_prefixes *internal;    /* Never SNATed; a reference. */
};

char *dpfip_iface_cfg_resolve(const struct dpfip_iface_cfg *,
                              const struct dpfip_bridge_cfg *,
                              struct dpfip_route_ctx *)
    OVS_WARN_UNUSED_RESULT;
void dpfip_route_ctx_destroy(struct dpfip_route_ctx *);

/* Interface other_config:dpfip-fips: a list of FLOATING=FIXED items. */
struct dpfip_pair_cfg {
    struct in6_addr floating;           /* IPv4 is IPv4-mapped. */
    struct in6_addr fixed;              /* IPv4 is IPv4-mapped. */
    enum dpfip_family family;
    char *error;                        /* Why unusable, or NULL. */
};

/* Splits 'value' into its items, in order, without duplicates.  The caller
 * frees each string and the array. */
char **dpfip_split_fips(const char *value, size_t *n);
void dpfip_pair_cfg_parse(const char *text, struct dpfip_pair_cfg *);
void dpfip_pair_cfg_destroy(struct dpfip_pair_cfg *);

/* Why a valid pair cannot work with a bridge and a routing context (e.g. a
 * floating address that is the gateway's), or NULL. */
char *dpfip_pair_check(const struct dpfip_pair_cfg *,
                       const struct dpfip_bridge_cfg *,
                       const struct dpfip_route_ctx *)
    OVS_WARN_UNUSED_RESULT;

#endif /* dpfip-config.h */
