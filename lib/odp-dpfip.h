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

#ifndef ODP_DPFIP_H
#define ODP_DPFIP_H 1

/* The fused rewrite: OVS_ACTION_ATTR_DPFIP_REWRITE, an action of the
 * userspace datapath only (like lb_output or tnl_push), that applies one
 * floating IP direction's whole rewrite in one step.
 *
 * On each packet it sets both Ethernet addresses, replaces one IP address
 * (the source or the destination) and decrements the TTL or hop limit,
 * updating the IPv4 header checksum and the TCP, UDP or ICMPv6 checksum
 * with a ones'-complement delta computed once, when the action is built:
 * the old and the new address are known then.  The result is the packet
 * OVS's masked set actions would make (set(eth(...)), set(ipv4(...)) or
 * set(ipv6(...)) with the TTL one lower), except where those are wrong:
 *
 *   - A non-first IPv4 fragment carries no L4 header, so its payload is
 *     left alone (the masked set would "update" a checksum in the data).
 *
 *   - With an offloaded (partial) L4 checksum the field holds the pseudo-
 *     header sum, which gets the delta added rather than the full-checksum
 *     update, so the NIC or the guest computes the right checksum.
 *
 *   - An L3 header shorter than IPv4's or IPv6's fixed header is left
 *     alone (the masked set would write past it). */

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/types.h"
#include "packets.h"

struct dp_packet_batch;
struct ds;
struct nlattr;
struct ofpbuf;

/* OVS_ACTION_ATTR_DPFIP_REWRITE's argument. */
struct ovs_action_dpfip_rewrite {
    struct eth_addr eth_src;
    struct eth_addr eth_dst;
    uint8_t ipv6;               /* 0: IPv4, 1: IPv6. */
    uint8_t rewrite_dst;        /* 0: the source address, 1: destination. */
    uint8_t pad[2];
    uint32_t csum_delta;        /* Ones'-complement sum of ~old and new. */
    struct in6_addr old_addr;   /* IPv4-mapped for IPv4. */
    struct in6_addr new_addr;   /* Likewise. */
};
BUILD_ASSERT_DECL(sizeof(struct ovs_action_dpfip_rewrite) == 52);

void odp_dpfip_rewrite_init(struct ovs_action_dpfip_rewrite *,
                            const struct eth_addr *eth_src,
                            const struct eth_addr *eth_dst, bool ipv6,
                            bool rewrite_dst,
                            const struct in6_addr *old_addr,
                            const struct in6_addr *new_addr);
void odp_dpfip_rewrite_put(struct ofpbuf *odp_actions,
                           const struct ovs_action_dpfip_rewrite *);

void odp_dpfip_rewrite_execute(struct dp_packet_batch *,
                               const struct nlattr *);

void odp_dpfip_rewrite_format(struct ds *, const struct nlattr *);
int odp_dpfip_rewrite_parse(const char *, struct ofpbuf *odp_actions);

#endif /* odp-dpfip.h */
