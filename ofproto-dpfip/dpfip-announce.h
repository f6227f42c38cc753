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

#ifndef DPFIP_ANNOUNCE_H
#define DPFIP_ANNOUNCE_H 1

/* ARP and IPv6 neighbor discovery for dpfip.
 *
 * Translation threads hand ARP requests and neighbor solicitations for
 * local FIPs (on the uplink) and for the router address (on VM ports) to
 * dpfip_process_packet(), which composes the reply and queues it; gateway
 * replies are queued as "learned" events.  The main thread sends the queue
 * from dpfip_announce_run(), along with gratuitous ARPs / unsolicited NAs
 * for FIPs that became active and probes for the gateway's MAC. */

#include <netinet/in.h>
#include "dpfip-config.h"

struct dpfip_bridge;
struct dpfip_fip;
struct ofproto_dpif;

void dpfip_announce_fip(const struct dpfip_bridge *, const struct dpfip_fip *);
void dpfip_probe_gateway(const struct dpfip_bridge *, enum dpfip_family,
                         const struct in6_addr *src);
void dpfip_announce_run(void);
void dpfip_announce_wait(void);
void dpfip_announce_purge(const struct ofproto_dpif *);

#endif /* dpfip-announce.h */
