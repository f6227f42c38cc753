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
 * manager (ofproto-dpfip/dpfip-offload.c) knows providers only through
 * this vtable and dpfip_offload_provider_for() (lib/dpfip-offload-
 * provider.c, which picks one by datapath type): it retries, records why
 * a FIP fell back to software and adds the hardware counters to the FIP's.
 *
 * Semantics: what a provider installs must do exactly what the software
 * rules of ofproto-dpfip/dpfip-flows.c and the dpfip action do, for every
 * packet it takes.  A packet the hardware does not take reaches the
 * software datapath, which is always correct.  So whatever software
 * treats specially, and whatever is not verified on hardware, must not
 * be taken:
 *
 *   - TTL/hop limit <= 1: software drops the packet (or answers "time
 *     exceeded") instead of forwarding it.  Hardware decrements without
 *     looking (mlx5's DEC_TTL is "add 0xff": TTL 1 leaves as 0).
 *   - Internal prefixes (the router context of the VM's port): software
 *     passes packets to the router MAC with a destination inside one of
 *     them to the bridge's pipeline, untranslated.
 *   - IPv6 neighbor discovery (ICMPv6, hop limit 255) on the uplink:
 *     software answers and learns from it.
 *   - Not verified on hardware: fragments (the L4 checksum of a first
 *     fragment covers the whole datagram), IPv4 UDP with checksum 0,
 *     ICMPv6 (its checksum covers the pseudo header), IPv6 extension
 *     headers, VLAN-tagged frames (dpfip's provider network is untagged
 *     today; issue 12 adds a VLAN on the uplink side).
 *
 * rte_flow (lib/dpfip-offload-rte-flow.c, DPDK 22.11, mlx5 with software
 * steering; see ../shared/hardware.md): one rewrite rule per FIP
 * direction, plus shared per-port exception rules at a higher priority
 * that JUMP to a group without rules; a miss there continues at the
 * source port's software path (rdma-core's default miss; a capability
 * of the driver, see probe()).  So each FIP costs 2 rules, and each
 * (port, family) a constant number of exception rules, refcounted and
 * shared by every FIP that needs them; the internal prefixes are an
 * exception of the VM port, so that they can differ per port.  No rule
 * uses priority 0, OVS's own.  Rules of two generations never share a
 * priority: the manager installs a changed spec in the other generation
 * before removing the old rules (make-before-break).
 *
 * Errors: every function returns 0 or a positive errno value and, on
 * error, sets '*error' (or '*reason') to a malloc()ed string that the
 * caller frees.  A string from the hardware is passed on verbatim (for
 * rte_flow the rte_flow_error message, e.g. "eswitch: table full
 * (capacity 1)"), so dpfip/show can show the real cause.  The errno
 * says what the manager does: dpfip_offload_error_is_transient()
 * (ENOSPC, ENOENT, ENOMEM, EAGAIN, ENODEV, EBUSY, EIO: retry with
 * backoff) or permanent (everything else, e.g. ENOTSUP, EINVAL: the spec
 * cannot be done by this hardware; tried again only when the spec or the
 * configuration changes).  ENOENT from stats() means the rules are
 * gone.
 *
 * Threads: call from one thread (the main thread).
 *
 * tc specifics (lib/dpfip-offload-tc.c, the kernel datapath): flower
 * filters in chain 0 of the ingress of 'in_port' (an ifindex), at
 * priorities DPFIP_TC_PRIO_MIN..DPFIP_TC_PRIO_MAX, which no one else
 * uses (OVS's netdev-offload-tc allocates its priorities upwards from 4,
 * one per flow mask), or DPFIP_TC_PRIO_LOW_MIN..MAX on a port whose
 * hardware takes only those.  tc can express "go to software": a
 * matching rule with the "pass" action (TC_ACT_OK) ends tc's
 * classification and the packet continues to the openvswitch vport's rx
 * handler, i.e. the kernel datapath; so exceptions are pass rules one
 * priority above the rewrite rules, one per protocol that mlx5e rewrites
 * (IPv4 TCP, UDP, ICMP; IPv6 TCP, UDP; others stay in software).
 * 'policy' gives the flower flags (Open_vSwitch other_config:tc-policy).
 * A kernel without cls_flower (or an action module) refuses the filter
 * with ENOENT: the reason is "tc flower unavailable".  It handles one
 * internal prefix ('has_internal', 'internal', 'internal_plen';
 * 'max_internal' unset).
 *
 * Using it (ofproto-dpfip/dpfip-offload.c): pick the provider with
 * dpfip_offload_provider_for() and the ports' handles with
 * dpfip_offload_port_handle(); fill both directions of an active FIP
 * (the internal prefixes with dpfip_offload_spec_set_internal());
 * probe(), then install() per direction, keeping the reason of a failure
 * for dpfip/show; on any change of the spec install the new one, then
 * remove() the old; poll stats() about once a second at most (hardware
 * refreshes its counters that often) and add the growth of the totals to
 * the FIP's n_packets and n_offloaded_packets (bytes likewise); call
 * port_changed() when a port's netdev reports a change, and remove() the
 * rules before their ports go.  Tested against the net_eswitch model by
 * dpdk/tests/offload/run.sh. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/ofp-actions.h"   /* enum dpfip_direction. */
#include "openvswitch/types.h"

struct ds;
struct netdev;

/* Open_vSwitch other_config:tc-policy, for the tc provider. */
enum dpfip_offload_policy {
    DPFIP_OFFLOAD_POLICY_NONE,      /* Hardware if possible, else software
                                     * tc (no flags). */
    DPFIP_OFFLOAD_POLICY_SKIP_SW,   /* skip_sw: hardware or refused. */
    DPFIP_OFFLOAD_POLICY_SKIP_HW,   /* skip_hw: software tc only. */
};

/* tc priorities reserved for dpfip's flower rules on a port's ingress
 * (chain 0): 4 per generation, 2 generations.  The low range is for NICs
 * that take chain-0 priorities up to 16 only (mlx5e without the
 * firmware's ignore_flow_level); the tc provider asks the hardware. */
#define DPFIP_TC_PRIO_MIN 0xc000
#define DPFIP_TC_PRIO_MAX 0xc007
#define DPFIP_TC_PRIO_LOW_MIN 9
#define DPFIP_TC_PRIO_LOW_MAX 16

/* One prefix of a FIP's family.  IPv4 is IPv4-mapped. */
struct dpfip_offload_prefix {
    struct in6_addr addr;
    int plen;                       /* 0..32 for IPv4, 0..128 for IPv6. */
};

/* Most internal prefixes per family a spec carries. */
#define DPFIP_OFFLOAD_MAX_INTERNAL 8

/* One match of an allow-list (dpfip-ingress, dpfip-egress) in a shape
 * hardware takes.  A spec with an allow-list rewrites only packets that
 * match one of its entries; the others miss to software, which applies
 * the whole list, so an entry the manager cannot express is left out
 * (those packets take the software path) and hardware never forwards
 * what software would drop. */
struct dpfip_offload_allow {
    uint8_t ip_proto;               /* IPPROTO_TCP, IPPROTO_UDP or 0: any. */
    uint16_t port, port_mask;       /* TCP/UDP destination port under
                                     * mask (host order); 0/0: any. */
    uint8_t tcp_flags;              /* TCP: one flag that must be set
                                     * (ACK or RST), 0: none. */
    struct dpfip_offload_prefix remote; /* DNAT: source, SNAT: destination;
                                         * plen 0: any. */
};

/* Most allow-list entries a spec carries. */
#define DPFIP_OFFLOAD_MAX_ALLOWS 16

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

    /* Provider port handles (dpfip_offload_port_handle(): rte_flow: DPDK
     * port ids; tc: ifindexes).  DNAT: uplink in, VM port out; SNAT: VM
     * port in, uplink out. */
    uint32_t in_port;
    uint32_t out_port;

    /* Internal prefixes of the FIP's family on the VM's port (its router
     * context): destinations inside them are never NATed.  Set with
     * dpfip_offload_spec_set_internal(), which also fills the first one
     * into 'has_internal', 'internal', 'internal_plen' for providers that
     * handle a single prefix ('max_internal' 0). */
    unsigned int n_internals;
    struct dpfip_offload_prefix internals[DPFIP_OFFLOAD_MAX_INTERNAL];
    bool has_internal;
    struct in6_addr internal;       /* IPv4 is IPv4-mapped. */
    int internal_plen;

    /* The direction's allow-list, or NULL: if set, only packets that match
     * one of the 'n_allows' entries of 'allows' are rewritten.  The
     * manager keeps one copy of each distinct list, shared by the specs
     * that use it, so equal lists are equal pointers and specs compare
     * with memcmp(). */
    unsigned int n_allows;
    const struct dpfip_offload_allow *allows;

    /* tc only: flower flags from Open_vSwitch other_config:tc-policy. */
    enum dpfip_offload_policy policy;

    /* 0 or 1.  Rules of different generations never share a priority:
     * the manager installs a changed spec in the other generation before
     * removing the old rules (make-before-break).  While both are in
     * place either does a correct rewrite. */
    unsigned int generation;
};

/* Absolute totals since install(). */
struct dpfip_offload_stats {
    uint64_t n_packets;             /* Rewritten and forwarded. */
    uint64_t n_bytes;
    uint64_t n_dropped;             /* Dropped by hardware (none today). */
    uint64_t n_dropped_bytes;
};

/* A provider's installed rules for one spec.  Opaque. */
struct dpfip_offload_rule;

struct dpfip_offload_class {
    /* Name, e.g. "rte_flow", for logs and dpfip/show. */
    const char *name;

    /* Tells whether a rule from 'in_port' to 'out_port' can be offloaded
     * at all (for rte_flow: both DPDK ports in the same switch domain,
     * a transfer proxy, and a driver whose misses after a JUMP are known
     * to reach software).  Returns 0 if so, otherwise a positive errno
     * value and a reason in '*reason'.  A later install() can still
     * fail. */
    int (*probe)(uint32_t in_port, uint32_t out_port, char **reason);

    /* Validates and then creates the hardware rules for 'spec'.  All or
     * nothing: on failure nothing stays installed.  On success stores a
     * new handle in '*rulep'. */
    int (*install)(const struct dpfip_offload_rule_spec *spec,
                   struct dpfip_offload_rule **rulep, char **error);

    /* Removes 'rule' from hardware and frees it, even on error.  Call it
     * before either port goes away: a PMD keeps the proxy's rules that
     * point at a closed port (mlx5 does), and after a flush the handles
     * would name other rules.  Rules known to be gone (stats() returned
     * ENOENT, port_changed() returned true) are freed without touching
     * the hardware. */
    int (*remove)(struct dpfip_offload_rule *rule, char **error);

    /* Stores the hardware counters of 'rule', as totals since install(),
     * in '*stats'.  Hardware counters that reset on read are accumulated
     * by the provider.  On error '*stats' still gets the totals so far.
     * ENOENT, of whatever rte_flow error type, means hardware rules are
     * gone (e.g. the port was stopped): remove() and install() again. */
    int (*stats)(struct dpfip_offload_rule *rule,
                 struct dpfip_offload_stats *stats, char **error);

    /* Appends a one-line description of 'rule' (rules, ports) to 'ds'. */
    void (*describe)(const struct dpfip_offload_rule *rule, struct ds *ds);

    /* Optional: whether 'rule' is in hardware as of install() or the last
     * stats() (tc: the in_hw flag of the rewrite rule).  Providers without
     * it are always in hardware. */
    bool (*in_hw)(const struct dpfip_offload_rule *rule);

    /* Optional: the provider's handle for 'netdev' (rte_flow: its DPDK
     * port id), or -1 with a reason in '*reason'.  Without it, handles
     * are ifindexes. */
    int (*port_handle)(const struct netdev *netdev, char **reason);

    /* Optional: called when the netdev behind port handle 'port' reported
     * a change (its change seq moved; OVS stops and starts a DPDK port on
     * an MTU, queue or devargs change, which flushes the rules its
     * transfer proxy owns).  Returns true if rules of this provider that
     * use the port are gone: stats() of each then returns ENOENT and
     * remove() frees it without touching the hardware, whose handles may
     * already name other rules. */
    bool (*port_changed)(uint32_t port);

    /* Optional: called about once a second for each port of a bridge the
     * provider serves (also with dpfip-offload=software), to remove what
     * an earlier ovs-vswitchd left there. */
    void (*reconcile)(uint32_t port);

    /* Most internal prefixes per spec the provider honours; 0 means 1
     * (it reads 'has_internal', 'internal', 'internal_plen').  The
     * manager keeps a FIP with more in software. */
    unsigned int max_internal;

    /* Whether install() takes a spec with 'allows' set; the manager
     * keeps a FIP with an allow-list in software otherwise. */
    bool allow_lists;
};

/* DPDK rte_flow transfer rules (lib/dpfip-offload-rte-flow.c).  Without
 * DPDK support, probe() and install() fail with "DPDK support not
 * built". */
extern const struct dpfip_offload_class dpfip_offload_rte_flow_class;

/* tc flower rules on the ingress of kernel datapath ports
 * (lib/dpfip-offload-tc.c); port handles are ifindexes. */
extern const struct dpfip_offload_class dpfip_offload_tc_class;

/* lib/dpfip-offload-provider.c: the providers. */
const struct dpfip_offload_class *dpfip_offload_provider_for(
    const char *dpif_type);
int dpfip_offload_port_handle(const struct dpfip_offload_class *,
                              const struct netdev *, char **reason);
void dpfip_offload_reconcile_port(const struct dpfip_offload_class *,
                                  uint32_t port);
bool dpfip_offload_error_is_transient(int error);

/* lib/dpfip-offload-spec.c: what every provider checks and computes. */
bool dpfip_offload_spec_check(const struct dpfip_offload_rule_spec *,
                              uint32_t max_port, char **error);
void dpfip_offload_spec_set_internal(struct dpfip_offload_rule_spec *,
                                     const struct dpfip_offload_prefix *,
                                     size_t n);
const uint8_t *dpfip_offload_addr_bytes(const struct in6_addr *,
                                        bool is_ipv4);
bool dpfip_offload_addr_in_prefix(const struct in6_addr *,
                                  const struct dpfip_offload_prefix *,
                                  bool is_ipv4);
void dpfip_offload_prefix_mask(int plen, bool is_ipv4, uint8_t mask[16]);

#endif /* dpfip-offload-provider.h */
