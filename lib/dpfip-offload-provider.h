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

#ifndef DPFIP_OFFLOAD_PROVIDER_H
#define DPFIP_OFFLOAD_PROVIDER_H 1

/* Hardware offload providers for dpfip's floating IP rewrites.
 *
 * Modelled on lib/netdev-offload-provider.h.  A provider knows nothing of
 * OVSDB, OpenFlow or the FIP table: it gets one direction of one FIP as a
 * 'struct dpfip_offload_rule_spec' and two of its own port handles, and
 * returns an opaque handle, an error string and counters.  The offload
 * manager (ofproto-dpfip/dpfip-offload.c) picks a provider per FIP,
 * retries, records why a FIP fell back to software and adds the hardware
 * counters to the FIP's.
 *
 * Semantics: what a provider installs must do exactly what the software
 * rules of ofproto-dpfip/dpfip-flows.c and the dpfip action do, for every
 * packet it takes.  A packet the hardware does not take misses and reaches
 * the software datapath, which is always correct, so when hardware cannot
 * express an exception as "go to software" the provider narrows its match
 * instead:
 *
 *   - TTL/hop limit <= 1: software drops the packet ("TTL expired").  The
 *     net_eswitch model (and a PMD that behaves like it) hands packets
 *     whose TTL would expire through DEC_TTL to software.  For hardware
 *     that forwards them with TTL 0, set 'ttl_guard': the provider adds a
 *     higher-priority COUNT + DROP rule for TTL <= 1, counted in
 *     'n_dropped' (software counts them as drops too).
 *
 *   - Internal prefix (Bridge other_config:dpfip-router): software passes
 *     packets to the router MAC with a destination inside it to the normal
 *     pipeline before any dpfip rule.  rte_flow in the model has no "to
 *     software" fate in a transfer rule, so the SNAT rule is split into
 *     'internal_plen' rules that together match exactly "destination NOT
 *     in the prefix" (bit i differs, bits before i equal).  DNAT is only
 *     affected when ext_mac == router_mac and the floating IP is inside
 *     the prefix; then install() refuses, as the rule would never match in
 *     software.
 *
 *   - IPv6 neighbor discovery on the uplink: software answers NS for the
 *     FIP and learns the gateway's MAC from NAs sent to the FIP (dpfip
 *     probes the gateway from a FIP), in process_special(), before any
 *     rule.  ND always has hop limit 255 (RFC 4861), so the IPv6 DNAT rule
 *     is split into 8 rules matching "hop limit != 255".
 *
 * Hardware rules per direction (see describe()): IPv4 DNAT 1, IPv6 DNAT 8,
 * SNAT 'internal_plen' (1 without an internal prefix); 'ttl_guard' adds 1
 * (DNAT) or 'internal_plen' (SNAT).  A split never changes which packets
 * are rewritten, only how many rules do it.  More than 160 rules for one
 * spec (e.g. an IPv6 /128 internal prefix) is refused with E2BIG.
 *
 * rte_flow specifics: transfer rules in group 0, created on the transfer
 * proxy of 'in_port', priority 2 * generation for the TTL guard and one
 * more for the rewrite.
 * OVS's own hw-offload (netdev-offload-dpdk) puts megaflows at priority 0
 * in the same table; one made before install() for the same packets wins
 * but does the same rewrite, and its counters reach the FIP through the
 * xlate cache, so nothing is lost or counted twice.  Only tested against
 * the model: on mlx5, partial masks on hop_limits and the REPRESENTED_PORT
 * item on the proxy are still to be tried.
 *
 * Errors: every function returns 0 or a positive errno value and, on
 * error, sets '*error' (or '*reason') to a malloc()ed string that the
 * caller frees.  A string from the hardware is passed on verbatim (for
 * rte_flow the rte_flow_error message, e.g. "eswitch: table full
 * (capacity 1)"), so dpfip/show can show the real cause.
 *
 * Threads: call from one thread (the main thread).
 *
 * tc specifics (lib/dpfip-offload-tc.c, the kernel datapath): flower
 * filters in chain 0 of the ingress of 'in_port' (an ifindex), at
 * priorities DPFIP_TC_PRIO_MIN..DPFIP_TC_PRIO_MAX, which no one else
 * uses: OVS's netdev-offload-tc allocates its priorities upwards from 4,
 * one per flow mask.  tc can express "go to software": a matching rule
 * with the "pass" action (TC_ACT_OK) ends tc's classification and the
 * packet continues to the openvswitch vport's rx handler, i.e. the
 * kernel datapath; so exceptions are pass rules one priority above the
 * rewrite rule, and nothing is split.  'ttl_guard' is not needed (TTL <=
 * 1 is passed to software, which drops and counts it).  Fragments are
 * passed to software too (act_csum cannot fix the L4 checksum of a first
 * fragment).  Rules per direction: the rewrite rule + 1 (TTL) + 1 (IPv6
 * DNAT: hop limit 255) + 1 (SNAT with an internal prefix).  'policy'
 * gives the flower flags (Open_vSwitch other_config:tc-policy).  If OVS's
 * own tc offload (hw-offload=true) installs a flow for the same packets at
 * its lower priority numbers first, that flow wins, with the same
 * rewrite; as for rte_flow, its counters reach the FIP through the xlate
 * cache.  A kernel without cls_flower (or an action module) refuses the
 * filter with ENOENT: the reason is "tc flower unavailable".
 *
 * Using it (ofproto-dpfip/dpfip-offload.c): build both directions of an
 * active FIP from 'struct dpfip_fip' and its 'struct dpfip_bridge' (ports:
 * netdev_dpdk_get_port_id() of the uplink's and the VM port's netdevs
 * for rte_flow, netdev_get_ifindex() for tc);
 * probe(), then install() per direction, keeping the reason of a failure
 * for dpfip/show; on any change of the spec remove() and install() again;
 * poll stats() about once a second and add the growth of the totals to
 * the FIP's n_packets and n_offloaded_packets (bytes likewise) and of
 * n_dropped to n_dropped.  Tested against the net_eswitch model by
 * dpdk/tests/offload/run.sh. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/ofp-actions.h"   /* enum dpfip_direction. */
