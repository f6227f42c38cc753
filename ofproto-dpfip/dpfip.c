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

#include "dpfip-neigh.h"
#include "dpfip-offload.h"
#include "dpfip-route.h"
#include "dpfip-private.h"
#include "hash.h"
#include "hmapx.h"
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

/* The FIP table.
 *
 * Inputs: the database (dpfip_configure()), the gateways' MACs and the
 * route export's state (dpfip_run()).  Each input marks the FIPs it
 * affects dirty; process() evaluates only those, in three steps:
 *
 *   1. eligibility: whether anything of the FIP's own (its pair, its
 *      interface, its bridge) stops it;
 *   2. claims: among the eligible FIPs that claim one floating address,
 *      the one that already won keeps it, else the first by bridge and
 *      interface name, whatever the order of the hash tables;
 *   3. state and rewrite: invalid, waiting or active; an active FIP's
 *      'struct dpfip_rewrite' is compared with the one it had, and only a
 *      change goes on to translation, hardware, routes and announcements.
 *
 * So one change to one interface costs work in proportion to that
 * interface's FIPs (and to the FIPs that claim the same addresses). */

/* Open_vSwitch other_config. */
static struct dpfip_global_cfg global_cfg;
static char *global_error;

/* Bridges, by ofproto. */
static struct hmap bridges = HMAP_INITIALIZER(&bridges);

/* Every address a valid pair names, floating or fixed: claims and the
 * "a floating address is also someone's fixed address" check. */
struct dpfip_addr {
    struct hmap_node node;          /* In 'addrs', by 'addr'. */
    struct in6_addr addr;
    struct ovs_list claimants;      /* FIPs with this floating address. */
    struct dpfip_fip *winner;       /* The claimant that may use it. */
    size_t n_fixed;                 /* FIPs with this fixed address. */
    struct ovs_list dirty_node;     /* In 'dirty_addrs', or empty. */
};
static struct hmap addrs = HMAP_INITIALIZER(&addrs);

/* Work lists. */
static struct ovs_list dirty_fips = OVS_LIST_INITIALIZER(&dirty_fips);
static struct ovs_list dirty_addrs = OVS_LIST_INITIALIZER(&dirty_addrs);

/* Per-FIP log lines per pass of process(); the rest are summed up, so
 * that a restart with 100k FIPs writes a few lines, not 200k. */
#define LOG_BUDGET 20

static void process(void);

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
    return global_cfg.enabled;
}

const struct dpfip_global_cfg *
dpfip_global_cfg(void)
{
    return &global_cfg;
}

const char *
dpfip_global_error(void)
{
    return global_error;
}

/* Rewrites. */

bool
dpfip_rewrite_equal(const struct dpfip_rewrite *a,
                    const struct dpfip_rewrite *b)
{
    return (a->family == b->family
            && ipv6_addr_equals(&a->floating, &b->floating)
            && ipv6_addr_equals(&a->fixed, &b->fixed)
            && a->uplink_port == b->uplink_port
            && a->vm_port == b->vm_port
            && a->uplink_vlan == b->uplink_vlan
            && eth_addr_equals(a->ext_mac, b->ext_mac)
            && eth_addr_equals(a->router_mac, b->router_mac)
            && eth_addr_equals(a->vm_mac, b->vm_mac)
            && eth_addr_equals(a->gw_mac, b->gw_mac)
            && dpfip_prefixes_equal(a->internal, b->internal)
            && dpfip_filter_equal(a->filter[DPFIP_DNAT], b->filter[DPFIP_DNAT])
            && dpfip_filter_equal(a->filter[DPFIP_SNAT],
                                  b->filter[DPFIP_SNAT])
            && !memcmp(a->mtu, b->mtu, sizeof a->mtu));
}

void
dpfip_rewrite_copy(struct dpfip_rewrite *dst, const struct dpfip_rewrite *src)
{
    *dst = *src;
    dst->internal = dpfip_prefixes_ref(src->internal);
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        dst->filter[i] = dpfip_filter_ref(src->filter[i]);
    }
}

void
dpfip_rewrite_destroy(struct dpfip_rewrite *rw)
{
    dpfip_prefixes_unref(rw->internal);
    rw->internal = NULL;
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        dpfip_filter_unref(rw->filter[i]);
        rw->filter[i] = NULL;
    }
}

/* The address index. */

static uint32_t
hash_addr(const struct in6_addr *addr)
{
    return hash_bytes(addr, sizeof *addr, 0);
}

static struct dpfip_addr *
addr_find(const struct in6_addr *a)
{
    struct dpfip_addr *addr;

    HMAP_FOR_EACH_WITH_HASH (addr, node, hash_addr(a), &addrs) {
        if (ipv6_addr_equals(&addr->addr, a)) {
            return addr;
        }
    }
    return NULL;
}

/* The FIPs of every bridge that claim floating address 'a' (their
 * 'claim_node's), or NULL: a lookup, not a walk of the table. */
const struct ovs_list *
dpfip_claimants(const struct in6_addr *a)
{
    const struct dpfip_addr *addr = addr_find(a);

    return addr ? &addr->claimants : NULL;
}

static struct dpfip_addr *
addr_get(const struct in6_addr *a)
{
    struct dpfip_addr *addr = addr_find(a);

    if (!addr) {
        addr = xzalloc(sizeof *addr);
        addr->addr = *a;
        ovs_list_init(&addr->claimants);
        ovs_list_init(&addr->dirty_node);
        hmap_insert(&addrs, &addr->node, hash_addr(a));
    }
    return addr;
}

static void
addr_put(struct dpfip_addr *addr)
{
    if (ovs_list_is_empty(&addr->claimants) && !addr->n_fixed) {
        ovs_list_remove(&addr->dirty_node);
        hmap_remove(&addrs, &addr->node);
        free(addr);
    }
}

static void
mark_fip_dirty(struct dpfip_fip *fip)
{
    if (ovs_list_is_empty(&fip->dirty_node)) {
        ovs_list_push_back(&dirty_fips, &fip->dirty_node);
    }
}

static void
mark_addr_dirty(struct dpfip_addr *addr)
{
    if (ovs_list_is_empty(&addr->dirty_node)) {
        ovs_list_push_back(&dirty_addrs, &addr->dirty_node);
    }
}

/* The claimants of 'addr' depend on whether it is someone's fixed
 * address. */
