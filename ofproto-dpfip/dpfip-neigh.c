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
#include "dpfip-neigh.h"

#include "coverage.h"
#include "dp-packet.h"
#include "dpfip.h"
#include "dpfip-private.h"
#include "flow.h"
#include "hash.h"
#include "ofproto/ofproto-dpif.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "seq.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(dpfip_neigh);

COVERAGE_DEFINE(dpfip_arp_reply);
COVERAGE_DEFINE(dpfip_nd_reply);
COVERAGE_DEFINE(dpfip_gw_learn);
COVERAGE_DEFINE(dpfip_spoof_drop);
COVERAGE_DEFINE(dpfip_event_overflow);

/* Gateway MAC resolution: probe at 1, 2, 4... up to 30 s until answered,
 * then every 30 s to follow a changed MAC. */
#define GW_PROBE_MIN_MS 1000
#define GW_PROBE_MAX_MS 30000
#define GW_REFRESH_MS 30000

/* Announcements: at once, then 1, 2, 4... s apart.  At most
 * ANNOUNCE_BATCH per instance and main loop pass: 100k FIPs arriving at
 * once must not stall the main loop (nor flood the provider network in
 * one burst). */
#define ANNOUNCE_FIRST_INTERVAL_MS 1000
#define ANNOUNCE_BATCH 1000

struct dpfip_gateway {
    bool resolved;
    struct eth_addr mac;
    long long int resolved_at;      /* When last learned, in msec. */
    long long int next_probe;       /* When to send the next ARP/NS. */
    int probe_interval;             /* Current backoff, in msec. */
    unsigned int n_probes;          /* Probes sent since last answer. */
};

struct dpfip_neigh {
    struct hmap_node node;          /* In 'instances', by ofproto. */
    struct ofproto_dpif *ofproto;
    char *name;
    struct dpfip_neigh_settings s;
    struct dpfip_gateway gw[DPFIP_N_FAMILIES];
    bool has_probe_src[DPFIP_N_FAMILIES];
    struct in6_addr probe_src[DPFIP_N_FAMILIES];
    struct heap schedule;           /* Announcements, by -next. */
    unsigned int changed;           /* Families with a new gateway MAC. */
    uint64_t n_spoofed;             /* VMs' claims of FIPs, dropped. */
};

/* Main thread only. */
static struct hmap instances = HMAP_INITIALIZER(&instances);

/* Work that translation threads hand to the main thread. */
enum event_type {
    EV_SEND,                        /* Send 'packet' on 'port'. */
    EV_INJECT,                      /* 'packet' came in on 'port'. */
    EV_LEARN,                       /* The gateway 'ip' is at 'mac'. */
    EV_SPOOF,                       /* A VM claimed a FIP. */
};

struct dpfip_event {
    struct ovs_list list_node;
    enum event_type type;
    const struct ofproto_dpif *ofproto;
    struct dp_packet *packet;
    ofp_port_t port;
    enum dpfip_family family;
    struct in6_addr ip;
    struct eth_addr mac;
};

/* Bounds memory if a peer floods us with requests. */
#define MAX_EVENTS 1024

static struct ovs_mutex mutex = OVS_MUTEX_INITIALIZER;
static struct ovs_list events OVS_GUARDED_BY(mutex)
    = OVS_LIST_INITIALIZER(&events);
static size_t n_events OVS_GUARDED_BY(mutex);
static struct seq *events_seq;
static uint64_t events_seqno;

static struct seq *
get_events_seq(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        events_seq = seq_create();
        events_seqno = seq_read(events_seq);
        ovsthread_once_done(&once);
    }
    return events_seq;
}

static void
queue_event(struct dpfip_event *ev)
{
    bool queued;

    ovs_mutex_lock(&mutex);
    queued = n_events < MAX_EVENTS;
    if (queued) {
        ovs_list_push_back(&events, &ev->list_node);
        n_events++;
    }
    ovs_mutex_unlock(&mutex);

    if (queued) {
        seq_change(get_events_seq());
    } else {
        COVERAGE_INC(dpfip_event_overflow);
        dp_packet_delete(ev->packet);
        free(ev);
    }
}

