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
#include "dpfip.h"

#include "dpfip-announce.h"
#include "dpfip-flows.h"
#include "dpfip-offload.h"
#include "dpfip-route.h"
#include "dpfip-private.h"
#include "hash.h"
#include "netdev.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "vswitch-idl.h"

VLOG_DEFINE_THIS_MODULE(dpfip);

/* The FIP table and its bridges.  Main thread only. */
struct hmap dpfip_bridges = HMAP_INITIALIZER(&dpfip_bridges);
struct hmap dpfip_fips = HMAP_INITIALIZER(&dpfip_fips);

static bool enabled;            /* Open_vSwitch other_config:dpfip-enable. */
static bool need_refresh;       /* States must be recomputed. */
/* FIPs with announcements left, by -next_announce: heap_max() is the
 * next one due. */
static struct heap announcing;

/* Gateway MAC resolution: probe at 1, 2, 4... up to 30 s until answered,
 * then every 30 s to follow a changed MAC. */
#define GW_PROBE_MIN_MS 1000
#define GW_PROBE_MAX_MS 30000
#define GW_REFRESH_MS 30000

/* Announcements after activation: at once, then 1, 2, 4... s apart. */
#define ANNOUNCE_FIRST_INTERVAL_MS 1000

static void refresh(void);

const char *
dpfip_state_to_string(enum dpfip_state state)
{
    switch (state) {
    case DPFIP_INVALID: return "invalid";
    case DPFIP_WAITING: return "waiting";
    case DPFIP_ACTIVE: return "active";
    }
    return "unknown";
}

bool
dpfip_is_enabled(void)
{
    return enabled;
}

static bool
is_known_fip(const struct in6_addr *addr)
{
    const struct dpfip_fip *fip;

    HMAP_FOR_EACH_WITH_HASH (fip, hmap_node, hash_bytes(addr, sizeof *addr, 0),
                             &dpfip_fips) {
        if (!fip->pair.error && fip->state != DPFIP_INVALID
            && ipv6_addr_equals(&fip->pair.floating, addr)) {
            return true;
        }
    }
    return false;
}

static void
dpfip_init(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        heap_init(&announcing);
        dpfip_unixctl_register();
        ofp_dpfip_set_is_known(is_known_fip);
        ovsthread_once_done(&once);
    }
}

static ofp_port_t
port_lookup(const struct ofproto_dpif *ofproto, const char *name)
{
    struct ofproto_port port;
    ofp_port_t ofp_port = OFPP_NONE;

    if (name && !ofproto_port_query_by_name(&ofproto->up, name, &port)) {
        ofp_port = port.ofp_port;
        ofproto_port_destroy(&port);
    }
    return ofp_port;
}

/* Bridges. */

struct dpfip_bridge *
dpfip_bridge_find(const char *name)
{
    struct dpfip_bridge *br;

    HMAP_FOR_EACH_WITH_HASH (br, hmap_node, hash_string(name, 0),
                             &dpfip_bridges) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

struct dpfip_bridge *
dpfip_bridge_find_by_ofproto(const struct ofproto_dpif *ofproto)
{
    struct dpfip_bridge *br;

    HMAP_FOR_EACH (br, hmap_node, &dpfip_bridges) {
        if (br->ofproto == ofproto) {
            return br;
        }
    }
    return NULL;
}

static void
bridge_set_error(struct dpfip_bridge *br, char *error)
{
    if (error && !nullable_string_is_equal(error, br->error)) {
        VLOG_WARN("bridge %s: %s", br->name, error);
    }
    free(br->error);
    br->error = error;
}

static void
gateway_reset(struct dpfip_gateway *gw)
{
    memset(gw, 0, sizeof *gw);
    gw->next_probe = time_msec();
    gw->probe_interval = GW_PROBE_MIN_MS;
}

static void
bridge_reconfigure(struct dpfip_bridge *br, const struct ovsrec_bridge *cfg)
{
    struct dpfip_bridge_cfg new;
    char *error = dpfip_bridge_cfg_parse(&cfg->other_config, &new);

    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        bool addr_changed = (new.has_gw[i] != br->cfg.has_gw[i]
                             || !ipv6_addr_equals(&new.gw[i],
                                                  &br->cfg.gw[i]));

        if (new.has_gw[i] && new.has_gw_mac) {
            br->gw[i].resolved = true;
            br->gw[i].mac = new.gw_mac;
        } else if (addr_changed || br->cfg.has_gw_mac) {
            gateway_reset(&br->gw[i]);
        }
    }
    dpfip_bridge_cfg_destroy(&br->cfg);
    br->cfg = new;

    br->uplink_port = OFPP_NONE;
    if (!error) {
        br->uplink_port = port_lookup(br->ofproto, new.uplink);
        if (br->uplink_port == OFPP_NONE) {
            error = xasprintf("dpfip-uplink: bridge has no port '%s'",
                              new.uplink);
        }
    }
    if (!error) {
        if (new.has_ext_mac) {
            br->ext_mac = new.ext_mac;
        } else {
            struct ofport *ofport = ofproto_get_port(&br->ofproto->up,
                                                     br->uplink_port);

            if (!ofport || netdev_get_etheraddr(ofport->netdev,
                                                &br->ext_mac)
                || eth_addr_is_zero(br->ext_mac)) {
                error = xasprintf("dpfip-external-mac is not set and uplink "
                                  "'%s' has no MAC address", new.uplink);
            }
        }
    }
    bridge_set_error(br, error);
    dpfip_routes_configure(br, &cfg->other_config);
}