static void
mark_claimants_dirty(struct dpfip_addr *addr)
{
    struct dpfip_fip *fip;

    LIST_FOR_EACH (fip, claim_node, &addr->claimants) {
        mark_fip_dirty(fip);
    }
}

static void
fip_index(struct dpfip_fip *fip)
{
    struct dpfip_addr *floating = addr_get(&fip->pair.floating);
    struct dpfip_addr *fixed = addr_get(&fip->pair.fixed);

    ovs_list_push_back(&floating->claimants, &fip->claim_node);
    fip->floating_addr = floating;
    mark_addr_dirty(floating);

    fip->fixed_addr = fixed;
    if (!fixed->n_fixed++) {
        mark_claimants_dirty(fixed);
    }
}

static void
fip_unindex(struct dpfip_fip *fip)
{
    struct dpfip_addr *floating = fip->floating_addr;
    struct dpfip_addr *fixed = fip->fixed_addr;

    if (!floating) {
        return;
    }
    ovs_list_remove(&fip->claim_node);
    if (floating->winner == fip) {
        floating->winner = NULL;
    }
    /* The other claimants' eligibility does not depend on this one: the
     * claim is settled again (step 2), not each of them re-checked, which
     * would be quadratic when many leave at once. */
    mark_addr_dirty(floating);
    addr_put(floating);
    fip->floating_addr = NULL;

    if (!--fixed->n_fixed) {
        mark_claimants_dirty(fixed);
    }
    addr_put(fixed);
    fip->fixed_addr = NULL;
}

/* Called by ofp-dpfip.c when a flow_mod names a floating IP. */
static bool
is_known_fip(const struct in6_addr *a)
{
    const struct dpfip_addr *addr = addr_find(a);

    return addr && addr->winner;
}

static void
dpfip_init(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        dpfip_global_cfg_init(&global_cfg);
        dpfip_unixctl_register();
        ofp_dpfip_set_is_known(is_known_fip);
        ovsthread_once_done(&once);
    }
}

static ofp_port_t
port_lookup(const struct ofproto_dpif *ofproto, const char *name,
            struct ofport **ofportp)
{
    struct ofport *ofport = (name
                             ? shash_find_data(&ofproto->up.port_by_name,
                                               name)
                             : NULL);

    if (ofportp) {
        *ofportp = ofport;
    }
    return ofport ? ofport->ofp_port : OFPP_NONE;
}

/* The MTU of the netdev of 'ofport', or 0 if it has none (a patch port) or
 * there is no port. */
static int
ofport_mtu(const struct ofport *ofport)
{
    int mtu;

    return ofport && !netdev_get_mtu(ofport->netdev, &mtu) && mtu > 0
           ? mtu : 0;
}

/* How often the MTUs of the uplinks and VM ports are read again: a change
 * may come from outside OVSDB (ip link) or take effect after the
 * reconfiguration that asked for it (a DPDK port's mtu_request). */
#define MTU_CHECK_INTERVAL_MS 1000
static long long int next_mtu_check = LLONG_MIN;

static int
port_mtu(const struct dpfip_bridge *br, ofp_port_t ofp_port)
{
    return (br->ofproto && ofp_port != OFPP_NONE
            ? ofport_mtu(ofproto_get_port(&br->ofproto->up, ofp_port))
            : 0);
}

static void mark_iface_dirty(struct dpfip_iface *);

static void
mark_bridge_dirty(struct dpfip_bridge *br)
{
    struct dpfip_iface *iface;

    HMAP_FOR_EACH (iface, node, &br->ifaces) {
        mark_iface_dirty(iface);
    }
}

static void
mark_iface_dirty(struct dpfip_iface *iface)
{
    struct dpfip_fip *fip;

    HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
        mark_fip_dirty(fip);
    }
}

/* FIPs. */

static uint32_t
fip_hash(const struct dpfip_pair_cfg *pair, const char *text)
{
    return pair->error ? hash_string(text, 0) : hash_addr(&pair->floating);
}

static struct dpfip_fip *
iface_find_fip(const struct dpfip_iface *iface, const char *text,
               const struct dpfip_pair_cfg *pair)
{
    struct dpfip_fip *fip;

    HMAP_FOR_EACH_WITH_HASH (fip, iface_node, fip_hash(pair, text),
                             &iface->fips) {
        if (pair->error
            ? fip->pair.error && !strcmp(fip->text, text)
            : !fip->pair.error && ipv6_addr_equals(&fip->pair.floating,
                                                   &pair->floating)) {
            return fip;
        }
    }
    return NULL;
}

static struct dpfip_fip *
fip_create(struct dpfip_iface *iface, const char *text,
           struct dpfip_pair_cfg *pair)
{
    struct dpfip_fip *fip = xzalloc(sizeof *fip);

    fip->iface = iface;
    fip->text = xstrdup(text);
    fip->pair = *pair;
    fip->state = DPFIP_INVALID;
    fip->stats = dpfip_xc_stats_create();
    ovs_list_init(&fip->dirty_node);
    ovs_list_init(&fip->usable_node);
    hmap_insert(&iface->fips, &fip->iface_node, fip_hash(pair, text));
    iface->br->n_fips++;
    if (!pair->error) {
        fip_index(fip);
    }
    mark_fip_dirty(fip);
    return fip;
}

static void fip_set_state(struct dpfip_fip *, enum dpfip_state, char *reason,
                          const struct dpfip_rewrite *);

static void
fip_destroy(struct dpfip_fip *fip)
{
    struct dpfip_iface *iface = fip->iface;

    fip_set_state(fip, DPFIP_INVALID, NULL, NULL);
    dpfip_offload_remove(fip);
    fip_unindex(fip);
    ovs_list_remove(&fip->dirty_node);
    hmap_remove(&iface->fips, &fip->iface_node);
    iface->br->n_fips--;
    dpfip_xc_stats_unref(fip->stats);
    dpfip_pair_cfg_destroy(&fip->pair);
    free(fip->conflict);
    free(fip->ineligible);
    free(fip->reason);
    free(fip->text);
    free(fip);
}

/* Gives 'fip' the new fixed address of 'pair' (same floating address):
 * the FIP keeps its counters, and its rewrite is replaced in place. */
static void
fip_update_pair(struct dpfip_fip *fip, const char *text,
                struct dpfip_pair_cfg *pair)
{
    if (!ipv6_addr_equals(&fip->pair.fixed, &pair->fixed)) {
        fip_unindex(fip);
        fip->pair.fixed = pair->fixed;
        fip_index(fip);
        mark_fip_dirty(fip);
    }
    if (strcmp(fip->text, text)) {
        free(fip->text);
        fip->text = xstrdup(text);
        mark_fip_dirty(fip);
    }
    dpfip_pair_cfg_destroy(pair);
}

