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

#include "coverage.h"
#include "dpfip-private.h"
#include "dpfip-route.h"
#include "dpif.h"
#include "flow.h"
#include "hash.h"
#include "ofproto/ofproto-dpif-xlate-cache.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"

/* Translation of the dpfip action, and the RCU snapshots it reads.
 *
 * The action rewrites the flow exactly like the equivalent set_field and
 * dec_ttl actions would, so ofproto-dpif commits one set of masked set
 * actions to the datapath: no conntrack, no recirculation. */

VLOG_DEFINE_THIS_MODULE(dpfip_xlate);

COVERAGE_DEFINE(dpfip_xlate_unknown);
COVERAGE_DEFINE(dpfip_xlate_drop);

static struct cmap xfips = CMAP_INITIALIZER;
static struct cmap xbridges = CMAP_INITIALIZER;
static atomic_uint64_t unknown_drops = ATOMIC_VAR_INIT(0);

/* Counters. */

struct dpfip_xc_stats *
dpfip_xc_stats_create(void)
{
    struct dpfip_xc_stats *stats = xzalloc(sizeof *stats);

    ovs_refcount_init(&stats->ref_cnt);
    return stats;
}

struct dpfip_xc_stats *
dpfip_xc_stats_ref(struct dpfip_xc_stats *stats)
{
    ovs_refcount_ref(&stats->ref_cnt);
    return stats;
}

void
dpfip_xc_stats_unref(struct dpfip_xc_stats *stats)
{
    if (stats && ovs_refcount_unref_relaxed(&stats->ref_cnt) == 1) {
        free(stats);
    }
}

void
dpfip_xc_stats_add(struct dpfip_xc_stats *stats, uint64_t n_packets,
                   uint64_t n_bytes)
{
    uint64_t orig;

    atomic_add_relaxed(&stats->n_packets, n_packets, &orig);
    atomic_add_relaxed(&stats->n_bytes, n_bytes, &orig);
}

void
dpfip_xc_stats_credit(struct dpfip_xc_stats *stats,
                      const struct dpif_flow_stats *fs, bool offloaded)
{
    uint64_t orig;

    dpfip_xc_stats_add(stats, fs->n_packets, fs->n_bytes);
    if (offloaded) {
        atomic_add_relaxed(&stats->n_offloaded_packets, fs->n_packets,
                           &orig);
        atomic_add_relaxed(&stats->n_offloaded_bytes, fs->n_bytes, &orig);
    }
}

uint64_t
dpfip_xlate_unknown_drops(void)
{
    uint64_t n;

    atomic_read_relaxed(&unknown_drops, &n);
    return n;
}

/* Snapshots. */

static uint32_t
hash_addr(const struct in6_addr *addr)
{
    return hash_bytes(addr, sizeof *addr, 0);
}

const struct dpfip_xfip *
dpfip_xfip_lookup(const struct in6_addr *floating)
{
    const struct dpfip_xfip *xfip;

    CMAP_FOR_EACH_WITH_HASH (xfip, cmap_node, hash_addr(floating), &xfips) {
        if (ipv6_addr_equals(&xfip->floating, floating)) {
            return xfip;
        }
    }
    return NULL;
}

const struct dpfip_xbridge *
dpfip_xbridge_lookup(const struct ofproto_dpif *ofproto)
{
    const struct dpfip_xbridge *xbridge;

    CMAP_FOR_EACH_WITH_HASH (xbridge, cmap_node, hash_pointer(ofproto, 0),
                             &xbridges) {
        if (xbridge->ofproto == ofproto) {
            return xbridge;
        }
    }
    return NULL;
}

static void
xfip_free(struct dpfip_xfip *xfip)
{
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        dpfip_xc_stats_unref(xfip->stats[i]);
    }
    free(xfip);
}

static bool
xfip_equal(const struct dpfip_xfip *a, const struct dpfip_xfip *b)
{
    return (ipv6_addr_equals(&a->floating, &b->floating)
            && ipv6_addr_equals(&a->fixed, &b->fixed)
            && a->is_ipv4 == b->is_ipv4
            && a->ofproto == b->ofproto
            && a->vm_port == b->vm_port
            && eth_addr_equals(a->vm_mac, b->vm_mac)
            && eth_addr_equals(a->router_mac, b->router_mac)
            && eth_addr_equals(a->ext_mac, b->ext_mac)
            && eth_addr_equals(a->gw_mac, b->gw_mac)
            && a->stats[0] == b->stats[0]
            && a->stats[1] == b->stats[1]);
}

