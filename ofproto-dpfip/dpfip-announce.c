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
#include "dpfip-announce.h"

#include "coverage.h"
#include "dp-packet.h"
#include "dpfip.h"
#include "dpfip-private.h"
#include "flow.h"
#include "ofproto/ofproto-dpif.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "seq.h"

VLOG_DEFINE_THIS_MODULE(dpfip_announce);

COVERAGE_DEFINE(dpfip_arp_reply);
COVERAGE_DEFINE(dpfip_nd_reply);
COVERAGE_DEFINE(dpfip_gw_learn);
COVERAGE_DEFINE(dpfip_event_overflow);

/* Work that translation threads hand to the main thread. */
struct dpfip_event {
    struct ovs_list list_node;
    const struct ofproto_dpif *ofproto;
    struct dp_packet *packet;       /* To send on 'port', or NULL. */
    ofp_port_t port;
    bool learn;                     /* A gateway's MAC, in the rest. */
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

static void
queue_reply(const struct ofproto_dpif *ofproto, ofp_port_t port,
            struct dp_packet *packet)
{
    struct dpfip_event *ev = xzalloc(sizeof *ev);

    ev->ofproto = ofproto;
    ev->port = port;
    ev->packet = packet;
    queue_event(ev);
}

static void
queue_learn(const struct ofproto_dpif *ofproto, enum dpfip_family family,
            const struct in6_addr *ip, struct eth_addr mac)
{
    struct dpfip_event *ev = xzalloc(sizeof *ev);

    if (eth_addr_is_zero(mac) || eth_addr_is_multicast(mac)) {
        free(ev);
        return;
    }
    COVERAGE_INC(dpfip_gw_learn);
    ev->ofproto = ofproto;
    ev->learn = true;
    ev->family = family;
    ev->ip = *ip;
    ev->mac = mac;
    queue_event(ev);
}

static struct eth_addr
all_hosts_mac(void)
{
    struct eth_addr mac;

    ipv6_multicast_to_ethernet(&mac, &in6addr_all_hosts);
    return mac;
}

/* Translation side. */

static bool
is_local_fip(const struct dpfip_xbridge *xb, const struct in6_addr *addr)
{
    const struct dpfip_xfip *xfip = dpfip_xfip_lookup(addr);

    return xfip && xfip->ofproto == xb->ofproto;
}

static bool
should_process_arp(const struct dpfip_xbridge *xb, ofp_port_t in_port,
                   const struct flow *flow, struct flow_wildcards *wc)
{
    struct in6_addr tpa, spa;

    WC_MASK_FIELD(wc, nw_proto);
    WC_MASK_FIELD(wc, nw_dst);
    in6_addr_set_mapped_ipv4(&tpa, flow->nw_dst);
    if (in_port == xb->uplink_port) {
        if (flow->nw_proto == ARP_OP_REQUEST && xb->answers_fips
            && is_local_fip(xb, &tpa)) {
            return true;
        }
        if (xb->learns_gw[DPFIP_IPV4] && flow->nw_proto == ARP_OP_REPLY) {
            WC_MASK_FIELD(wc, nw_src);
            in6_addr_set_mapped_ipv4(&spa, flow->nw_src);
            return ipv6_addr_equals(&spa, &xb->gw[DPFIP_IPV4]);
        }
        return false;
    }
    return (xb->has_router[DPFIP_IPV4]
            && flow->nw_proto == ARP_OP_REQUEST
            && ipv6_addr_equals(&tpa, &xb->router[DPFIP_IPV4]));
}

static bool
should_process_nd(const struct dpfip_xbridge *xb, ofp_port_t in_port,
                  const struct flow *flow, struct flow_wildcards *wc)
{
    WC_MASK_FIELD(wc, nw_proto);
    if (flow->nw_proto != IPPROTO_ICMPV6) {
        return false;
    }
    WC_MASK_FIELD(wc, tp_src);
    if (flow->tp_src != htons(ND_NEIGHBOR_SOLICIT)
        && flow->tp_src != htons(ND_NEIGHBOR_ADVERT)) {
        return false;
    }
    WC_MASK_FIELD(wc, nd_target);
    if (in_port == xb->uplink_port) {
        if (flow->tp_src == htons(ND_NEIGHBOR_SOLICIT)) {
            return xb->answers_fips && is_local_fip(xb, &flow->nd_target);
        }
        return (xb->learns_gw[DPFIP_IPV6]
                && ipv6_addr_equals(&flow->nd_target, &xb->gw[DPFIP_IPV6]));
    }
    return (xb->has_router[DPFIP_IPV6]
            && flow->tp_src == htons(ND_NEIGHBOR_SOLICIT)
            && ipv6_addr_equals(&flow->nd_target, &xb->router[DPFIP_IPV6]));
}

/* Called by process_special() in ofproto-dpif-xlate.c for every packet
 * entering a bridge: returns true if dpfip handles it (and then the
 * datapath flow slow-paths such packets to dpfip_process_packet()). */
bool
dpfip_should_process_flow(const struct ofproto_dpif *ofproto,
                          ofp_port_t in_port, const struct flow *flow,
                          struct flow_wildcards *wc)
{
    const struct dpfip_xbridge *xb;

