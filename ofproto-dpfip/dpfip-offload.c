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

#include <config.h>
#include "dpfip-offload.h"

#include <errno.h>
#include <limits.h>
#include "dpfip-offload-provider.h"
#include "dpfip-private.h"
#include "flow.h"
#include "hash.h"
#include "netdev.h"
#include "openvswitch/list.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(dpfip_offload);

/* Retry a transiently refused FIP after 1, 2, 4... up to 60 s, and at once
 * when another FIP's rules leave the hardware (capacity freed); a
 * permanent refusal waits for its spec or the configuration to change.
 * Install at most INSTALL_BATCH FIPs per main loop pass, so that
 * thousands of FIPs arriving at once ("pending" in dpfip/show meanwhile)
 * do not stall the main loop.
 *
 * Counters: each offloaded FIP's (one per direction) at most once per
 * STATS_INTERVAL_MS, which is how often hardware refreshes them (mlx5,
 * mlx5e: about a second), and at most STATS_BATCH FIPs per slice, slices
 * STATS_SLICE_MS apart: at most 10,000 FIPs (20,000 counter reads) per
 * second, so with 100k FIPs each one's counters are read every 10 s.
 * Few large slices rather than many small ones: each wakeup runs all of
 * OVS's main loop (tests/bench/offload-scale.sh). */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define INSTALL_BATCH 256
#define STATS_INTERVAL_MS 1000
#define STATS_SLICE_MS 100
#define STATS_BATCH 1000

static bool offload_enabled = true;   /* dpfip-offload=auto. */
static enum dpfip_offload_policy tc_policy;  /* tc-policy. */

/* Each FIP with offload state is on at most one of these lists. */
enum offload_queue {
    Q_NONE,                         /* Nothing to do (not offloadable, or
                                     * refused for good). */
    Q_PENDING,                      /* 'want' to be installed. */
    Q_RETRYING,                     /* 'want' refused, retry at next_retry. */
    Q_INSTALLED,                    /* 'specs' in hardware. */
};
static struct ovs_list pending = OVS_LIST_INITIALIZER(&pending);
static struct ovs_list retrying = OVS_LIST_INITIALIZER(&retrying);
/* Installed FIPs, least recently polled first. */
static struct ovs_list installed = OVS_LIST_INITIALIZER(&installed);
static long long int next_stats_slice;
static long long int next_retry = LLONG_MAX;  /* Earliest in 'retrying'. */
static unsigned int n_freed;        /* FIPs that left hardware since run. */

/* The current burst of installs, for one log line when it ends. */
static long long int burst_start;
static unsigned int burst_installed, burst_refused;

/* A port that offloaded FIPs use, watched for changes of its netdev (OVS
 * stops and starts a DPDK port on an MTU or queue change, which flushes
 * the rules of its transfer proxy). */
struct offload_port {
    struct hmap_node node;          /* In 'offload_ports', by netdev. */
    struct netdev *netdev;          /* Reference held. */
    const struct dpfip_offload_class *provider;
    uint32_t handle;
    uint64_t change_seq;
    bool check;                     /* Ask the provider at the next run. */
    unsigned int n_users;           /* Directions of installed FIPs. */
};
static struct hmap offload_ports = HMAP_INITIALIZER(&offload_ports);

/* Offload state of one FIP. */
struct dpfip_fip_offload {
    struct dpfip_fip *fip;
    const struct dpfip_offload_class *provider; /* Of the bridge. */
    struct ovs_list list_node;      /* In the list of 'queue'. */
    enum offload_queue queue;

    /* In hardware, with the specs they were made from and the ports they
     * use.  A FIP can be installed and pending at once: its replacement
     * waits its turn. */
    bool installed;
    struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS];
    struct dpfip_offload_rule_spec specs[DPFIP_N_DIRECTIONS];
    struct offload_port *ports[2];  /* Uplink, VM port. */
    long long int last_stats;

    /* What the FIP needs in hardware, when pending, retrying or refused. */
    struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS];

    char *reason;                   /* The provider's refusal, or NULL
                                     * (other reasons are derived:
                                     * check_offloadable()). */
    bool refused;                   /* 'reason' is a permanent refusal. */
    bool reason_logged;             /* 'reason' logged for 'want'. */
    char *uplink_name;              /* For dpfip/show. */
    long long int next_retry;
    int retry_interval;

    /* Hardware totals already added to the FIP's counters. */
    struct dpfip_offload_stats credited[DPFIP_N_DIRECTIONS];
};

void
dpfip_offload_configure(const struct dpfip_global_cfg *cfg)
{
    bool enable = cfg->offload == DPFIP_OFFLOAD_AUTO;
    enum dpfip_offload_policy policy
        = (cfg->tc_policy == DPFIP_TC_POLICY_SKIP_SW
           ? DPFIP_OFFLOAD_POLICY_SKIP_SW
           : cfg->tc_policy == DPFIP_TC_POLICY_SKIP_HW
           ? DPFIP_OFFLOAD_POLICY_SKIP_HW
           : DPFIP_OFFLOAD_POLICY_NONE);

    if (enable != offload_enabled) {
        VLOG_INFO("dpfip-offload=%s", enable ? "auto" : "software");
        offload_enabled = enable;
    }
    if (policy != tc_policy) {
        VLOG_INFO("tc rules with tc-policy=%s",
                  dpfip_tc_policy_to_string(cfg->tc_policy));
        tc_policy = policy;
    }
}