static void
fip_set_conflict(struct dpfip_fip *fip, char *conflict)
{
    if (!nullable_string_is_equal(conflict, fip->conflict)) {
        mark_fip_dirty(fip);
    }
    free(fip->conflict);
    fip->conflict = conflict;
}

/* Interfaces. */

static struct dpfip_iface *
iface_find(const struct dpfip_bridge *br, const char *name)
{
    struct dpfip_iface *iface;

    HMAP_FOR_EACH_WITH_HASH (iface, node, hash_string(name, 0), &br->ifaces) {
        if (!strcmp(iface->name, name)) {
            return iface;
        }
    }
    return NULL;
}

static struct dpfip_iface *
iface_create(struct dpfip_bridge *br, const char *name)
{
    struct dpfip_iface *iface = xzalloc(sizeof *iface);

    iface->br = br;
    iface->name = xstrdup(name);
    iface->ofp_port = OFPP_NONE;
    hmap_init(&iface->fips);
    hmap_insert(&br->ifaces, &iface->node, hash_string(name, 0));
    return iface;
}

static void
iface_destroy(struct dpfip_iface *iface)
{
    struct dpfip_fip *fip;

    HMAP_FOR_EACH_SAFE (fip, iface_node, &iface->fips) {
        fip_destroy(fip);
    }
    hmap_destroy(&iface->fips);
    dpfip_xlate_unpublish_iface(iface);
    hmap_remove(&iface->br->ifaces, &iface->node);
    dpfip_iface_cfg_destroy(&iface->cfg);
    dpfip_route_ctx_destroy(&iface->ctx);
    free(iface->fips_value);
    free(iface->signature);
    free(iface->error);
    free(iface->name);
    free(iface);
}

struct fixed_use {
    struct hmap_node node;          /* By fixed address. */
    const struct dpfip_fip *fip;
};

/* Applies the items of dpfip-fips 'value' to 'iface': new ones are
 * created, changed ones updated in place (keyed by floating address), the
 * rest destroyed. */
static void
iface_set_fips(struct dpfip_iface *iface, const char *value)
{
    struct hmapx seen = HMAPX_INITIALIZER(&seen);
    struct hmap fixed = HMAP_INITIALIZER(&fixed);   /* "struct fixed_use"s. */
    struct dpfip_fip *fip;
    size_t n;
    char **items = dpfip_split_fips(value, &n);

    for (size_t i = 0; i < n; i++) {
        struct dpfip_pair_cfg pair;
        char *conflict = NULL;

        dpfip_pair_cfg_parse(items[i], &pair);
        fip = iface_find_fip(iface, items[i], &pair);
        if (fip && !pair.error && hmapx_contains(&seen, fip)) {
            /* Second item for one floating address. */
            struct ds s = DS_EMPTY_INITIALIZER;

            dpfip_addr_format(&pair.floating, &s);
            pair.error = xasprintf("floating address %s is given twice",
                                   ds_cstr(&s));
            ds_destroy(&s);
            fip = iface_find_fip(iface, items[i], &pair);
        }
        if (!fip) {
            fip = fip_create(iface, items[i], &pair);
        } else if (!pair.error) {
            fip_update_pair(fip, items[i], &pair);
        } else {
            dpfip_pair_cfg_destroy(&pair);
        }
        hmapx_add(&seen, fip);

        /* One FIP per fixed address and interface: the SNAT of a packet
         * from it must have one answer.  The first item wins. */
        if (!fip->pair.error) {
            const struct dpfip_fip *other = NULL;
            uint32_t hash = hash_addr(&fip->pair.fixed);
            struct fixed_use *use;

            HMAP_FOR_EACH_WITH_HASH (use, node, hash, &fixed) {
                if (ipv6_addr_equals(&use->fip->pair.fixed,
                                     &fip->pair.fixed)) {
                    other = use->fip;
                    break;
                }
            }
            if (other) {
                conflict = xasprintf("fixed address of %s is also the fixed "
                                     "address of %s on this interface",
                                     fip->text, other->text);
            } else {
                use = xmalloc(sizeof *use);
                use->fip = fip;
                hmap_insert(&fixed, &use->node, hash);
            }
        }
        fip_set_conflict(fip, conflict);
    }
    HMAP_FOR_EACH_SAFE (fip, iface_node, &iface->fips) {
        if (!hmapx_contains(&seen, fip)) {
            fip_destroy(fip);
        }
    }

    struct fixed_use *use;
    HMAP_FOR_EACH_POP (use, node, &fixed) {
        free(use);
    }
    hmap_destroy(&fixed);
    hmapx_destroy(&seen);
    for (size_t i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
}

/* Resolves the interface's configuration against its bridge's and
 * publishes its routing context.  Marks its FIPs dirty if anything they
 * depend on changed. */
static void
iface_refresh(struct dpfip_iface *iface, const struct dpfip_iface_cfg *cfg,
              char *cfg_error, ofp_port_t ofp_port, int port_mtu, bool force)
{
    struct dpfip_bridge *br = iface->br;
    struct dpfip_route_ctx ctx;
    char *error = cfg_error;

    memset(&ctx, 0, sizeof ctx);
    if (!error) {
        error = dpfip_iface_cfg_resolve(cfg, &br->cfg, &ctx);
    }
    if (!error && !br->error && eth_addr_equals(ctx.router_mac,
                                                br->ext_mac)) {
        error = xstrdup("the router MAC is the external MAC "
                        "(dpfip-external-mac or the uplink's MAC)");
    }

    bool changed = (force || ofp_port != iface->ofp_port
                    || port_mtu != iface->port_mtu
                    || !nullable_string_is_equal(error, iface->error)
                    || !dpfip_iface_cfg_equal(cfg, &iface->cfg)
                    || !eth_addr_equals(ctx.router_mac,
                                        iface->ctx.router_mac)
                    || !dpfip_prefixes_equal(ctx.internal,
                                             iface->ctx.internal)
                    || memcmp(&ctx.answered, &iface->ctx.answered,
                              sizeof ctx.answered));
    if (!changed) {
        struct dpfip_iface_cfg tmp = *cfg;

        dpfip_iface_cfg_destroy(&tmp);
        dpfip_route_ctx_destroy(&ctx);
        free(error);
        return;
    }

    dpfip_iface_cfg_destroy(&iface->cfg);
    iface->cfg = *cfg;
    dpfip_route_ctx_destroy(&iface->ctx);
    iface->ctx = ctx;
    free(iface->error);
    iface->error = error;
    iface->ofp_port = ofp_port;
    iface->port_mtu = port_mtu;

    if (!error && !br->error && ofp_port != OFPP_NONE
        && ofp_port != br->uplink_port) {
        dpfip_xlate_publish_iface(iface);
    } else {
        dpfip_xlate_unpublish_iface(iface);
    }

    mark_iface_dirty(iface);
}

/* The values of the keys an interface's FIPs depend on, in one string: if
 * it did not change, nothing is parsed again. */
static char *
iface_signature(const struct ovsrec_interface *row)
{
    static const char *const keys[] = {
        "dpfip-mac", "dpfip-router", "dpfip-router-mac", "dpfip-internal",
        "dpfip-ingress", "dpfip-egress", "dpfip-mtu",
    };
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        ds_put_format(&s, "%s\n", smap_get_def(&row->other_config, keys[i],
                                               "\1"));
    }
    ds_put_cstr(&s, smap_get_def(&row->external_ids, "attached-mac", "\1"));
    return ds_steal_cstr(&s);
}