static struct dpfip_bridge *
bridge_create(const char *name, struct ofproto_dpif *ofproto)
{
    struct dpfip_bridge *br = xzalloc(sizeof *br);

    br->name = xstrdup(name);
    br->ofproto = ofproto;
    br->uplink_port = OFPP_NONE;
    br->used_arp = true;
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        gateway_reset(&br->gw[i]);
    }
    hmap_init(&br->flows);
    hmap_insert(&dpfip_bridges, &br->hmap_node, hash_string(name, 0));
    return br;
}

/* Destroys 'br'.  Deletes its rules unless its ofproto is going away. */
static void
bridge_destroy(struct dpfip_bridge *br, bool ofproto_alive)
{
    if (ofproto_alive) {
        free(br->error);
        br->error = xstrdup("removed");
        dpfip_flows_sync(br);
    }
    dpfip_flows_forget(br);
    hmap_destroy(&br->flows);
    dpfip_routes_destroy(br);
    dpfip_xlate_unpublish_bridge(br);
    dpfip_announce_purge(br->ofproto);
    hmap_remove(&dpfip_bridges, &br->hmap_node);
    dpfip_bridge_cfg_destroy(&br->cfg);
    free(br->error);
    free(br->name);
    free(br);
}

/* FIPs. */

static uint32_t
fip_hash(const struct dpfip_pair_cfg *pair, const char *text)
{
    return (pair->error
            ? hash_string(text, 0)
            : hash_bytes(&pair->floating, sizeof pair->floating, 0));
}

static struct dpfip_fip *
fip_find(const char *text, const struct dpfip_pair_cfg *pair,
         const char *bridge, const char *iface)
{
    struct dpfip_fip *fip;

    HMAP_FOR_EACH_WITH_HASH (fip, hmap_node, fip_hash(pair, text),
                             &dpfip_fips) {
        if (!strcmp(fip->text, text) && !strcmp(fip->bridge_name, bridge)
            && !strcmp(fip->iface_name, iface)) {
            return fip;
        }
    }
    return NULL;
}

static struct dpfip_fip *
fip_create(const char *text, struct dpfip_pair_cfg *pair,
           const char *bridge, const char *iface)
{
    struct dpfip_fip *fip = xzalloc(sizeof *fip);

    fip->text = xstrdup(text);
    fip->bridge_name = xstrdup(bridge);
    fip->iface_name = xstrdup(iface);
    fip->pair = *pair;
    fip->vm_port = OFPP_NONE;
    fip->state = DPFIP_WAITING;
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        fip->stats[i] = dpfip_xc_stats_create();
    }
    hmap_insert(&dpfip_fips, &fip->hmap_node, fip_hash(pair, text));
    return fip;
}

