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
#include "dpfip-offload-provider.h"
#include "dpfip-private.h"
#include "netdev.h"
#include "netdev-dpdk.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(dpfip_offload);

/* Retry a refused FIP after 1, 2, 4... up to 60 s; poll hardware counters
 * once a second. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define STATS_INTERVAL_MS 1000

static const struct dpfip_offload_class *provider
    = &dpfip_offload_rte_flow_class;
static bool offload_enabled = true;   /* dpfip-offload=auto. */
static long long int next_stats;

/* Offload state of one FIP. */
struct dpfip_fip_offload {
    struct dpfip_offload_rule *rules[DPFIP_N_DIRECTIONS];
    struct dpfip_offload_rule_spec specs[DPFIP_N_DIRECTIONS];
    bool installed;                 /* Both rules in hardware. */
    bool attempted;                 /* 'specs' were tried and refused. */
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
        fip->offload->retry_interval = RETRY_MIN_MS;
    }
    return fip->offload;
}

static void
set_reason(struct dpfip_fip_offload *o, char *reason)
{
    free(o->reason);
    o->reason = reason;
}

/* Adds what hardware counted since the last call to the FIP's counters. */
static void
credit_stats(struct dpfip_fip *fip)
{
    struct dpfip_fip_offload *o = fip->offload;

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
            /* The rules are gone from hardware: install them again. */
            VLOG_WARN("%s: hardware rules lost (%s), reinstalling",
                      fip->text, error);
            o->installed = false;
            o->next_retry = time_msec();
        }
        free(error);
    }
}

static void
remove_rules(struct dpfip_fip *fip)
{
    struct dpfip_fip_offload *o = fip->offload;

    if (!o) {
        return;
    }
    if (o->installed) {
        credit_stats(fip);
    }
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        if (o->rules[i]) {
            char *error = NULL;

            if (provider->remove(o->rules[i], &error)) {
                VLOG_WARN("%s: removing hardware rules: %s", fip->text,
                          error);
            }
            free(error);
            o->rules[i] = NULL;
        }
        memset(&o->credited[i], 0, sizeof o->credited[i]);
    }
    o->installed = false;
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

/* Brings the hardware rules of 'fip' on 'br' in line with its state. */
void
dpfip_offload_update(const struct dpfip_bridge *br, struct dpfip_fip *fip)
{
    struct dpfip_offload_rule_spec specs[DPFIP_N_DIRECTIONS];
    struct dpfip_fip_offload *o;
    char *reason = NULL;
    int uplink, vm;

    if (fip->state != DPFIP_ACTIVE || !br || br->error) {
        remove_rules(fip);
        if (fip->offload) {
            set_reason(fip->offload, NULL);
        }
        return;
    }

    o = get_offload(fip);
    if (!offload_enabled) {
        remove_rules(fip);
        set_reason(o, xstrdup("dpfip-offload=software"));
        return;
    }

    uplink = dpdk_port_id(br, br->uplink_port, "uplink", &reason);
    vm = uplink < 0 ? -1 : dpdk_port_id(br, fip->vm_port, "port", &reason);
    if (uplink < 0 || vm < 0) {
        remove_rules(fip);
        set_reason(o, reason);
        return;
    }
    free(o->uplink_name);
    o->uplink_name = xstrdup(br->cfg.uplink);

    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        build_spec(br, fip, i, uplink, vm, &specs[i]);
    }
    bool same = !memcmp(specs, o->specs, sizeof specs);
    if (o->installed && same) {
        return;
    }
    if (!o->installed && same && o->attempted
        && time_msec() < o->next_retry) {
        return;
    }

    /* The software rules carry the FIP while hardware rules change. */
    remove_rules(fip);
    memcpy(o->specs, specs, sizeof specs);
    o->attempted = true;

    int error = provider->probe(uplink, vm, &reason);
    for (int i = 0; !error && i < DPFIP_N_DIRECTIONS; i++) {
        error = provider->install(&specs[i], &o->rules[i], &reason);
    }
    if (error) {
        remove_rules(fip);
        if (!o->reason || strcmp(o->reason, reason)) {
            VLOG_INFO("%s: not offloaded, runs in software: %s", fip->text,
                      reason);
        }
        set_reason(o, reason);
        o->next_retry = time_msec() + o->retry_interval;
        o->retry_interval = MIN(o->retry_interval * 2, RETRY_MAX_MS);
        return;
    }

    VLOG_INFO("%s: offloaded (%s)", fip->text, provider->name);
    o->installed = true;
    o->retry_interval = RETRY_MIN_MS;
    set_reason(o, NULL);
}

/* Removes the hardware rules of 'fip' and forgets its offload state, for a
 * FIP being destroyed or whose port is about to go. */
void
dpfip_offload_remove(struct dpfip_fip *fip)
{
    if (fip->offload) {
        remove_rules(fip);
        set_reason(fip->offload, NULL);
        free(fip->offload->uplink_name);
        free(fip->offload);
        fip->offload = NULL;
    }
}

void
dpfip_offload_run(void)
{
    long long int now = time_msec();
    struct dpfip_fip *fip;

    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        struct dpfip_fip_offload *o = fip->offload;

        if (!o || fip->state != DPFIP_ACTIVE) {
            continue;
        }
        if (o->installed && now >= next_stats) {
            credit_stats(fip);
        }
        if (!o->installed && o->attempted && now >= o->next_retry) {
            dpfip_offload_update(dpfip_bridge_find(fip->bridge_name), fip);
        }
    }
    if (now >= next_stats) {
        next_stats = now + STATS_INTERVAL_MS;
    }
}

void
dpfip_offload_wait(void)
{
    const struct dpfip_fip *fip;

    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        const struct dpfip_fip_offload *o = fip->offload;

        if (o && fip->state == DPFIP_ACTIVE) {
            if (o->installed) {
                poll_timer_wait_until(next_stats);
            } else if (o->attempted) {
                poll_timer_wait_until(o->next_retry);
            }
        }
    }
}

bool
dpfip_offload_is_offloaded(const struct dpfip_fip *fip)
{
    return fip->offload && fip->offload->installed;
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
    } else if (o && o->reason) {
        ds_put_format(s, "software (%s)", o->reason);
    } else {
        ds_put_cstr(s, "software");
    }
}