static struct dpfip_event *
event_create(enum event_type type, const struct ofproto_dpif *ofproto)
{
    struct dpfip_event *ev = xzalloc(sizeof *ev);

    ev->type = type;
    ev->ofproto = ofproto;
    return ev;
}

static struct eth_addr
all_hosts_mac(void)
{
    struct eth_addr mac;

    ipv6_multicast_to_ethernet(&mac, &in6addr_all_hosts);
    return mac;
}

/* Translation side.
 *
 * One function decides what a packet is for dpfip, with the wildcards
 * (dpfip_should_process_flow()) and without (dpfip_process_packet()), so
 * the two never disagree. */

struct decision {
    bool consume;                   /* The packet goes no further. */
    bool reply;                     /* Answer it, from 'reply_mac'. */
    struct eth_addr reply_mac;
    bool learn;                     /* The gateway is at 'learn_mac'. */
    enum dpfip_family family;
    struct in6_addr learn_ip;
    struct eth_addr learn_mac;
    bool spoof;                     /* A VM claims a FIP: drop, count. */
};

static bool
is_local_fip(const struct dpfip_xbridge *xb, const struct in6_addr *addr)
{
    const struct dpfip_xfip *xfip = dpfip_xfip_lookup(addr);

    return xfip && xfip->ofproto == xb->ofproto;
}

static bool
is_router_addr(const struct dpfip_xport *xp, const struct in6_addr *addr)
{
    for (int i = 0; xp && i < DPFIP_N_FAMILIES; i++) {
        if (xp->answered.has[i]
            && ipv6_addr_equals(&xp->answered.addr[i].addr, addr)) {
            return true;
        }
    }
    return false;
}

static bool
uplink_vlan_matches(const struct dpfip_xbridge *xb, const struct flow *flow,
                    struct flow_wildcards *wc)
{
    wc->masks.vlans[0].tci |= htons(VLAN_CFI | VLAN_VID_MASK);
    return (xb->uplink_vlan
            ? (flow->vlans[0].tci & htons(VLAN_CFI | VLAN_VID_MASK))
              == htons(VLAN_CFI | xb->uplink_vlan)
            : !(flow->vlans[0].tci & htons(VLAN_CFI)));
}

static void
set_learn(struct decision *d, enum dpfip_family family,
          const struct in6_addr *ip, struct eth_addr mac)
{
    if (!eth_addr_is_zero(mac) && !eth_addr_is_multicast(mac)) {
        d->learn = true;
        d->family = family;
        d->learn_ip = *ip;
        d->learn_mac = mac;
    }
}

static void
decide_arp(const struct dpfip_xbridge *xb, ofp_port_t in_port,
           const struct flow *flow, struct flow_wildcards *wc,
           struct decision *d)
{
    struct in6_addr tpa, spa;

    WC_MASK_FIELD(wc, nw_proto);
    WC_MASK_FIELD(wc, nw_src);
    WC_MASK_FIELD(wc, nw_dst);
    in6_addr_set_mapped_ipv4(&tpa, flow->nw_dst);
    in6_addr_set_mapped_ipv4(&spa, flow->nw_src);

    if (in_port == xb->uplink_port) {
        if (!uplink_vlan_matches(xb, flow, wc)) {
            return;
        }
        if (flow->nw_proto == ARP_OP_REQUEST && xb->answers_fips
            && is_local_fip(xb, &tpa)) {
            d->consume = d->reply = true;
            d->reply_mac = xb->ext_mac;
        }
        if (xb->learns_gw[DPFIP_IPV4]
            && ipv6_addr_equals(&spa, &xb->gw[DPFIP_IPV4])) {
            /* Every ARP from the gateway tells its MAC; only a reply
             * addressed to this chassis is dpfip's alone. */
            WC_MASK_FIELD(wc, arp_sha);
            WC_MASK_FIELD(wc, dl_dst);
            set_learn(d, DPFIP_IPV4, &spa, flow->arp_sha);
            if (flow->nw_proto == ARP_OP_REPLY
                && eth_addr_equals(flow->dl_dst, xb->ext_mac)) {
                d->consume = true;
            }
        }
        return;
    }

