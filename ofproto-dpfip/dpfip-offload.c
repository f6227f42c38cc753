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
#include "netdev.h"
#include "netdev-dpdk.h"
#include "openvswitch/list.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(dpfip_offload);

/* Retry a refused FIP after 1, 2, 4... up to 60 s, and at once when
 * another FIP's rules leave the hardware (capacity freed).  Poll hardware
 * counters once a second.  Install at most INSTALL_BATCH FIPs per main
 * loop pass, so that thousands of FIPs arriving at once ("pending" in
 * dpfip/show meanwhile) do not stall the main loop. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define STATS_INTERVAL_MS 1000
#define INSTALL_BATCH 256

static const struct dpfip_offload_class *provider
    = &dpfip_offload_rte_flow_class;
static bool offload_enabled = true;   /* dpfip-offload=auto. */

/* Each FIP with offload state is on at most one of these lists. */
enum offload_queue {
    Q_NONE,                         /* Nothing to do (e.g. not a DPDK port). */
    Q_PENDING,                      /* 'want' to be installed. */
    Q_RETRYING,                     /* 'want' refused, retry at next_retry. */
    Q_INSTALLED,                    /* 'specs' in hardware. */
};
static struct ovs_list pending = OVS_LIST_INITIALIZER(&pending);
static struct ovs_list retrying = OVS_LIST_INITIALIZER(&retrying);
static struct ovs_list installed = OVS_LIST_INITIALIZER(&installed);
static long long int next_stats;
static long long int next_retry = LLONG_MAX;  /* Earliest in 'retrying'. */
static unsigned int n_freed;        /* FIPs that left hardware since run. */

/* Offload state of one FIP. */
struct dpfip_fip_offload {
    struct dpfip_fip *fip;
    struct ovs_list list_node;      /* In the list of 'queue'. */
    enum offload_queue queue;

    /* In hardware, with the specs they were made from.  A FIP can be
     * installed and pending at once: its replacement waits its turn. */
    bool installed;
    struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS];
    struct dpfip_offload_rule_spec specs[DPFIP_N_DIRECTIONS];

    /* What the FIP needs in hardware, when pending or retrying. */
    struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS];

    char *reason;                   /* Why in software, or NULL. */
    char *uplink_name;              /* For dpfip/show. */
    long long int next_retry;
    int retry_interval;

    /* Hardware totals already added to the FIP's counters. */
    struct dpfip_offload_stats credited[DPFIP_N_DIRECTIONS];
};

void
dpfip_offload_configure(const struct smap *other_config)
{
    const char *mode = smap_get_def(other_config, "dpfip-offload", "auto");
    bool enable = offload_enabled;

    if (!strcmp(mode, "auto")) {
        enable = true;
    } else if (!strcmp(mode, "software")) {
        enable = false;
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "dpfip-offload: '%s' is not 'auto' or 'software'; "
                     "keeping '%s'", mode,
                     offload_enabled ? "auto" : "software");
    }
    if (enable != offload_enabled) {
        VLOG_INFO("dpfip-offload=%s", enable ? "auto" : "software");
        offload_enabled = enable;
    }
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
        struct dpfip_xc_stats *xs = fip->stats[i];
        char *error = NULL;
        uint64_t orig;
        int err;

        if (!o->rules[i]) {
            continue;
        }
        err = provider->stats(o->rules[i], &now, &error);
        if (now.n_packets >= old->n_packets) {
            uint64_t packets = now.n_packets - old->n_packets;
            uint64_t bytes = now.n_bytes - old->n_bytes;

            dpfip_xc_stats_add(xs, packets, bytes);
            atomic_add_relaxed(&xs->n_offloaded_packets, packets, &orig);
            atomic_add_relaxed(&xs->n_offloaded_bytes, bytes, &orig);
            atomic_add_relaxed(&xs->n_dropped,
                               now.n_dropped - old->n_dropped, &orig);
            *old = now;
        }
        if (err == ENOENT) {
            VLOG_WARN("%s: hardware rules lost (%s), reinstalling",
                      fip->text, error);
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

            if (provider->remove(rules[i], &error)) {
                VLOG_WARN("%s: removing hardware rules: %s", fip->text,
                          error);
            }
            free(error);
            rules[i] = NULL;
        }
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
    memset(o->credited, 0, sizeof o->credited);
    o->installed = false;
    if (o->queue == Q_INSTALLED) {
        set_queue(o, Q_NONE);
    }
    n_freed++;
}