#include "openvswitch/types.h"

struct ds;

/* Open_vSwitch other_config:tc-policy, for the tc provider. */
enum dpfip_offload_policy {
    DPFIP_OFFLOAD_POLICY_NONE,      /* Hardware if possible, else software
                                     * tc (no flags). */
    DPFIP_OFFLOAD_POLICY_SKIP_SW,   /* skip_sw: hardware or refused. */
    DPFIP_OFFLOAD_POLICY_SKIP_HW,   /* skip_hw: software tc only. */
};

/* tc priorities reserved for dpfip's flower rules on a port's ingress
 * (chain 0): 4 per generation, 2 generations. */
#define DPFIP_TC_PRIO_MIN 0xc000
#define DPFIP_TC_PRIO_MAX 0xc007

/* One direction of one floating IP. */
struct dpfip_offload_rule_spec {
    enum dpfip_direction direction;
    bool is_ipv4;
    struct in6_addr floating;       /* IPv4 is IPv4-mapped. */
    struct in6_addr fixed;          /* IPv4 is IPv4-mapped. */

    struct eth_addr vm_mac;         /* DNAT: new eth dst; SNAT: match src. */
    struct eth_addr router_mac;     /* DNAT: new eth src; SNAT: match dst. */
    struct eth_addr ext_mac;        /* DNAT: match dst; SNAT: new eth src. */
    struct eth_addr gw_mac;         /* SNAT: new eth dst. */

    /* Provider port handles (rte_flow: DPDK port ids).  DNAT: uplink in,
     * VM port out; SNAT: VM port in, uplink out. */
    uint32_t in_port;
    uint32_t out_port;