    const struct dpfip_xport *xp = dpfip_xport_lookup(xb->ofproto, in_port);
    if (flow->nw_proto == ARP_OP_REQUEST && is_router_addr(xp, &tpa)) {
        d->consume = d->reply = true;
        d->reply_mac = xp->router_mac;
    } else if ((flow->nw_proto == ARP_OP_REPLY
                || ipv6_addr_equals(&spa, &tpa))
               && dpfip_xfip_lookup(&spa)) {
        /* A VM claims a floating IP that is active here. */
        d->consume = d->spoof = true;
    }
}

static void
decide_nd(const struct dpfip_xbridge *xb, ofp_port_t in_port,
          const struct flow *flow, struct flow_wildcards *wc,
          struct decision *d)
{
    WC_MASK_FIELD(wc, nw_proto);
    if (flow->nw_proto != IPPROTO_ICMPV6) {
        return;
    }
    WC_MASK_FIELD(wc, tp_src);
    if (flow->tp_src != htons(ND_NEIGHBOR_SOLICIT)
        && flow->tp_src != htons(ND_NEIGHBOR_ADVERT)) {
        return;
    }
    bool ns = flow->tp_src == htons(ND_NEIGHBOR_SOLICIT);

    WC_MASK_FIELD(wc, nd_target);
    if (in_port == xb->uplink_port) {
        if (!uplink_vlan_matches(xb, flow, wc)) {
            return;
        }
        if (ns && xb->answers_fips && is_local_fip(xb, &flow->nd_target)) {
            d->consume = d->reply = true;
            d->reply_mac = xb->ext_mac;
        }
        if (!xb->learns_gw[DPFIP_IPV6]) {
            return;
        }
        if (ns) {
            /* A solicitation from the gateway carries its MAC. */
            WC_MASK_FIELD(wc, ipv6_src);
            if (ipv6_addr_equals(&flow->ipv6_src, &xb->gw[DPFIP_IPV6])) {
                WC_MASK_FIELD(wc, arp_sha);
                set_learn(d, DPFIP_IPV6, &flow->ipv6_src, flow->arp_sha);
            }
        } else if (ipv6_addr_equals(&flow->nd_target, &xb->gw[DPFIP_IPV6])) {
            struct eth_addr mac;

            WC_MASK_FIELD(wc, arp_tha);
            WC_MASK_FIELD(wc, dl_src);
            WC_MASK_FIELD(wc, dl_dst);
            mac = (eth_addr_is_zero(flow->arp_tha) ? flow->dl_src
                   : flow->arp_tha);
            set_learn(d, DPFIP_IPV6, &flow->nd_target, mac);
            if (eth_addr_equals(flow->dl_dst, xb->ext_mac)) {
                d->consume = true;
            }
        }
        return;
    }

    const struct dpfip_xport *xp = dpfip_xport_lookup(xb->ofproto, in_port);
    if (ns && is_router_addr(xp, &flow->nd_target)) {
        d->consume = d->reply = true;
        d->reply_mac = xp->router_mac;
    } else if (!ns && dpfip_xfip_lookup(&flow->nd_target)) {
        d->consume = d->spoof = true;
    }
}

static bool
decide(const struct ofproto_dpif *ofproto, ofp_port_t in_port,
       const struct flow *flow, struct flow_wildcards *wc,
       struct decision *d, const struct dpfip_xbridge **xbp)
{
    const struct dpfip_xbridge *xb;

    memset(d, 0, sizeof *d);
    if (flow->dl_type != htons(ETH_TYPE_ARP)
        && flow->dl_type != htons(ETH_TYPE_IPV6)) {
        return false;
    }
    xb = dpfip_xbridge_lookup(ofproto);
    if (!xb) {
        return false;
    }
    *xbp = xb;
    WC_MASK_FIELD(wc, dl_type);
    if (flow->dl_type == htons(ETH_TYPE_ARP)) {
        decide_arp(xb, in_port, flow, wc, d);
    } else {
        decide_nd(xb, in_port, flow, wc, d);
    }
    return d->consume || d->learn;
}