static void
iface_configure(struct dpfip_bridge *br, const struct ovsrec_interface *row,
                const char *value, bool bridge_changed)
{
    struct dpfip_iface *iface = iface_find(br, row->name);
    struct ofport *ofport;
    ofp_port_t ofp_port = port_lookup(br->ofproto, row->name, &ofport);
    int port_mtu = ofport_mtu(ofport);
    char *signature = iface_signature(row);

    if (!iface) {
        iface = iface_create(br, row->name);
    }
    iface->seen = true;

    if (!nullable_string_is_equal(value, iface->fips_value)) {
        iface_set_fips(iface, value);
        free(iface->fips_value);
        iface->fips_value = xstrdup(value);
    }

    if (bridge_changed || ofp_port != iface->ofp_port
        || port_mtu != iface->port_mtu
        || !nullable_string_is_equal(signature, iface->signature)) {
        struct dpfip_iface_cfg cfg;
        char *error = dpfip_iface_cfg_parse(&row->external_ids,
                                            &row->other_config, &cfg);

        iface_refresh(iface, &cfg, error, ofp_port, port_mtu,
                      bridge_changed);
        free(iface->signature);
        iface->signature = signature;
    } else {
        free(signature);
    }
}

/* Bridges. */

static uint32_t
hash_ofproto(const struct ofproto_dpif *ofproto)
{
    return hash_pointer(ofproto, 0);
}

static struct dpfip_bridge *
bridge_find_by_ofproto(const struct ofproto_dpif *ofproto)
{
    struct dpfip_bridge *br;

    HMAP_FOR_EACH_WITH_HASH (br, node, hash_ofproto(ofproto), &bridges) {
        if (br->ofproto == ofproto) {
            return br;
        }
    }
    return NULL;
}

struct dpfip_bridge *
dpfip_bridge_find(const char *name)
{
    struct dpfip_bridge *br;

    HMAP_FOR_EACH (br, node, &bridges) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

static int
compare_bridges(const void *a_, const void *b_)
{
    const struct dpfip_bridge *const *a = a_;
    const struct dpfip_bridge *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

/* Returns the bridges named 'name' (all if NULL), sorted by name.  The
 * caller frees the array. */
const struct dpfip_bridge **
dpfip_bridges_sorted(const char *name, size_t *n_brs)
{
    const struct dpfip_bridge **brs;
    const struct dpfip_bridge *br;
    size_t n = 0;

    brs = xmalloc((hmap_count(&bridges) + 1) * sizeof *brs);
    HMAP_FOR_EACH (br, node, &bridges) {
        if (!name || !strcmp(name, br->name)) {
            brs[n++] = br;
        }
    }
    qsort(brs, n, sizeof *brs, compare_bridges);
    *n_brs = n;
    return brs;
}

static struct dpfip_bridge *
bridge_create(const char *name, struct ofproto_dpif *ofproto)
{
    struct dpfip_bridge *br = xzalloc(sizeof *br);

    br->name = xstrdup(name);
    br->ofproto = ofproto;
    br->uplink_port = OFPP_NONE;
    hmap_init(&br->ifaces);
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        ovs_list_init(&br->usable[i]);
    }
    br->neigh = dpfip_neigh_create(ofproto, name);
    br->routes = dpfip_routes_create(name);
    br->announces_arp = true;
    hmap_insert(&bridges, &br->node, hash_ofproto(ofproto));
    return br;
}

static void
bridge_destroy(struct dpfip_bridge *br)
{
    struct dpfip_iface *iface;

    HMAP_FOR_EACH_SAFE (iface, node, &br->ifaces) {
        iface_destroy(iface);
    }
    hmap_destroy(&br->ifaces);
    dpfip_xlate_unpublish_bridge(br);
    dpfip_neigh_destroy(br->neigh);
    dpfip_routes_destroy(br->routes);
    hmap_remove(&bridges, &br->node);
    dpfip_bridge_cfg_destroy(&br->cfg);
    free(br->error);
    free(br->name);
    free(br);
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

/* Finds the uplink and the external MAC. */
static char *
bridge_resolve_uplink(const struct dpfip_bridge *br,
                      const struct dpfip_bridge_cfg *cfg,
                      ofp_port_t *uplink_port, int *uplink_mtu,
                      struct eth_addr *ext_mac)
{
    struct ofport *ofport;

    *uplink_port = port_lookup(br->ofproto, cfg->uplink, &ofport);
    *uplink_mtu = ofport_mtu(ofport);
    *ext_mac = eth_addr_zero;
    if (*uplink_port == OFPP_NONE) {
        return xasprintf("dpfip-uplink: bridge has no port '%s'",
                         cfg->uplink);
    }
    if (cfg->has_ext_mac) {
        *ext_mac = cfg->ext_mac;
    } else if (!strcmp(netdev_get_type(ofport->netdev), "patch")) {
        /* A patch port's MAC is random and changes with each start. */
        return xasprintf("dpfip-external-mac must be set: uplink '%s' is a "
                         "patch port", cfg->uplink);
    } else if (netdev_get_etheraddr(ofport->netdev, ext_mac)
               || eth_addr_is_zero(*ext_mac)) {
        return xasprintf("dpfip-external-mac is not set and uplink '%s' "
                         "has no MAC address", cfg->uplink);
    }
    if (cfg->has_router_mac && eth_addr_equals(*ext_mac, cfg->router_mac)) {
        return xasprintf("dpfip-router-mac: equal to the external MAC "
                         ETH_ADDR_FMT, ETH_ADDR_ARGS(*ext_mac));
    }
    return NULL;
}

static void
bridge_configure_neigh(struct dpfip_bridge *br)
{
    struct dpfip_neigh_settings s;

    memset(&s, 0, sizeof s);
    s.uplink_port = br->error ? OFPP_NONE : br->uplink_port;
    s.uplink_vlan = br->cfg.uplink_vlan;
    s.ext_mac = br->ext_mac;
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        s.has_gw[i] = br->cfg.has_gw[i];
        s.gw[i] = br->cfg.gw[i];
    }
    s.has_gw_mac = br->cfg.has_gw_mac;
    s.gw_mac = br->cfg.gw_mac;
    s.announce_count = br->cfg.announce_count;
    dpfip_neigh_configure(br->neigh, &s);
}

static void
bridge_publish(struct dpfip_bridge *br)
{
    if (br->error) {
        dpfip_xlate_unpublish_bridge(br);
    } else {
        dpfip_xlate_publish_bridge(br);
    }
}

/* Re-adds the route of every active FIP of 'br', after the route export
 * started over. */
static void
bridge_readd_routes(struct dpfip_bridge *br)
{
    struct dpfip_iface *iface;
    struct dpfip_fip *fip;

    HMAP_FOR_EACH (iface, node, &br->ifaces) {
        HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
            if (fip->state == DPFIP_ACTIVE) {
                dpfip_routes_add(br->routes, &fip->pair.floating,
                                 fip->pair.family);
            }
        }
    }
}