/* Returns the DPDK port id of 'port' on 'br', or -1 with a reason. */
static int
dpdk_port_id(const struct dpfip_bridge *br, ofp_port_t port, const char *what,
             char **reason)
{
    struct ofport *ofport = ofproto_get_port(&br->ofproto->up, port);
    int id = -1;

    if (ofport) {
#ifdef DPDK_NETDEV
        id = netdev_dpdk_get_port_id(ofport->netdev);
#endif
        if (id < 0) {
            *reason = xasprintf("%s %s is not a DPDK port", what,
                                netdev_get_name(ofport->netdev));
        }
    } else {
        *reason = xasprintf("%s has no port", what);
    }
    return id;
}

static void
build_spec(const struct dpfip_bridge *br, const struct dpfip_fip *fip,
           enum dpfip_direction dir, int uplink, int vm,
           struct dpfip_offload_rule_spec *spec)
{
    enum dpfip_family family = fip->pair.family;

    memset(spec, 0, sizeof *spec);
    spec->direction = dir;
    spec->is_ipv4 = family == DPFIP_IPV4;
    spec->floating = fip->pair.floating;
    spec->fixed = fip->pair.fixed;
    spec->vm_mac = fip->vm_mac;
    spec->router_mac = br->cfg.router_mac;
    spec->ext_mac = br->ext_mac;
    spec->gw_mac = br->gw[family].mac;
    spec->in_port = dir == DPFIP_DNAT ? uplink : vm;
    spec->out_port = dir == DPFIP_DNAT ? vm : uplink;
    spec->has_internal = br->cfg.has_router[family];
    spec->internal = br->cfg.router[family];
    spec->internal_plen = br->cfg.router_plen[family];
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

/* Brings the hardware rules of 'fip' on 'br' in line with its state: takes
 * them out now if they must go, or queues the FIP for installation. */
void
dpfip_offload_update(const struct dpfip_bridge *br, struct dpfip_fip *fip)
{
    struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS];
    struct dpfip_fip_offload *o;
    char *reason = NULL;
    int uplink, vm;

    if (fip->state != DPFIP_ACTIVE || !br || br->error) {
        if (fip->offload) {
            remove_rules(fip);
            set_queue(fip->offload, Q_NONE);
            set_reason(fip->offload, NULL);
        }
        return;
    }

    o = get_offload(fip);
    if (!offload_enabled) {
        remove_rules(fip);
        set_queue(o, Q_NONE);
        set_reason(o, xstrdup("dpfip-offload=software"));
        return;
    }

    uplink = dpdk_port_id(br, br->uplink_port, "uplink", &reason);
    vm = uplink < 0 ? -1 : dpdk_port_id(br, fip->vm_port, "port", &reason);
    if (uplink < 0 || vm < 0) {
        remove_rules(fip);
        set_queue(o, Q_NONE);
        set_reason(o, reason);
        return;
    }
    free(o->uplink_name);
    o->uplink_name = xstrdup(br->cfg.uplink);

    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        build_spec(br, fip, i, uplink, vm, &want[i]);
        want[i].generation = o->installed ? o->specs[i].generation : 0;
    }
    if (o->installed && !memcmp(want, o->specs, sizeof want)) {
        set_queue(o, Q_INSTALLED);
        return;
    }
    if ((o->queue == Q_PENDING || o->queue == Q_RETRYING)
        && !memcmp(want, o->want, sizeof want)) {
        return;
    }
    if (o->installed && (!only_macs_differ(&want[0], &o->specs[0])
                         || !only_macs_differ(&want[1], &o->specs[1]))) {
        /* Addresses or ports changed: the old rules would now rewrite
         * wrongly, so software carries the FIP until the new ones are
         * in. */
        remove_rules(fip);
    }
    memcpy(o->want, want, sizeof want);
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