bool
dpfip_should_process_flow(const struct ofproto_dpif *ofproto,
                          ofp_port_t in_port, const struct flow *flow,
                          struct flow_wildcards *wc, bool *consume)
{
    const struct dpfip_xbridge *xb;
    struct decision d;
    bool wanted = decide(ofproto, in_port, flow, wc, &d, &xb);

    *consume = d.consume;
    return wanted;
}

static struct dp_packet *
compose_reply(const struct dpfip_xbridge *xb, ofp_port_t in_port,
              const struct flow *flow, const struct decision *d)
{
    struct dp_packet *reply = dp_packet_new(0);
    bool uplink = in_port == xb->uplink_port;

    if (flow->dl_type == htons(ETH_TYPE_ARP)) {
        compose_arp(reply, ARP_OP_REPLY, d->reply_mac, flow->arp_sha, false,
                    flow->nw_dst, flow->nw_src);
        COVERAGE_INC(dpfip_arp_reply);
    } else {
        /* RFC 4861 7.2.4: reply to the soliciting node, or to all nodes
         * for duplicate address detection (unspecified source), and then
         * without the Solicited flag. */
        bool dad = !ipv6_addr_is_set(&flow->ipv6_src);
        ovs_be32 flags = htonl(ND_RSO_OVERRIDE | (dad ? 0 : ND_RSO_SOLICITED)
                               | (uplink ? 0 : ND_RSO_ROUTER));
        struct eth_addr dst_mac = dad ? all_hosts_mac() : flow->dl_src;
        const struct in6_addr *dst = (dad ? &in6addr_all_hosts
                                      : &flow->ipv6_src);

        compose_nd_na(reply, d->reply_mac, dst_mac, &flow->nd_target, dst,
                      flags);
        COVERAGE_INC(dpfip_nd_reply);
    }
    if (uplink && xb->uplink_vlan) {
        eth_push_vlan(reply, htons(ETH_TYPE_VLAN_8021Q),
                      htons(xb->uplink_vlan));
    }
    return reply;
}

/* Handles a packet for which dpfip_should_process_flow() returned true. */
void
dpfip_process_packet(const struct ofproto_dpif *ofproto, ofp_port_t in_port,
                     const struct flow *flow,
                     const struct dp_packet *packet OVS_UNUSED)
{
    const struct dpfip_xbridge *xb;
    struct flow_wildcards wc;
    struct decision d;

    flow_wildcards_init_catchall(&wc);
    if (!decide(ofproto, in_port, flow, &wc, &d, &xb)) {
        return;
    }
    if (d.learn) {
        struct dpfip_event *ev = event_create(EV_LEARN, ofproto);

        COVERAGE_INC(dpfip_gw_learn);
        ev->family = d.family;
        ev->ip = d.learn_ip;
        ev->mac = d.learn_mac;
        queue_event(ev);
    }
    if (d.reply) {
        struct dpfip_event *ev = event_create(EV_SEND, ofproto);

        ev->port = in_port;
        ev->packet = compose_reply(xb, in_port, flow, &d);
        queue_event(ev);
    }
    if (d.spoof) {
        COVERAGE_INC(dpfip_spoof_drop);
        queue_event(event_create(EV_SPOOF, ofproto));
    }
}

bool
dpfip_neigh_hairpin(const struct dpfip_xbridge *xb, const struct flow *flow,
                    struct flow_wildcards *wc, const struct dp_packet *packet)
{
    const struct in6_addr *target;
    struct in6_addr tpa;
    struct decision d;

