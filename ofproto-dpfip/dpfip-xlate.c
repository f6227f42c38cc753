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

#include <netinet/icmp6.h>
#include "coverage.h"
#include "dpfip-icmp.h"
#include "dpfip-neigh.h"
#include "dpfip-private.h"
#include "odp-dpfip.h"
#include "dpif.h"
#include "dpif-netdev.h"
#include "flow.h"
#include "hash.h"
#include "netdev-offload.h"
#include "netlink.h"
#include "odp-util.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-dpif-xlate-cache.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"

/* Translation: which packets are FIP traffic, and the dpfip action.
 *
 * dpfip classifies a packet once, when it enters a bridge, before table 0
 * (dpfip_xlate_ingress()), from the snapshots below: no OpenFlow rule per
 * FIP, no register, nothing the bridge's own flows can see or remove.
 * Every field the decision reads is unwildcarded, in the order it reads
 * them, so a megaflow is exactly as specific as the decision: traffic that
 * is not for dpfip pays at most for its destination MAC (uplink) or
 * source address (a VM port with FIPs).
 *
 * The action rewrites the flow exactly like the equivalent set_field and
 * dec_ttl actions would.  On the userspace datapath it also emits one
 * fused datapath action (lib/odp-dpfip.c) that does all of it with
 * checksum deltas computed here; elsewhere ofproto-dpif commits masked set
 * actions.  Either way: no conntrack, no recirculation. */

VLOG_DEFINE_THIS_MODULE(dpfip_xlate);

COVERAGE_DEFINE(dpfip_xlate_ingress);
COVERAGE_DEFINE(dpfip_xlate_hairpin);
COVERAGE_DEFINE(dpfip_xlate_no_route);
COVERAGE_DEFINE(dpfip_xlate_unknown);
COVERAGE_DEFINE(dpfip_xlate_drop);
COVERAGE_DEFINE(dpfip_icmp_time_exceeded);
COVERAGE_DEFINE(dpfip_icmp_rate_limited);
COVERAGE_DEFINE(dpfip_icmp_translated);
COVERAGE_DEFINE(dpfip_icmp_too_big);

static struct cmap xbridges = CMAP_INITIALIZER;
static struct cmap xports = CMAP_INITIALIZER;
static struct cmap xfips = CMAP_INITIALIZER;        /* By floating. */
static struct cmap xfips_snat = CMAP_INITIALIZER;   /* By port and fixed. */
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
dpfip_xc_stats_add(struct dpfip_xc_stats *stats, enum dpfip_direction dir,
                   uint64_t n_packets, uint64_t n_bytes)
{
    struct dpfip_dir_stats *d = &stats->dir[dir];
    uint64_t orig;

    atomic_add_relaxed(&d->n_packets, n_packets, &orig);
    atomic_add_relaxed(&d->n_bytes, n_bytes, &orig);
}

void
dpfip_xc_stats_add_dropped(struct dpfip_xc_stats *stats,
                           enum dpfip_direction dir, uint64_t n_packets)
{
    uint64_t orig;

    atomic_add_relaxed(&stats->dir[dir].n_dropped, n_packets, &orig);
}

/* Adds what hardware forwarded and dropped. */
void
dpfip_xc_stats_add_offloaded(struct dpfip_xc_stats *stats,
                             enum dpfip_direction dir, uint64_t n_packets,
                             uint64_t n_bytes, uint64_t n_dropped)
{
    struct dpfip_dir_stats *d = &stats->dir[dir];
    uint64_t orig;

    dpfip_xc_stats_add(stats, dir, n_packets, n_bytes);
    atomic_add_relaxed(&d->n_offloaded_packets, n_packets, &orig);
    atomic_add_relaxed(&d->n_offloaded_bytes, n_bytes, &orig);
    dpfip_xc_stats_add_dropped(stats, dir, n_dropped);
}

/* Adds what a filter dropped (dropped too). */
void
dpfip_xc_stats_add_filtered(struct dpfip_xc_stats *stats,
                            enum dpfip_direction dir, uint64_t n_packets)
{
    uint64_t orig;

    dpfip_xc_stats_add_dropped(stats, dir, n_packets);
    atomic_add_relaxed(&stats->dir[dir].n_filtered, n_packets, &orig);
}

