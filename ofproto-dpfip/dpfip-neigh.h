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

#ifndef DPFIP_NEIGH_H
#define DPFIP_NEIGH_H 1

/* ARP and IPv6 neighbor discovery for one dpfip bridge, in the shape of
 * lib/lacp.c: an instance per bridge, owned by its caller, with
 * configure/run/wait, and a translation side for handler threads.
 *
 *   - Responder (handler threads, from process_special()): ARP requests
 *     and neighbor solicitations for the bridge's active FIPs on the uplink
 *     and for the router addresses on VM ports get a reply, composed there
 *     and sent by the main thread.
 *
 *   - Gateway resolution: ARP requests / neighbor solicitations for the
 *     gateway out of the uplink, from a FIP of the bridge, at 1, 2, 4... up
 *     to 30 s until answered, then every 30 s; the gateway's MAC is learned
 *     from replies addressed to this chassis and from the gateway's
 *     gratuitous ARPs and unsolicited NAs.  Only what dpfip asked for, or
 *     what is addressed to it, is consumed; everything else (a reply to
 *     another host, a broadcast) continues to the bridge's pipeline.
 *
 *   - Announcements: gratuitous ARPs / unsolicited NAs when a FIP becomes
 *     active, at once and then 1, 2, 4... s apart, a configured number of
 *     times.
 *
 *   - Anti-spoofing: ARP replies, gratuitous ARPs and neighbor
 *     advertisements from a VM port for an address that is an active FIP
 *     are dropped and counted: a VM never claims a FIP.
 *
 * The module never calls back into the FIP table: dpfip_neigh_run() says
 * which families' gateway MACs changed, and the caller asks for the MAC. */

#include <stdbool.h>
#include <netinet/in.h>
#include "dpfip-config.h"
#include "heap.h"
#include "openvswitch/types.h"
#include "packets.h"

struct dp_packet;
struct ds;
struct flow;
struct flow_wildcards;
struct json;
struct ofproto_dpif;

struct dpfip_neigh_settings {
    ofp_port_t uplink_port;
    uint16_t uplink_vlan;               /* 0: untagged. */
    struct eth_addr ext_mac;
    bool has_gw[DPFIP_N_FAMILIES];
    struct in6_addr gw[DPFIP_N_FAMILIES];
    bool has_gw_mac;                    /* Configured, not resolved. */
    struct eth_addr gw_mac;
    unsigned int announce_count;
};

/* The announcements of one FIP: embedded in its owner (the FIP), scheduled
 * by the neighbour module. */
struct dpfip_announcement {
    struct heap_node heap_node;         /* In the instance's schedule. */
    bool scheduled;
    struct in6_addr addr;
    enum dpfip_family family;
    unsigned int n_left;
    unsigned int n_sent;                /* In all, for dpfip/show. */
    long long int next;                 /* msec. */
    int interval;                       /* msec, doubles after each. */
};

struct dpfip_neigh *dpfip_neigh_create(struct ofproto_dpif *,
                                       const char *name);
void dpfip_neigh_destroy(struct dpfip_neigh *);
void dpfip_neigh_configure(struct dpfip_neigh *,
                           const struct dpfip_neigh_settings *);
unsigned int dpfip_neigh_run(struct dpfip_neigh *);
void dpfip_neigh_wait(const struct dpfip_neigh *);

bool dpfip_neigh_get_gateway(const struct dpfip_neigh *, enum dpfip_family,
                             struct eth_addr *mac);
void dpfip_neigh_set_probe_source(struct dpfip_neigh *, enum dpfip_family,
                                  const struct in6_addr *src);

void dpfip_neigh_announce(struct dpfip_neigh *, struct dpfip_announcement *,
                          const struct in6_addr *, enum dpfip_family);
void dpfip_neigh_cancel(struct dpfip_neigh *, struct dpfip_announcement *);

void dpfip_neigh_format(const struct dpfip_neigh *, struct ds *);
struct json *dpfip_neigh_gateways_to_json(const struct dpfip_neigh *);
uint64_t dpfip_neigh_spoofed(const struct dpfip_neigh *);

/* Handler threads hand their work to the main thread through one queue for
 * all instances, drained here. */
void dpfip_neigh_run_queue(void);
void dpfip_neigh_wait_queue(void);

/* From a handler thread: the main thread sends 'packet' (taking it) out of
 * 'port' of 'ofproto''s bridge. */
void dpfip_neigh_queue_send(const struct ofproto_dpif *, ofp_port_t port,
                            struct dp_packet *packet);

/* The same, but the main thread hands 'packet' to table 0 of the bridge as
 * if it came in on 'port': the bridge's flows decide where it goes. */
void dpfip_neigh_queue_inject(const struct ofproto_dpif *, ofp_port_t port,
                              struct dp_packet *packet);

/* The translation side is dpfip_should_process_flow() and
 * dpfip_process_packet(), declared in dpfip.h, and this, for an ARP request
 * or neighbor solicitation leaving 'xb''s bridge through its uplink (see
 * dpfip_xlate_hairpin()): true if it asks for a FIP active there, and then
 * the answer, if 'packet', is handed back into the bridge as if it came in
 * on the uplink. */
struct dpfip_xbridge;
bool dpfip_neigh_hairpin(const struct dpfip_xbridge *, const struct flow *,
                         struct flow_wildcards *, const struct dp_packet *);

#endif /* dpfip-neigh.h */