    WC_MASK_FIELD(wc, dl_type);
    if (flow->dl_type == htons(ETH_TYPE_ARP)) {
        WC_MASK_FIELD(wc, nw_proto);
        WC_MASK_FIELD(wc, nw_src);
        WC_MASK_FIELD(wc, nw_dst);
        /* Not a gratuitous ARP (dpfip's own announcements leave here). */
        if (flow->nw_proto != ARP_OP_REQUEST
            || flow->nw_src == flow->nw_dst) {
            return false;
        }
        in6_addr_set_mapped_ipv4(&tpa, flow->nw_dst);
        target = &tpa;
    } else if (flow->dl_type == htons(ETH_TYPE_IPV6)) {
        WC_MASK_FIELD(wc, nw_proto);
        if (flow->nw_proto != IPPROTO_ICMPV6) {
            return false;
        }
        WC_MASK_FIELD(wc, tp_src);
        if (flow->tp_src != htons(ND_NEIGHBOR_SOLICIT)) {
            return false;
        }
        WC_MASK_FIELD(wc, nd_target);
        target = &flow->nd_target;
    } else {
        return false;
    }
    WC_MASK_FIELD(wc, dl_src);
    if (!xb->answers_fips || !uplink_vlan_matches(xb, flow, wc)
        || eth_addr_equals(flow->dl_src, xb->ext_mac)
        || !is_local_fip(xb, target)) {
        return false;
    }
    if (packet) {
        memset(&d, 0, sizeof d);
        d.reply = true;
        d.reply_mac = xb->ext_mac;
        dpfip_neigh_queue_inject(xb->ofproto, xb->uplink_port,
                                 compose_reply(xb, xb->uplink_port, flow,
                                               &d));
    }
    return true;
}

void
dpfip_neigh_queue_send(const struct ofproto_dpif *ofproto, ofp_port_t port,
                       struct dp_packet *packet)
{
    struct dpfip_event *ev = event_create(EV_SEND, ofproto);

    ev->port = port;
    ev->packet = packet;
    queue_event(ev);
}

void
dpfip_neigh_queue_inject(const struct ofproto_dpif *ofproto,
                         ofp_port_t port, struct dp_packet *packet)
{
    struct dpfip_event *ev = event_create(EV_INJECT, ofproto);

    ev->port = port;
    ev->packet = packet;
    queue_event(ev);
}

/* Main thread side. */

/* Hands 'packet' to the bridge of 'ofproto' as if it came in on 'port'. */
static void
inject_packet(struct ofproto_dpif *ofproto, ofp_port_t port,
              struct dp_packet *packet)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofpact_output output;
    struct flow flow;
    int error;

    ofpact_init_OUTPUT(&output);
    output.port = OFPP_TABLE;
    packet->md.in_port.ofp_port = port;
    flow_extract(packet, &flow);
    flow.in_port.ofp_port = port;
    error = ofproto_dpif_execute_actions(ofproto,
                                         ofproto_dpif_get_tables_version(
                                             ofproto),
                                         &flow, NULL, &output.ofpact,
                                         sizeof output, packet);
    if (error) {
        VLOG_WARN_RL(&rl, "handing a reply to the bridge on OpenFlow port "
                     "%"PRIu32" failed (%s)", ofp_to_u16(port),
                     ovs_strerror(error));
    }
}

static void
send_packet(const struct ofproto_dpif *ofproto, ofp_port_t port,
            struct dp_packet *packet)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofport_dpif *ofport = ofp_port_to_ofport(ofproto, port);

    if (ofport) {
        int error = ofproto_dpif_send_packet(ofport, false, packet);

        if (error) {
            VLOG_WARN_RL(&rl, "sending on OpenFlow port %"PRIu32" failed "
                         "(%s)", ofp_to_u16(port), ovs_strerror(error));
        }
    }
    dp_packet_delete(packet);
}

static void
send_on_uplink(const struct dpfip_neigh *n, struct dp_packet *packet)
{
    if (n->s.uplink_vlan) {
        eth_push_vlan(packet, htons(ETH_TYPE_VLAN_8021Q),
                      htons(n->s.uplink_vlan));
    }
    send_packet(n->ofproto, n->s.uplink_port, packet);
}

static struct dpfip_neigh *
find_instance(const struct ofproto_dpif *ofproto)
{
    struct dpfip_neigh *n;

    HMAP_FOR_EACH_WITH_HASH (n, node, hash_pointer(ofproto, 0), &instances) {
        if (n->ofproto == ofproto) {
            return n;
        }
    }
    return NULL;
}

static void
gateway_reset(struct dpfip_gateway *gw)
{
    memset(gw, 0, sizeof *gw);
    gw->next_probe = time_msec();
    gw->probe_interval = GW_PROBE_MIN_MS;
}