void
dpfip_xc_stats_credit(struct dpfip_xc_stats *stats, int counter,
                      const struct dpif_flow_stats *fs, bool offloaded)
{
    switch ((enum dpfip_xc_counter) counter) {
    case DPFIP_XC_DNAT:
    case DPFIP_XC_SNAT:
        if (offloaded) {
            dpfip_xc_stats_add_offloaded(stats, counter, fs->n_packets,
                                         fs->n_bytes, 0);
        } else {
            dpfip_xc_stats_add(stats, counter, fs->n_packets, fs->n_bytes);
        }
        break;
    case DPFIP_XC_DNAT_DROP:
        dpfip_xc_stats_add_dropped(stats, DPFIP_DNAT, fs->n_packets);
        break;
    case DPFIP_XC_SNAT_DROP:
        dpfip_xc_stats_add_dropped(stats, DPFIP_SNAT, fs->n_packets);
        break;
    case DPFIP_XC_DNAT_FILTERED:
        dpfip_xc_stats_add_filtered(stats, DPFIP_DNAT, fs->n_packets);
        break;
    case DPFIP_XC_SNAT_FILTERED:
        dpfip_xc_stats_add_filtered(stats, DPFIP_SNAT, fs->n_packets);
        break;
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

static uint32_t
hash_port(const struct ofproto_dpif *ofproto, ofp_port_t port)
{
    return hash_int(ofp_to_u16(port), hash_pointer(ofproto, 0));
}

static uint32_t
hash_snat(const struct ofproto_dpif *ofproto, ofp_port_t port,
          const struct in6_addr *fixed)
{
    return hash_bytes(fixed, sizeof *fixed, hash_port(ofproto, port));
}

const struct dpfip_xbridge *
dpfip_xbridge_lookup(const struct ofproto_dpif *ofproto)
{
    const struct dpfip_xbridge *xb;

    CMAP_FOR_EACH_WITH_HASH (xb, cmap_node, hash_pointer(ofproto, 0),
                             &xbridges) {
        if (xb->ofproto == ofproto) {
            return xb;
        }
    }
    return NULL;
}

const struct dpfip_xport *
dpfip_xport_lookup(const struct ofproto_dpif *ofproto, ofp_port_t port)
{
    const struct dpfip_xport *xp;

    CMAP_FOR_EACH_WITH_HASH (xp, cmap_node, hash_port(ofproto, port),
                             &xports) {
        if (xp->ofproto == ofproto && xp->port == port) {
            return xp;
        }
    }
    return NULL;
}

const struct dpfip_xfip *
dpfip_xfip_lookup(const struct in6_addr *floating)
{
    const struct dpfip_xfip *xfip;

    CMAP_FOR_EACH_WITH_HASH (xfip, floating_node, hash_addr(floating),
                             &xfips) {
        if (ipv6_addr_equals(&xfip->rw.floating, floating)) {
            return xfip;
        }
    }
    return NULL;
}

static const struct dpfip_xfip *
xfip_lookup_snat(const struct ofproto_dpif *ofproto, ofp_port_t port,
                 const struct in6_addr *fixed)
{
    const struct dpfip_xfip *xfip;

    CMAP_FOR_EACH_WITH_HASH (xfip, snat_node, hash_snat(ofproto, port, fixed),
                             &xfips_snat) {
        if (xfip->ofproto == ofproto && xfip->rw.vm_port == port
            && ipv6_addr_equals(&xfip->rw.fixed, fixed)) {
            return xfip;
        }
    }
    return NULL;
}

static void
xfip_free(struct dpfip_xfip *xfip)
{
    dpfip_rewrite_destroy(&xfip->rw);
    dpfip_xc_stats_unref(xfip->stats);
    free(xfip);
}

void
dpfip_xlate_revalidate(const struct dpfip_bridge *br)
{
    br->ofproto->backer->need_revalidate = REV_RECONFIGURE;
}

/* Publishes the translation view of 'fip', which must be active.  Returns
 * true if translation results change (and then asks for revalidation). */
bool
dpfip_xlate_publish_fip(struct dpfip_fip *fip)
{
    const struct dpfip_bridge *br = dpfip_fip_bridge(fip);
    struct dpfip_xfip *old = fip->xfip;
    struct dpfip_xfip *xfip;

    if (old && old->ofproto == br->ofproto
        && dpfip_rewrite_equal(&old->rw, &fip->rw)) {
        return false;
    }
    xfip = xzalloc(sizeof *xfip);
    xfip->ofproto = br->ofproto;
    dpfip_rewrite_copy(&xfip->rw, &fip->rw);
    xfip->stats = dpfip_xc_stats_ref(fip->stats);

    /* The new mapping goes in before the old one goes out, so that no
     * packet of the FIP misses in between (make before break). */
    cmap_insert(&xfips_snat, &xfip->snat_node,
                hash_snat(xfip->ofproto, xfip->rw.vm_port, &xfip->rw.fixed));
    if (old) {
        cmap_replace(&xfips, &old->floating_node, &xfip->floating_node,
                     hash_addr(&xfip->rw.floating));
        cmap_remove(&xfips_snat, &old->snat_node,
                    hash_snat(old->ofproto, old->rw.vm_port, &old->rw.fixed));
        ovsrcu_postpone(xfip_free, old);
    } else {
        cmap_insert(&xfips, &xfip->floating_node,
                    hash_addr(&xfip->rw.floating));
    }
    fip->xfip = xfip;
    dpfip_xlate_revalidate(br);
    return true;
}

/* Withdraws the translation view of 'fip'.  Returns true if there was
 * one. */
bool
dpfip_xlate_unpublish_fip(struct dpfip_fip *fip)
{
    struct dpfip_xfip *xfip = fip->xfip;

    if (!xfip) {
        return false;
    }
    cmap_remove(&xfips, &xfip->floating_node, hash_addr(&xfip->rw.floating));
    cmap_remove(&xfips_snat, &xfip->snat_node,
                hash_snat(xfip->ofproto, xfip->rw.vm_port, &xfip->rw.fixed));
    ovsrcu_postpone(xfip_free, xfip);
    fip->xfip = NULL;
    dpfip_xlate_revalidate(dpfip_fip_bridge(fip));
    return true;
}

/* Publishes what ARP/ND processing and classification need of 'br'.
 * Returns true if that changed. */
bool
dpfip_xlate_publish_bridge(struct dpfip_bridge *br)
{
    struct dpfip_xbridge *xb = xzalloc(sizeof *xb);

    xb->ofproto = br->ofproto;
    xb->uplink_port = br->uplink_port;
    xb->uplink_vlan = br->cfg.uplink_vlan;
    xb->ext_mac = br->ext_mac;
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        xb->learns_gw[i] = br->cfg.has_gw[i] && !br->cfg.has_gw_mac;
        xb->gw[i] = br->cfg.gw[i];
    }
    xb->answers_fips = br->announces_arp;

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
    dpfip_xlate_revalidate(br);
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
        dpfip_xlate_revalidate(br);
    }
}

/* Publishes the routing context of the VM port of 'iface'.  Returns true
 * if that changed. */
bool
dpfip_xlate_publish_iface(struct dpfip_iface *iface)
{
    struct dpfip_xport *xp = xzalloc(sizeof *xp);

    xp->ofproto = iface->br->ofproto;
    xp->port = iface->ofp_port;
    xp->router_mac = iface->ctx.router_mac;
    xp->answered = iface->ctx.answered;

    if (iface->xport && !memcmp((char *) iface->xport + sizeof xp->cmap_node,
                                (char *) xp + sizeof xp->cmap_node,
                                sizeof *xp - sizeof xp->cmap_node)) {
        free(xp);
        return false;
    }
    dpfip_xlate_unpublish_iface(iface);
    cmap_insert(&xports, &xp->cmap_node, hash_port(xp->ofproto, xp->port));
    iface->xport = xp;
    dpfip_xlate_revalidate(iface->br);
    return true;
}

