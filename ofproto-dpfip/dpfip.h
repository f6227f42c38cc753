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

#ifndef DPFIP_H
#define DPFIP_H 1

/* dpfip: distributed floating IPs.
 *
 * A floating IP (FIP) is configured on the VM's own Interface in OVSDB, so it
 * lives on the chassis that hosts the VM.  That chassis answers ARP/ND for
 * the FIP on the bridge's uplink, announces it when the port appears, and
 * rewrites FIP traffic statelessly with the "dpfip" OpenFlow action: DNAT
 * from the uplink to the VM, SNAT from the VM straight to the uplink.
 *
 * The module follows the shape of lib/bfd.c: bridge.c calls
 * dpfip_configure() after each reconfiguration, dpfip_run() and dpfip_wait()
 * from its main loop; the translation hooks below run in handler and
 * revalidator threads. */

#include <stdbool.h>
#include "openvswitch/types.h"

struct dp_packet;
struct dpif_flow_stats;
struct flow;
struct flow_wildcards;
struct ofpact_dpfip;
struct ofproto;
struct ofproto_dpif;
struct ovsrec_open_vswitch;
struct xlate_cache;

/* Main thread, called by bridge.c. */
void dpfip_configure(const struct ovsrec_open_vswitch *);
void dpfip_bridge_destroyed(struct ofproto *);
void dpfip_port_destroyed(struct ofproto *, ofp_port_t);
void dpfip_run(void);
void dpfip_wait(void);

/* Translation (any thread). */
const char *dpfip_xlate_action(const struct ofpact_dpfip *,
                               const struct ofproto_dpif *,
                               struct flow *, struct flow_wildcards *,
                               const struct dpif_flow_stats *,
                               struct xlate_cache *);
bool dpfip_should_process_flow(const struct ofproto_dpif *, ofp_port_t,
                               const struct flow *, struct flow_wildcards *);
void dpfip_process_packet(const struct ofproto_dpif *, ofp_port_t,
                          const struct flow *, const struct dp_packet *);

/* The per-direction counters of one FIP, credited through the xlate cache
 * (XC_DPFIP) while datapath flows live. */
struct dpfip_xc_stats;
void dpfip_xc_stats_credit(struct dpfip_xc_stats *,
                           const struct dpif_flow_stats *, bool offloaded);
void dpfip_xc_stats_unref(struct dpfip_xc_stats *);

#endif /* dpfip.h */
