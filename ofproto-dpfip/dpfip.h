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
#include <stddef.h>
#include "openvswitch/types.h"

struct dp_packet;
struct dpif_flow_stats;
struct flow;
struct flow_wildcards;
struct ofpact_dpfip;
struct ofpbuf;
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

/* Translation (any thread).
 *
 * dpfip_xlate_ingress() is called for each packet entering a bridge (from
 * a port, or from a patch port), before table 0.  If the packet is FIP
 * traffic, it appends the actions that handle it (the dpfip action and an
 * output, and VLAN actions on a tagged uplink) to 'ofpacts' and returns
 * true: translation runs those instead of the bridge's tables.  Otherwise
 * the packet meets the bridge's own flows untouched.  Either way 'wc' gets
 * what the decision looked at.
 *
 * dpfip_should_process_flow() is called from process_special() for ARP and
 * neighbor discovery: it returns true if dpfip wants the packet, passed to
 * dpfip_process_packet() when there is one, and sets '*consume' if the
 * packet goes no further (then it is slow-pathed like LACP's); otherwise
 * it continues to the bridge's pipeline. */
bool dpfip_xlate_ingress(const struct ofproto_dpif *, const struct flow *,
                         struct flow_wildcards *, struct ofpbuf *ofpacts);

/* dpfip_xlate_hairpin() is called when a packet leaves a bridge through the
 * patch port 'port', before it crosses to the other bridge.  If 'port' is
 * the bridge's dpfip uplink and the packet is for a floating IP active on
 * this bridge (another VM, or OVN's router, reaching a FIP of this chassis
 * through the provider network), dpfip turns it around, as the provider
 * network would: DPFIP_HAIRPIN_ACTIONS puts the actions that deliver it to
 * the VM in 'ofpacts'; DPFIP_HAIRPIN_CONSUMED is an ARP request or neighbor
 * solicitation for the FIP, which dpfip answers back into the bridge as if
 * from the uplink (slow-pathed; 'packet' is the packet, when there is
 * one).  DPFIP_HAIRPIN_NONE: the packet crosses as usual. */
enum dpfip_hairpin {
    DPFIP_HAIRPIN_NONE,
    DPFIP_HAIRPIN_ACTIONS,
    DPFIP_HAIRPIN_CONSUMED,
};
enum dpfip_hairpin dpfip_xlate_hairpin(const struct ofproto_dpif *,
                                       ofp_port_t port, const struct flow *,
                                       struct flow_wildcards *,
                                       const struct dp_packet *,
                                       struct ofpbuf *ofpacts);
const char *dpfip_xlate_action(const struct ofpact_dpfip *,
                               const struct ofproto_dpif *,
                               struct flow *, struct flow_wildcards *,
                               const struct dpif_flow_stats *,
                               struct xlate_cache *,
                               struct ofpbuf *odp_actions,
                               struct flow *base_flow,
                               const struct dp_packet *packet,
                               bool *slow);
bool dpfip_xlate_fuses(const struct ofproto_dpif *);
bool dpfip_should_process_flow(const struct ofproto_dpif *, ofp_port_t,
                               const struct flow *, struct flow_wildcards *,
                               bool *consume);
void dpfip_process_packet(const struct ofproto_dpif *, ofp_port_t,
                          const struct flow *, const struct dp_packet *);

/* The counters of one FIP, credited through the xlate cache (XC_DPFIP)
 * while datapath flows live: 'counter' is an enum dpfip_xc_counter. */
enum dpfip_xc_counter {
    DPFIP_XC_DNAT,                      /* DPFIP_DNAT. */
    DPFIP_XC_SNAT,                      /* DPFIP_SNAT. */
    DPFIP_XC_DNAT_DROP,
    DPFIP_XC_SNAT_DROP,
    DPFIP_XC_DNAT_FILTERED,             /* Dropped by dpfip-ingress. */
    DPFIP_XC_SNAT_FILTERED,             /* Dropped by dpfip-egress. */
};
struct dpfip_xc_stats;
void dpfip_xc_stats_credit(struct dpfip_xc_stats *, int counter,
                           const struct dpif_flow_stats *, bool offloaded);
void dpfip_xc_stats_unref(struct dpfip_xc_stats *);

#endif /* dpfip.h */
