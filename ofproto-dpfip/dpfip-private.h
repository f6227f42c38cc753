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

/* State shared by the files of the dpfip module.  Nothing outside
 * ofproto-dpfip/ includes this header.
 *
 * The main thread owns 'struct dpfip_bridge' and 'struct dpfip_fip' (the
 * FIP table).  Translation threads see only immutable snapshots of them,
 * 'struct dpfip_xbridge' and 'struct dpfip_xfip', published through RCU
 * (dpfip-xlate.c), and report back through the event queue
 * (dpfip-announce.c). */

#include <stdbool.h>
#include <netinet/in.h>
#include "cmap.h"
#include "dpfip-config.h"
#include "heap.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-actions.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "packets.h"

struct ofproto_dpif;

/* Per-direction counters of one FIP.  Shared between the FIP, its published
 * snapshot and every xlate cache entry that credits it, so that a FIP
 * removed while datapath flows still hold it is never freed under them. */
struct dpfip_xc_stats {
    struct ovs_refcount ref_cnt;
    atomic_uint64_t n_packets;
    atomic_uint64_t n_bytes;
    atomic_uint64_t n_offloaded_packets; /* Part of n_packets. */
    atomic_uint64_t n_offloaded_bytes;   /* Part of n_bytes. */
    atomic_uint64_t n_dropped;           /* TTL expired, address mismatch. */
};

struct dpfip_xc_stats *dpfip_xc_stats_create(void);
struct dpfip_xc_stats *dpfip_xc_stats_ref(struct dpfip_xc_stats *);
void dpfip_xc_stats_add(struct dpfip_xc_stats *, uint64_t n_packets,
                        uint64_t n_bytes);

/* What translation needs of one active FIP.  Immutable once published. */
struct dpfip_xfip {
    struct cmap_node cmap_node;     /* In xfips, hashed on 'floating'. */
    struct in6_addr floating;       /* IPv4 is IPv4-mapped. */
    struct in6_addr fixed;          /* IPv4 is IPv4-mapped. */
    bool is_ipv4;
    const struct ofproto_dpif *ofproto;
    ofp_port_t vm_port;
    struct eth_addr vm_mac;
    struct eth_addr router_mac;
    struct eth_addr ext_mac;
    struct eth_addr gw_mac;
    struct dpfip_xc_stats *stats[DPFIP_N_DIRECTIONS];
};

/* What ARP/ND processing in translation needs of one dpfip bridge.
 * Immutable once published. */
struct dpfip_xbridge {
    struct cmap_node cmap_node;     /* In xbridges, hashed on 'ofproto'. */
    const struct ofproto_dpif *ofproto;
    ofp_port_t uplink_port;
    struct eth_addr ext_mac;
    struct eth_addr router_mac;
    bool has_router[DPFIP_N_FAMILIES];
    struct in6_addr router[DPFIP_N_FAMILIES];
    bool learns_gw[DPFIP_N_FAMILIES];   /* Gateway MAC learned, not set. */
    struct in6_addr gw[DPFIP_N_FAMILIES];
    bool answers_fips;              /* ARP/ND for FIPs (dpfip-announce). */
};

/* Resolution of the gateway's MAC for one address family. */
struct dpfip_gateway {
    bool resolved;
    struct eth_addr mac;
    long long int resolved_at;      /* When last learned, in msec. */
    long long int next_probe;       /* When to send the next ARP/NS. */
    int probe_interval;             /* Current backoff, in msec. */
    unsigned int n_probes;          /* Probes sent since last answer. */
};

/* A bridge that has dpfip configuration. */
struct dpfip_bridge {
    struct hmap_node hmap_node;     /* In 'dpfip_bridges', by name. */
    char *name;
    struct ofproto_dpif *ofproto;
    struct dpfip_bridge_cfg cfg;
    char *error;                    /* Why its FIPs cannot work, or NULL. */

    ofp_port_t uplink_port;         /* OFPP_NONE if unknown. */
    struct eth_addr ext_mac;        /* Effective external MAC. */
    struct dpfip_gateway gw[DPFIP_N_FAMILIES];

    struct dpfip_xbridge *xbridge;  /* Published snapshot, or NULL. */
    struct dpfip_routes *routes;    /* dpfip-route.c, or NULL. */
    bool used_arp;                  /* ARP/ND announcing at last refresh. */
    struct hmap flows;              /* Installed 'struct dpfip_flow's. */
    bool seen;                      /* Mark for dpfip_configure(). */
};

enum dpfip_state {
    DPFIP_INVALID,                  /* Configuration error, see 'reason'. */
    DPFIP_WAITING,                  /* Valid, but missing something. */
    DPFIP_ACTIVE,                   /* Rewriting and announced. */
};

const char *dpfip_state_to_string(enum dpfip_state);

/* One FLOATING=FIXED pair configured on one interface. */
struct dpfip_fip {
    struct hmap_node hmap_node;     /* In 'dpfip_fips', by 'text'. */
    char *text;                     /* The pair as configured. */
    char *bridge_name;
    char *iface_name;
    struct dpfip_pair_cfg pair;     /* Parsed 'text'. */

    struct eth_addr vm_mac;
    char *vm_mac_error;             /* Why 'vm_mac' is unusable, or NULL. */
    ofp_port_t vm_port;             /* OFPP_NONE if the port is not there. */

    enum dpfip_state state;
    char *reason;                   /* Why not active, or NULL. */
    struct dpfip_xc_stats *stats[DPFIP_N_DIRECTIONS];
    struct dpfip_xfip *xfip;        /* Published snapshot, or NULL. */
    struct dpfip_fip_offload *offload;  /* dpfip-offload.c, or NULL. */

    /* Announcement (GARP / unsolicited NA) after activation.  While
     * 'n_announce_left' is nonzero the FIP is in dpfip.c's heap of
     * announcements, earliest 'next_announce' first. */
    struct heap_node announce_node;
    unsigned int n_announce_left;
    long long int next_announce;
    int announce_interval;          /* Msec, doubles after each. */
    unsigned int n_announced;       /* Total sent, for dpfip/show. */

    bool seen;                      /* Mark for dpfip_configure(). */
};

/* dpfip.c: the tables, for the other files of the module. */
extern struct hmap dpfip_bridges;
extern struct hmap dpfip_fips;
bool dpfip_is_enabled(void);
struct dpfip_bridge *dpfip_bridge_find(const char *name);
struct dpfip_bridge *dpfip_bridge_find_by_ofproto(const struct ofproto_dpif *);

/* dpfip-xlate.c: RCU snapshots for translation. */
bool dpfip_xlate_publish_bridge(struct dpfip_bridge *);
void dpfip_xlate_unpublish_bridge(struct dpfip_bridge *);
bool dpfip_xlate_publish_fip(struct dpfip_fip *, const struct dpfip_bridge *);
bool dpfip_xlate_unpublish_fip(struct dpfip_fip *);
const struct dpfip_xfip *dpfip_xfip_lookup(const struct in6_addr *floating);
const struct dpfip_xbridge *dpfip_xbridge_lookup(const struct ofproto_dpif *);
uint64_t dpfip_xlate_unknown_drops(void);

/* dpfip.c: called by dpfip-announce.c when a gateway reveals its MAC. */
void dpfip_gateway_learned(const struct ofproto_dpif *, enum dpfip_family,
                           const struct in6_addr *ip, struct eth_addr mac);

/* dpfip-unixctl.c. */
void dpfip_unixctl_register(void);

#endif /* dpfip-private.h */