/* Publishes the translation view of 'fip', which must be active on 'br'.
 * Returns true if translation results change. */
bool
dpfip_xlate_publish_fip(struct dpfip_fip *fip, const struct dpfip_bridge *br)
{
    enum dpfip_family family = fip->pair.family;
    struct dpfip_xfip *xfip = xzalloc(sizeof *xfip);

    xfip->floating = fip->pair.floating;
    xfip->fixed = fip->pair.fixed;
    xfip->is_ipv4 = family == DPFIP_IPV4;
    xfip->ofproto = br->ofproto;
    xfip->vm_port = fip->vm_port;
    xfip->vm_mac = fip->vm_mac;
    xfip->router_mac = br->cfg.router_mac;
    xfip->ext_mac = br->ext_mac;
    xfip->gw_mac = br->gw[family].mac;
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        xfip->stats[i] = dpfip_xc_stats_ref(fip->stats[i]);
    }

    if (fip->xfip && xfip_equal(fip->xfip, xfip)) {
        xfip_free(xfip);
        return false;
    }
    if (fip->xfip) {
        cmap_replace(&xfips, &fip->xfip->cmap_node, &xfip->cmap_node,
                     hash_addr(&xfip->floating));
        ovsrcu_postpone(xfip_free, fip->xfip);
    } else {
        cmap_insert(&xfips, &xfip->cmap_node, hash_addr(&xfip->floating));
    }
    fip->xfip = xfip;
    return true;
}

/* Withdraws the translation view of 'fip'.  Returns true if there was
 * one. */
bool
dpfip_xlate_unpublish_fip(struct dpfip_fip *fip)
{
    if (!fip->xfip) {
        return false;
    }
    cmap_remove(&xfips, &fip->xfip->cmap_node,
                hash_addr(&fip->xfip->floating));
    ovsrcu_postpone(xfip_free, fip->xfip);
    fip->xfip = NULL;
    return true;
}

/* Publishes 'br' for translation.  Returns true if that changed what
 * translation sees. */
bool
dpfip_xlate_publish_bridge(struct dpfip_bridge *br)
{
    struct dpfip_xbridge *xb = xzalloc(sizeof *xb);

    xb->ofproto = br->ofproto;
    xb->uplink_port = br->uplink_port;
    xb->ext_mac = br->ext_mac;
    xb->router_mac = br->cfg.router_mac;
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        xb->has_router[i] = br->cfg.has_router[i];
        xb->router[i] = br->cfg.router[i];
        xb->learns_gw[i] = br->cfg.has_gw[i] && !br->cfg.has_gw_mac;
        xb->gw[i] = br->cfg.gw[i];
    }
    xb->answers_fips = dpfip_routes_use_arp(br);

    if (br->xbridge && !memcmp((char *) br->xbridge + sizeof xb->cmap_node,
                               (char *) xb + sizeof xb->cmap_node,
                               sizeof *xb - sizeof xb->cmap_node)) {
        free(xb);
        return false;
    }
    if (br->xbridge) {
        cmap_replace(&xbridges, &br->xbridge->cmap_node, &xb->cmap_node,
                     hash_pointer(xb->ofproto, 0));
        ovsrcu_postpone(free, br->xbridge);
    } else {
        cmap_insert(&xbridges, &xb->cmap_node, hash_pointer(xb->ofproto, 0));
    }
    br->xbridge = xb;
    return true;
}

void
dpfip_xlate_unpublish_bridge(struct dpfip_bridge *br)
{
    if (br->xbridge) {
        cmap_remove(&xbridges, &br->xbridge->cmap_node,
                    hash_pointer(br->xbridge->ofproto, 0));
        ovsrcu_postpone(free, br->xbridge);
        br->xbridge = NULL;
    }
}

/* The action. */