bool
dpfip_xlate_unpublish_iface(struct dpfip_iface *iface)
{
    struct dpfip_xport *xp = iface->xport;

    if (!xp) {
        return false;
    }
    cmap_remove(&xports, &xp->cmap_node, hash_port(xp->ofproto, xp->port));
    ovsrcu_postpone(free, xp);
    iface->xport = NULL;
    dpfip_xlate_revalidate(iface->br);
    return true;
}

/* Classification. */

/* True if the packet's outermost VLAN is 'vid' (0: untagged). */
static bool
vlan_matches(const struct flow *flow, struct flow_wildcards *wc,
             uint16_t vid)
{
    ovs_be16 tci = flow->vlans[0].tci;

    wc->masks.vlans[0].tci |= htons(VLAN_CFI | (vid ? VLAN_VID_MASK : 0));
    if (!vid) {
        return !(tci & htons(VLAN_CFI));
    }
    wc->masks.vlans[0].tpid = OVS_BE16_MAX;
    return (flow->vlans[0].tpid == htons(ETH_TYPE_VLAN_8021Q)
            && (tci & htons(VLAN_CFI | VLAN_VID_MASK)) == htons(VLAN_CFI
                                                                | vid));
}

/* Reads the destination (or source) address of an IPv4 or IPv6 packet into
 * 'addr', unwildcarding it.  Returns false for other packets. */
static bool
read_addr(const struct flow *flow, struct flow_wildcards *wc, bool dst,
          struct in6_addr *addr, enum dpfip_family *family)
{
    WC_MASK_FIELD(wc, dl_type);
    if (flow->dl_type == htons(ETH_TYPE_IP)) {
        if (dst) {
            WC_MASK_FIELD(wc, nw_dst);
        } else {
            WC_MASK_FIELD(wc, nw_src);
        }
        in6_addr_set_mapped_ipv4(addr, dst ? flow->nw_dst : flow->nw_src);
        *family = DPFIP_IPV4;
        return true;
    } else if (flow->dl_type == htons(ETH_TYPE_IPV6)) {
        if (dst) {
            WC_MASK_FIELD(wc, ipv6_dst);
        } else {
            WC_MASK_FIELD(wc, ipv6_src);
        }
        *addr = dst ? flow->ipv6_dst : flow->ipv6_src;
        *family = DPFIP_IPV6;
        return true;
    }
    return false;
}

/* Whether the packet's source (if 'src') or destination is inside 'p';
 * unwildcards only the prefix's bits of that address, as a classifier's
 * prefix match would. */
static bool
prefix_matches(const struct dpfip_prefix *p, bool src,
               const struct flow *flow, struct flow_wildcards *wc)
{
    struct in6_addr addr;

    if (p->family == DPFIP_IPV4) {
        ovs_be32 *mask = src ? &wc->masks.nw_src : &wc->masks.nw_dst;

        *mask |= be32_prefix_mask(p->plen);
        in6_addr_set_mapped_ipv4(&addr, src ? flow->nw_src : flow->nw_dst);
    } else {
        struct in6_addr *mask = src ? &wc->masks.ipv6_src
                                    : &wc->masks.ipv6_dst;
        struct in6_addr plen_mask = ipv6_create_mask(p->plen);

        for (int j = 0; j < 16; j++) {
            mask->s6_addr[j] |= plen_mask.s6_addr[j];
        }
        addr = src ? flow->ipv6_src : flow->ipv6_dst;
    }
    return dpfip_prefix_contains(p, &addr);
}

/* True if the packet's destination is inside one of 'internal''s prefixes
 * of 'family'. */
static bool
is_internal(const struct dpfip_prefixes *internal, enum dpfip_family family,
            const struct flow *flow, struct flow_wildcards *wc)
{
    for (size_t i = 0; internal && i < internal->n; i++) {
        const struct dpfip_prefix *p = &internal->p[i];

        if (p->family == family && prefix_matches(p, false, flow, wc)) {
            return true;
        }
    }
    return false;
}

/* Packets larger than a FIP direction's limit (dpfip_rewrite's 'mtu'): the
 * datapath tells them apart with OVS's check_pkt_larger, whose "greater"
 * and "less or equal" branches OVS translates apart, the rest of the
 * actions in each.  It writes this bit, which the dpfip action reads and
 * clears again.  Registers are zero where a packet enters a bridge, which
 * is where dpfip puts the check, so the bridge's flows never see it set. */
static struct mf_subfield
len_bit(void)
{
    return (struct mf_subfield) { .field = mf_from_id(MFF_REG0),
                                  .ofs = 0, .n_bits = 1 };
}

/* Checks the packet against 'mtu' (an IP packet's largest size) as it is
 * when the check runs: untagged. */
static void
put_len_check(struct ofpbuf *ofpacts, uint16_t mtu)
{
    struct ofpact_check_pkt_larger *check;

    check = ofpact_put_CHECK_PKT_LARGER(ofpacts);
    check->dst = len_bit();
    check->pkt_len = mtu + ETH_HEADER_LEN;
}

static void
put_dpfip(struct ofpbuf *ofpacts, enum dpfip_direction direction,
          const struct in6_addr *fip, uint16_t mtu)
{
    struct ofpact_dpfip *a;

    if (mtu) {
        put_len_check(ofpacts, mtu);
    }
    a = ofpact_put_DPFIP(ofpacts);
    a->direction = direction;
    a->fip = *fip;
    a->len_checked = mtu != 0;
}

/* Whether direction 'dir' of 'rw' is handed to the bridge's flows
 * (dpfip-ingress=pipeline, dpfip-egress=pipeline). */