/* One distinct allow-list of the specs (see 'allows' in
 * dpfip-offload-provider.h), in 'allow_lists' while specs refer to it:
 * 100k FIPs behind one security policy share one. */
struct allow_list {
    struct hmap_node node;
    unsigned int refcnt;
    unsigned int n;
    struct dpfip_offload_allow entries[DPFIP_OFFLOAD_MAX_ALLOWS];
};

static struct hmap allow_lists = HMAP_INITIALIZER(&allow_lists);

static struct allow_list *
allow_list_intern(const struct dpfip_offload_allow *entries, unsigned int n)
{
    uint32_t hash = hash_bytes(entries, n * sizeof *entries, n);
    struct allow_list *l;

    HMAP_FOR_EACH_WITH_HASH (l, node, hash, &allow_lists) {
        if (l->n == n && !memcmp(l->entries, entries, n * sizeof *entries)) {
            l->refcnt++;
            return l;
        }
    }
    l = xzalloc(sizeof *l);
    l->refcnt = 1;
    l->n = n;
    memcpy(l->entries, entries, n * sizeof *entries);
    hmap_insert(&allow_lists, &l->node, hash);
    return l;
}

static struct allow_list *
allow_list_of(const struct dpfip_offload_rule_spec *spec)
{
    return (spec->allows
            ? CONTAINER_OF(spec->allows, struct allow_list, entries)
            : NULL);
}

/* Releases what 'spec' refers to (its allow-list). */
static void
spec_release(struct dpfip_offload_rule_spec *spec)
{
    struct allow_list *l = allow_list_of(spec);

    if (l && !--l->refcnt) {
        hmap_remove(&allow_lists, &l->node);
        free(l);
    }
    spec->allows = NULL;
    spec->n_allows = 0;
}

static void
specs_release(struct dpfip_offload_rule_spec specs[DPFIP_N_DIRECTIONS])
{
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        spec_release(&specs[i]);
    }
}

/* Copies both specs of 'src' over those of 'dst', which it releases. */
static void
specs_copy(struct dpfip_offload_rule_spec dst[DPFIP_N_DIRECTIONS],
           const struct dpfip_offload_rule_spec src[DPFIP_N_DIRECTIONS])
{
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        struct allow_list *l = allow_list_of(&src[i]);

        if (l) {
            l->refcnt++;
        }
    }
    specs_release(dst);
    memcpy(dst, src, DPFIP_N_DIRECTIONS * sizeof *dst);
}

static struct dpfip_fip_offload *
get_offload(struct dpfip_fip *fip)
{
    if (!fip->offload) {
        fip->offload = xzalloc(sizeof *fip->offload);
        fip->offload->fip = fip;
        fip->offload->retry_interval = RETRY_MIN_MS;
    }
    return fip->offload;
}

static void
set_queue(struct dpfip_fip_offload *o, enum offload_queue queue)
{
    static struct ovs_list *const lists[] = {
        [Q_PENDING] = &pending,
        [Q_RETRYING] = &retrying,
        [Q_INSTALLED] = &installed,
    };

    if (o->queue == queue) {
        return;
    }
    if (o->queue != Q_NONE) {
        ovs_list_remove(&o->list_node);
    }
    o->queue = queue;
    if (queue != Q_NONE) {
        ovs_list_push_back(lists[queue], &o->list_node);
    }
    if (queue == Q_RETRYING) {
        next_retry = MIN(next_retry, o->next_retry);
    }
}

static void
set_reason(struct dpfip_fip_offload *o, char *reason)
{
    free(o->reason);
    o->reason = reason;
    o->refused = false;
}

/* Ports. */

static struct offload_port *
port_ref(const struct dpfip_offload_class *provider, struct netdev *netdev,
         uint32_t handle)
{
    struct offload_port *p;

    HMAP_FOR_EACH_WITH_HASH (p, node, hash_pointer(netdev, 0),
                             &offload_ports) {
        if (p->netdev == netdev && p->provider == provider) {
            p->n_users++;
            return p;
        }
    }
    p = xzalloc(sizeof *p);
    p->netdev = netdev_ref(netdev);
    p->provider = provider;
    p->handle = handle;
    p->change_seq = netdev_get_change_seq(netdev);
    p->n_users = 1;
    hmap_insert(&offload_ports, &p->node, hash_pointer(netdev, 0));
    return p;
}

static void
port_unref(struct offload_port *p)
{
    if (p && !--p->n_users) {
        hmap_remove(&offload_ports, &p->node);
        netdev_close(p->netdev);
        free(p);
    }
}


/* Adds what hardware counted since the last call to the FIP's counters.
 * Returns false if the hardware lost the rules. */
static bool
credit_stats(struct dpfip_fip *fip)
{
    struct dpfip_fip_offload *o = fip->offload;
    bool ok = true;

    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        struct dpfip_offload_stats now, *old = &o->credited[i];
        char *error = NULL;
        int err;

        if (!o->rules[i]) {
            continue;
        }
        err = o->provider->stats(o->rules[i], &now, &error);
        if (now.n_packets >= old->n_packets) {
            dpfip_xc_stats_add_offloaded(fip->stats, i,
                                         now.n_packets - old->n_packets,
                                         now.n_bytes - old->n_bytes,
                                         now.n_dropped - old->n_dropped);
            *old = now;
        }
        if (err == ENOENT) {
            /* Whatever the provider's error type: the rules are gone (for
             * tc: OVS deletes a port's ingress qdisc, with every filter
             * on it, when it first configures the port's ingress
             * policing; for rte_flow: the proxy was stopped). */
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);

            VLOG_INFO_RL(&rl, "%s: %s rules lost (%s), reinstalling",
                         fip->text, o->provider->name, error);
            ok = false;
        }
        free(error);
    }
    return ok;
}