static void
fip_destroy(struct dpfip_fip *fip)
{
    dpfip_offload_remove(fip);
    if (fip->n_announce_left) {
        heap_remove(&announcing, &fip->announce_node);
    }
    dpfip_xlate_unpublish_fip(fip);
    hmap_remove(&dpfip_fips, &fip->hmap_node);
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        dpfip_xc_stats_unref(fip->stats[i]);
    }
    dpfip_pair_cfg_destroy(&fip->pair);
    free(fip->vm_mac_error);
    free(fip->reason);
    free(fip->text);
    free(fip->bridge_name);
    free(fip->iface_name);
    free(fip);
}

static void
configure_iface(struct dpfip_bridge *br, const struct ovsrec_interface *iface,
                const char *value)
{
    struct sset texts = SSET_INITIALIZER(&texts);
    const char *text;

    dpfip_split_fips(value, &texts);
    if (sset_is_empty(&texts)) {
        sset_add(&texts, value);
    }
    SSET_FOR_EACH (text, &texts) {
        struct dpfip_pair_cfg pair;
        struct dpfip_fip *fip;

        dpfip_pair_cfg_parse(text, &pair);
        fip = fip_find(text, &pair, br->name, iface->name);
        if (fip) {
            dpfip_pair_cfg_destroy(&pair);
        } else {
            fip = fip_create(text, &pair, br->name, iface->name);
        }
        fip->seen = true;

        struct eth_addr mac = eth_addr_zero;
        char *error = dpfip_vm_mac_parse(&iface->external_ids,
                                         &iface->other_config, &mac);
        free(fip->vm_mac_error);
        fip->vm_mac_error = error;
        fip->vm_mac = mac;
        fip->vm_port = port_lookup(br->ofproto, iface->name);
    }
    sset_destroy(&texts);
}

static bool
bridge_is_wanted(const struct ovsrec_bridge *cfg)
{
    if (dpfip_bridge_cfg_is_wanted(&cfg->other_config)) {
        return true;
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct ovsrec_port *port = cfg->ports[i];

        for (size_t j = 0; j < port->n_interfaces; j++) {
            if (smap_get(&port->interfaces[j]->other_config, "dpfip-fips")) {
                return true;
            }
        }
    }
    return false;
}

static void
disable(void)
{
    struct dpfip_bridge *br;
    struct dpfip_fip *fip;

    HMAP_FOR_EACH_SAFE (fip, hmap_node, &dpfip_fips) {
        fip_destroy(fip);
    }
    HMAP_FOR_EACH_SAFE (br, hmap_node, &dpfip_bridges) {
        bridge_destroy(br, true);
    }
}

/* Applies the database configuration 'ovs_cfg'.  Called by bridge.c at the
 * end of each reconfiguration, when the ofprotos and their ports exist. */
void
dpfip_configure(const struct ovsrec_open_vswitch *ovs_cfg)
{
    struct dpfip_bridge *br;
    struct dpfip_fip *fip;

    dpfip_init();

    bool enable = ovs_cfg && smap_get_bool(&ovs_cfg->other_config,
                                           "dpfip-enable", false);
    if (enable != enabled) {
        VLOG_INFO("dpfip %s", enable ? "enabled" : "disabled");
    }
    enabled = enable;
    if (!enabled) {
        disable();
        return;
    }
    dpfip_offload_configure(&ovs_cfg->other_config);

    HMAP_FOR_EACH (br, hmap_node, &dpfip_bridges) {
        br->seen = false;
    }
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        fip->seen = false;
    }

    for (size_t i = 0; i < ovs_cfg->n_bridges; i++) {
        const struct ovsrec_bridge *cfg = ovs_cfg->bridges[i];
        struct ofproto_dpif *ofproto;

        if (!bridge_is_wanted(cfg)) {
            continue;
        }
        ofproto = ofproto_dpif_lookup_by_name(cfg->name);
        if (!ofproto) {
            continue;
        }

        br = dpfip_bridge_find(cfg->name);
        if (br && br->ofproto != ofproto) {
            bridge_destroy(br, false);
            br = NULL;
        }
        if (!br) {
            br = bridge_create(cfg->name, ofproto);
        }
        br->seen = true;
        bridge_reconfigure(br, cfg);

        for (size_t j = 0; j < cfg->n_ports; j++) {
            const struct ovsrec_port *port = cfg->ports[j];

            for (size_t k = 0; k < port->n_interfaces; k++) {
                const struct ovsrec_interface *iface = port->interfaces[k];
                const char *value = smap_get(&iface->other_config,
                                             "dpfip-fips");

                if (value) {
                    configure_iface(br, iface, value);
                }
            }
        }
    }

    HMAP_FOR_EACH_SAFE (fip, hmap_node, &dpfip_fips) {
        if (!fip->seen) {
            fip_destroy(fip);
        }
    }
    HMAP_FOR_EACH_SAFE (br, hmap_node, &dpfip_bridges) {
        if (!br->seen) {
            bridge_destroy(br, true);
        }
    }
    refresh();
}

