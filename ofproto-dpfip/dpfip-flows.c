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
#include "dpfip-flows.h"

#include "dpfip-private.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(dpfip_flows);

/* A rule dpfip wants in (or has put into) table 0.  The match is kept as
 * a minimatch: a 'struct match' is 3.4 kB, and there are two rules per
 * floating IP. */
struct dpfip_flow {
    struct hmap_node hmap_node;     /* By match and priority. */
    struct minimatch match;
    int priority;
    struct ofpbuf ofpacts;
};

static struct dpfip_flow *
flow_find(const struct hmap *flows, const struct minimatch *match,
          int priority, uint32_t hash)
{
    struct dpfip_flow *f;

    HMAP_FOR_EACH_WITH_HASH (f, hmap_node, hash, flows) {
        if (f->priority == priority && minimatch_equal(&f->match, match)) {
            return f;
        }
    }
    return NULL;
}

static struct dpfip_flow *
flow_add(struct hmap *flows, const struct match *match, int priority)
{
    struct dpfip_flow *f = xmalloc(sizeof *f);

    minimatch_init(&f->match, match);
    f->priority = priority;
    ofpbuf_init(&f->ofpacts, 32);
    hmap_insert(flows, &f->hmap_node, minimatch_hash(&f->match, priority));
    return f;
}

static void
flow_destroy(struct dpfip_flow *f)
{
    minimatch_destroy(&f->match);
    ofpbuf_uninit(&f->ofpacts);
    free(f);
}

static void
match_init_dpfip(struct match *match)
{
    match_init_catchall(match);
    match_set_reg_masked(match, DPFIP_PASS_REG, 0, 1u << DPFIP_PASS_BIT);
}

static void
match_set_ip(struct match *match, enum dpfip_family family, bool dst,
             const struct in6_addr *addr)
{
    if (family == DPFIP_IPV4) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(addr);

        match_set_dl_type(match, htons(ETH_TYPE_IP));
        if (dst) {
            match_set_nw_dst(match, ip4);
        } else {
            match_set_nw_src(match, ip4);
        }
    } else {
        match_set_dl_type(match, htons(ETH_TYPE_IPV6));
        if (dst) {
            match_set_ipv6_dst(match, addr);
        } else {
            match_set_ipv6_src(match, addr);
        }
    }
}

static void
put_dpfip(struct ofpbuf *ofpacts, enum dpfip_direction direction,
          const struct in6_addr *fip, ofp_port_t out_port)
{
    struct ofpact_dpfip *dpfip = ofpact_put_DPFIP(ofpacts);

    dpfip->direction = direction;
    dpfip->fip = *fip;
    ofpact_put_OUTPUT(ofpacts)->port = out_port;
}

static void
add_fip_flows(struct hmap *flows, const struct dpfip_bridge *br,
              const struct dpfip_fip *fip)
{
    enum dpfip_family family = fip->pair.family;
    struct dpfip_flow *f;
    struct match match;

    /* Traffic in: uplink -> VM. */
    match_init_dpfip(&match);
    match_set_in_port(&match, br->uplink_port);
    match_set_dl_dst(&match, br->ext_mac);
    match_set_ip(&match, family, true, &fip->pair.floating);
    f = flow_add(flows, &match, DPFIP_PRIORITY_FIP);
    put_dpfip(&f->ofpacts, DPFIP_DNAT, &fip->pair.floating, fip->vm_port);

    /* Traffic out: VM -> uplink.  Internal destinations were taken by the
     * higher-priority pass rules. */
    match_init_dpfip(&match);
    match_set_in_port(&match, fip->vm_port);
    match_set_dl_src(&match, fip->vm_mac);
    match_set_dl_dst(&match, br->cfg.router_mac);
    match_set_ip(&match, family, false, &fip->pair.fixed);
    f = flow_add(flows, &match, DPFIP_PRIORITY_FIP);
    put_dpfip(&f->ofpacts, DPFIP_SNAT, &fip->pair.floating, br->uplink_port);
}

