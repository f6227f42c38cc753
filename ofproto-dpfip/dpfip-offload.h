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

#ifndef DPFIP_OFFLOAD_H
#define DPFIP_OFFLOAD_H 1

/* dpfip's offload manager: pushes each active FIP into the NIC's eSwitch
 * before its first packet, through a provider (lib/dpfip-offload-
 * provider.h), and falls back to the software datapath with the reason
 * when it cannot.
 *
 * A FIP is offloaded when Open_vSwitch other_config:dpfip-offload is "auto"
 * (the default) and its bridge's uplink and the VM's port are ports of one
 * eSwitch (userspace datapath: rte_flow) or, on the kernel datapath, ports
 * with an ifindex (tc flower on their ingress, with the flags of
 * other_config:tc-policy).  Its software rules stay in place, so that
 * whatever misses in hardware (or is in flight while rules change) is
 * still translated the same way.  Hardware (and tc) counters are added to
 * the FIP's counters.
 *
 * The manager knows providers only through lib/dpfip-offload-provider.h.
 * Its interface to the FIP table is the functions below: a FIP is handed
 * in with the bridge it belongs to, and the manager reads of them only
 * what build_spec() reads (addresses, MACs, ports, internal prefixes). */

#include <stdbool.h>
#include "openvswitch/types.h"

struct ds;
struct dpfip_bridge;
struct dpfip_fip;
struct dpfip_global_cfg;

void dpfip_offload_configure(const struct dpfip_global_cfg *);
void dpfip_offload_reconcile_ports(const struct dpfip_bridge *);
void dpfip_offload_update(const struct dpfip_bridge *, struct dpfip_fip *);
void dpfip_offload_remove(struct dpfip_fip *);
void dpfip_offload_run(void);
void dpfip_offload_wait(void);

/* Where an active FIP runs. */
enum dpfip_offload_where {
    DPFIP_WHERE_SOFTWARE,           /* Software only (see the reason). */
    DPFIP_WHERE_PENDING,            /* Queued for installation. */
    DPFIP_WHERE_OFFLOADED,          /* Rules in hardware. */
};

bool dpfip_offload_is_offloaded(const struct dpfip_fip *);
bool dpfip_offload_has_rules(void);
enum dpfip_offload_where dpfip_offload_where(const struct dpfip_fip *);
const char *dpfip_offload_where_to_string(enum dpfip_offload_where);

/* Where each FIP runs, for dpfip/show: a memo keeps what was found for the
 * ports of one FIP for the next FIPs of the same ports.  It is valid only
 * until the main loop runs again (the configuration may change). */
struct dpfip_offload_memo *dpfip_offload_memo_create(void);
void dpfip_offload_memo_destroy(struct dpfip_offload_memo *);
void dpfip_offload_format(const struct dpfip_fip *,
                          struct dpfip_offload_memo *, struct ds *);

#endif /* dpfip-offload.h */