/* Called by bridge.c just before it destroys 'ofproto'. */
void
dpfip_bridge_destroyed(struct ofproto *ofproto)
{
    struct dpfip_bridge *br;
    struct dpfip_fip *fip;

    br = dpfip_bridge_find_by_ofproto(CONTAINER_OF(ofproto,
                                                    struct ofproto_dpif, up));
    if (br) {
        HMAP_FOR_EACH_SAFE (fip, hmap_node, &dpfip_fips) {
            if (!strcmp(fip->bridge_name, br->name)) {
                fip_destroy(fip);
            }
        }
        bridge_destroy(br, false);
    }
}

/* Called by bridge.c before it deletes 'ofp_port' from 'ofproto': hardware
 * rules that use the port must go while the port still exists. */
void
dpfip_port_destroyed(struct ofproto *ofproto_, ofp_port_t ofp_port)
{
    struct ofproto_dpif *ofproto = CONTAINER_OF(ofproto_, struct ofproto_dpif,
                                                up);
    struct dpfip_bridge *br = dpfip_bridge_find_by_ofproto(ofproto);
    struct dpfip_fip *fip;

    /* This runs for each port of a bridge being torn down: skip the walk
     * when no FIP is in (or on its way to) hardware. */
    if (!br || !dpfip_offload_has_rules()) {
        return;
    }
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        if (fip->offload && fip->state == DPFIP_ACTIVE
            && strcmp(dpfip_offload_where(fip), "software")
            && (fip->vm_port == ofp_port || br->uplink_port == ofp_port)
            && !strcmp(fip->bridge_name, br->name)) {
            dpfip_offload_remove(fip);
        }
    }
}

/* States. */

/* Returns true if nothing in 'fip''s own configuration stops it. */
static bool
fip_is_eligible(const struct dpfip_fip *fip)
{
    const struct dpfip_bridge *br = dpfip_bridge_find(fip->bridge_name);

    return (!fip->pair.error && br && !br->error && !fip->vm_mac_error
            && (fip->vm_port == OFPP_NONE || fip->vm_port != br->uplink_port));
}

/* Returns the FIP that owns 'fip''s floating address among all eligible
 * ones that claim it: the one already active, else the first by bridge and
 * interface. */
static const struct dpfip_fip *
claim_winner(const struct dpfip_fip *fip)
{
    const struct dpfip_fip *best = NULL, *other;

    HMAP_FOR_EACH_WITH_HASH (other, hmap_node, fip->hmap_node.hash,
                             &dpfip_fips) {
        if (other->pair.error
            || !ipv6_addr_equals(&other->pair.floating, &fip->pair.floating)
            || !fip_is_eligible(other)) {
            continue;
        }
        if (!best
            || (other->state == DPFIP_ACTIVE) > (best->state == DPFIP_ACTIVE)
            || ((other->state == DPFIP_ACTIVE) == (best->state == DPFIP_ACTIVE)
                && (strcmp(other->bridge_name, best->bridge_name) < 0
                    || (!strcmp(other->bridge_name, best->bridge_name)
                        && strcmp(other->iface_name,
                                  best->iface_name) < 0)))) {
            best = other;
        }
    }
    return best;
}

static bool
is_fixed_somewhere(const struct sset *fixed, const struct in6_addr *addr)
{
    char buf[INET6_ADDRSTRLEN];

    return sset_contains(fixed, inet_ntop(AF_INET6, addr, buf, sizeof buf));
}