static bool
uses_pipeline(const struct dpfip_rewrite *rw, enum dpfip_direction dir)
{
    return rw->filter[dir] && rw->filter[dir]->pipeline;
}

/* After the rewrite: out of 'port' or, under "pipeline", to table 0 as if
 * from 'in_port' (the uplink for DNAT, also for a packet turned around
 * there, and the VM's port for SNAT), where the bridge's flows decide.
 * Translation enters dpfip only where a packet enters a bridge, so the
 * resubmitted packet is not dpfip's again. */
static void
put_forward(struct ofpbuf *ofpacts, const struct dpfip_rewrite *rw,
            enum dpfip_direction dir, ofp_port_t in_port, ofp_port_t port)
{
    if (uses_pipeline(rw, dir)) {
        struct ofpact_resubmit *resubmit = ofpact_put_RESUBMIT(ofpacts);

        resubmit->in_port = in_port;
        resubmit->table_id = 0;
        resubmit->with_ct_orig = false;
    } else {
        ofpact_put_OUTPUT(ofpacts)->port = port;
    }
}

/* The DNAT of a packet that enters the bridge from its uplink or, if
 * 'hairpin', leaves it there (its registers are the bridge's: no length
 * check, see len_bit()). */
static bool
ingress_dnat(const struct dpfip_xbridge *xb, const struct flow *flow,
             struct flow_wildcards *wc, bool hairpin,
             struct ofpbuf *ofpacts)
{
    const struct dpfip_xfip *xfip;
    enum dpfip_family family;
    struct in6_addr dst;

    WC_MASK_FIELD(wc, dl_dst);
    if (!eth_addr_equals(flow->dl_dst, xb->ext_mac)
        || !vlan_matches(flow, wc, xb->uplink_vlan)
        || !read_addr(flow, wc, true, &dst, &family)) {
        return false;
    }
    xfip = dpfip_xfip_lookup(&dst);
    if (!xfip || xfip->ofproto != xb->ofproto) {
        return false;
    }
    if (xb->uplink_vlan) {
        ofpact_put_STRIP_VLAN(ofpacts);
    }
    put_dpfip(ofpacts, DPFIP_DNAT, &xfip->rw.floating,
              hairpin ? 0 : xfip->rw.mtu[DPFIP_DNAT]);
    put_forward(ofpacts, &xfip->rw, DPFIP_DNAT, xfip->rw.uplink_port,
                xfip->rw.vm_port);
    return true;
}

/* The SNAT of a packet from a VM port to its router MAC, if it is FIP
 * traffic. */
static bool
snat(const struct dpfip_xport *xp, const struct flow *flow,
     struct flow_wildcards *wc, struct ofpbuf *ofpacts)
{
    const struct dpfip_xfip *xfip;
    enum dpfip_family family;
    struct in6_addr src;

    if (!read_addr(flow, wc, false, &src, &family)) {
        return false;
    }
    xfip = xfip_lookup_snat(xp->ofproto, xp->port, &src);
    if (!xfip) {
        return false;
    }
    WC_MASK_FIELD(wc, dl_src);
    if (!eth_addr_equals(flow->dl_src, xfip->rw.vm_mac)
        || is_internal(xfip->rw.internal, family, flow, wc)) {
        return false;
    }
    /* A TTL (hop limit) that ends at the VM's router: dpfip answers it
     * only as that router (see ttl_expired()); else the router the VM uses
     * (e.g. OVN's) does. */
    WC_MASK_FIELD(wc, nw_ttl);
    if (flow->nw_ttl <= 1 && !xp->answered.has[family]) {
        return false;
    }
    put_dpfip(ofpacts, DPFIP_SNAT, &xfip->rw.floating,
              xfip->rw.mtu[DPFIP_SNAT]);
    if (xfip->rw.uplink_vlan) {
        struct ofpact_vlan_vid *vid = ofpact_put_SET_VLAN_VID(ofpacts);

        vid->vlan_vid = xfip->rw.uplink_vlan;
        vid->push_vlan_if_needed = true;
    }
    put_forward(ofpacts, &xfip->rw, DPFIP_SNAT, xfip->rw.vm_port,
                xfip->rw.uplink_port);
    return true;
}

static bool
router_is_dpfip(const struct dpfip_xport *xp)
{
    return xp->answered.has[DPFIP_IPV4] || xp->answered.has[DPFIP_IPV6];
}

static bool
ingress_snat(const struct dpfip_xport *xp, const struct flow *flow,
             struct flow_wildcards *wc, struct ofpbuf *ofpacts)
{
    WC_MASK_FIELD(wc, dl_dst);
    if (!eth_addr_equals(flow->dl_dst, xp->router_mac)
        || !vlan_matches(flow, wc, 0)) {
        return false;
    }
    if (snat(xp, flow, wc, ofpacts)) {
        return true;
    }
    if (router_is_dpfip(xp)) {
        /* dpfip plays this VM's router, and it routes FIP traffic only:
         * what else comes to the router's MAC has no next hop.  (The
         * bridge's flows could only flood it: nothing behind any port has
         * that MAC.) */
        COVERAGE_INC(dpfip_xlate_no_route);
        return true;
    }
    return false;
}

bool
dpfip_xlate_ingress(const struct ofproto_dpif *ofproto,
                    const struct flow *flow, struct flow_wildcards *wc,
                    struct ofpbuf *ofpacts)
{
    const struct dpfip_xbridge *xb = dpfip_xbridge_lookup(ofproto);
    ofp_port_t in_port = flow->in_port.ofp_port;
    const struct dpfip_xport *xp;
    bool taken;

    if (!xb || flow->packet_type != htonl(PT_ETH)) {
        return false;
    }
    if (in_port == xb->uplink_port) {
        taken = ingress_dnat(xb, flow, wc, false, ofpacts);
    } else {
        xp = dpfip_xport_lookup(ofproto, in_port);
        taken = xp && ingress_snat(xp, flow, wc, ofpacts);
    }
    if (taken) {
        COVERAGE_INC(dpfip_xlate_ingress);
    }
    return taken;
}