/* When a bridge starts announcing by ARP/ND (dpfip-announce changed, or
 * route export failed and ARP/ND takes over), announces its active FIPs,
 * as if they had just arrived. */
static void
bridge_check_arp(struct dpfip_bridge *br)
{
    bool use_arp = dpfip_routes_use_arp(br->routes);

    if (use_arp == br->announces_arp) {
        return;
    }
    br->announces_arp = use_arp;
    bridge_publish(br);
    if (use_arp) {
        struct dpfip_iface *iface;
        struct dpfip_fip *fip;

        HMAP_FOR_EACH (iface, node, &br->ifaces) {
            HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
                if (fip->state == DPFIP_ACTIVE) {
                    dpfip_neigh_announce(br->neigh, &fip->announcement,
                                         &fip->pair.floating,
                                         fip->pair.family);
                }
            }
        }
    }
}

/* Applies the Bridge row 'row'.  Returns true if something that every FIP
 * of the bridge depends on changed. */
static bool
bridge_configure(struct dpfip_bridge *br, const struct ovsrec_bridge *row)
{
    struct dpfip_bridge_cfg cfg;
    char *error = dpfip_bridge_cfg_parse(&row->other_config, &cfg);
    ofp_port_t uplink_port = OFPP_NONE;
    struct eth_addr ext_mac = eth_addr_zero;
    int uplink_mtu = 0;

    if (!error) {
        error = bridge_resolve_uplink(br, &cfg, &uplink_port, &uplink_mtu,
                                      &ext_mac);
    }
    if (dpfip_bridge_cfg_equal(&cfg, &br->cfg)
        && nullable_string_is_equal(error, br->error)
        && uplink_port == br->uplink_port
        && uplink_mtu == br->uplink_mtu
        && eth_addr_equals(ext_mac, br->ext_mac)) {
        dpfip_bridge_cfg_destroy(&cfg);
        free(error);
        return false;
    }

    dpfip_bridge_cfg_destroy(&br->cfg);
    br->cfg = cfg;
    bridge_set_error(br, error);
    br->uplink_port = uplink_port;
    br->uplink_mtu = uplink_mtu;
    br->ext_mac = ext_mac;
    bridge_configure_neigh(br);
    if (dpfip_routes_configure(br->routes, br->cfg.announce,
                               br->cfg.route_table)) {
        bridge_readd_routes(br);
    }
    bridge_check_arp(br);
    bridge_publish(br);
    dpfip_offload_reconcile_ports(br);
    mark_bridge_dirty(br);
    return true;
}

static bool
bridge_is_wanted(const struct ovsrec_bridge *row)
{
    if (dpfip_bridge_cfg_is_wanted(&row->other_config)) {
        return true;
    }
    for (size_t i = 0; i < row->n_ports; i++) {
        const struct ovsrec_port *port = row->ports[i];

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

    HMAP_FOR_EACH_SAFE (br, node, &bridges) {
        bridge_destroy(br);
    }
}

/* Applies Open_vSwitch other_config.  Returns true if the offload settings
 * changed, which concerns every active FIP. */
static bool
configure_global(const struct smap *other_config)
{
    struct dpfip_global_cfg old = global_cfg;
    bool was_enabled = global_cfg.enabled;
    char *error = dpfip_global_cfg_parse(other_config, &global_cfg);

    if (error && !nullable_string_is_equal(error, global_error)) {
        VLOG_WARN("%s", error);
    }
    free(global_error);
    global_error = error;
    if (global_cfg.enabled != was_enabled) {
        VLOG_INFO("dpfip %s", global_cfg.enabled ? "enabled" : "disabled");
    }
    if (global_cfg.fused_rewrite != old.fused_rewrite) {
        struct dpfip_bridge *br;

        dpfip_xlate_set_fused(global_cfg.fused_rewrite);
        HMAP_FOR_EACH (br, node, &bridges) {
            dpfip_xlate_revalidate(br);
        }
    }
    return (old.offload != global_cfg.offload
            || old.tc_policy != global_cfg.tc_policy);
}

static void
update_all_offloads(void)
{
    struct dpfip_bridge *br;
    struct dpfip_iface *iface;
    struct dpfip_fip *fip;

    HMAP_FOR_EACH (br, node, &bridges) {
        HMAP_FOR_EACH (iface, node, &br->ifaces) {
            HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
                if (fip->state == DPFIP_ACTIVE) {
                    dpfip_offload_update(br, fip);
                }
            }
        }
    }
}

/* Applies the database configuration 'ovs_cfg'.  Called by bridge.c at the
 * end of each reconfiguration, when the ofprotos and their ports exist. */