static void
add_pass_flow(struct hmap *flows, const struct dpfip_bridge *br,
              enum dpfip_family family)
{
    const struct in6_addr *prefix = &br->cfg.router[family];
    int plen = br->cfg.router_plen[family];
    union mf_value value, mask;
    struct dpfip_flow *f;
    struct match match;

    match_init_dpfip(&match);
    match_set_dl_dst(&match, br->cfg.router_mac);
    if (family == DPFIP_IPV4) {
        match_set_dl_type(&match, htons(ETH_TYPE_IP));
        match_set_nw_dst_masked(&match, in6_addr_get_mapped_ipv4(prefix),
                                be32_prefix_mask(plen));
    } else {
        struct in6_addr m = ipv6_create_mask(plen);

        match_set_dl_type(&match, htons(ETH_TYPE_IPV6));
        match_set_ipv6_dst_masked(&match, prefix, &m);
    }
    f = flow_add(flows, &match, DPFIP_PRIORITY_PASS);

    memset(&value, 0, sizeof value);
    memset(&mask, 0, sizeof mask);
    value.be32 = mask.be32 = htonl(1u << DPFIP_PASS_BIT);
    ofpact_put_set_field(&f->ofpacts, mf_from_id(MFF_REG0 + DPFIP_PASS_REG),
                         &value, &mask);

    struct ofpact_resubmit *resubmit = ofpact_put_RESUBMIT(&f->ofpacts);
    resubmit->in_port = OFPP_IN_PORT;
    resubmit->table_id = 0;
    resubmit->with_ct_orig = false;
}

static void
delete_flow(struct dpfip_bridge *br, const struct dpfip_flow *f)
{
    struct match match;

    minimatch_expand(&f->match, &match);
    ovs_mutex_lock(&ofproto_mutex);
    ofproto_delete_flow(&br->ofproto->up, &match, f->priority);
    ovs_mutex_unlock(&ofproto_mutex);
}

/* Makes table 0 of 'br' hold exactly the rules its active FIPs need.  Cheap
 * when nothing changed, so it also restores rules that a flush removed. */
void
dpfip_flows_sync(struct dpfip_bridge *br)
{
    struct hmap wanted = HMAP_INITIALIZER(&wanted);
    struct dpfip_flow *f;

    if (!br->error) {
        const struct dpfip_fip *fip;

        HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
            if (fip->state == DPFIP_ACTIVE
                && !strcmp(fip->bridge_name, br->name)) {
                add_fip_flows(&wanted, br, fip);
            }
        }
        for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
            if (br->cfg.has_router[i]) {
                add_pass_flow(&wanted, br, i);
            }
        }
    }

    /* Make before break: add or modify first, then delete. */
    HMAP_FOR_EACH (f, hmap_node, &wanted) {
        struct match match;

        minimatch_expand(&f->match, &match);
        ofproto_add_flow(&br->ofproto->up, &match, f->priority,
                         f->ofpacts.data, f->ofpacts.size);
    }
    HMAP_FOR_EACH_POP (f, hmap_node, &br->flows) {
        if (!flow_find(&wanted, &f->match, f->priority,
                       f->hmap_node.hash)) {
            delete_flow(br, f);
        }
        flow_destroy(f);
    }
    hmap_swap(&wanted, &br->flows);
    hmap_destroy(&wanted);
}

/* Forgets the rules of 'br' without deleting them, for a bridge whose
 * ofproto is being destroyed anyway. */
void
dpfip_flows_forget(struct dpfip_bridge *br)
{
    struct dpfip_flow *f;

    HMAP_FOR_EACH_POP (f, hmap_node, &br->flows) {
        flow_destroy(f);
    }
}

size_t
dpfip_flows_count(const struct dpfip_bridge *br)
{
    return hmap_count(&br->flows);
}