enum dpfip_hairpin
dpfip_xlate_hairpin(const struct ofproto_dpif *ofproto, ofp_port_t port,
                    const struct flow *flow, struct flow_wildcards *wc,
                    const struct dp_packet *packet, struct ofpbuf *ofpacts)
{
    const struct dpfip_xbridge *xb = dpfip_xbridge_lookup(ofproto);

    if (!xb || port != xb->uplink_port
        || flow->packet_type != htonl(PT_ETH)) {
        return DPFIP_HAIRPIN_NONE;
    }
    if (dpfip_neigh_hairpin(xb, flow, wc, packet)) {
        return DPFIP_HAIRPIN_CONSUMED;
    }
    if (ingress_dnat(xb, flow, wc, true, ofpacts)) {
        COVERAGE_INC(dpfip_xlate_hairpin);
        return DPFIP_HAIRPIN_ACTIONS;
    }
    return DPFIP_HAIRPIN_NONE;
}

/* The action. */

static const char *
xlate_drop__(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
             bool filtered, const struct dpif_flow_stats *stats,
             struct xlate_cache *xcache, const char *why)
{
    COVERAGE_INC(dpfip_xlate_drop);
    if (stats) {
        if (filtered) {
            dpfip_xc_stats_add_filtered(xfip->stats, dir, stats->n_packets);
        } else {
            dpfip_xc_stats_add_dropped(xfip->stats, dir, stats->n_packets);
        }
    }
    if (xcache) {
        /* The datapath flow drops the rest of the packets: count them. */
        struct xc_entry *entry = xlate_cache_add_entry(xcache, XC_DPFIP);
        bool dnat = dir == DPFIP_DNAT;

        entry->dpfip.stats = dpfip_xc_stats_ref(xfip->stats);
        entry->dpfip.counter = (filtered
                                ? (dnat ? DPFIP_XC_DNAT_FILTERED
                                        : DPFIP_XC_SNAT_FILTERED)
                                : (dnat ? DPFIP_XC_DNAT_DROP
                                        : DPFIP_XC_SNAT_DROP));
    }
    return why;
}

/* Credits a packet 'xfip' forwards in direction 'dir' (see xlate_drop__()
 * for one it drops). */
static void
credit_forwarded(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
                 const struct dpif_flow_stats *stats,
                 struct xlate_cache *xcache)
{
    if (stats) {
        dpfip_xc_stats_add(xfip->stats, dir, stats->n_packets,
                           stats->n_bytes);
    }
    if (xcache) {
        struct xc_entry *entry = xlate_cache_add_entry(xcache, XC_DPFIP);

        entry->dpfip.stats = dpfip_xc_stats_ref(xfip->stats);
        entry->dpfip.counter = dir == DPFIP_DNAT ? DPFIP_XC_DNAT
                                                 : DPFIP_XC_SNAT;
    }
}

static const char *
xlate_drop(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
           const struct dpif_flow_stats *stats, struct xlate_cache *xcache,
           const char *why)
{
    return xlate_drop__(xfip, dir, false, stats, xcache, why);
}

/* Where an ICMP error that dpfip sends as the router of the FIP's hop (time
 * exceeded, too big) about a packet of 'xfip' in direction 'dir' comes
 * from ('*src') and goes out ('*port'): towards the provider network, from
 * the FIP itself (its router has no address there) out of the uplink;
 * towards the VM, from the router address dpfip answers on the VM's port,
 * if any, back out of that port.  A packet turned around at the uplink
 * (see dpfip_xlate_hairpin()) came from inside the bridge, from behind a
 * router of its own (e.g. OVN's) or another FIP: its error goes out of the
 * uplink too, where the provider network routes it back to the sender's
 * address (or dpfip turns it around again, if that is a FIP of the
 * bridge), across the router's NAT as any packet to that address. */
static bool
router_error_source(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
                    const struct flow *flow, struct in6_addr *src,
                    ofp_port_t *port)
{
    const struct dpfip_rewrite *rw = &xfip->rw;
    const struct dpfip_xport *xp;

    if (dir == DPFIP_DNAT) {
        *src = rw->floating;
        *port = rw->uplink_port;
        return true;
    }
    xp = dpfip_xport_lookup(xfip->ofproto, flow->in_port.ofp_port);
    if (!xp || !xp->answered.has[rw->family]) {
        return false;
    }
    *src = xp->answered.addr[rw->family].addr;
    *port = flow->in_port.ofp_port;
    return true;
}

/* A packet whose TTL (hop limit) ends at the FIP's hop.  It is dropped and,
 * where the hop has an address, answered with an ICMP time exceeded: the
 * flow goes to the slow path ('*slow'), so that each such packet reaches a
 * handler thread, which composes the error from 'packet' and hands it to
 * the main thread to send. */
static const char *
ttl_expired(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
            const struct flow *flow, const struct dp_packet *packet,
            bool *slow, const struct dpif_flow_stats *stats,
            struct xlate_cache *xcache)
{
    const struct dpfip_rewrite *rw = &xfip->rw;
    bool dnat = dir == DPFIP_DNAT;
    struct in6_addr src;
    ofp_port_t port;

    if (!router_error_source(xfip, dir, flow, &src, &port)) {
        return xlate_drop(xfip, dir, stats, xcache, "TTL expired");
    }
    *slow = true;
    if (packet && dpfip_icmp_may_answer(packet, rw->family)) {
        if (dpfip_icmp_rate_allows()) {
            struct dp_packet *error;

            error = dpfip_icmp_time_exceeded(packet, rw->family,
                                             dnat ? &rw->ext_mac
                                                  : &rw->router_mac,
                                             &src,
                                             dnat ? rw->uplink_vlan : 0);
            dpfip_neigh_queue_send(xfip->ofproto, port, error);
            COVERAGE_INC(dpfip_icmp_time_exceeded);
        } else {
            COVERAGE_INC(dpfip_icmp_rate_limited);
        }
    }
    return xlate_drop(xfip, dir, stats, xcache,
                      "TTL expired, ICMP time exceeded from the slow path");
}