static void
remove_rule_set(struct dpfip_fip *fip,
                struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS])
{
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        if (rules[i]) {
            char *error = NULL;

            if (fip->offload->provider->remove(rules[i], &error)) {
                VLOG_WARN("%s: removing hardware rules: %s", fip->text,
                          error);
            }
            free(error);
            rules[i] = NULL;
        }
    }
}

/* Drops the installed rule set of 'o' (its rules were removed or are
 * gone). */
static void
forget_installed(struct dpfip_fip_offload *o)
{
    memset(o->credited, 0, sizeof o->credited);
    o->installed = false;
    for (int i = 0; i < 2; i++) {
        port_unref(o->ports[i]);
        o->ports[i] = NULL;
    }
}

/* Takes the FIP's rules out of hardware, crediting their last counts. */
static void
remove_rules(struct dpfip_fip *fip)
{
    struct dpfip_fip_offload *o = fip->offload;

    if (!o || !o->installed) {
        return;
    }
    credit_stats(fip);
    remove_rule_set(fip, o->rules);
    forget_installed(o);
    if (o->queue == Q_INSTALLED) {
        set_queue(o, Q_NONE);
    }
    n_freed++;
}

/* The hardware lost the rules of 'o': drop the handles (the provider
 * frees them without touching the hardware) and put the same specs back
 * in the queue. */
static void
reinstall_lost(struct dpfip_fip_offload *o)
{
    remove_rule_set(o->fip, o->rules);
    forget_installed(o);
    specs_copy(o->want, o->specs);
    o->retry_interval = RETRY_MIN_MS;
    set_queue(o, Q_PENDING);
}

/* The provider and the port handles of 'br''s FIPs.  Returns false with
 * a reason if it has none. */
static const struct dpfip_offload_class *
bridge_provider(const struct dpfip_bridge *br, char **reason)
{
    const char *type = br->ofproto->backer->type;
    const struct dpfip_offload_class *p = dpfip_offload_provider_for(type);

    if (!p && reason) {
        *reason = xasprintf("no offload provider for datapath type %s",
                            type);
    }
    return p;
}

/* Returns the handle of 'port' on 'br' for 'provider' and its netdev in
 * '*netdevp', or -1 with a reason. */
static int
port_handle(const struct dpfip_bridge *br,
            const struct dpfip_offload_class *provider, ofp_port_t port,
            const char *what, struct netdev **netdevp, char **reason)
{
    struct ofport *ofport = (br->ofproto
                             ? ofproto_get_port(&br->ofproto->up, port)
                             : NULL);
    char *why = NULL;
    int id;

    *netdevp = NULL;
    if (!ofport) {
        *reason = xasprintf("%s has no port", what);
        return -1;
    }
    id = dpfip_offload_port_handle(provider, ofport->netdev, &why);
    if (id < 0) {
        *reason = xasprintf("%s %s", what, why);
        free(why);
        return -1;
    }
    *netdevp = ofport->netdev;
    return id;
}

/* Most masked port values one allow-list port range may take in hardware;
 * a range that needs more is left to software. */
#define MAX_MASKS_PER_RANGE 8

/* Covers [min, max] with masked values, largest aligned blocks first.
 * Returns how many, or 0 if more than 'max_out' would be needed. */
static size_t
port_range_to_masks(uint16_t min, uint16_t max, uint16_t values[],
                    uint16_t masks[], size_t max_out)
{
    uint32_t lo = min, hi = max;
    size_t n = 0;

    while (lo <= hi) {
        uint32_t size = 1;

        while (!(lo & size) && size < 0x10000 && lo + 2 * size - 1 <= hi) {
            size *= 2;
        }
        if (n == max_out) {
            return 0;
        }
        values[n] = lo;
        masks[n++] = ~(size - 1);
        lo += size;
    }
    return n;
}

/* The hardware form of 'filter' for 'family' in 'spec'.  What is left out
 * (ICMP, which reaches software by exception rules anyway; port ranges
 * that take too many masks; entries beyond DPFIP_OFFLOAD_MAX_ALLOWS)
 * misses to software, which applies the whole list. */
static void
build_allows(const struct dpfip_filter *filter, enum dpfip_family family,
             struct dpfip_offload_rule_spec *spec)
{
    /* What the VM needs for connections of the other direction (see
     * filter_is_reply() in dpfip-xlate.c), as far as hardware sees it. */
    static const uint8_t reply_flags[] = { TCP_ACK, TCP_RST };
    struct dpfip_offload_allow entries[DPFIP_OFFLOAD_MAX_ALLOWS];
    unsigned int n = 0;
    struct allow_list *l;