struct dpfip_neigh *
dpfip_neigh_create(struct ofproto_dpif *ofproto, const char *name)
{
    struct dpfip_neigh *n = xzalloc(sizeof *n);

    n->ofproto = ofproto;
    n->name = xstrdup(name);
    n->s.uplink_port = OFPP_NONE;
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        gateway_reset(&n->gw[i]);
    }
    heap_init(&n->schedule);
    hmap_insert(&instances, &n->node, hash_pointer(ofproto, 0));
    get_events_seq();
    return n;
}

/* Destroys 'n'.  Announcements still scheduled are dropped: their owners
 * must not use them afterwards except to reinitialize them. */
void
dpfip_neigh_destroy(struct dpfip_neigh *n)
{
    struct dpfip_event *ev;

    if (!n) {
        return;
    }
    while (!heap_is_empty(&n->schedule)) {
        struct dpfip_announcement *a = CONTAINER_OF(heap_pop(&n->schedule),
                                                    struct dpfip_announcement,
                                                    heap_node);
        a->scheduled = false;
    }
    heap_destroy(&n->schedule);

    /* Work queued for its bridge has no bridge to go to. */
    ovs_mutex_lock(&mutex);
    LIST_FOR_EACH_SAFE (ev, list_node, &events) {
        if (ev->ofproto == n->ofproto) {
            ovs_list_remove(&ev->list_node);
            n_events--;
            dp_packet_delete(ev->packet);
            free(ev);
        }
    }
    ovs_mutex_unlock(&mutex);

    hmap_remove(&instances, &n->node);
    free(n->name);
    free(n);
}

void
dpfip_neigh_configure(struct dpfip_neigh *n,
                      const struct dpfip_neigh_settings *s)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        struct dpfip_gateway *gw = &n->gw[i];
        bool addr_changed = (s->has_gw[i] != n->s.has_gw[i]
                             || !ipv6_addr_equals(&s->gw[i], &n->s.gw[i]));
        struct eth_addr old_mac = gw->mac;
        bool was_resolved = gw->resolved;

        if (s->has_gw[i] && s->has_gw_mac) {
            gw->resolved = true;
            gw->mac = s->gw_mac;
        } else if (addr_changed || n->s.has_gw_mac) {
            gateway_reset(gw);
        }
        if (gw->resolved != was_resolved
            || !eth_addr_equals(gw->mac, old_mac)) {
            n->changed |= 1u << i;
        }
    }
    n->s = *s;
}

bool
dpfip_neigh_get_gateway(const struct dpfip_neigh *n, enum dpfip_family family,
                        struct eth_addr *mac)
{
    *mac = n->gw[family].mac;
    return n->s.has_gw[family] && n->gw[family].resolved;
}

/* Sets the address to probe the gateway from: a FIP of the bridge, so that
 * the gateway learns it too, or NULL if the bridge has none of 'family'
 * (then the gateway is not probed: nothing needs it). */
void
dpfip_neigh_set_probe_source(struct dpfip_neigh *n, enum dpfip_family family,
                             const struct in6_addr *src)
{
    n->has_probe_src[family] = src != NULL;
    if (src) {
        n->probe_src[family] = *src;
    }
}

static void
gateway_learned(struct dpfip_neigh *n, enum dpfip_family family,
                const struct in6_addr *ip, struct eth_addr mac)
{
    struct dpfip_gateway *gw = &n->gw[family];

    if (!n->s.has_gw[family] || n->s.has_gw_mac
        || !ipv6_addr_equals(ip, &n->s.gw[family])) {
        return;
    }
    if (!gw->resolved || !eth_addr_equals(gw->mac, mac)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        dpfip_addr_format(ip, &s);
        VLOG_INFO("bridge %s: gateway %s is at "ETH_ADDR_FMT"%s", n->name,
                  ds_cstr(&s), ETH_ADDR_ARGS(mac),
                  gw->resolved ? " (changed)" : "");
        ds_destroy(&s);
        gw->resolved = true;
        gw->mac = mac;
        n->changed |= 1u << family;
    }
    gw->resolved_at = time_msec();
    gw->n_probes = 0;
    gw->probe_interval = GW_PROBE_MIN_MS;
    gw->next_probe = gw->resolved_at + GW_REFRESH_MS;
}

