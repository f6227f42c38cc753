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

#ifndef OFP_DPFIP_H
#define OFP_DPFIP_H 1

/* The "dpfip" OpenFlow action: one floating IP's stateless 1:1 rewrite.
 *
 *     dpfip(dnat,fip=ADDR)   packet to ADDR on the uplink -> fixed address,
 *                            eth src := router MAC, eth dst := VM MAC,
 *                            TTL/hop limit - 1.
 *     dpfip(snat,fip=ADDR)   packet from the fixed address -> src := ADDR,
 *                            eth src := external MAC, eth dst := gateway MAC,
 *                            TTL/hop limit - 1.
 *
 * The action names the floating IP only; ovs-vswitchd's dpfip module
 * (ofproto-dpfip/) supplies the rest of the rewrite at translation time, so
 * a moved VM or a new gateway MAC never requires rewriting OpenFlow rules.
 *
 * This header is included by openvswitch/ofp-actions.h (for struct
 * ofpact_dpfip) and by lib/ofp-actions.c (for the codec).  Include
 * "openvswitch/ofp-actions.h" instead of this file. */

#include <netinet/in.h>
#include <stdbool.h>
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct ds;
struct match;
struct ovs_list;

enum dpfip_direction {
    DPFIP_DNAT = 0,             /* Floating -> fixed (traffic in). */
    DPFIP_SNAT = 1,             /* Fixed -> floating (traffic out). */
};
#define DPFIP_N_DIRECTIONS 2

const char *dpfip_direction_to_string(enum dpfip_direction);

/* OFPACT_DPFIP. */
struct ofpact_dpfip {
    OFPACT_PADDED_MEMBERS(
        struct ofpact ofpact;
        uint8_t direction;          /* enum dpfip_direction. */
        bool len_checked;           /* After dpfip's own check_pkt_larger
                                     * (see dpfip-xlate.c); never on the
                                     * wire. */
        struct in6_addr fip;        /* IPv4 floating IPs are IPv4-mapped. */
    );
};

/* Wire format: a Nicira extension action, NXAST_DPFIP. */
struct nx_action_dpfip {
    ovs_be16 type;              /* OFPAT_VENDOR. */
    ovs_be16 len;               /* 32. */
    ovs_be32 vendor;            /* NX_VENDOR_ID. */
    ovs_be16 subtype;           /* NXAST_DPFIP. */
    uint8_t direction;          /* enum dpfip_direction. */
    uint8_t pad[5];             /* Must be zero. */
    struct in6_addr fip;        /* IPv4 floating IPs are IPv4-mapped. */
};

enum ofperr ofp_dpfip_decode(const struct nx_action_dpfip *,
                             struct ofpact_dpfip *);
void ofp_dpfip_encode(const struct ofpact_dpfip *, struct nx_action_dpfip *);
char *ofp_dpfip_parse(char *arg, struct ofpact_dpfip *)
    OVS_WARN_UNUSED_RESULT;
void ofp_dpfip_format(const struct ofpact_dpfip *, struct ds *);
enum ofperr ofp_dpfip_check(const struct ofpact_dpfip *);
enum ofperr ofp_dpfip_check_group_buckets(const struct ovs_list *buckets);

/* ovs-vswitchd registers a function that says whether 'fip' is a configured
 * floating IP, so that a flow or a group bucket naming an unknown one is
 * refused at flow-mod or group-mod time.  Without one (e.g. in ovs-ofctl)
 * every syntactically valid action passes. */
typedef bool ofp_dpfip_is_known_func(const struct in6_addr *fip);
void ofp_dpfip_set_is_known(ofp_dpfip_is_known_func *);

#endif /* ofp-dpfip.h */