    memset(entries, 0, sizeof entries);
    for (size_t i = 0; i < ARRAY_SIZE(reply_flags); i++) {
        entries[n].ip_proto = IPPROTO_TCP;
        entries[n++].tcp_flags = reply_flags[i];
    }
    for (size_t i = 0; i < filter->n; i++) {
        const struct dpfip_filter_item *item = &filter->items[i];
        uint16_t values[MAX_MASKS_PER_RANGE], masks[MAX_MASKS_PER_RANGE];
        struct dpfip_offload_allow a;
        size_t n_masks = 1;

        if (!item->family[family]
            || (item->nw_proto && item->nw_proto != IPPROTO_TCP
                && item->nw_proto != IPPROTO_UDP)) {
            continue;
        }
        memset(&a, 0, sizeof a);    /* Padding too: lists are memcmp'd. */
        a.ip_proto = item->nw_proto;
        if (item->has_remote) {
            a.remote.addr = item->remote.addr;
            a.remote.plen = item->remote.plen;
        }
        if (item->port_min) {
            n_masks = port_range_to_masks(item->port_min, item->port_max,
                                          values, masks,
                                          MAX_MASKS_PER_RANGE);
        }
        for (size_t j = 0; j < n_masks && n < ARRAY_SIZE(entries); j++) {
            if (item->port_min) {
                a.port = values[j];
                a.port_mask = masks[j];
            }
            entries[n++] = a;
        }
    }
    l = allow_list_intern(entries, n);
    spec->n_allows = l->n;
    spec->allows = l->entries;
}

/* Builds one direction of 'fip''s rewrite as a provider spec: the only
 * place the manager reads the FIP table's rewrite.  Returns false, with a
 * reason, for what no provider can do yet. */
static bool
build_spec(const struct dpfip_fip *fip, enum dpfip_direction dir, int uplink,
           int vm, struct dpfip_offload_rule_spec *spec, char **reason)
{
    struct dpfip_offload_prefix internals[DPFIP_OFFLOAD_MAX_INTERNAL];
    const struct dpfip_rewrite *rw = &fip->rw;
    size_t n = 0;

    if (rw->filter[dir] && rw->filter[dir]->pipeline) {
        /* The bridge's flows decide: no rule made ahead of the first
         * packet can know what they will say. */
        *reason = xasprintf("%s=pipeline: the bridge's flows decide, not "
                            "offloaded proactively",
                            dir == DPFIP_DNAT ? "dpfip-ingress"
                                              : "dpfip-egress");
        return false;
    }
    if (rw->mtu[dir]) {
        /* No rule can match on a packet's length. */
        *reason = xasprintf("packets larger than %"PRIu16" bytes %s must "
                            "get an ICMP error from software (no rule "
                            "matches on length)", rw->mtu[dir],
                            dir == DPFIP_DNAT ? "to the VM"
                                              : "out of the uplink");
        return false;
    }
    if (rw->uplink_vlan) {
        /* Issue 12: the provider has room for it (build_l2()). */
        *reason = xstrdup("a VLAN-tagged uplink is not offloaded");
        return false;
    }
    for (size_t i = 0; rw->internal && i < rw->internal->n; i++) {
        const struct dpfip_prefix *p = &rw->internal->p[i];

        if (p->family != rw->family) {
            continue;
        }
        if (n >= DPFIP_OFFLOAD_MAX_INTERNAL) {
            *reason = xasprintf("more than %d internal %s prefixes are not "
                                "offloaded", DPFIP_OFFLOAD_MAX_INTERNAL,
                                dpfip_family_to_string(rw->family));
            return false;
        }
        internals[n].addr = p->addr;
        internals[n].plen = p->plen;
        n++;
    }

    memset(spec, 0, sizeof *spec);
    spec->direction = dir;
    spec->is_ipv4 = rw->family == DPFIP_IPV4;
    spec->floating = rw->floating;
    spec->fixed = rw->fixed;
    spec->vm_mac = rw->vm_mac;
    spec->router_mac = rw->router_mac;
    spec->ext_mac = rw->ext_mac;
    spec->gw_mac = rw->gw_mac;
    spec->in_port = dir == DPFIP_DNAT ? uplink : vm;
    spec->out_port = dir == DPFIP_DNAT ? vm : uplink;
    dpfip_offload_spec_set_internal(spec, internals, n);
    if (rw->filter[dir]) {
        build_allows(rw->filter[dir], rw->family, spec);
    }
    spec->policy = tc_policy;
    return true;
}

/* True if 'a' and 'b' differ at most in their MAC addresses: rules for
 * 'b' still send every packet where 'a' would, with the old addresses, so
 * they can carry the traffic until the new ones are in. */
static bool
only_macs_differ(const struct dpfip_offload_rule_spec *a,
                 const struct dpfip_offload_rule_spec *b)
{
    struct dpfip_offload_rule_spec tmp = *a;

    tmp.vm_mac = b->vm_mac;
    tmp.router_mac = b->router_mac;
    tmp.ext_mac = b->ext_mac;
    tmp.gw_mac = b->gw_mac;
    tmp.generation = b->generation;
    return !memcmp(&tmp, b, sizeof tmp);
}

static void
stop_offload(struct dpfip_fip_offload *o, char *reason)
{
    remove_rules(o->fip);
    set_queue(o, Q_NONE);
    set_reason(o, reason);
}

/* The netdevs of the uplink and the VM port of 'o''s FIP now, if their
 * handles are still those of 'o->want' (nothing is held for a FIP that
 * waits, so that a port can go meanwhile). */