/* Reads and clears the bit of dpfip's length check (see len_bit()). */
static bool
take_len_bit(struct flow *flow)
{
    struct mf_subfield bit = len_bit();
    union mf_subvalue zero;
    bool set = mf_get_subfield(&bit, flow) != 0;

    memset(&zero, 0, sizeof zero);
    mf_write_subfield_flow(&bit, &zero, flow);
    return set;
}

/* Appends to 'odp_actions' a userspace action that hands the packet, as it
 * entered the bridge, to a handler thread, which translates it again (an
 * upcall of the slow path, but for this branch of the flow only). */
static void
put_slow_path(const struct ofproto_dpif *ofproto,
              const struct dpfip_rewrite *rw, enum dpfip_direction dir,
              const struct flow *flow, struct ofpbuf *odp_actions)
{
    ofp_port_t in_port = flow->in_port.ofp_port;
    struct user_action_cookie cookie;
    uint32_t pid;

    if (dir == DPFIP_DNAT && rw->uplink_vlan) {
        /* The check ran after the tag was popped: as it came in. */
        struct ovs_action_push_vlan vlan = {
            .vlan_tpid = htons(ETH_TYPE_VLAN_8021Q),
            .vlan_tci = htons(rw->uplink_vlan | VLAN_CFI),
        };

        nl_msg_put_unspec(odp_actions, OVS_ACTION_ATTR_PUSH_VLAN, &vlan,
                          sizeof vlan);
    }
    memset(&cookie, 0, sizeof cookie);
    cookie.type = USER_ACTION_COOKIE_SLOW_PATH;
    cookie.ofp_in_port = in_port;
    cookie.ofproto_uuid = ofproto->uuid;
    cookie.slow_path.reason = SLOW_ACTION;
    /* The channel OVS's own slow path uses for BFD, LACP and the like. */
    pid = dpif_port_get_pid(ofproto->backer->dpif, ODPP_NONE);
    odp_put_userspace_action(pid, &cookie, sizeof cookie, ODPP_NONE, false,
                             odp_actions, NULL);
}

static bool
ipv4_df_is_set(const struct dp_packet *packet)
{
    const struct ip_header *nh = dp_packet_l3(packet);

    return nh && (nh->ip_frag_off & htons(IP_DF));
}

/* A packet in the "greater" branch of dpfip's length check, which is
 * larger than 'xfip''s limit in direction 'dir'.  DF is not a flow field,
 * so each such packet goes to a handler thread (put_slow_path()), and there
 * (a translation with the packet and without statistics: not the one whose
 * flow is installed) this decides for 'packet': IPv6, or IPv4 with DF set,
 * is dropped and answered with an ICMPv6 packet too big (ICMP fragmentation
 * needed) naming the limit, from the FIP towards the provider network and
 * from the VM's router address (else the FIP) towards the VM; IPv4
 * without DF goes on as the datapath sends any packet (NULL). */
static const char *
too_big(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
        const struct flow *flow, const struct dp_packet *packet,
        const struct dpif_flow_stats *stats, struct ofpbuf *odp_actions)
{
    const struct dpfip_rewrite *rw = &xfip->rw;
    uint16_t mtu = rw->mtu[dir];
    bool dnat = dir == DPFIP_DNAT;
    struct in6_addr src;
    ofp_port_t port;

    if (!packet || stats || dp_packet_l3_size(packet) <= mtu) {
        if (odp_actions) {
            put_slow_path(xfip->ofproto, rw, dir, flow, odp_actions);
        }
        return "larger than the MTU, to a handler thread";
    }
    if (rw->family == DPFIP_IPV4 && !ipv4_df_is_set(packet)) {
        return NULL;
    }
    dpfip_xc_stats_add_dropped(xfip->stats, dir, 1);
    if (!dpfip_icmp_may_answer(packet, rw->family)) {
        return "larger than the MTU";
    }
    if (!dpfip_icmp_rate_allows()) {
        COVERAGE_INC(dpfip_icmp_rate_limited);
        return "larger than the MTU, ICMP error rate-limited";
    }
    if (!router_error_source(xfip, dir, flow, &src, &port)) {
        src = rw->floating;
        port = flow->in_port.ofp_port;
    }
    dpfip_neigh_queue_send(xfip->ofproto, port,
                           dpfip_icmp_too_big(packet, rw->family,
                                              dnat ? &rw->ext_mac
                                                   : &rw->router_mac,
                                              &src,
                                              dnat ? rw->uplink_vlan : 0,
                                              mtu));
    COVERAGE_INC(dpfip_icmp_too_big);
    return "larger than the MTU, ICMP error sent";
}

/* Whether the packet is an ICMP (ICMPv6) error that dpfip translates (see
 * dpfip-icmp.h).  Its nw_proto is unwildcarded already. */
static bool
is_icmp_error(enum dpfip_family family, const struct flow *flow,
              struct flow_wildcards *wc)
{
    if (flow->nw_proto != (family == DPFIP_IPV4 ? IPPROTO_ICMP
                                                : IPPROTO_ICMPV6)) {
        return false;
    }
    WC_MASK_FIELD(wc, nw_frag);
    if (flow->nw_frag & FLOW_NW_FRAG_LATER) {
        return false;
    }
    WC_MASK_FIELD(wc, tp_src);
    return dpfip_icmp_is_error(family, ntohs(flow->tp_src));
}

/* An ICMP error through the FIP: its quoted packet must be translated too,
 * which no datapath action does, so the flow goes to the slow path and the
 * handler thread that has 'packet' sends the translated copy, with the
 * MACs in 'flow', out of the VM's port or the uplink.  An error about
 * another address (or too short to tell) is dropped. */
