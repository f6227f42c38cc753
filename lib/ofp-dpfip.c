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
#include "openvswitch/ofp-actions.h"

#include <string.h>
#include "colors.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofp_dpfip);

OFP_ASSERT(sizeof(struct nx_action_dpfip) == 32);

/* Set and used only by the thread that handles flow mods. */
static ofp_dpfip_is_known_func *is_known_func;

const char *
dpfip_direction_to_string(enum dpfip_direction direction)
{
    return direction == DPFIP_DNAT ? "dnat" : "snat";
}

static bool
fip_is_valid(const struct in6_addr *fip)
{
    if (IN6_IS_ADDR_V4MAPPED(fip)) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(fip);

        return ip4 != htonl(0) && !ip_is_multicast(ip4)
               && ip4 != htonl(0xffffffff);
    }
    return ipv6_addr_is_set(fip) && !ipv6_addr_is_multicast(fip);
}

enum ofperr
ofp_dpfip_decode(const struct nx_action_dpfip *nad, struct ofpact_dpfip *out)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    if (!is_all_zeros(nad->pad, sizeof nad->pad)) {
        return OFPERR_NXBRC_MUST_BE_ZERO;
    }
    if (nad->direction != DPFIP_DNAT && nad->direction != DPFIP_SNAT) {
        VLOG_WARN_RL(&rl, "dpfip action has unknown direction %"PRIu8,
                     nad->direction);
        return OFPERR_OFPBAC_BAD_ARGUMENT;
    }
    if (!fip_is_valid(&nad->fip)) {
        VLOG_WARN_RL(&rl, "dpfip action has an invalid floating IP");
        return OFPERR_OFPBAC_BAD_ARGUMENT;
    }
    out->direction = nad->direction;
    out->fip = nad->fip;
    return 0;
}

void
ofp_dpfip_encode(const struct ofpact_dpfip *dpfip, struct nx_action_dpfip *nad)
{
    nad->direction = dpfip->direction;
    nad->fip = dpfip->fip;
}

char * OVS_WARN_UNUSED_RESULT
ofp_dpfip_parse(char *arg, struct ofpact_dpfip *dpfip)
{
    bool have_direction = false;
    bool have_fip = false;
    char *key, *value;

    while (ofputil_parse_key_value(&arg, &key, &value)) {
        if (!strcmp(key, "dnat") || !strcmp(key, "snat")) {
            if (value[0]) {
                return xasprintf("dpfip: '%s' takes no value", key);
            }
            if (have_direction) {
                return xstrdup("dpfip: only one of 'dnat' and 'snat' "
                               "may be given");
            }
            dpfip->direction = !strcmp(key, "dnat") ? DPFIP_DNAT : DPFIP_SNAT;
            have_direction = true;
        } else if (!strcmp(key, "fip")) {
            if (have_fip) {
                return xstrdup("dpfip: 'fip' given twice");
            }
            if (!ipv6_parse(value, &dpfip->fip)) {
                ovs_be32 ip4;

                if (!ip_parse(value, &ip4)) {
                    return xasprintf("dpfip: '%s' is not an IPv4 or IPv6 "
                                     "address", value);
                }
                in6_addr_set_mapped_ipv4(&dpfip->fip, ip4);
            }
            if (!fip_is_valid(&dpfip->fip)) {
                return xasprintf("dpfip: '%s' cannot be a floating IP "
                                 "(unspecified, broadcast or multicast)",
                                 value);
            }
            have_fip = true;
        } else {
            return xasprintf("dpfip: unknown argument '%s' (expected 'dnat', "
                             "'snat' or 'fip=ADDRESS')", key);
        }
    }
    if (!have_direction) {
        return xstrdup("dpfip: one of 'dnat' and 'snat' is required");
    }
    if (!have_fip) {
        return xstrdup("dpfip: 'fip=ADDRESS' is required");
    }
    return NULL;
}

void
ofp_dpfip_format(const struct ofpact_dpfip *dpfip, struct ds *s)
{
    ds_put_format(s, "%sdpfip(%s%s,%sfip=%s", colors.paren, colors.end,
                  dpfip_direction_to_string(dpfip->direction),
                  colors.param, colors.end);
    ipv6_format_mapped(&dpfip->fip, s);
    ds_put_format(s, "%s)%s", colors.paren, colors.end);
}

enum ofperr
ofp_dpfip_check(const struct ofpact_dpfip *dpfip)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    if (is_known_func && !is_known_func(&dpfip->fip)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ipv6_format_mapped(&dpfip->fip, &s);
        VLOG_WARN_RL(&rl, "refusing dpfip(%s,fip=%s): %s is not a configured "
                     "floating IP", dpfip_direction_to_string(
                         dpfip->direction), ds_cstr(&s), ds_cstr(&s));
        ds_destroy(&s);
        return OFPERR_OFPBAC_BAD_ARGUMENT;
    }
    return 0;
}

/* OVS never runs ofpacts_check() on a group's buckets (they have no match to
 * check against), so ofputil_decode_group_mod() calls this: a bucket naming
 * an unknown floating IP, nested actions included, is refused like a
 * flow_mod with ofp_dpfip_check()'s error and log. */
enum ofperr
ofp_dpfip_check_group_buckets(const struct ovs_list *buckets)
{
    const struct ofputil_bucket *bucket;

    LIST_FOR_EACH (bucket, list_node, buckets) {
        const struct ofpact *a;

        OFPACT_FOR_EACH_FLATTENED (a, bucket->ofpacts, bucket->ofpacts_len) {
            if (a->type == OFPACT_DPFIP) {
                enum ofperr error = ofp_dpfip_check(ofpact_get_DPFIP(a));

                if (error) {
                    return error;
                }
            }
        }
    }
    return 0;
}

void
ofp_dpfip_set_is_known(ofp_dpfip_is_known_func *func)
{
    is_known_func = func;
}