static bool
want_netdevs(const struct dpfip_fip_offload *o, struct netdev *netdevs[2])
{
    const struct dpfip_fip *fip = o->fip;
    const struct dpfip_bridge *br = dpfip_fip_bridge(fip);
    char *reason = NULL;

    if (!br || !br->ofproto || fip->state != DPFIP_ACTIVE
        || port_handle(br, o->provider, fip->rw.uplink_port, "uplink",
                       &netdevs[0], &reason) != o->want[DPFIP_DNAT].in_port
        || port_handle(br, o->provider, fip->rw.vm_port, "port", &netdevs[1],
                       &reason) != o->want[DPFIP_DNAT].out_port) {
        free(reason);
        return false;
    }
    return true;
}

/* What the checks of the ports of a FIP found: the same for every FIP of one
 * VM port, so that dpfip/show runs them once per port, not per FIP. */
struct port_check {
    struct hmap_node node;      /* In struct dpfip_offload_memo's 'checks'. */
    const struct dpfip_bridge *br;
    ofp_port_t uplink_port;
    ofp_port_t vm_port;

    const struct dpfip_offload_class *provider; /* NULL if 'reason'. */
    int uplink;                 /* Provider handles of the two ports. */
    int vm;
    char *reason;               /* Why no FIP of these ports can go. */
};

struct dpfip_offload_memo {
    struct hmap checks;         /* Contains struct port_check. */
};

/* Fills 'pc' with what the global configuration, 'br' and the two ports of
 * 'fip' allow. */
static void
check_fip_ports(const struct dpfip_bridge *br, const struct dpfip_fip *fip,
                struct port_check *pc)
{
    struct netdev *netdev;

    pc->br = br;
    pc->uplink_port = fip->rw.uplink_port;
    pc->vm_port = fip->rw.vm_port;
    pc->provider = NULL;
    pc->reason = NULL;
    if (!offload_enabled) {
        pc->reason = xstrdup("dpfip-offload=software");
        return;
    }
    if (!br->ofproto) {
        pc->reason = xstrdup("the bridge has no datapath yet");
        return;
    }
    pc->provider = bridge_provider(br, &pc->reason);
    if (pc->provider) {
        pc->uplink = port_handle(br, pc->provider, pc->uplink_port, "uplink",
                                 &netdev, &pc->reason);
        pc->vm = (pc->uplink < 0 ? -1
                  : port_handle(br, pc->provider, pc->vm_port, "port",
                                &netdev, &pc->reason));
        if (pc->vm < 0) {
            pc->provider = NULL;
        }
    }
}

/* Why 'fip', whose ports passed 'pc', cannot go to hardware, or NULL with
 * its two specs in 'want' (generation 0). */
static char *
check_fip(const struct port_check *pc, const struct dpfip_fip *fip,
          struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS])
{
    const struct dpfip_offload_class *provider = pc->provider;
    char *reason = NULL;

    memset(want, 0, DPFIP_N_DIRECTIONS * sizeof *want);
    for (int i = 0; !reason && i < DPFIP_N_DIRECTIONS; i++) {
        build_spec(fip, i, pc->uplink, pc->vm, &want[i], &reason);
    }
    if (!reason && provider->max_internal < want[0].n_internals
        && (provider->max_internal || want[0].n_internals > 1)) {
        reason = xasprintf("%u internal prefixes, %s handles at most %u",
                           want[0].n_internals, provider->name,
                           MAX(provider->max_internal, 1));
    }
    if (!reason && !provider->allow_lists
        && (want[DPFIP_DNAT].allows || want[DPFIP_SNAT].allows)) {
        /* Hardware must never let through what software drops. */
        reason = xasprintf("%s is applied in software only (%s takes no "
                           "allow-lists)",
                           want[DPFIP_DNAT].allows ? "dpfip-ingress"
                                                     : "dpfip-egress",
                           provider->name);
    }
    if (reason) {
        specs_release(want);
    }
    return reason;
}

/* Why 'fip' on 'br' cannot go to hardware as it is configured now, or NULL
 * if it can, with its provider in '*providerp' and its two specs in 'want'
 * (generation 0).  A pure function of the FIP, its ports and the global
 * configuration, so that dpfip_offload_format() can tell the reason again
 * instead of every FIP in software storing it. */
static char *
check_offloadable(const struct dpfip_bridge *br, const struct dpfip_fip *fip,
                  const struct dpfip_offload_class **providerp,
                  struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS])
{
    struct port_check pc;
    char *reason;

    check_fip_ports(br, fip, &pc);
    if (pc.reason) {
        return pc.reason;
    }
    reason = check_fip(&pc, fip, want);
    if (!reason) {
        *providerp = pc.provider;
    }
    return reason;
}

/* Brings the hardware rules of 'fip' on 'br' in line with its state: takes
 * them out now if they must go, or queues the FIP for installation. */