static enum dpfip_state
fip_evaluate(const struct dpfip_fip *fip, const struct sset *fixed,
             char **reason)
{
    const struct dpfip_bridge *br = dpfip_bridge_find(fip->bridge_name);
    enum dpfip_family family = fip->pair.family;
    struct ds s = DS_EMPTY_INITIALIZER;

    *reason = NULL;
    if (fip->pair.error) {
        *reason = xasprintf("dpfip-fips: %s", fip->pair.error);
        return DPFIP_INVALID;
    } else if (!br) {
        *reason = xstrdup("bridge is gone");
        return DPFIP_INVALID;
    } else if (br->error) {
        *reason = xstrdup(br->error);
        return DPFIP_INVALID;
    } else if (fip->vm_mac_error) {
        *reason = xstrdup(fip->vm_mac_error);
        return DPFIP_INVALID;
    } else if (fip->vm_port != OFPP_NONE && fip->vm_port == br->uplink_port) {
        *reason = xasprintf("interface %s is the bridge's dpfip-uplink",
                            fip->iface_name);
        return DPFIP_INVALID;
    }

    dpfip_addr_format(&fip->pair.floating, &s);
    if (is_fixed_somewhere(fixed, &fip->pair.floating)) {
        *reason = xasprintf("floating address %s is also configured as a "
                            "fixed address", ds_cstr(&s));
        ds_destroy(&s);
        return DPFIP_INVALID;
    }

    const struct dpfip_fip *winner = claim_winner(fip);
    if (winner != fip) {
        *reason = xasprintf("floating address %s is also claimed by "
                            "interface %s on bridge %s", ds_cstr(&s),
                            winner->iface_name, winner->bridge_name);
        ds_destroy(&s);
        return DPFIP_INVALID;
    }

    enum dpfip_state state = DPFIP_ACTIVE;
    if (!br->cfg.has_gw[family]) {
        *reason = xasprintf("dpfip-gateway has no %s address",
                            dpfip_family_to_string(family));
        state = DPFIP_INVALID;
    } else if (fip->vm_port == OFPP_NONE) {
        *reason = xasprintf("interface %s has no OpenFlow port",
                            fip->iface_name);
        state = DPFIP_WAITING;
    } else if (!br->gw[family].resolved) {
        ds_clear(&s);
        dpfip_addr_format(&br->cfg.gw[family], &s);
        *reason = xasprintf("waiting for gateway MAC (%s)", ds_cstr(&s));
        state = DPFIP_WAITING;
    }
    ds_destroy(&s);
    return state;
}

static void
fip_set_state(struct dpfip_fip *fip, enum dpfip_state state, char *reason)
{
    const struct dpfip_bridge *br = dpfip_bridge_find(fip->bridge_name);

    if (state != fip->state || !nullable_string_is_equal(reason,
                                                          fip->reason)) {
        if (state == DPFIP_INVALID) {
            VLOG_WARN("bridge %s: interface %s: %s: invalid: %s",
                      fip->bridge_name, fip->iface_name, fip->text, reason);
        } else {
            VLOG_INFO("bridge %s: interface %s: %s: %s%s%s%s",
                      fip->bridge_name, fip->iface_name, fip->text,
                      dpfip_state_to_string(state), reason ? " (" : "",
                      reason ? reason : "", reason ? ")" : "");
        }
    }
    if (state == DPFIP_ACTIVE && fip->state != DPFIP_ACTIVE && br) {
        /* Just arrived (VM start, migration in): announce at once. */
        fip->next_announce = time_msec();
        fip->announce_interval = ANNOUNCE_FIRST_INTERVAL_MS;
        if (fip->n_announce_left) {
            heap_remove(&announcing, &fip->announce_node);
        }
        fip->n_announce_left = (dpfip_routes_use_arp(br)
                                ? br->cfg.announce_count : 0);
        if (fip->n_announce_left) {
            heap_insert(&announcing, &fip->announce_node,
                        -(uint64_t) fip->next_announce);
        }
    } else if (state != DPFIP_ACTIVE && fip->n_announce_left) {
        fip->n_announce_left = 0;
        heap_remove(&announcing, &fip->announce_node);
    }
    fip->state = state;
    free(fip->reason);
    fip->reason = reason;
}