static const char *
xlate_drop(struct dpfip_xc_stats *stats, const struct dpif_flow_stats *fs,
           const char *why)
{
    COVERAGE_INC(dpfip_xlate_drop);
    if (fs) {
        uint64_t orig;

        atomic_add_relaxed(&stats->n_dropped, fs->n_packets, &orig);
    }
    return why;
}

/* Translates 'a' on 'ofproto' by rewriting 'flow' (and unwildcarding what
 * it reads and writes in 'wc').  Credits 'stats', if nonnull, and adds an
 * XC_DPFIP entry to 'xcache', if nonnull, so that the datapath flow's
 * statistics reach the FIP.  Returns NULL if translation continues, or why
 * the packet is dropped. */
const char *
dpfip_xlate_action(const struct ofpact_dpfip *a,
                   const struct ofproto_dpif *ofproto,
                   struct flow *flow, struct flow_wildcards *wc,
                   const struct dpif_flow_stats *stats,
                   struct xlate_cache *xcache)
{
    const struct dpfip_xfip *xfip = dpfip_xfip_lookup(&a->fip);
    struct dpfip_xc_stats *xs;
    bool dnat = a->direction == DPFIP_DNAT;

    if (!xfip || xfip->ofproto != ofproto) {
        uint64_t orig;

        COVERAGE_INC(dpfip_xlate_unknown);
        if (stats) {
            atomic_add_relaxed(&unknown_drops, stats->n_packets, &orig);
        }
        return "floating IP is not active on this bridge";
    }
    xs = xfip->stats[a->direction];

    WC_MASK_FIELD(wc, dl_type);
    if (xfip->is_ipv4) {
        if (flow->dl_type != htons(ETH_TYPE_IP)) {
            return xlate_drop(xs, stats, "packet is not IPv4");
        }
        ovs_be32 expected = in6_addr_get_mapped_ipv4(dnat ? &xfip->floating
                                                          : &xfip->fixed);
        ovs_be32 *addr = dnat ? &flow->nw_dst : &flow->nw_src;

        if (dnat) {
            WC_MASK_FIELD(wc, nw_dst);
        } else {
            WC_MASK_FIELD(wc, nw_src);
        }
        if (*addr != expected) {
            return xlate_drop(xs, stats, dnat
                              ? "destination is not the floating IP"
                              : "source is not the fixed IP");
        }
        *addr = in6_addr_get_mapped_ipv4(dnat ? &xfip->fixed
                                              : &xfip->floating);
    } else {
        if (flow->dl_type != htons(ETH_TYPE_IPV6)) {
            return xlate_drop(xs, stats, "packet is not IPv6");
        }
        struct in6_addr *addr = dnat ? &flow->ipv6_dst : &flow->ipv6_src;

        if (dnat) {
            WC_MASK_FIELD(wc, ipv6_dst);
        } else {
            WC_MASK_FIELD(wc, ipv6_src);
        }
        if (!ipv6_addr_equals(addr, dnat ? &xfip->floating : &xfip->fixed)) {
            return xlate_drop(xs, stats, dnat
                              ? "destination is not the floating IP"
                              : "source is not the fixed IP");
        }
        *addr = dnat ? xfip->fixed : xfip->floating;
    }

    /* Routed, so the TTL (hop limit) drops, as with dec_ttl. */
    WC_MASK_FIELD(wc, nw_ttl);
    WC_MASK_FIELD(wc, nw_proto);
    if (flow->nw_ttl <= 1) {
        return xlate_drop(xs, stats, "TTL expired");
    }
    flow->nw_ttl--;

    WC_MASK_FIELD(wc, dl_src);
    WC_MASK_FIELD(wc, dl_dst);
    if (dnat) {
        flow->dl_src = xfip->router_mac;
        flow->dl_dst = xfip->vm_mac;
    } else {
        flow->dl_src = xfip->ext_mac;
        flow->dl_dst = xfip->gw_mac;
    }

    if (stats) {
        dpfip_xc_stats_add(xs, stats->n_packets, stats->n_bytes);
    }
    if (xcache) {
        struct xc_entry *entry = xlate_cache_add_entry(xcache, XC_DPFIP);

        entry->dpfip = dpfip_xc_stats_ref(xs);
    }
    return NULL;
}
