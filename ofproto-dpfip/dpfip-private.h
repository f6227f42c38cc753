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

#ifndef DPFIP_PRIVATE_H
#define DPFIP_PRIVATE_H 1

/* The FIP table, shared by the files of the dpfip module.  Nothing outside
 * ofproto-dpfip/ includes this header.
 *
 * The main thread owns the table: each 'struct dpfip_bridge' owns its
 * interfaces ('struct dpfip_iface'), each interface owns its FIPs ('struct
 * dpfip_fip'), and dpfip.c keeps the only index across bridges, by address
 * (claims).  No other module walks the table: each receives the bridge or
 * the FIP it is to work on.
 *
 * What an active FIP does is resolved once into its 'struct dpfip_rewrite'
 * whenever something it depends on changes; translation threads see an
 * immutable copy of it ('struct dpfip_xfip', published through RCU by
 * dpfip-xlate.c), the offload manager builds its hardware rules from it,
 * and dpfip/dump-flows shows it. */

#include <stdbool.h>
#include <netinet/in.h>
#include "cmap.h"
#include "dpfip-config.h"
#include "dpfip-neigh.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-actions.h"
#include "ovs-atomic.h"
#include "packets.h"

struct dpfip_fip_offload;
struct dpfip_routes;
struct dpfip_xbridge;
struct dpfip_xfip;
struct dpfip_xport;
struct ofproto_dpif;

/* Counters of one FIP, both directions.  Shared (reference counted) between
 * the FIP, its published snapshot and every xlate cache entry that credits
 * it, so that a FIP removed while datapath flows still hold it is never
 * freed under them. */
struct dpfip_dir_stats {
    atomic_uint64_t n_packets;          /* Rewritten and forwarded. */
    atomic_uint64_t n_bytes;
    atomic_uint64_t n_offloaded_packets;    /* Part of n_packets. */
    atomic_uint64_t n_offloaded_bytes;      /* Part of n_bytes. */
    atomic_uint64_t n_dropped;          /* TTL expired, filtered... */
    atomic_uint64_t n_filtered;         /* Part of n_dropped: by the
                                         * direction's filter. */
};

struct dpfip_xc_stats {
    struct ovs_refcount ref_cnt;
    struct dpfip_dir_stats dir[DPFIP_N_DIRECTIONS];
};

struct dpfip_xc_stats *dpfip_xc_stats_create(void);
struct dpfip_xc_stats *dpfip_xc_stats_ref(struct dpfip_xc_stats *);
void dpfip_xc_stats_add(struct dpfip_xc_stats *, enum dpfip_direction,
                        uint64_t n_packets, uint64_t n_bytes);
void dpfip_xc_stats_add_offloaded(struct dpfip_xc_stats *,
                                  enum dpfip_direction, uint64_t n_packets,
                                  uint64_t n_bytes, uint64_t n_dropped);
void dpfip_xc_stats_add_dropped(struct dpfip_xc_stats *,
                                enum dpfip_direction, uint64_t n_packets);
void dpfip_xc_stats_add_filtered(struct dpfip_xc_stats *,
                                 enum dpfip_direction, uint64_t n_packets);

/* Everything one active FIP's rewrite needs, resolved from its bridge, its
 * interface and its pair. */
struct dpfip_rewrite {
    enum dpfip_family family;
    struct in6_addr floating;           /* IPv4 is IPv4-mapped. */
    struct in6_addr fixed;
    ofp_port_t uplink_port;
    ofp_port_t vm_port;
    uint16_t uplink_vlan;               /* 0: untagged. */
    struct eth_addr ext_mac;            /* DNAT: match dst; SNAT: new src. */
    struct eth_addr router_mac;         /* DNAT: new src; SNAT: match dst. */
    struct eth_addr vm_mac;             /* DNAT: new dst; SNAT: match src. */
    struct eth_addr gw_mac;             /* SNAT: new dst. */
    struct dpfip_prefixes *internal;    /* Never SNATed; a reference. */
    struct dpfip_filter *filter[DPFIP_N_DIRECTIONS];   /* dpfip-ingress,
                                         * dpfip-egress: references, NULL
                                         * allows all. */
    uint16_t mtu[DPFIP_N_DIRECTIONS];   /* Largest IP packet each way (the
                                         * VM's, the uplink's), 0 if no
                                         * larger one can arrive. */
};

bool dpfip_rewrite_equal(const struct dpfip_rewrite *,
                         const struct dpfip_rewrite *);
void dpfip_rewrite_copy(struct dpfip_rewrite *dst,
                        const struct dpfip_rewrite *src);
void dpfip_rewrite_destroy(struct dpfip_rewrite *);

/* A bridge with dpfip configuration. */
struct dpfip_bridge {
    struct hmap_node node;              /* In dpfip.c's bridges, by ofproto. */
    struct ofproto_dpif *ofproto;
    char *name;
    struct dpfip_bridge_cfg cfg;
    char *error;                        /* Why its FIPs cannot work. */

    ofp_port_t uplink_port;             /* OFPP_NONE if unknown. */
    int uplink_mtu;                     /* Its netdev's MTU, 0 if none. */
    struct eth_addr ext_mac;            /* Effective external MAC. */

    struct hmap ifaces;                 /* "struct dpfip_iface"s, by name. */
    size_t n_fips;
    struct ovs_list usable[DPFIP_N_FAMILIES];   /* Waiting or active FIPs. */

    struct dpfip_neigh *neigh;          /* Gateway, announcements. */
    struct dpfip_routes *routes;        /* Route export, dpfip-route.c. */
    bool announces_arp;                 /* ARP/ND at the last refresh. */
    struct dpfip_xbridge *xbridge;      /* Published, or NULL. */
    bool seen;                          /* Mark for dpfip_configure(). */
};