/* When a bridge starts announcing by ARP/ND (dpfip-announce changed, or
 * route export failed and ARP/ND takes over), announces its active FIPs,
 * as if they had just arrived. */
static void
bridge_check_arp(struct dpfip_bridge *br)
{
    bool use_arp = dpfip_routes_use_arp(br);

    if (use_arp && !br->used_arp) {
        struct dpfip_fip *fip;

        HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
            if (fip->state == DPFIP_ACTIVE && !fip->n_announce_left
                && br->cfg.announce_count
                && !strcmp(fip->bridge_name, br->name)) {
                fip->n_announce_left = br->cfg.announce_count;
                fip->next_announce = time_msec();
                fip->announce_interval = ANNOUNCE_FIRST_INTERVAL_MS;
                heap_insert(&announcing, &fip->announce_node,
                            -(uint64_t) fip->next_announce);
            }
        }
    }
    br->used_arp = use_arp;
}

/* Recomputes every FIP's state from the configuration and what is known of
 * ports and gateways, then publishes the result to translation and to the
 * flow tables. */
static void
refresh(void)
{
    struct sset fixed = SSET_INITIALIZER(&fixed);
    struct dpfip_bridge *br;
    struct dpfip_fip *fip;

    need_refresh = false;
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        if (!fip->pair.error) {
            char buf[INET6_ADDRSTRLEN];

            sset_add(&fixed, inet_ntop(AF_INET6, &fip->pair.fixed, buf,
                                       sizeof buf));
        }
    }

    /* Two passes, so that a claim won by a FIP that loses its activity in
     * this refresh is settled on the next one, not flapping within it. */
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        char *reason;
        enum dpfip_state state = fip_evaluate(fip, &fixed, &reason);

        fip_set_state(fip, state, reason);
    }
    sset_destroy(&fixed);

    /* Publish before installing rules that use the action, withdraw after
     * removing them: a packet never meets a rule for an unknown FIP. */
    HMAP_FOR_EACH (br, hmap_node, &dpfip_bridges) {
        bool changed = false;

        dpfip_routes_sync(br);
        bridge_check_arp(br);
        if (br->error) {
            dpfip_xlate_unpublish_bridge(br);
        } else {
            changed = dpfip_xlate_publish_bridge(br);
        }
        HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
            if (fip->state == DPFIP_ACTIVE
                && !strcmp(fip->bridge_name, br->name)) {
                changed |= dpfip_xlate_publish_fip(fip, br);
            }
        }
        dpfip_flows_sync(br);
        if (changed) {
            br->ofproto->backer->need_revalidate = REV_RECONFIGURE;
        }
    }
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        br = dpfip_bridge_find(fip->bridge_name);
        if (fip->state != DPFIP_ACTIVE && dpfip_xlate_unpublish_fip(fip)
            && br) {
            br->ofproto->backer->need_revalidate = REV_RECONFIGURE;
        }

        /* Hardware after software: the software rules are in place for
         * whatever misses in hardware. */
        dpfip_offload_update(br, fip);
    }
}

/* Gateways. */

void
dpfip_gateway_learned(const struct ofproto_dpif *ofproto,
                      enum dpfip_family family, const struct in6_addr *ip,
                      struct eth_addr mac)
{
    struct dpfip_bridge *br = dpfip_bridge_find_by_ofproto(ofproto);
    struct dpfip_gateway *gw;

    if (!br || !br->cfg.has_gw[family] || br->cfg.has_gw_mac
        || !ipv6_addr_equals(ip, &br->cfg.gw[family])) {
        return;
    }
    gw = &br->gw[family];
    if (!gw->resolved || !eth_addr_equals(gw->mac, mac)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        dpfip_addr_format(ip, &s);
        VLOG_INFO("bridge %s: gateway %s is at "ETH_ADDR_FMT"%s", br->name,
                  ds_cstr(&s), ETH_ADDR_ARGS(mac),
                  gw->resolved ? " (changed)" : "");
        ds_destroy(&s);
        gw->resolved = true;
        gw->mac = mac;
        need_refresh = true;
    }
    gw->resolved_at = time_msec();
    gw->n_probes = 0;
    gw->probe_interval = GW_PROBE_MIN_MS;
    gw->next_probe = gw->resolved_at + GW_REFRESH_MS;
}

