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

#ifndef DPFIP_ICMP_H
#define DPFIP_ICMP_H 1

/* ICMP errors that dpfip sends as the router of a FIP's hop.
 *
 * A packet whose TTL (hop limit) would reach 0 at the FIP's hop is answered
 * with an ICMP time exceeded (ICMPv6 time exceeded), as a router does (RFC
 * 1812 5.3.1, RFC 4443 3.3), so that traceroute shows the hop; one larger
 * than the next hop's MTU with an ICMP fragmentation needed (ICMPv6 packet
 * too big, RFC 1191, RFC 4443 3.2), so that path MTU discovery works.
 * Never about an ICMP error, a non-first fragment, a packet from a
 * multicast, broadcast or unspecified source or one to a multicast or
 * broadcast address (RFC 1812 4.3.2.7, RFC 4443 2.4 e).  The error
 * quotes as much of the packet as fits in 576 bytes (IPv4) or 1280 bytes
 * (IPv6).
 *
 * Composing is pure and thread-safe; handler threads do it.  The rate
 * limit is one token bucket for the whole process, 1000 errors per second
 * with a burst of 50, the defaults of Linux's icmp_msgs_per_sec and
 * icmp_msgs_burst. */

#include <stdbool.h>
#include <netinet/in.h>
#include "dpfip-config.h"
#include "packets.h"

struct dp_packet;

bool dpfip_icmp_may_answer(const struct dp_packet *, enum dpfip_family);
bool dpfip_icmp_rate_allows(void);
struct dp_packet *dpfip_icmp_time_exceeded(const struct dp_packet *,
                                           enum dpfip_family,
                                           const struct eth_addr *eth_src,
                                           const struct in6_addr *ip_src,
                                           uint16_t vlan);
struct dp_packet *dpfip_icmp_too_big(const struct dp_packet *,
                                     enum dpfip_family,
                                     const struct eth_addr *eth_src,
                                     const struct in6_addr *ip_src,
                                     uint16_t vlan, uint16_t mtu);

/* ICMP errors about a packet that went through a FIP (RFC 5508 4.2, as a
 * NAT translates them): destination unreachable (fragmentation needed
 * among them, so path MTU discovery works), time exceeded and parameter
 * problem, ICMPv6's packet too big as well.  Towards the VM the outer
 * destination and the quoted packet's source go from the FIP to the fixed
 * address; from the VM the outer source and the quoted packet's
 * destination go from the fixed address to the FIP, so that the private
 * address never leaves.  The quoted IPv4 header checksum and a quoted TCP,
 * UDP or ICMPv6 checksum follow, as far as the quote holds them. */
bool dpfip_icmp_is_error(enum dpfip_family, uint8_t type);
struct dp_packet *dpfip_icmp_translate_error(const struct dp_packet *,
                                             enum dpfip_family, bool dnat,
                                             const struct eth_addr *eth_src,
                                             const struct eth_addr *eth_dst,
                                             const struct in6_addr *old,
                                             const struct in6_addr *new,
                                             uint16_t vlan);

#endif /* dpfip-icmp.h */