void
dpfip_offload_update(const struct dpfip_bridge *br, struct dpfip_fip *fip)
{
    struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS];
    const struct dpfip_offload_class *provider = NULL;
    struct dpfip_fip_offload *o;
    char *reason;

    if (fip->state != DPFIP_ACTIVE || !br || br->error) {
        dpfip_offload_remove(fip);
        return;
    }

    reason = check_offloadable(br, fip, &provider, want);
    if (reason) {
        /* Its configuration or its ports keep the FIP in software: it
         * holds no offload state (for 100k FIPs in software that state
         * was half of their memory); dpfip_offload_format() tells the
         * reason. */
        free(reason);
        dpfip_offload_remove(fip);
        return;
    }

    o = get_offload(fip);
    if (o->provider && o->provider != provider) {
        stop_offload(o, NULL);
    }
    o->provider = provider;
    free(o->uplink_name);
    o->uplink_name = xstrdup(br->cfg.uplink);

    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        want[i].generation = o->installed ? o->specs[i].generation : 0;
    }
    if (o->installed && !memcmp(want, o->specs, sizeof want)) {
        specs_release(want);
        set_queue(o, Q_INSTALLED);
        return;
    }
    if ((o->queue == Q_PENDING || o->queue == Q_RETRYING || o->refused)
        && !memcmp(want, o->want, sizeof want)) {
        /* Already on its way, or refused for good: a permanent refusal
         * stands until the spec changes. */
        specs_release(want);
        return;
    }
    if (o->installed && (!only_macs_differ(&want[0], &o->specs[0])
                         || !only_macs_differ(&want[1], &o->specs[1]))) {
        /* Addresses or ports changed: the old rules would now rewrite
         * wrongly, so software carries the FIP until the new ones are
         * in. */
        remove_rules(fip);
    }
    specs_copy(o->want, want);
    specs_release(want);
    o->refused = false;
    o->reason_logged = false;
    o->retry_interval = RETRY_MIN_MS;
    set_queue(o, Q_PENDING);
}

/* Installs both directions of 'specs' into 'rules', all or nothing. */
static int
install_rule_set(struct dpfip_fip *fip,
                 const struct dpfip_offload_rule_spec *specs,
                 struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS],
                 char **reason)
{
    const struct dpfip_offload_class *provider = fip->offload->provider;
    int error = provider->probe(specs[DPFIP_DNAT].in_port,
                                specs[DPFIP_DNAT].out_port, reason);

    for (int i = 0; !error && i < DPFIP_N_DIRECTIONS; i++) {
        error = provider->install(&specs[i], &rules[i], reason);
    }
    if (error) {
        remove_rule_set(fip, rules);
    }
    return error;
}

static void
set_installed(struct dpfip_fip_offload *o,
              struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS],
              struct netdev *netdevs[2])
{
    memcpy(o->rules, rules, sizeof o->rules);
    specs_copy(o->specs, o->want);
    for (int i = 0; i < 2; i++) {
        struct offload_port *old = o->ports[i];

        o->ports[i] = port_ref(o->provider, netdevs[i],
                               i ? o->want[DPFIP_DNAT].out_port
                                 : o->want[DPFIP_DNAT].in_port);
        port_unref(old);
    }
    o->installed = true;
    o->last_stats = time_msec();
    o->retry_interval = RETRY_MIN_MS;
    set_reason(o, NULL);
    set_queue(o, Q_NONE);
    set_queue(o, Q_INSTALLED);      /* Last polled now: at the back. */
}

/* Installs the pending FIP 'o'.  A FIP already in hardware gets its new
 * rules in the other generation first and loses the old ones after
 * (make-before-break); without room for both, the old ones go first. */
static void
install_pending(struct dpfip_fip_offload *o)
{
    struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS] = { NULL, NULL };
    struct dpfip_fip *fip = o->fip;
    bool was_installed = o->installed;
    struct netdev *netdevs[2];
    char *reason = NULL;
    int error = EAGAIN;

    if (!want_netdevs(o, netdevs)) {
        /* A port changed since the FIP was queued: its next update
         * queues it again with the new handles. */
        remove_rules(fip);
        set_queue(o, Q_NONE);
        return;
    }
    if (o->installed) {
        for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
            o->want[i].generation = !o->specs[i].generation;
        }
        error = install_rule_set(fip, o->want, rules, &reason);
        if (error) {
            VLOG_INFO("%s: no room to replace the hardware rules before "
                      "removing them (%s); replacing in place", fip->text,
                      reason);
            free(reason);
            reason = NULL;
        } else {
            credit_stats(fip);
            remove_rule_set(fip, o->rules);
            memset(o->credited, 0, sizeof o->credited);
            VLOG_INFO("%s: hardware rules replaced, make-before-break",
                      fip->text);
        }
    }
    if (error) {
        remove_rules(fip);
        for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
            o->want[i].generation = 0;
        }
        error = install_rule_set(fip, o->want, rules, &reason);
    }

    if (error) {
        bool transient = dpfip_offload_error_is_transient(error);

        if (!o->reason_logged || !o->reason || strcmp(o->reason, reason)) {
            VLOG_INFO("%s: not offloaded, runs in software: %s%s",
                      fip->text, reason,
                      transient ? "" : " (until its configuration changes)");
        }
        set_reason(o, reason);
        o->reason_logged = true;
        if (transient) {
            o->next_retry = time_msec() + o->retry_interval;
            o->retry_interval = MIN(o->retry_interval * 2, RETRY_MAX_MS);
            set_queue(o, Q_RETRYING);
        } else {
            o->refused = true;
            set_queue(o, Q_NONE);
        }
        return;
    }

    if (!was_installed) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);

        VLOG_INFO_RL(&rl, "%s: offloaded (%s)", fip->text,
                     o->provider->name);
    }
    set_installed(o, rules, netdevs);
}

/* Removes the hardware rules of 'fip' and forgets its offload state, for a
 * FIP being destroyed or whose port is about to go. */
void
dpfip_offload_remove(struct dpfip_fip *fip)
{
    struct dpfip_fip_offload *o = fip->offload;

    if (o) {
        stop_offload(o, NULL);
        specs_release(o->specs);
        specs_release(o->want);
        free(o->uplink_name);
        free(o);
        fip->offload = NULL;
    }
}

/* Moves refused FIPs whose time has come, and as many as left hardware
 * since the last call (each made room for about one), back to pending. */