void
dpfip_configure(const struct ovsrec_open_vswitch *ovs_cfg)
{
    static const struct smap empty = SMAP_INITIALIZER(&empty);
    struct dpfip_bridge *br;

    dpfip_init();
    bool offload_changed = configure_global(ovs_cfg ? &ovs_cfg->other_config
                                            : &empty);
    if (!global_cfg.enabled) {
        disable();
        return;
    }
    dpfip_offload_configure(&global_cfg);
    if (offload_changed) {
        update_all_offloads();
    }

    HMAP_FOR_EACH (br, node, &bridges) {
        br->seen = false;
    }
    for (size_t i = 0; i < ovs_cfg->n_bridges; i++) {
        const struct ovsrec_bridge *row = ovs_cfg->bridges[i];
        struct ofproto_dpif *ofproto;

        if (!bridge_is_wanted(row)) {
            continue;
        }
        ofproto = ofproto_dpif_lookup_by_name(row->name);
        if (!ofproto) {
            continue;
        }
        br = bridge_find_by_ofproto(ofproto);
        if (br && strcmp(br->name, row->name)) {
            bridge_destroy(br);
            br = NULL;
        }
        if (!br) {
            br = bridge_create(row->name, ofproto);
        }
        br->seen = true;
        bool changed = bridge_configure(br, row);

        struct dpfip_iface *iface;
        HMAP_FOR_EACH (iface, node, &br->ifaces) {
            iface->seen = false;
        }
        for (size_t j = 0; j < row->n_ports; j++) {
            const struct ovsrec_port *port = row->ports[j];

            for (size_t k = 0; k < port->n_interfaces; k++) {
                const struct ovsrec_interface *irow = port->interfaces[k];
                const char *value = smap_get(&irow->other_config,
                                             "dpfip-fips");

                if (value) {
                    iface_configure(br, irow, value, changed);
                }
            }
        }
        HMAP_FOR_EACH_SAFE (iface, node, &br->ifaces) {
            if (!iface->seen) {
                iface_destroy(iface);
            }
        }
    }
    HMAP_FOR_EACH_SAFE (br, node, &bridges) {
        if (!br->seen) {
            bridge_destroy(br);
        }
    }
    process();
}

/* Reads the MTUs again (see MTU_CHECK_INTERVAL_MS); a FIP whose port's
 * MTU changed is evaluated again, as its length checks depend on it. */
static void
check_mtus(void)
{
    struct dpfip_bridge *br;

    if (time_msec() < next_mtu_check) {
        return;
    }
    next_mtu_check = time_msec() + MTU_CHECK_INTERVAL_MS;
    HMAP_FOR_EACH (br, node, &bridges) {
        int mtu = port_mtu(br, br->uplink_port);
        struct dpfip_iface *iface;

        if (mtu != br->uplink_mtu) {
            br->uplink_mtu = mtu;
            mark_bridge_dirty(br);
        }
        HMAP_FOR_EACH (iface, node, &br->ifaces) {
            mtu = port_mtu(br, iface->ofp_port);
            if (mtu != iface->port_mtu) {
                iface->port_mtu = mtu;
                mark_iface_dirty(iface);
            }
        }
    }
}

/* Called by bridge.c just before it destroys 'ofproto'. */
void
dpfip_bridge_destroyed(struct ofproto *ofproto)
{
    struct dpfip_bridge *br;

    br = bridge_find_by_ofproto(CONTAINER_OF(ofproto, struct ofproto_dpif,
                                             up));
    if (br) {
        bridge_destroy(br);
    }
}

/* Called by bridge.c before it deletes 'ofp_port' from 'ofproto': hardware
 * rules that use the port must go while the port still exists. */
void
dpfip_port_destroyed(struct ofproto *ofproto_, ofp_port_t ofp_port)
{
    struct ofproto_dpif *ofproto = CONTAINER_OF(ofproto_, struct ofproto_dpif,
                                                up);
    struct dpfip_bridge *br = bridge_find_by_ofproto(ofproto);
    struct dpfip_iface *iface;
    struct dpfip_fip *fip;

    /* This runs for each port of a bridge being torn down: skip the walk
     * when no FIP is in (or on its way to) hardware. */
    if (!br || !dpfip_offload_has_rules()) {
        return;
    }
    bool uplink = ofp_port == br->uplink_port;
    HMAP_FOR_EACH (iface, node, &br->ifaces) {
        if (uplink || iface->ofp_port == ofp_port) {
            HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
                dpfip_offload_remove(fip);
            }
        }
    }
}

/* Evaluation. */

/* Step 1: whether anything of 'fip''s own stops it, and why. */
static void
fip_check_eligible(struct dpfip_fip *fip)
{
    const struct dpfip_iface *iface = fip->iface;
    const struct dpfip_bridge *br = iface->br;
    char *why = NULL;

    if (fip->pair.error) {
        why = xasprintf("dpfip-fips: %s", fip->pair.error);
    } else if (br->error) {
        why = xstrdup(br->error);
    } else if (iface->error) {
        why = xstrdup(iface->error);
    } else if (iface->ofp_port != OFPP_NONE
               && iface->ofp_port == br->uplink_port) {
        why = xasprintf("interface %s is the bridge's dpfip-uplink",
                        iface->name);
    } else if (fip->conflict) {
        why = xstrdup(fip->conflict);
    } else if (fip->floating_addr->n_fixed) {
        struct ds s = DS_EMPTY_INITIALIZER;

        dpfip_addr_format(&fip->pair.floating, &s);
        why = xasprintf("floating address %s is also configured as a fixed "
                        "address", ds_cstr(&s));
        ds_destroy(&s);
    } else {
        why = dpfip_pair_check(&fip->pair, &br->cfg, &iface->ctx);
        if (!why) {
            why = dpfip_iface_cfg_check_family(&iface->cfg,
                                               fip->pair.family);
        }
    }
    free(fip->ineligible);
    fip->ineligible = why;
    fip->eligible = !why;
}

/* Orders claimants: the first by bridge name, then interface name. */
static bool
claim_precedes(const struct dpfip_fip *a, const struct dpfip_fip *b)
{
    int cmp = strcmp(dpfip_fip_bridge(a)->name, dpfip_fip_bridge(b)->name);

    return cmp < 0 || (!cmp && strcmp(a->iface->name, b->iface->name) < 0);
}