/* Returns a floating address of 'family' on 'br' to probe from, or NULL. */
static const struct in6_addr *
probe_source(const struct dpfip_bridge *br, enum dpfip_family family,
             bool *needed)
{
    const struct in6_addr *src = NULL;
    const struct dpfip_fip *fip;

    *needed = false;
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        if (!fip->pair.error && fip->pair.family == family
            && fip->state != DPFIP_INVALID
            && !strcmp(fip->bridge_name, br->name)) {
            *needed = true;
            src = &fip->pair.floating;
            if (fip->state == DPFIP_ACTIVE) {
                break;
            }
        }
    }
    return src;
}

static void
run_gateways(struct dpfip_bridge *br, long long int now)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        struct dpfip_gateway *gw = &br->gw[i];
        const struct in6_addr *src;
        bool needed;

        if (!br->cfg.has_gw[i] || br->cfg.has_gw_mac
            || now < gw->next_probe) {
            continue;
        }
        src = probe_source(br, i, &needed);
        if (!needed) {
            gw->next_probe = now + GW_PROBE_MIN_MS;
            continue;
        }
        dpfip_probe_gateway(br, i, src);
        gw->n_probes++;
        if (gw->resolved) {
            /* Keep the last MAC if the gateway stops answering: traffic
             * still has a chance, and a new answer replaces it at once. */
            gw->next_probe = now + GW_REFRESH_MS;
        } else {
            gw->next_probe = now + gw->probe_interval;
            gw->probe_interval = MIN(gw->probe_interval * 2,
                                     GW_PROBE_MAX_MS);
        }
    }
}

/* At most this many announcements per main loop pass: 100k FIPs arriving
 * at once must not stall the main loop for seconds (nor flood the
 * provider network in one burst). */
#define ANNOUNCE_BATCH 1000

static void
run_announcements(long long int now)
{
    for (int i = 0; i < ANNOUNCE_BATCH && !heap_is_empty(&announcing); i++) {
        struct dpfip_fip *fip = CONTAINER_OF(heap_max(&announcing),
                                             struct dpfip_fip, announce_node);
        const struct dpfip_bridge *br;

        if (now < fip->next_announce) {
            break;
        }
        br = dpfip_bridge_find(fip->bridge_name);
        if (br && !br->error) {
            dpfip_announce_fip(br, fip);
            fip->n_announced++;
        }
        fip->next_announce = now + fip->announce_interval;
        fip->announce_interval *= 2;
        if (--fip->n_announce_left) {
            heap_change(&announcing, &fip->announce_node,
                        -(uint64_t) fip->next_announce);
        } else {
            heap_remove(&announcing, &fip->announce_node);
        }
    }
}

void
dpfip_run(void)
{
    struct dpfip_bridge *br;
    long long int now;

    if (!enabled) {
        return;
    }
    dpfip_announce_run();
    if (need_refresh) {
        refresh();
    }

    now = time_msec();
    HMAP_FOR_EACH (br, hmap_node, &dpfip_bridges) {
        if (!br->error) {
            run_gateways(br, now);
        }
    }
    run_announcements(now);
    if (dpfip_routes_run()) {
        need_refresh = true;
    }
    dpfip_offload_run();
}

void
dpfip_wait(void)
{
    const struct dpfip_bridge *br;

    if (!enabled) {
        return;
    }
    dpfip_announce_wait();
    dpfip_offload_wait();
    dpfip_routes_wait();
    if (need_refresh) {
        poll_immediate_wake();
    }
    HMAP_FOR_EACH (br, hmap_node, &dpfip_bridges) {
        if (!br->error) {
            for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
                if (br->cfg.has_gw[i] && !br->cfg.has_gw_mac) {
                    poll_timer_wait_until(br->gw[i].next_probe);
                }
            }
        }
    }
    if (!heap_is_empty(&announcing)) {
        const struct dpfip_fip *fip = CONTAINER_OF(heap_max(&announcing),
                                                   struct dpfip_fip,
                                                   announce_node);

        poll_timer_wait_until(fip->next_announce);
    }
}