static void
probe_gateway(const struct dpfip_neigh *n, enum dpfip_family family)
{
    const struct in6_addr *gw = &n->s.gw[family];
    const struct in6_addr *src = &n->probe_src[family];
    struct dp_packet *packet = dp_packet_new(0);

    if (family == DPFIP_IPV4) {
        compose_arp(packet, ARP_OP_REQUEST, n->s.ext_mac, eth_addr_zero, true,
                    in6_addr_get_mapped_ipv4(src),
                    in6_addr_get_mapped_ipv4(gw));
    } else {
        compose_nd_ns(packet, n->s.ext_mac, src, gw);
    }
    send_on_uplink(n, packet);
}

static void
run_gateways(struct dpfip_neigh *n, long long int now)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        struct dpfip_gateway *gw = &n->gw[i];

        if (!n->s.has_gw[i] || n->s.has_gw_mac || now < gw->next_probe
            || n->s.uplink_port == OFPP_NONE) {
            continue;
        }
        if (!n->has_probe_src[i]) {
            gw->next_probe = now + GW_PROBE_MIN_MS;
            continue;
        }
        probe_gateway(n, i);
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

static void
send_announcement(const struct dpfip_neigh *n,
                  const struct dpfip_announcement *a)
{
    struct dp_packet *packet = dp_packet_new(0);

    if (a->family == DPFIP_IPV4) {
        ovs_be32 ip = in6_addr_get_mapped_ipv4(&a->addr);

        compose_arp(packet, ARP_OP_REQUEST, n->s.ext_mac, eth_addr_zero,
                    true, ip, ip);
    } else {
        compose_nd_na(packet, n->s.ext_mac, all_hosts_mac(), &a->addr,
                      &in6addr_all_hosts, htonl(ND_RSO_OVERRIDE));
    }
    send_on_uplink(n, packet);
}

/* Schedules 'a' for the address of a FIP that just became active: at
 * once, then with backoff, announce_count times in all. */
void
dpfip_neigh_announce(struct dpfip_neigh *n, struct dpfip_announcement *a,
                     const struct in6_addr *addr, enum dpfip_family family)
{
    dpfip_neigh_cancel(n, a);
    a->addr = *addr;
    a->family = family;
    a->n_left = n->s.announce_count;
    a->next = time_msec();
    a->interval = ANNOUNCE_FIRST_INTERVAL_MS;
    if (a->n_left) {
        heap_insert(&n->schedule, &a->heap_node, -(uint64_t) a->next);
        a->scheduled = true;
    }
}

void
dpfip_neigh_cancel(struct dpfip_neigh *n, struct dpfip_announcement *a)
{
    if (a->scheduled) {
        heap_remove(&n->schedule, &a->heap_node);
        a->scheduled = false;
        a->n_left = 0;
    }
}

static void
run_announcements(struct dpfip_neigh *n, long long int now)
{
    for (int i = 0; i < ANNOUNCE_BATCH && !heap_is_empty(&n->schedule);
         i++) {
        struct dpfip_announcement *a = CONTAINER_OF(heap_max(&n->schedule),
                                                    struct dpfip_announcement,
                                                    heap_node);

        if (now < a->next) {
            break;
        }
        if (n->s.uplink_port != OFPP_NONE) {
            send_announcement(n, a);
            a->n_sent++;
        }
        a->next = now + a->interval;
        a->interval *= 2;
        if (--a->n_left) {
            heap_change(&n->schedule, &a->heap_node, -(uint64_t) a->next);
        } else {
            heap_remove(&n->schedule, &a->heap_node);
            a->scheduled = false;
        }
    }
}

/* Drains the handler threads' queue: replies go out, learned MACs go to
 * their instance. */