/* Step 2: who may use 'addr'. */
static void
addr_settle_claim(struct dpfip_addr *addr)
{
    struct dpfip_fip *fip, *best = NULL;

    if (addr->winner && addr->winner->eligible) {
        return;
    }
    LIST_FOR_EACH (fip, claim_node, &addr->claimants) {
        if (fip->eligible && (!best || claim_precedes(fip, best))) {
            best = fip;
        }
    }
    addr->winner = best;
}

/* The largest IP packet the VM's port takes (dpfip-mtu, or else the port's
 * MTU), if the uplink can bring a larger one (its MTU is larger, or it has
 * none, a patch port, and dpfip-mtu says what the VM takes); else 0. */
static uint16_t
vm_limit(const struct dpfip_iface *iface, const struct dpfip_bridge *br)
{
    int limit = iface->cfg.mtu ? iface->cfg.mtu : iface->port_mtu;

    if (!limit || (br->uplink_mtu ? limit >= br->uplink_mtu
                                  : !iface->cfg.mtu)) {
        return 0;
    }
    return MIN(limit, UINT16_MAX);
}

/* The largest IP packet the uplink takes, if the VM's port can send a
 * larger one; else 0. */
static uint16_t
uplink_limit(const struct dpfip_iface *iface, const struct dpfip_bridge *br)
{
    return (br->uplink_mtu && iface->port_mtu
            && br->uplink_mtu < iface->port_mtu
            ? MIN(br->uplink_mtu, UINT16_MAX) : 0);
}

static void
fip_build_rewrite(const struct dpfip_fip *fip, struct eth_addr gw_mac,
                  struct dpfip_rewrite *rw)
{
    const struct dpfip_iface *iface = fip->iface;
    const struct dpfip_bridge *br = iface->br;

    memset(rw, 0, sizeof *rw);
    rw->family = fip->pair.family;
    rw->floating = fip->pair.floating;
    rw->fixed = fip->pair.fixed;
    rw->uplink_port = br->uplink_port;
    rw->vm_port = iface->ofp_port;
    rw->uplink_vlan = br->cfg.uplink_vlan;
    rw->ext_mac = br->ext_mac;
    rw->router_mac = iface->ctx.router_mac;
    rw->vm_mac = iface->cfg.vm_mac;
    rw->gw_mac = gw_mac;
    rw->internal = iface->ctx.internal;     /* Not a reference: a view. */
    rw->filter[DPFIP_DNAT] = iface->cfg.ingress;    /* Views too. */
    rw->filter[DPFIP_SNAT] = iface->cfg.egress;
    rw->mtu[DPFIP_DNAT] = vm_limit(iface, br);
    rw->mtu[DPFIP_SNAT] = uplink_limit(iface, br);
}

/* Step 3: the state of 'fip' and, if active, its rewrite. */
static enum dpfip_state
fip_evaluate(const struct dpfip_fip *fip, char **reason,
             struct dpfip_rewrite *rw)
{
    const struct dpfip_iface *iface = fip->iface;
    const struct dpfip_bridge *br = iface->br;
    enum dpfip_family family = fip->pair.family;
    struct eth_addr gw_mac;

    *reason = NULL;
    if (!fip->eligible) {
        *reason = xstrdup(fip->ineligible);
        return DPFIP_INVALID;
    }
    if (fip->floating_addr->winner != fip) {
        const struct dpfip_fip *winner = fip->floating_addr->winner;
        struct ds s = DS_EMPTY_INITIALIZER;

        dpfip_addr_format(&fip->pair.floating, &s);
        *reason = xasprintf("floating address %s is also claimed by "
                            "interface %s on bridge %s", ds_cstr(&s),
                            winner->iface->name,
                            dpfip_fip_bridge(winner)->name);
        ds_destroy(&s);
        return DPFIP_INVALID;
    }
    if (!br->cfg.has_gw[family]) {
        *reason = xasprintf("dpfip-gateway has no %s address",
                            dpfip_family_to_string(family));
        return DPFIP_INVALID;
    }
    if (iface->ofp_port == OFPP_NONE) {
        *reason = xasprintf("interface %s has no OpenFlow port",
                            iface->name);
        return DPFIP_WAITING;
    }
    if (!dpfip_neigh_get_gateway(br->neigh, family, &gw_mac)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        dpfip_addr_format(&br->cfg.gw[family], &s);
        *reason = xasprintf("waiting for gateway MAC (%s)", ds_cstr(&s));
        ds_destroy(&s);
        return DPFIP_WAITING;
    }
    fip_build_rewrite(fip, gw_mac, rw);
    return DPFIP_ACTIVE;
}

/* Log lines of the current pass of process(). */
static unsigned int n_logged;
static unsigned int n_unlogged[DPFIP_ACTIVE + 1];

static void
log_state(const struct dpfip_fip *fip, enum dpfip_state state,
          const char *reason)
{
    const struct dpfip_bridge *br = dpfip_fip_bridge(fip);

    if (n_logged >= LOG_BUDGET) {
        n_unlogged[state]++;
        return;
    }
    n_logged++;
    if (state == DPFIP_INVALID) {
        VLOG_WARN("bridge %s: interface %s: %s: invalid: %s", br->name,
                  fip->iface->name, fip->text, reason);
    } else {
        VLOG_INFO("bridge %s: interface %s: %s: %s%s%s%s", br->name,
                  fip->iface->name, fip->text, dpfip_state_to_string(state),
                  reason ? " (" : "", reason ? reason : "",
                  reason ? ")" : "");
    }
}

static void
log_summary(void)
{
    unsigned int n = 0;

    for (int i = 0; i <= DPFIP_ACTIVE; i++) {
        n += n_unlogged[i];
    }
    if (n) {
        VLOG_INFO("... and %u more FIPs changed state (%u active, %u "
                  "waiting, %u invalid): see dpfip/show", n,
                  n_unlogged[DPFIP_ACTIVE], n_unlogged[DPFIP_WAITING],
                  n_unlogged[DPFIP_INVALID]);
    }
    n_logged = 0;
    memset(n_unlogged, 0, sizeof n_unlogged);
}

static void
bridge_update_probe_source(struct dpfip_bridge *br, enum dpfip_family family)
{
    const struct dpfip_fip *fip = NULL;

    if (!ovs_list_is_empty(&br->usable[family])) {
        fip = CONTAINER_OF(ovs_list_front(&br->usable[family]),
                           struct dpfip_fip, usable_node);
    }
    dpfip_neigh_set_probe_source(br->neigh, family,
                                 fip ? &fip->pair.floating : NULL);
}