/* Installs the pending FIP 'o'.  A FIP already in hardware gets its new
 * rules in the other generation first and loses the old ones after
 * (make-before-break); without room for both, the old ones go first. */
static void
install_pending(struct dpfip_fip_offload *o)
{
    struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS] = { NULL, NULL };
    struct dpfip_fip *fip = o->fip;
    char *reason = NULL;
    int error = EAGAIN;

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
        if (!o->reason || strcmp(o->reason, reason)) {
            VLOG_INFO("%s: not offloaded, runs in software: %s", fip->text,
                      reason);
        }
        set_reason(o, reason);
        o->next_retry = time_msec() + o->retry_interval;
        o->retry_interval = MIN(o->retry_interval * 2, RETRY_MAX_MS);
        set_queue(o, Q_RETRYING);
        return;
    }

    if (!o->installed) {
        VLOG_INFO("%s: offloaded (%s)", fip->text, provider->name);
    }
    memcpy(o->rules, rules, sizeof rules);
    memcpy(o->specs, o->want, sizeof o->specs);
    o->installed = true;
    o->retry_interval = RETRY_MIN_MS;
    set_reason(o, NULL);
    set_queue(o, Q_INSTALLED);
}

/* Removes the hardware rules of 'fip' and forgets its offload state, for a
 * FIP being destroyed or whose port is about to go. */
void
dpfip_offload_remove(struct dpfip_fip *fip)
{
    struct dpfip_fip_offload *o = fip->offload;

    if (o) {
        remove_rules(fip);
        set_queue(o, Q_NONE);
        set_reason(o, NULL);
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

void
dpfip_offload_run(void)
{
    long long int now = time_msec();
    struct dpfip_fip_offload *o;

    schedule_retries(now);
    for (int i = 0; i < INSTALL_BATCH && !ovs_list_is_empty(&pending); i++) {
        o = CONTAINER_OF(ovs_list_front(&pending), struct dpfip_fip_offload,
                         list_node);
        install_pending(o);
    }

    if (now >= next_stats) {
        LIST_FOR_EACH_SAFE (o, list_node, &installed) {
            if (!credit_stats(o->fip)) {
                /* The hardware lost the rules: drop the handles, put the
                 * same specs back. */
                remove_rule_set(o->fip, o->rules);
                memset(o->credited, 0, sizeof o->credited);
                o->installed = false;
                memcpy(o->want, o->specs, sizeof o->want);
                set_queue(o, Q_PENDING);
            }
        }
        next_stats = now + STATS_INTERVAL_MS;
    }
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
        poll_timer_wait_until(next_stats);
    }
}

bool
dpfip_offload_is_offloaded(const struct dpfip_fip *fip)
{
    return fip->offload && fip->offload->installed;
}

/* Returns "offloaded", "pending" or "software" for an active 'fip'. */
const char *
dpfip_offload_where(const struct dpfip_fip *fip)
{
    const struct dpfip_fip_offload *o = fip->offload;

    return (o && o->installed ? "offloaded"
            : o && o->queue == Q_PENDING ? "pending"
            : "software");
}

/* Appends where 'fip' runs, e.g. "offloaded (rte_flow, uplink dpdk0)" or
 * "software (uplink p1 is not a DPDK port)". */
void
dpfip_offload_format(const struct dpfip_fip *fip, struct ds *s)
{
    const struct dpfip_fip_offload *o = fip->offload;

    if (fip->state != DPFIP_ACTIVE) {
        ds_put_cstr(s, "-");
    } else if (o && o->installed) {
        ds_put_format(s, "offloaded (%s, uplink %s)", provider->name,
                      o->uplink_name);
    } else if (o && o->queue == Q_PENDING) {
        ds_put_cstr(s, "pending");
    } else if (o && o->reason) {
        ds_put_format(s, "software (%s)", o->reason);
    } else {
        ds_put_cstr(s, "software");
    }
}