void
dpfip_neigh_run_queue(void)
{
    struct ovs_list list;
    struct dpfip_event *ev;

    events_seqno = seq_read(get_events_seq());
    ovs_mutex_lock(&mutex);
    ovs_list_move(&list, &events);
    ovs_list_init(&events);
    n_events = 0;
    ovs_mutex_unlock(&mutex);

    LIST_FOR_EACH_POP (ev, list_node, &list) {
        struct dpfip_neigh *n = find_instance(ev->ofproto);

        if (n) {
            switch (ev->type) {
            case EV_SEND:
                send_packet(n->ofproto, ev->port, ev->packet);
                ev->packet = NULL;
                break;
            case EV_INJECT:
                inject_packet(n->ofproto, ev->port, ev->packet);
                break;
            case EV_LEARN:
                gateway_learned(n, ev->family, &ev->ip, ev->mac);
                break;
            case EV_SPOOF:
                n->n_spoofed++;
                break;
            }
        }
        dp_packet_delete(ev->packet);
        free(ev);
    }
}

void
dpfip_neigh_wait_queue(void)
{
    seq_wait(get_events_seq(), events_seqno);
}

/* Sends what is due.  Returns a bitmap of the families (1 << family) whose
 * gateway MAC changed since the last call. */
unsigned int
dpfip_neigh_run(struct dpfip_neigh *n)
{
    long long int now = time_msec();
    unsigned int changed;

    run_gateways(n, now);
    run_announcements(n, now);
    changed = n->changed;
    n->changed = 0;
    return changed;
}

void
dpfip_neigh_wait(const struct dpfip_neigh *n)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (n->s.has_gw[i] && !n->s.has_gw_mac) {
            poll_timer_wait_until(n->gw[i].next_probe);
        }
    }
    if (!heap_is_empty(&n->schedule)) {
        const struct dpfip_announcement *a
            = CONTAINER_OF(heap_max(&n->schedule), struct dpfip_announcement,
                           heap_node);

        poll_timer_wait_until(a->next);
    }
    if (n->changed) {
        poll_immediate_wake();
    }
}

uint64_t
dpfip_neigh_spoofed(const struct dpfip_neigh *n)
{
    return n->n_spoofed;
}

static const char *
gateway_state(const struct dpfip_neigh *n, enum dpfip_family family)
{
    return (n->s.has_gw_mac ? "configured"
            : n->gw[family].resolved ? "learned"
            : "resolving");
}

void
dpfip_neigh_format(const struct dpfip_neigh *n, struct ds *s)
{
    long long int now = time_msec();

    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        const struct dpfip_gateway *gw = &n->gw[i];

        if (!n->s.has_gw[i]) {
            continue;
        }
        ds_put_format(s, "  %s gateway: ", dpfip_family_to_string(i));
        dpfip_addr_format(&n->s.gw[i], s);
        if (gw->resolved) {
            ds_put_format(s, " at "ETH_ADDR_FMT" (%s", ETH_ADDR_ARGS(gw->mac),
                          gateway_state(n, i));
            if (!n->s.has_gw_mac) {
                ds_put_format(s, " %lld s ago",
                              (now - gw->resolved_at) / 1000);
            }
            ds_put_char(s, ')');
        } else {
            ds_put_format(s, " resolving (%u probes sent)", gw->n_probes);
        }
        ds_put_char(s, '\n');
    }
    if (n->n_spoofed) {
        ds_put_format(s, "  dropped claims of FIPs from VM ports: %"PRIu64"\n",
                      n->n_spoofed);
    }
}

struct json *
dpfip_neigh_gateways_to_json(const struct dpfip_neigh *n)
{
    struct json *gateways = json_array_create_empty();

    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        const struct dpfip_gateway *gw = &n->gw[i];
        struct json *jgw;
        struct ds s;

        if (!n->s.has_gw[i]) {
            continue;
        }
        jgw = json_object_create();
        json_object_put_string(jgw, "family", dpfip_family_to_string(i));
        ds_init(&s);
        dpfip_addr_format(&n->s.gw[i], &s);
        json_object_put(jgw, "address", json_string_create_nocopy(
                            ds_steal_cstr(&s)));
        json_object_put(jgw, "mac", gw->resolved
                        ? json_string_create_nocopy(
                            xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(gw->mac)))
                        : json_null_create());
        json_object_put_string(jgw, "state", gateway_state(n, i));
        json_object_put(jgw, "probes", json_integer_create(gw->n_probes));
        json_array_add(gateways, jgw);
    }
    return gateways;
}