    if (flow->dl_type != htons(ETH_TYPE_ARP)
        && flow->dl_type != htons(ETH_TYPE_IPV6)) {
        return false;
    }
    xb = dpfip_xbridge_lookup(ofproto);
    if (!xb) {
        return false;
    }
    WC_MASK_FIELD(wc, dl_type);
    return (flow->dl_type == htons(ETH_TYPE_ARP)
            ? should_process_arp(xb, in_port, flow, wc)
            : should_process_nd(xb, in_port, flow, wc));
}

static void
process_arp(const struct dpfip_xbridge *xb, ofp_port_t in_port,
            const struct flow *flow)
{
    struct in6_addr spa;
    struct dp_packet *reply;

    in6_addr_set_mapped_ipv4(&spa, flow->nw_src);
    if (in_port == xb->uplink_port && xb->learns_gw[DPFIP_IPV4]
        && ipv6_addr_equals(&spa, &xb->gw[DPFIP_IPV4])) {
        queue_learn(xb->ofproto, DPFIP_IPV4, &spa, flow->arp_sha);
    }
    if (flow->nw_proto != ARP_OP_REQUEST) {
        return;
    }

    struct eth_addr mac = (in_port == xb->uplink_port
                           ? xb->ext_mac : xb->router_mac);
    reply = dp_packet_new(0);
    compose_arp(reply, ARP_OP_REPLY, mac, flow->arp_sha, false,
                flow->nw_dst, flow->nw_src);
    COVERAGE_INC(dpfip_arp_reply);
    queue_reply(xb->ofproto, in_port, reply);
}

static void
process_nd(const struct dpfip_xbridge *xb, ofp_port_t in_port,
           const struct flow *flow)
{
    bool uplink = in_port == xb->uplink_port;

    if (flow->tp_src == htons(ND_NEIGHBOR_ADVERT)) {
        struct eth_addr mac = (eth_addr_is_zero(flow->arp_tha)
                               ? flow->dl_src : flow->arp_tha);

        queue_learn(xb->ofproto, DPFIP_IPV6, &flow->nd_target, mac);
        return;
    }

    /* A solicitation: the gateway asking reveals its MAC too. */
    if (uplink && xb->learns_gw[DPFIP_IPV6]
        && ipv6_addr_equals(&flow->ipv6_src, &xb->gw[DPFIP_IPV6])
        && !eth_addr_is_zero(flow->arp_sha)) {
        queue_learn(xb->ofproto, DPFIP_IPV6, &flow->ipv6_src, flow->arp_sha);
    }

    /* RFC 4861 7.2.4: reply to the soliciting node, or to all nodes for
     * duplicate address detection (unspecified source), and then without
     * the Solicited flag. */
    bool dad = !ipv6_addr_is_set(&flow->ipv6_src);
    ovs_be32 flags = htonl(ND_RSO_OVERRIDE | (dad ? 0 : ND_RSO_SOLICITED)
                           | (uplink ? 0 : ND_RSO_ROUTER));
    struct eth_addr mac = uplink ? xb->ext_mac : xb->router_mac;
    struct eth_addr dst_mac = dad ? all_hosts_mac() : flow->dl_src;
    const struct in6_addr *dst = dad ? &in6addr_all_hosts : &flow->ipv6_src;
    struct dp_packet *reply = dp_packet_new(0);

    compose_nd_na(reply, mac, dst_mac, &flow->nd_target, dst, flags);
    COVERAGE_INC(dpfip_nd_reply);
    queue_reply(xb->ofproto, in_port, reply);
}

/* Handles a packet for which dpfip_should_process_flow() returned true. */
void
dpfip_process_packet(const struct ofproto_dpif *ofproto, ofp_port_t in_port,
                     const struct flow *flow,
                     const struct dp_packet *packet OVS_UNUSED)
{
    const struct dpfip_xbridge *xb = dpfip_xbridge_lookup(ofproto);

    if (!xb) {
        return;
    }
    if (flow->dl_type == htons(ETH_TYPE_ARP)) {
        process_arp(xb, in_port, flow);
    } else {
        process_nd(xb, in_port, flow);
    }
}

/* Main thread side. */

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

/* Sends a gratuitous ARP or an unsolicited neighbor advertisement for 'fip'
 * out of the uplink of 'br', so that upstream ARP/ND caches and MAC tables
 * point at this chassis. */
void
dpfip_announce_fip(const struct dpfip_bridge *br, const struct dpfip_fip *fip)
{
    struct dp_packet *packet = dp_packet_new(0);

    if (fip->pair.family == DPFIP_IPV4) {
        ovs_be32 ip = in6_addr_get_mapped_ipv4(&fip->pair.floating);

        compose_arp(packet, ARP_OP_REQUEST, br->ext_mac, eth_addr_zero,
                    true, ip, ip);
    } else {
        compose_nd_na(packet, br->ext_mac, all_hosts_mac(),
                      &fip->pair.floating, &in6addr_all_hosts,
                      htonl(ND_RSO_OVERRIDE));
    }
    send_packet(br->ofproto, br->uplink_port, packet);
}

/* Asks for the MAC of 'br''s gateway of 'family', from 'src' if nonnull
 * (a local FIP, so that the gateway learns it too). */
void
dpfip_probe_gateway(const struct dpfip_bridge *br, enum dpfip_family family,
                    const struct in6_addr *src)
{
    struct dp_packet *packet = dp_packet_new(0);
    const struct in6_addr *gw = &br->cfg.gw[family];

    if (family == DPFIP_IPV4) {
        compose_arp(packet, ARP_OP_REQUEST, br->ext_mac, eth_addr_zero, true,
                    src ? in6_addr_get_mapped_ipv4(src) : htonl(0),
                    in6_addr_get_mapped_ipv4(gw));
    } else {
        struct in6_addr lla;

        if (!src) {
            in6_generate_lla(br->ext_mac, &lla);
            src = &lla;
        }
        compose_nd_ns(packet, br->ext_mac, src, gw);
    }
    send_packet(br->ofproto, br->uplink_port, packet);
}

void
dpfip_announce_run(void)
{
    struct ovs_list list;

    get_events_seq();
    events_seqno = seq_read(events_seq);

    ovs_mutex_lock(&mutex);
    ovs_list_move(&list, &events);
    ovs_list_init(&events);
    n_events = 0;
    ovs_mutex_unlock(&mutex);

    struct dpfip_event *ev;
    LIST_FOR_EACH_POP (ev, list_node, &list) {
        /* The bridge may be gone since the event was queued. */
        if (dpfip_bridge_find_by_ofproto(ev->ofproto)) {
            if (ev->packet) {
                send_packet(ev->ofproto, ev->port, ev->packet);
                ev->packet = NULL;
            } else if (ev->learn) {
                dpfip_gateway_learned(ev->ofproto, ev->family, &ev->ip,
                                      ev->mac);
            }
        }
        dp_packet_delete(ev->packet);
        free(ev);
    }
}

void
dpfip_announce_wait(void)
{
    seq_wait(get_events_seq(), events_seqno);
}

/* Drops queued work for a bridge about to be destroyed. */
void
dpfip_announce_purge(const struct ofproto_dpif *ofproto)
{
    struct dpfip_event *ev;

    ovs_mutex_lock(&mutex);
    LIST_FOR_EACH_SAFE (ev, list_node, &events) {
        if (ev->ofproto == ofproto) {
            ovs_list_remove(&ev->list_node);
            n_events--;
            dp_packet_delete(ev->packet);
            free(ev);
        }
    }
    ovs_mutex_unlock(&mutex);
}