static void
schedule_retries(long long int now)
{
    struct dpfip_fip_offload *o;

    if (now < next_retry && !(n_freed && !ovs_list_is_empty(&retrying))) {
        n_freed = 0;
        return;
    }
    next_retry = LLONG_MAX;
    LIST_FOR_EACH_SAFE (o, list_node, &retrying) {
        if (n_freed) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);

            VLOG_INFO_RL(&rl, "%s: retrying offload: hardware capacity "
                         "freed", o->fip->text);
            n_freed--;
            set_queue(o, Q_PENDING);
        } else if (now >= o->next_retry) {
            set_queue(o, Q_PENDING);
        } else {
            next_retry = MIN(next_retry, o->next_retry);
        }
    }
    n_freed = 0;
}

/* For the ports of 'br': lets its provider remove what an earlier
 * ovs-vswitchd left there (tc: rules of a FIP removed while it was down;
 * install() does the same for its input port before adding rules).
 * Called whenever the bridge is reconfigured, also with
 * dpfip-offload=software: stale rules would still rewrite. */
void
dpfip_offload_reconcile_ports(const struct dpfip_bridge *br)
{
    const struct dpfip_offload_class *provider;
    struct ofport *ofport;

    provider = br->ofproto ? bridge_provider(br, NULL) : NULL;
    if (!provider) {
        return;
    }
    HMAP_FOR_EACH (ofport, hmap_node, &br->ofproto->up.ports) {
        char *reason = NULL;
        int handle = dpfip_offload_port_handle(provider, ofport->netdev,
                                               &reason);

        if (handle >= 0) {
            dpfip_offload_reconcile_port(provider, handle);
        }
        free(reason);
    }
}

/* A port whose netdev changed may have lost its rules (a stop flushes a
 * DPDK port's): asks the provider, and reinstalls the FIPs that used it
 * if they are gone.  Before any install of this pass, so that no new rule
 * reuses a lost handle unnoticed. */
static void
check_ports(void)
{
    struct offload_port *p;
    bool lost_any = false;

    HMAP_FOR_EACH (p, node, &offload_ports) {
        uint64_t seq = netdev_get_change_seq(p->netdev);

        if (seq != p->change_seq || p->check) {
            p->change_seq = seq;
            p->check = false;
            if (p->provider->port_changed
                && p->provider->port_changed(p->handle)) {
                VLOG_INFO("%s: %s rules lost (port changed), reinstalling",
                          netdev_get_name(p->netdev), p->provider->name);
                lost_any = true;
            }
        }
    }
    if (lost_any) {
        struct dpfip_fip_offload *o;

        /* Every installed FIP whose rules the provider now knows lost
         * reports ENOENT without touching the hardware. */
        LIST_FOR_EACH_SAFE (o, list_node, &installed) {
            if (!credit_stats(o->fip)) {
                reinstall_lost(o);
            }
        }
    }
}

/* Polls counters: FIPs not polled for STATS_INTERVAL_MS, at most
 * STATS_BATCH per slice. */
static void
poll_stats(long long int now)
{
    int n = 0;

    if (now < next_stats_slice) {
        return;
    }
    while (!ovs_list_is_empty(&installed) && n < STATS_BATCH) {
        struct dpfip_fip_offload *o = CONTAINER_OF(ovs_list_front(&installed),
                                                   struct dpfip_fip_offload,
                                                   list_node);

        if (o->last_stats + STATS_INTERVAL_MS > now) {
            break;
        }
        n++;
        if (!credit_stats(o->fip)) {
            /* The rules are gone: so are, probably, those of every FIP
             * on its ports.  Ask the provider at the next pass. */
            for (int i = 0; i < 2; i++) {
                o->ports[i]->check = true;
            }
            reinstall_lost(o);
            continue;
        }
        o->last_stats = now;
        ovs_list_remove(&o->list_node);
        ovs_list_push_back(&installed, &o->list_node);
    }
    if (n >= STATS_BATCH) {
        next_stats_slice = now + STATS_SLICE_MS;
    } else if (!ovs_list_is_empty(&installed)) {
        const struct dpfip_fip_offload *o;

        o = CONTAINER_OF(ovs_list_front(&installed),
                         struct dpfip_fip_offload, list_node);
        next_stats_slice = MAX(o->last_stats + STATS_INTERVAL_MS,
                               now + STATS_SLICE_MS);
    } else {
        next_stats_slice = LLONG_MAX;
    }
}

void
dpfip_offload_run(void)
{
    long long int now = time_msec();
    struct dpfip_fip_offload *o;

    check_ports();
    schedule_retries(now);
    if (!ovs_list_is_empty(&pending)) {
        if (!burst_start) {
            burst_start = now;
        }
        for (int i = 0; i < INSTALL_BATCH && !ovs_list_is_empty(&pending);
             i++) {
            o = CONTAINER_OF(ovs_list_front(&pending),
                             struct dpfip_fip_offload, list_node);
            install_pending(o);
            if (o->queue == Q_INSTALLED) {
                burst_installed++;
            } else {
                burst_refused++;
            }
        }
        if (ovs_list_is_empty(&pending)
            && burst_installed + burst_refused > INSTALL_BATCH) {
            /* A long queue (e.g. after a restart) has drained. */
            VLOG_INFO("offload queue drained: %u FIPs installed, %u refused, "
                      "in %lld ms", burst_installed, burst_refused,
                      time_msec() - burst_start);
        }
        if (next_stats_slice == LLONG_MAX && !ovs_list_is_empty(&installed)) {
            next_stats_slice = now + STATS_INTERVAL_MS;
        }
    }
    if (ovs_list_is_empty(&pending)) {
        burst_start = 0;
        burst_installed = burst_refused = 0;
    }
    poll_stats(now);
}

