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

#ifndef DPFIP_FLOWS_H
#define DPFIP_FLOWS_H 1

/* dpfip's OpenFlow rules.
 *
 * They are hidden rules in table 0 (priority above 65535, like in-band
 * control's), so that they take precedence over the bridge's own pipeline
 * and a controller's "del-flows" cannot remove them; "ovs-appctl
 * bridge/dump-flows BRIDGE" shows them.  Per active FIP:
 *
 *   in_port=UPLINK,dl_dst=EXT_MAC,ip,nw_dst=FLOATING
 *       actions=dpfip(dnat,fip=FLOATING),output:VM_PORT
 *   in_port=VM_PORT,dl_src=VM_MAC,dl_dst=ROUTER_MAC,ip,nw_src=FIXED
 *       actions=dpfip(snat,fip=FLOATING),output:UPLINK
 *
 * and per bridge, for each internal prefix (dpfip-router), a rule that
 * hands traffic to the router MAC for an internal destination back to the
 * bridge's pipeline, marked in DPFIP_PASS_REG so that dpfip's rules skip it
 * the second time:
 *
 *   dl_dst=ROUTER_MAC,ip,nw_dst=PREFIX
 *       actions=load:1->DPFIP_PASS_REG[DPFIP_PASS_BIT],resubmit(,0)
 *
 * Every dpfip rule matches the pass bit clear. */

#define DPFIP_PRIORITY_FIP 0xf10000
#define DPFIP_PRIORITY_PASS 0xf10001
#define DPFIP_PASS_REG 15               /* NXM_NX_REG15. */
#define DPFIP_PASS_BIT 31

#include <stddef.h>

struct dpfip_bridge;

void dpfip_flows_sync(struct dpfip_bridge *);
void dpfip_flows_forget(struct dpfip_bridge *);
size_t dpfip_flows_count(const struct dpfip_bridge *);

#endif /* dpfip-flows.h */