static const char *
translate_icmp_error(const struct dpfip_xfip *xfip, enum dpfip_direction dir,
                     const struct flow *flow, const struct dp_packet *packet,
                     bool *slow, const struct dpif_flow_stats *stats,
                     struct xlate_cache *xcache)
{
    const struct dpfip_rewrite *rw = &xfip->rw;
    bool dnat = dir == DPFIP_DNAT;

    *slow = true;
    if (packet) {
        struct dp_packet *error;

        error = dpfip_icmp_translate_error(packet, rw->family, dnat,
                                           &flow->dl_src, &flow->dl_dst,
                                           dnat ? &rw->floating : &rw->fixed,
                                           dnat ? &rw->fixed : &rw->floating,
                                           dnat ? 0 : rw->uplink_vlan);
        if (!error) {
            return xlate_drop(xfip, dir, stats, xcache,
                              "ICMP error about another address");
        }
        if (uses_pipeline(rw, dir)) {
            /* To the bridge's flows, as put_forward() hands the others. */
            dpfip_neigh_queue_inject(xfip->ofproto,
                                     dnat ? rw->uplink_port : rw->vm_port,
                                     error);
        } else {
            dpfip_neigh_queue_send(xfip->ofproto,
                                   dnat ? rw->vm_port : rw->uplink_port,
                                   error);
        }
        COVERAGE_INC(dpfip_icmp_translated);
    }
    credit_forwarded(xfip, dir, stats, xcache);
    return "ICMP error, translated and sent from the slow path";
}

/* Filters (dpfip-ingress, dpfip-egress). */

/* Whether the packet is one the VM needs for a connection of the other
 * direction: a TCP segment with ACK or RST, an ICMP echo reply or an ICMP
 * error. */
static bool
filter_is_reply(enum dpfip_family family, const struct flow *flow,
                struct flow_wildcards *wc)
{
    if (flow->nw_proto == IPPROTO_TCP) {
        WC_MASK_FIELD_MASK(wc, tcp_flags, htons(TCP_ACK | TCP_RST));
        return (flow->tcp_flags & htons(TCP_ACK | TCP_RST)) != 0;
    } else if (family == DPFIP_IPV4 && flow->nw_proto == IPPROTO_ICMP) {
        uint16_t type = ntohs(flow->tp_src);

        WC_MASK_FIELD(wc, tp_src);
        return (type == ICMP4_ECHO_REPLY || type == ICMP4_DST_UNREACH
                || type == ICMP4_TIME_EXCEEDED || type == ICMP4_PARAM_PROB);
    } else if (family == DPFIP_IPV6 && flow->nw_proto == IPPROTO_ICMPV6) {
        uint16_t type = ntohs(flow->tp_src);

        WC_MASK_FIELD(wc, tp_src);
        return (type == ICMP6_ECHO_REPLY || type == ICMP6_DST_UNREACH
                || type == ICMP6_PACKET_TOO_BIG || type == ICMP6_TIME_EXCEEDED
                || type == ICMP6_PARAM_PROB);
    }
    return false;
}

/* Whether 'filter' lets the packet in 'flow' (before its rewrite) through
 * in direction 'dir'.  Non-first fragments carry no ports or flags: they
 * pass if an item allows their protocol and remote address.  Under
 * "pipeline", the bridge's flows filter instead. */
static bool
filter_allows(const struct dpfip_filter *filter, enum dpfip_direction dir,
              enum dpfip_family family, const struct flow *flow,
              struct flow_wildcards *wc)
{
    bool later_fragment;

    if (!filter || filter->pipeline) {
        return true;
    }
    WC_MASK_FIELD(wc, nw_proto);
    WC_MASK_FIELD(wc, nw_frag);
    later_fragment = (flow->nw_frag & FLOW_NW_FRAG_LATER) != 0;
    if (!later_fragment && filter_is_reply(family, flow, wc)) {
        return true;
    }
    for (size_t i = 0; i < filter->n; i++) {
        const struct dpfip_filter_item *item = &filter->items[i];

        if (!item->family[family]
            || (item->nw_proto && item->nw_proto != flow->nw_proto)) {
            continue;
        }
        if (item->port_min && !later_fragment) {
            uint16_t port = ntohs(flow->tp_dst);

            WC_MASK_FIELD(wc, tp_dst);
            if (port < item->port_min || port > item->port_max) {
                continue;
            }
        }
        if (item->has_remote
            && !prefix_matches(&item->remote, dir == DPFIP_DNAT, flow,
                               wc)) {
            continue;
        }
        return true;
    }
    return false;
}

/* Whether dpfip-fused-rewrite is on. */
static atomic_bool fused_rewrite = ATOMIC_VAR_INIT(true);

void
dpfip_xlate_set_fused(bool fused)
{
    atomic_store_relaxed(&fused_rewrite, fused);
}

/* Returns true if the dpfip action translates into the fused datapath
 * action on 'ofproto': only the userspace datapath has it, and OVS's own
 * hw-offload (other_config:hw-offload) offloads masked set actions, not
 * this one. */
bool
dpfip_xlate_fuses(const struct ofproto_dpif *ofproto)
{
    bool fused;

    atomic_read_relaxed(&fused_rewrite, &fused);
    return (fused && dpif_is_netdev(ofproto->backer->dpif)
            && !netdev_is_flow_api_enabled());
}

/* Appends to 'odp_actions' the fused action that turns the packet 'base'
 * describes into the one 'flow' describes, and makes 'base' say so. */
static void
put_fused_rewrite(const struct dpfip_rewrite *rw, bool dnat,
                  const struct flow *flow, struct flow *base,
                  struct ofpbuf *odp_actions)
{
    struct ovs_action_dpfip_rewrite fused;
    bool ipv6 = rw->family == DPFIP_IPV6;