void
dpfip_offload_wait(void)
{
    if (!ovs_list_is_empty(&pending)
        || (n_freed && !ovs_list_is_empty(&retrying))) {
        poll_immediate_wake();
    }
    if (!ovs_list_is_empty(&retrying)) {
        poll_timer_wait_until(next_retry);
    }
    if (!ovs_list_is_empty(&installed)) {
        poll_timer_wait_until(next_stats_slice);
    }
}

/* True if some FIP may have rules in hardware. */
bool
dpfip_offload_has_rules(void)
{
    return !ovs_list_is_empty(&installed) || !ovs_list_is_empty(&pending);
}

bool
dpfip_offload_is_offloaded(const struct dpfip_fip *fip)
{
    return fip->offload && fip->offload->installed;
}

/* Where an active 'fip' runs. */
enum dpfip_offload_where
dpfip_offload_where(const struct dpfip_fip *fip)
{
    const struct dpfip_fip_offload *o = fip->offload;

    return (o && o->installed ? DPFIP_WHERE_OFFLOADED
            : o && o->queue == Q_PENDING ? DPFIP_WHERE_PENDING
            : DPFIP_WHERE_SOFTWARE);
}

const char *
dpfip_offload_where_to_string(enum dpfip_offload_where where)
{
    switch (where) {
    case DPFIP_WHERE_OFFLOADED:
        return "offloaded";
    case DPFIP_WHERE_PENDING:
        return "pending";
    case DPFIP_WHERE_SOFTWARE:
    default:
        return "software";
    }
}

struct dpfip_offload_memo *
dpfip_offload_memo_create(void)
{
    struct dpfip_offload_memo *memo = xmalloc(sizeof *memo);

    hmap_init(&memo->checks);
    return memo;
}

void
dpfip_offload_memo_destroy(struct dpfip_offload_memo *memo)
{
    if (memo) {
        struct port_check *pc;

        HMAP_FOR_EACH_POP (pc, node, &memo->checks) {
            free(pc->reason);
            free(pc);
        }
        hmap_destroy(&memo->checks);
        free(memo);
    }
}

/* The checks of the ports of 'fip' on 'br', run once per port in 'memo'. */
static const struct port_check *
memo_check_ports(struct dpfip_offload_memo *memo,
                 const struct dpfip_bridge *br, const struct dpfip_fip *fip)
{
    uint32_t hash = hash_pointer(br, hash_2words(
                                     ofp_to_u16(fip->rw.uplink_port),
                                     ofp_to_u16(fip->rw.vm_port)));
    struct port_check *pc;

    HMAP_FOR_EACH_WITH_HASH (pc, node, hash, &memo->checks) {
        if (pc->br == br && pc->uplink_port == fip->rw.uplink_port
            && pc->vm_port == fip->rw.vm_port) {
            return pc;
        }
    }
    pc = xmalloc(sizeof *pc);
    check_fip_ports(br, fip, pc);
    hmap_insert(&memo->checks, &pc->node, hash);
    return pc;
}

static void
put_software(struct ds *s, const char *reason)
{
    ds_put_cstr(s, "software (");
    ds_put_cstr(s, reason);
    ds_put_char(s, ')');
}

/* Appends where 'fip' runs, e.g. "offloaded (rte_flow, uplink dpdk0)",
 * "offloaded (tc, not_in_hw)" or "software (uplink p1 is not a DPDK
 * port)". */
void
dpfip_offload_format(const struct dpfip_fip *fip,
                     struct dpfip_offload_memo *memo, struct ds *s)
{
    const struct dpfip_fip_offload *o = fip->offload;

    if (fip->state != DPFIP_ACTIVE) {
        ds_put_cstr(s, "-");
    } else if (o && o->installed && o->provider->in_hw) {
        bool in_hw = true;

        for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
            in_hw = in_hw && o->rules[i] && o->provider->in_hw(o->rules[i]);
        }
        ds_put_format(s, "offloaded (%s, %s)", o->provider->name,
                      in_hw ? "in_hw" : "not_in_hw");
    } else if (o && o->installed) {
        ds_put_format(s, "offloaded (%s, uplink %s)", o->provider->name,
                      o->uplink_name);
    } else if (o && o->queue == Q_PENDING) {
        ds_put_cstr(s, "pending");
    } else if (o && o->reason) {
        put_software(s, o->reason);
    } else if (!o) {
        struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS];
        const struct dpfip_bridge *br = dpfip_fip_bridge(fip);
        const struct port_check *pc;
        struct port_check own;
        char *reason;

        if (memo) {
            pc = memo_check_ports(memo, br, fip);
        } else {
            check_fip_ports(br, fip, &own);
            pc = &own;
        }
        reason = pc->reason ? NULL : check_fip(pc, fip, want);
        if (pc->reason || reason) {
            put_software(s, pc->reason ? pc->reason : reason);
        } else {
            specs_release(want);
            ds_put_cstr(s, "software");
        }
        free(reason);
        if (pc == &own) {
            free(own.reason);
        }
    } else {
        ds_put_cstr(s, "software");
    }
}