/* Gives 'fip' its new state (and, when active, the rewrite 'rw', copied),
 * and passes what changed on to translation, hardware, routes and
 * announcements.  Takes ownership of 'reason'. */
static void
fip_set_state(struct dpfip_fip *fip, enum dpfip_state state, char *reason,
              const struct dpfip_rewrite *rw)
{
    struct dpfip_bridge *br = dpfip_fip_bridge(fip);
    enum dpfip_family family = fip->pair.family;
    bool was_active = fip->state == DPFIP_ACTIVE;
    bool changed = false;

    /* Waiting and active FIPs can probe the gateway. */
    if (!fip->pair.error) {
        bool usable = state != DPFIP_INVALID;

        if (usable != !ovs_list_is_empty(&fip->usable_node)) {
            if (usable) {
                if (state == DPFIP_ACTIVE) {
                    ovs_list_push_front(&br->usable[family],
                                        &fip->usable_node);
                } else {
                    ovs_list_push_back(&br->usable[family],
                                       &fip->usable_node);
                }
            } else {
                ovs_list_remove(&fip->usable_node);
                ovs_list_init(&fip->usable_node);
            }
            bridge_update_probe_source(br, family);
        }
    }

    if (state == DPFIP_ACTIVE) {
        changed = !was_active || !dpfip_rewrite_equal(&fip->rw, rw);
        if (changed) {
            dpfip_rewrite_destroy(&fip->rw);
            dpfip_rewrite_copy(&fip->rw, rw);
        }
    }
    fip->state = state;
    free(fip->reason);
    fip->reason = reason;

    if (state == DPFIP_ACTIVE) {
        if (changed) {
            /* Publish before hardware: whatever misses in hardware (or is
             * in flight while rules change) is translated the same. */
            dpfip_xlate_publish_fip(fip);
            dpfip_offload_update(br, fip);
        }
        if (!was_active) {
            dpfip_routes_add(br->routes, &fip->pair.floating, family);
            if (br->announces_arp) {
                /* Just arrived (VM start, migration in): announce now. */
                dpfip_neigh_announce(br->neigh, &fip->announcement,
                                     &fip->pair.floating, family);
            }
        }
    } else if (was_active) {
        dpfip_neigh_cancel(br->neigh, &fip->announcement);
        dpfip_routes_remove(br->routes, &fip->pair.floating, family);
        dpfip_offload_update(br, fip);
        dpfip_xlate_unpublish_fip(fip);
        dpfip_rewrite_destroy(&fip->rw);
        memset(&fip->rw, 0, sizeof fip->rw);
    }
}

static void
process(void)
{
    struct ovs_list evaluate = OVS_LIST_INITIALIZER(&evaluate);
    struct dpfip_fip *fip;
    struct dpfip_addr *addr;

    if (ovs_list_is_empty(&dirty_fips) && ovs_list_is_empty(&dirty_addrs)) {
        return;
    }

    /* 1. Eligibility. */
    LIST_FOR_EACH_POP (fip, dirty_node, &dirty_fips) {
        fip_check_eligible(fip);
        if (fip->floating_addr) {
            mark_addr_dirty(fip->floating_addr);
        }
        ovs_list_push_back(&evaluate, &fip->dirty_node);
    }

    /* 2. Claims: every claimant of a settled address is evaluated. */
    LIST_FOR_EACH_POP (addr, dirty_node, &dirty_addrs) {
        ovs_list_init(&addr->dirty_node);
        addr_settle_claim(addr);
        LIST_FOR_EACH (fip, claim_node, &addr->claimants) {
            if (ovs_list_is_empty(&fip->dirty_node)) {
                ovs_list_push_back(&evaluate, &fip->dirty_node);
            }
        }
    }

    /* 3. States. */
    LIST_FOR_EACH_POP (fip, dirty_node, &evaluate) {
        struct dpfip_rewrite rw;
        enum dpfip_state state;
        char *reason;

        ovs_list_init(&fip->dirty_node);
        memset(&rw, 0, sizeof rw);
        state = fip_evaluate(fip, &reason, &rw);
        if (state != fip->state
            || !nullable_string_is_equal(reason, fip->reason)) {
            log_state(fip, state, reason);
        }
        fip_set_state(fip, state, reason, &rw);
    }
    log_summary();
}

/* Marks the FIPs of 'br' of the families in 'families' dirty (their
 * gateway's MAC changed). */
static void
bridge_gateways_changed(struct dpfip_bridge *br, unsigned int families)
{
    struct dpfip_iface *iface;
    struct dpfip_fip *fip;

    HMAP_FOR_EACH (iface, node, &br->ifaces) {
        HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
            if (!fip->pair.error && (families & (1u << fip->pair.family))) {
                mark_fip_dirty(fip);
            }
        }
    }
}

static bool
some_bridge_exports(void)
{
    const struct dpfip_bridge *br;

    HMAP_FOR_EACH (br, node, &bridges) {
        if (dpfip_routes_exports(br->routes)) {
            return true;
        }
    }
    return false;
}

void
dpfip_run(void)
{
    struct dpfip_bridge *br;

    if (!global_cfg.enabled) {
        return;
    }
    dpfip_neigh_run_queue();
    dpfip_routes_check_daemon(some_bridge_exports());
    check_mtus();
    HMAP_FOR_EACH (br, node, &bridges) {
        unsigned int changed = dpfip_neigh_run(br->neigh);

        if (changed) {
            bridge_gateways_changed(br, changed);
        }
        dpfip_routes_run(br->routes);
        bridge_check_arp(br);
    }
    process();
    dpfip_offload_run();
}

void
dpfip_wait(void)
{
    const struct dpfip_bridge *br;

    if (!global_cfg.enabled) {
        return;
    }
    dpfip_neigh_wait_queue();
    dpfip_routes_wait_daemon(some_bridge_exports());
    HMAP_FOR_EACH (br, node, &bridges) {
        dpfip_neigh_wait(br->neigh);
        dpfip_routes_wait(br->routes);
    }
    if (!ovs_list_is_empty(&dirty_fips) || !ovs_list_is_empty(&dirty_addrs)) {
        poll_immediate_wake();
    }
    if (!hmap_is_empty(&bridges)) {
        poll_timer_wait_until(next_mtu_check);
    }
    dpfip_offload_wait();
}