    /* Internal prefix of the FIP's family (dpfip-router), if any. */
    bool has_internal;
    struct in6_addr internal;       /* IPv4 is IPv4-mapped. */
    int internal_plen;              /* 0..32 for IPv4, 0..128 for IPv6. */

    bool ttl_guard;                 /* Drop TTL <= 1 in hardware. */

    /* tc only: flower flags from Open_vSwitch other_config:tc-policy. */
    enum dpfip_offload_policy policy;

    /* 0 or 1.  Rules of different generations never share a priority:
     * the manager installs a changed spec in the other generation before
     * removing the old rules (make-before-break).  While both are in
     * place the old generation's rules win in hardware where priorities
     * are honoured, generation 0 over 1, and either does a correct
     * rewrite. */
    unsigned int generation;
};

/* Absolute totals since install(). */
struct dpfip_offload_stats {
    uint64_t n_packets;             /* Rewritten and forwarded. */
    uint64_t n_bytes;
    uint64_t n_dropped;             /* TTL <= 1, by the 'ttl_guard' rule. */
    uint64_t n_dropped_bytes;
};

/* A provider's installed rules for one spec.  Opaque. */
struct dpfip_offload_rule;

struct dpfip_offload_class {
    /* Name, e.g. "rte_flow", for logs and dpfip/show. */
    const char *name;

    /* Tells whether a rule from 'in_port' to 'out_port' can be offloaded
     * at all (for rte_flow: both DPDK ports in the same switch domain,
     * and a transfer proxy for 'in_port').  Returns 0 if so, otherwise a
     * positive errno value and a reason in '*reason'.  A later install()
     * can still fail. */
    int (*probe)(uint32_t in_port, uint32_t out_port, char **reason);

    /* Validates and then creates the hardware rules for 'spec'.  All or
     * nothing: on failure nothing stays installed.  On success stores a
     * new handle in '*rulep'. */
    int (*install)(const struct dpfip_offload_rule_spec *spec,
                   struct dpfip_offload_rule **rulep, char **error);

    /* Removes 'rule' from hardware and frees it, even on error.  Call it
     * before either port goes away: a PMD removes a port's rules with the
     * port, and the handles would dangle. */
    int (*remove)(struct dpfip_offload_rule *rule, char **error);

    /* Stores the hardware counters of 'rule', as totals since install(),
     * in '*stats'.  Hardware counters that reset on read are accumulated
     * by the provider.  On error '*stats' still gets the totals so far.
     * ENOENT means hardware rules are gone (e.g. someone flushed the
     * port): remove() and install() again. */
    int (*stats)(struct dpfip_offload_rule *rule,
                 struct dpfip_offload_stats *stats, char **error);

    /* Appends a one-line description of 'rule' (rules, ports) to 'ds'. */
    void (*describe)(const struct dpfip_offload_rule *rule, struct ds *ds);

    /* Optional: whether 'rule' is in hardware as of install() or the last
     * stats() (tc: the in_hw flag of the rewrite rule).  Providers without
     * it are always in hardware. */
    bool (*in_hw)(const struct dpfip_offload_rule *rule);
};

/* DPDK rte_flow transfer rules (lib/dpfip-offload-rte-flow.c).  Without
 * DPDK support, probe() and install() fail with "DPDK support not
 * built". */
extern const struct dpfip_offload_class dpfip_offload_rte_flow_class;

/* tc flower rules on the ingress of kernel datapath ports
 * (lib/dpfip-offload-tc.c); port handles are ifindexes. */
extern const struct dpfip_offload_class dpfip_offload_tc_class;

/* Deletes whatever filters are at dpfip's tc priorities on the ingress of
 * 'ifindex' (left by an earlier ovs-vswitchd), once per port and process. */
void dpfip_offload_tc_reconcile(int ifindex);

#endif /* dpfip-offload-provider.h */