    odp_dpfip_rewrite_init(&fused, &flow->dl_src, &flow->dl_dst, ipv6, dnat,
                       dnat ? &rw->floating : &rw->fixed,
                       dnat ? &rw->fixed : &rw->floating);
    odp_dpfip_rewrite_put(odp_actions, &fused);

    base->dl_src = flow->dl_src;
    base->dl_dst = flow->dl_dst;
    base->nw_ttl = flow->nw_ttl;
    if (ipv6) {
        base->ipv6_src = flow->ipv6_src;
        base->ipv6_dst = flow->ipv6_dst;
    } else {
        base->nw_src = flow->nw_src;
        base->nw_dst = flow->nw_dst;
    }
}

/* Translates 'a' on 'ofproto' by rewriting 'flow' (and unwildcarding what
 * it reads and writes in 'wc').  'odp_actions' are the translation's
 * datapath actions: where dpfip_xlate_fuses(), dpfip appends the fused
 * datapath action and updates 'base_flow' to match, so that OVS commits no
 * set actions for it; and a packet too big for its way out goes to a
 * handler thread by a userspace action (too_big()).
 * Credits 'stats', if nonnull, and adds an XC_DPFIP entry to 'xcache', if
 * nonnull, so that the datapath flow's statistics reach the FIP.  'packet'
 * is the packet being translated, if there is one and it may have side
 * effects (an ICMP error).  Sets '*slow' to true if the flow must take the
 * slow path.  Returns NULL if translation continues, or why the packet is
 * dropped. */
const char *
dpfip_xlate_action(const struct ofpact_dpfip *a,
                   const struct ofproto_dpif *ofproto,
                   struct flow *flow, struct flow_wildcards *wc,
                   const struct dpif_flow_stats *stats,
                   struct xlate_cache *xcache,
                   struct ofpbuf *odp_actions, struct flow *base_flow,
                   const struct dp_packet *packet, bool *slow)
{
    const struct dpfip_xfip *xfip = dpfip_xfip_lookup(&a->fip);
    bool dnat = a->direction == DPFIP_DNAT;
    enum dpfip_direction dir = a->direction;

    if (!xfip || xfip->ofproto != ofproto) {
        uint64_t orig;

        COVERAGE_INC(dpfip_xlate_unknown);
        if (stats) {
            atomic_add_relaxed(&unknown_drops, stats->n_packets, &orig);
        }
        return "floating IP is not active on this bridge";
    }
    const struct dpfip_rewrite *rw = &xfip->rw;

    WC_MASK_FIELD(wc, dl_type);
    if (rw->family == DPFIP_IPV4) {
        if (flow->dl_type != htons(ETH_TYPE_IP)) {
            return xlate_drop(xfip, dir, stats, xcache, "packet is not IPv4");
        }
        ovs_be32 expected = in6_addr_get_mapped_ipv4(dnat ? &rw->floating
                                                          : &rw->fixed);
        ovs_be32 *addr = dnat ? &flow->nw_dst : &flow->nw_src;

        if (dnat) {
            WC_MASK_FIELD(wc, nw_dst);
        } else {
            WC_MASK_FIELD(wc, nw_src);
        }
        if (*addr != expected) {
            return xlate_drop(xfip, dir, stats, xcache, dnat
                              ? "destination is not the floating IP"
                              : "source is not the fixed IP");
        }
        *addr = in6_addr_get_mapped_ipv4(dnat ? &rw->fixed : &rw->floating);
    } else {
        if (flow->dl_type != htons(ETH_TYPE_IPV6)) {
            return xlate_drop(xfip, dir, stats, xcache, "packet is not IPv6");
        }
        struct in6_addr *addr = dnat ? &flow->ipv6_dst : &flow->ipv6_src;

        if (dnat) {
            WC_MASK_FIELD(wc, ipv6_dst);
        } else {
            WC_MASK_FIELD(wc, ipv6_src);
        }
        if (!ipv6_addr_equals(addr, dnat ? &rw->floating : &rw->fixed)) {
            return xlate_drop(xfip, dir, stats, xcache, dnat
                              ? "destination is not the floating IP"
                              : "source is not the fixed IP");
        }
        *addr = dnat ? rw->fixed : rw->floating;
    }

    if (!filter_allows(rw->filter[dir], dir, rw->family, flow, wc)) {
        return xlate_drop__(xfip, dir, true, stats, xcache, dnat
                            ? "not allowed by dpfip-ingress"
                            : "not allowed by dpfip-egress");
    }

    /* Routed, so the TTL (hop limit) drops, as with dec_ttl. */
    WC_MASK_FIELD(wc, nw_ttl);
    WC_MASK_FIELD(wc, nw_proto);
    if (flow->nw_ttl <= 1) {
        return ttl_expired(xfip, dir, flow, packet, slow, stats, xcache);
    }
    flow->nw_ttl--;

    if (a->len_checked && take_len_bit(flow)) {
        const char *why = too_big(xfip, dir, flow, packet, stats,
                                  odp_actions);

        if (why) {
            return why;
        }
    }

    WC_MASK_FIELD(wc, dl_src);
    WC_MASK_FIELD(wc, dl_dst);
    if (dnat) {
        flow->dl_src = rw->router_mac;
        flow->dl_dst = rw->vm_mac;
    } else {
        flow->dl_src = rw->ext_mac;
        flow->dl_dst = rw->gw_mac;
    }
    if (is_icmp_error(rw->family, flow, wc)) {
        return translate_icmp_error(xfip, dir, flow, packet, slow, stats,
                                    xcache);
    }
    if (odp_actions && dpfip_xlate_fuses(ofproto)
        && !uses_pipeline(rw, dir)) {
        /* Under "pipeline" the bridge's flows may still drop the packet:
         * OVS's masked sets, committed only where it leaves, then leave no
         * rewrite behind in a dropping datapath flow. */
        put_fused_rewrite(rw, dnat, flow, base_flow, odp_actions);
    }

    credit_forwarded(xfip, dir, stats, xcache);
    return NULL;
}
