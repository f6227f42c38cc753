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
#include "dpif.h"
#include "dpif-netdev.h"
#include "netdev.h"
#include "netdev-dpdk.h"
#include "openvswitch/list.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
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

static bool offload_enabled = true;   /* dpfip-offload=auto. */
static enum dpfip_offload_policy tc_policy;  /* tc-policy. */

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

/* The current burst of installs, for one log line when it ends. */
static long long int burst_start;
static unsigned int burst_installed, burst_refused;

/* Offload state of one FIP. */
struct dpfip_fip_offload {
    struct dpfip_fip *fip;
    const struct dpfip_offload_class *provider; /* Of the bridge. */
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
            /* Not an error for tc: OVS deletes a port's ingress qdisc, with
             * every filter on it, when it first configures the port's
             * ingress policing (e.g. a port re-added to the bridge). */
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

/* The provider for the FIPs of 'br': rte_flow on the userspace datapath
 * (dpif-netdev, also netdev-dummy's), tc on the kernel one. */
static const struct dpfip_offload_class *
bridge_provider(const struct dpfip_bridge *br)
{
    return (dpif_is_netdev(br->ofproto->backer->dpif)
            ? &dpfip_offload_rte_flow_class : &dpfip_offload_tc_class);
}

/* Returns the handle of 'port' on 'br' for 'provider' (rte_flow: the DPDK
 * port id; tc: the ifindex), or -1 with a reason. */
static int
port_handle(const struct dpfip_bridge *br,
            const struct dpfip_offload_class *provider, ofp_port_t port,
            const char *what, char **reason)
{
    struct ofport *ofport = ofproto_get_port(&br->ofproto->up, port);
    int id = -1;

    if (!ofport) {
        *reason = xasprintf("%s has no port", what);
    } else if (provider == &dpfip_offload_tc_class) {
        id = netdev_get_ifindex(ofport->netdev);
        if (id <= 0) {
            *reason = xasprintf("%s %s has no ifindex (%s)", what,
                                netdev_get_name(ofport->netdev),
                                ovs_strerror(id ? -id : EINVAL));
            id = -1;
        }
    } else {
#ifdef DPDK_NETDEV
        id = netdev_dpdk_get_port_id(ofport->netdev);
#endif
        if (id < 0) {
            *reason = xasprintf("%s %s is not a DPDK port", what,
                                netdev_get_name(ofport->netdev));
        }
    }
    return id;
}

/* Builds one direction of 'fip''s rewrite as a provider spec.  Returns
 * false, with a reason, for what no provider can do yet. */
static bool
build_spec(const struct dpfip_fip *fip, enum dpfip_direction dir, int uplink,
           int vm, struct dpfip_offload_rule_spec *spec, char **reason)
{
    const struct dpfip_rewrite *rw = &fip->rw;
    const struct dpfip_prefix *internal = NULL;

    if (rw->uplink_vlan) {
        *reason = xstrdup("a VLAN-tagged uplink is not offloaded");
        return false;
    }
    for (size_t i = 0; rw->internal && i < rw->internal->n; i++) {
        if (rw->internal->p[i].family == rw->family) {
            if (internal) {
                *reason = xasprintf("more than one internal %s prefix is "
                                    "not offloaded",
                                    dpfip_family_to_string(rw->family));
                return false;
            }
            internal = &rw->internal->p[i];
        }
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
    if (internal) {
        struct dpfip_offload_prefix p = {
            .addr = internal->addr,
            .plen = internal->plen,
        };

        dpfip_offload_spec_set_internal(spec, &p, 1);
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

/* Brings the hardware rules of 'fip' on 'br' in line with its state: takes
 * them out now if they must go, or queues the FIP for installation. */
void
dpfip_offload_update(const struct dpfip_bridge *br, struct dpfip_fip *fip)
{
    struct dpfip_offload_rule_spec want[DPFIP_N_DIRECTIONS];
    struct dpfip_fip_offload *o;
    char *reason = NULL;
    int uplink, vm;

    if (fip->state != DPFIP_ACTIVE || br->error) {
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

    const struct dpfip_offload_class *provider = bridge_provider(br);
    if (o->provider && o->provider != provider) {
        remove_rules(fip);
        set_queue(o, Q_NONE);
    }
    o->provider = provider;

    uplink = port_handle(br, provider, fip->rw.uplink_port, "uplink",
                         &reason);
    vm = (uplink < 0 ? -1
          : port_handle(br, provider, fip->rw.vm_port, "port", &reason));
    if (uplink < 0 || vm < 0) {
        remove_rules(fip);
        set_queue(o, Q_NONE);
        set_reason(o, reason);
        return;
    }
    free(o->uplink_name);
    o->uplink_name = xstrdup(br->cfg.uplink);

    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        if (!build_spec(fip, i, uplink, vm, &want[i], &reason)) {
            remove_rules(fip);
            set_queue(o, Q_NONE);
            set_reason(o, reason);
            return;
        }
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
        VLOG_INFO("%s: offloaded (%s)", fip->text, o->provider->name);
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

/* For the ports of a kernel datapath bridge that this process has not
 * seen yet: removes the tc rules that an earlier ovs-vswitchd left there
 * (e.g. for a FIP removed while it was down).  install() does the same for
 * its input port before adding rules.  Called whenever the bridge is
 * reconfigured, also with dpfip-offload=software: stale rules would still
 * rewrite. */
void
dpfip_offload_reconcile_ports(const struct dpfip_bridge *br)
{
    struct ofport *ofport;

    if (bridge_provider(br) != &dpfip_offload_tc_class) {
        return;
    }
    HMAP_FOR_EACH (ofport, hmap_node, &br->ofproto->up.ports) {
        int ifindex = netdev_get_ifindex(ofport->netdev);

        if (ifindex > 0) {
            dpfip_offload_tc_reconcile(ifindex);
        }
    }
}

void
dpfip_offload_run(void)
{
    long long int now = time_msec();
    struct dpfip_fip_offload *o;

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
    }
    if (ovs_list_is_empty(&pending)) {
        burst_start = 0;
        burst_installed = burst_refused = 0;
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

/* Returns "offloaded", "pending" or "software" for an active 'fip'. */
const char *
dpfip_offload_where(const struct dpfip_fip *fip)
{
    const struct dpfip_fip_offload *o = fip->offload;

    return (o && o->installed ? "offloaded"
            : o && o->queue == Q_PENDING ? "pending"
            : "software");
}

/* Appends where 'fip' runs, e.g. "offloaded (rte_flow, uplink dpdk0)",
 * "offloaded (tc, not_in_hw)" or "software (uplink p1 is not a DPDK
 * port)". */
void
dpfip_offload_format(const struct dpfip_fip *fip, struct ds *s)
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
        ds_put_format(s, "software (%s)", o->reason);
    } else {
        ds_put_cstr(s, "software");
    }
}
