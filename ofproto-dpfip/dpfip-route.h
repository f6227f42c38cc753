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

#ifndef DPFIP_ROUTE_H
#define DPFIP_ROUTE_H 1

/* Route export: each active FIP of a bridge becomes a host route (IPv4 /32,
 * IPv6 /128) in the kernel routing table or VRF that Bridge
 * other_config:dpfip-route-table names, so that a routing daemon (FRR's
 * bgpd, "redistribute table N" or "redistribute kernel" in the VRF)
 * announces it from this chassis.  dpfip speaks no BGP itself.
 *
 * The routes are blackhole routes with protocol DPFIP_RTPROT: they carry
 * an announcement, not a forwarding decision (FIP traffic never reaches
 * the host's IP stack: the datapath takes it at the uplink).  A table is
 * dpfip's alone: one that holds routes of another protocol is refused.
 * Routes are reconciled whenever a table is (re)chosen, e.g. at start, so
 * that none is left stale after a crash.
 *
 * Bridge other_config:dpfip-announce (arp, bgp or both; default arp)
 * chooses how a FIP is announced: "arp" answers ARP/ND for it on the
 * uplink and sends gratuitous ARPs / unsolicited NAs, "bgp" exports its
 * route and stays silent on the uplink, "both" does both.  When route
 * export cannot work (bad key, unknown VRF, table in use, netlink error)
 * the bridge falls back to "arp" and dpfip/show says why; likewise, as
 * long as no routing daemon (zebra, bird, gobgpd) runs in ovs-vswitchd's
 * network namespace (checked every 5 s), "bgp" bridges also announce by
 * ARP/ND, so that their FIPs stay reachable. */

#include <stdbool.h>
#include <netinet/in.h>
#include "dpfip-config.h"

struct ds;
struct json;

/* rtnetlink protocol of dpfip's routes ("ip route ... proto 249"). */
#define DPFIP_RTPROT 249

/* Route export of one bridge, owned by the bridge. */
struct dpfip_routes *dpfip_routes_create(const char *bridge_name);
void dpfip_routes_destroy(struct dpfip_routes *);

/* Applies dpfip-announce and dpfip-route-table.  Returns true if the set of
 * routes starts over (a table was chosen or changed): the caller then adds
 * every active FIP again. */
bool dpfip_routes_configure(struct dpfip_routes *, enum dpfip_announce_mode,
                            const char *table_name);

/* The route of one FIP that became active, or stopped being active. */
void dpfip_routes_add(struct dpfip_routes *, const struct in6_addr *,
                      enum dpfip_family);
void dpfip_routes_remove(struct dpfip_routes *, const struct in6_addr *,
                         enum dpfip_family);

void dpfip_routes_run(struct dpfip_routes *);
void dpfip_routes_wait(const struct dpfip_routes *);
bool dpfip_routes_exports(const struct dpfip_routes *);
bool dpfip_routes_use_arp(const struct dpfip_routes *);
void dpfip_routes_format(const struct dpfip_routes *, struct ds *);
struct json *dpfip_routes_to_json(const struct dpfip_routes *);

/* Whether a routing daemon runs in this network namespace, looked for now
 * and then while 'exporting'.  Returns true if that changed since the last
 * call (the bridges' ARP/ND fallback changes with it). */
bool dpfip_routes_check_daemon(bool exporting);
void dpfip_routes_wait_daemon(bool exporting);

#endif /* dpfip-route.h */