/* An interface with dpfip-fips: one VM port. */
struct dpfip_iface {
    struct hmap_node node;              /* In its bridge's 'ifaces'. */
    struct dpfip_bridge *br;
    char *name;
    ofp_port_t ofp_port;                /* OFPP_NONE if not a port (yet). */
    int port_mtu;                       /* Its netdev's MTU, 0 if none. */
    char *fips_value;                   /* dpfip-fips, as last applied. */
    char *signature;                    /* Its other keys, as last parsed. */
    struct dpfip_iface_cfg cfg;
    struct dpfip_route_ctx ctx;         /* Valid if '!error'. */
    char *error;                        /* Why its FIPs cannot work. */
    struct hmap fips;                   /* "struct dpfip_fip"s. */
    struct dpfip_xport *xport;          /* Published, or NULL. */
    bool seen;                          /* Mark for dpfip_configure(). */
};

enum dpfip_state {
    DPFIP_INVALID,                      /* Configuration error. */
    DPFIP_WAITING,                      /* Valid, but missing something. */
    DPFIP_ACTIVE,                       /* Rewriting and announced. */
};

const char *dpfip_state_to_string(enum dpfip_state);

struct dpfip_addr;

/* One FLOATING=FIXED item of one interface's dpfip-fips. */
struct dpfip_fip {
    struct hmap_node iface_node;        /* In its interface's 'fips': by
                                         * floating address if the pair is
                                         * valid, else by 'text'. */
    struct dpfip_iface *iface;
    char *text;                         /* The item as configured. */
    struct dpfip_pair_cfg pair;
    char *conflict;                     /* Clash within the interface. */

    /* dpfip.c's address index. */
    struct dpfip_addr *floating_addr;   /* NULL if 'pair' is invalid. */
    struct dpfip_addr *fixed_addr;
    struct ovs_list claim_node;         /* In floating_addr's claimants. */

    /* Evaluation. */
    struct ovs_list dirty_node;         /* In dpfip.c's work list. */
    bool eligible;                      /* Nothing of its own stops it. */
    char *ineligible;                   /* Why not, if not. */
    enum dpfip_state state;
    char *reason;                       /* Why not active, or NULL. */
    struct ovs_list usable_node;        /* In bridge's 'usable' if waiting
                                         * or active. */

    /* While active. */
    struct dpfip_rewrite rw;
    struct dpfip_xfip *xfip;            /* Published, dpfip-xlate.c. */
    struct dpfip_fip_offload *offload;  /* dpfip-offload.c, or NULL. */
    struct dpfip_announcement announcement;     /* dpfip-neigh.c. */

    struct dpfip_xc_stats *stats;
};

static inline struct dpfip_bridge *
dpfip_fip_bridge(const struct dpfip_fip *fip)
{
    return fip->iface->br;
}

/* dpfip.c. */
bool dpfip_is_enabled(void);
const struct dpfip_global_cfg *dpfip_global_cfg(void);
const char *dpfip_global_error(void);
const struct dpfip_bridge **dpfip_bridges_sorted(const char *name,
                                                size_t *n);
struct dpfip_bridge *dpfip_bridge_find(const char *name);
const struct ovs_list *dpfip_claimants(const struct in6_addr *floating);

/* dpfip-xlate.c: RCU snapshots for translation. */
bool dpfip_xlate_publish_bridge(struct dpfip_bridge *);
void dpfip_xlate_unpublish_bridge(struct dpfip_bridge *);
bool dpfip_xlate_publish_iface(struct dpfip_iface *);
bool dpfip_xlate_unpublish_iface(struct dpfip_iface *);
bool dpfip_xlate_publish_fip(struct dpfip_fip *);
bool dpfip_xlate_unpublish_fip(struct dpfip_fip *);
uint64_t dpfip_xlate_unknown_drops(void);
void dpfip_xlate_set_fused(bool);
void dpfip_xlate_revalidate(const struct dpfip_bridge *);

/* What translation threads read (dpfip-xlate.c). */
struct dpfip_xbridge {
    struct cmap_node cmap_node;         /* By ofproto. */
    const struct ofproto_dpif *ofproto;
    ofp_port_t uplink_port;
    uint16_t uplink_vlan;
    struct eth_addr ext_mac;
    bool learns_gw[DPFIP_N_FAMILIES];   /* Gateway MAC learned, not set. */
    struct in6_addr gw[DPFIP_N_FAMILIES];
    bool answers_fips;                  /* ARP/ND for FIPs (dpfip-announce). */
};

struct dpfip_xport {
    struct cmap_node cmap_node;         /* By ofproto and port. */
    const struct ofproto_dpif *ofproto;
    ofp_port_t port;
    struct eth_addr router_mac;
    struct dpfip_router_cfg answered;   /* Router addresses answered here. */
};

struct dpfip_xfip {
    struct cmap_node floating_node;     /* By floating address. */
    struct cmap_node snat_node;         /* By ofproto, VM port and fixed. */
    const struct ofproto_dpif *ofproto;
    struct dpfip_rewrite rw;
    struct dpfip_xc_stats *stats;
};

const struct dpfip_xbridge *dpfip_xbridge_lookup(const struct ofproto_dpif *);
const struct dpfip_xport *dpfip_xport_lookup(const struct ofproto_dpif *,
                                             ofp_port_t);
const struct dpfip_xfip *dpfip_xfip_lookup(const struct in6_addr *floating);

/* dpfip-unixctl.c. */
void dpfip_unixctl_register(void);

#endif /* dpfip-private.h */
