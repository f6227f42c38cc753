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
#include "dpfip-config.h"

#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "smap.h"
#include "socket-util.h"
#include "sset.h"
#include "util.h"

const char *
dpfip_family_to_string(enum dpfip_family family)
{
    return family == DPFIP_IPV4 ? "IPv4" : "IPv6";
}

/* Parses 's' as an IPv4 or IPv6 address into 'addr' (IPv4-mapped for
 * IPv4) and its family. */
bool
dpfip_addr_parse(const char *s, struct in6_addr *addr,
                 enum dpfip_family *family)
{
    ovs_be32 ip4;

    if (ip_parse(s, &ip4)) {
        in6_addr_set_mapped_ipv4(addr, ip4);
        *family = DPFIP_IPV4;
        return true;
    }
    if (strchr(s, ':') && ipv6_parse(s, addr)
        && !IN6_IS_ADDR_V4MAPPED(addr)) {
        *family = DPFIP_IPV6;
        return true;
    }
    return false;
}

void
dpfip_addr_format(const struct in6_addr *addr, struct ds *s)
{
    ipv6_format_mapped(addr, s);
}

/* Returns NULL if 'addr' can be a unicast host address, else why not. */
static const char *
addr_unusable(const struct in6_addr *addr, enum dpfip_family family)
{
    if (family == DPFIP_IPV4) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(addr);

        if (!ip4) {
            return "is unspecified";
        } else if (ip_is_multicast(ip4)) {
            return "is multicast";
        } else if (ip4 == htonl(0xffffffff)) {
            return "is broadcast";
        } else if ((ntohl(ip4) >> 24) == 127) {
            return "is loopback";
        }
    } else {
        if (!ipv6_addr_is_set(addr)) {
            return "is unspecified";
        } else if (ipv6_addr_is_multicast(addr)) {
            return "is multicast";
        } else if (ipv6_addr_equals(addr, &in6addr_loopback)) {
            return "is loopback";
        }
    }
    return NULL;
}

static char * OVS_WARN_UNUSED_RESULT
parse_unicast_mac(const struct smap *cfg, const char *key,
                  bool *has, struct eth_addr *mac)
{
    const char *s = smap_get(cfg, key);

    *has = false;
    if (!s) {
        return NULL;
    }
    if (!eth_addr_from_string(s, mac)) {
        return xasprintf("%s: '%s' is not a MAC address", key, s);
    }
    if (eth_addr_is_zero(*mac) || eth_addr_is_multicast(*mac)) {
        return xasprintf("%s: '%s' is not a unicast MAC address", key, s);
    }
    *has = true;
    return NULL;
}

/* Parses a comma-separated list of at most one address per family, each
 * with "/PLEN" if 'plens' is nonnull. */
static char * OVS_WARN_UNUSED_RESULT
parse_addr_list(const struct smap *cfg, const char *key,
                bool has[DPFIP_N_FAMILIES],
                struct in6_addr addrs[DPFIP_N_FAMILIES],
                int plens[DPFIP_N_FAMILIES])
{
    const char *value = smap_get(cfg, key);
    char *error = NULL;

    memset(has, 0, DPFIP_N_FAMILIES * sizeof *has);
    if (!value) {
        return NULL;
    }

    char *copy = xstrdup(value);
    char *save_ptr = NULL;
    for (char *token = strtok_r(copy, ", ", &save_ptr); token && !error;
         token = strtok_r(NULL, ", ", &save_ptr)) {
        enum dpfip_family family;
        struct in6_addr addr;
        const char *why;
        int plen = 0;

        if (plens) {
            char *slash = strchr(token, '/');
            int n = 0;

            if (!slash || sscanf(slash + 1, "%d%n", &plen, &n) != 1
                || slash[1 + n] || plen < 0) {
                error = xasprintf("%s: '%s' is not ADDRESS/PREFIX-LENGTH",
                                  key, token);
                break;
            }
            *slash = '\0';
        }
        if (!dpfip_addr_parse(token, &addr, &family)) {
            error = xasprintf("%s: '%s' is not an IPv4 or IPv6 address",
                              key, token);
        } else if ((why = addr_unusable(&addr, family))) {
            error = xasprintf("%s: '%s' %s", key, token, why);
        } else if (plens && plen > (family == DPFIP_IPV4 ? 32 : 128)) {
            error = xasprintf("%s: prefix length %d is too long for %s",
                              key, plen, dpfip_family_to_string(family));
        } else if (has[family]) {
            error = xasprintf("%s: more than one %s address", key,
                              dpfip_family_to_string(family));
        } else {
            has[family] = true;
            addrs[family] = addr;
            if (plens) {
                plens[family] = plen;
            }
        }
    }
    if (!error && !has[DPFIP_IPV4] && !has[DPFIP_IPV6]) {
        error = xasprintf("%s: '%s' has no address", key, value);
    }
    free(copy);
    return error;
}

/* Returns true if 'other_config' of a bridge has any dpfip key. */
bool
dpfip_bridge_cfg_is_wanted(const struct smap *other_config)
{
    const struct smap_node *node;

    SMAP_FOR_EACH (node, other_config) {
        if (!strncmp(node->key, "dpfip-", 6)) {
            return true;
        }
    }
    return false;
}

static void
add_error(struct ds *errors, char *error)
{
    if (error) {
        if (errors->length) {
            ds_put_cstr(errors, "; ");
        }
        ds_put_cstr(errors, error);
        free(error);
    }
}

/* Parses the dpfip keys of a bridge's 'other_config' into 'cfg'.  Returns
 * NULL if they are usable, otherwise every problem found, each naming its
 * key; the caller frees it.  Either way 'cfg' is initialized. */
char *
dpfip_bridge_cfg_parse(const struct smap *other_config,
                       struct dpfip_bridge_cfg *cfg)
{
    struct ds errors = DS_EMPTY_INITIALIZER;
    const char *uplink = smap_get(other_config, "dpfip-uplink");
    const char *count;

    memset(cfg, 0, sizeof *cfg);
    if (uplink && uplink[0]) {
        cfg->uplink = xstrdup(uplink);
    } else {
        add_error(&errors, xstrdup("dpfip-uplink is not set"));
    }

    if (!smap_get(other_config, "dpfip-gateway")) {
        add_error(&errors, xstrdup("dpfip-gateway is not set"));
    }
    add_error(&errors, parse_addr_list(other_config, "dpfip-gateway",
                                       cfg->has_gw, cfg->gw, NULL));
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-gateway-mac",
                                         &cfg->has_gw_mac, &cfg->gw_mac));
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-external-mac",
                                         &cfg->has_ext_mac, &cfg->ext_mac));
    add_error(&errors, parse_addr_list(other_config, "dpfip-router",
                                       cfg->has_router, cfg->router,
                                       cfg->router_plen));
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-router-mac",
                                         &cfg->has_router_mac,
                                         &cfg->router_mac));
    if (!cfg->has_router_mac && !smap_get(other_config, "dpfip-router-mac")) {
        add_error(&errors, xstrdup("dpfip-router-mac is not set"));
    }

    cfg->announce_count = DPFIP_ANNOUNCE_COUNT_DEFAULT;
    count = smap_get(other_config, "dpfip-announce-count");
    if (count) {
        unsigned int n;

        if (!str_to_uint(count, 10, &n) || n > DPFIP_ANNOUNCE_COUNT_MAX) {
            add_error(&errors, xasprintf("dpfip-announce-count: '%s' is not "
                                         "an integer from 0 to %d", count,
                                         DPFIP_ANNOUNCE_COUNT_MAX));
        } else {
            cfg->announce_count = n;
        }
    }

    if (!errors.length) {
        ds_destroy(&errors);
        return NULL;
    }
    return ds_steal_cstr(&errors);
}

void
dpfip_bridge_cfg_destroy(struct dpfip_bridge_cfg *cfg)
{
    if (cfg) {
        free(cfg->uplink);
        cfg->uplink = NULL;
    }
}

/* Splits an Interface's dpfip-fips value into its FLOATING=FIXED items. */
void
dpfip_split_fips(const char *value, struct sset *pairs)
{
    char *copy = xstrdup(value);
    char *save_ptr = NULL;

    for (char *token = strtok_r(copy, ", \t", &save_ptr); token;
         token = strtok_r(NULL, ", \t", &save_ptr)) {
        sset_add(pairs, token);
    }
    free(copy);
}

/* Parses 'text', one FLOATING=FIXED item, into 'pair'.  On error,
 * 'pair->error' says why. */
void
dpfip_pair_cfg_parse(const char *text, struct dpfip_pair_cfg *pair)
{
    enum dpfip_family ffam, xfam;
    const char *eq = strchr(text, '=');
    const char *why;

    memset(pair, 0, sizeof *pair);
    if (!eq) {
        pair->error = xasprintf("'%s' is not FLOATING=FIXED", text);
        return;
    }

    char *floating = xmemdup0(text, eq - text);
    const char *fixed = eq + 1;
    if (!dpfip_addr_parse(floating, &pair->floating, &ffam)) {
        pair->error = xasprintf("floating address '%s' is not an IPv4 or "
                                "IPv6 address", floating);
    } else if (!dpfip_addr_parse(fixed, &pair->fixed, &xfam)) {
        pair->error = xasprintf("fixed address '%s' is not an IPv4 or IPv6 "
                                "address", fixed);
    } else if (ffam != xfam) {
        pair->error = xasprintf("floating %s and fixed %s are of different "
                                "address families", floating, fixed);
    } else if ((why = addr_unusable(&pair->floating, ffam))) {
        pair->error = xasprintf("floating address %s %s", floating, why);
    } else if ((why = addr_unusable(&pair->fixed, xfam))) {
        pair->error = xasprintf("fixed address %s %s", fixed, why);
    } else if (ipv6_addr_equals(&pair->floating, &pair->fixed)) {
        pair->error = xasprintf("floating and fixed address are both %s",
                                floating);
    } else {
        pair->family = ffam;
    }
    free(floating);
}

void
dpfip_pair_cfg_destroy(struct dpfip_pair_cfg *pair)
{
    if (pair) {
        free(pair->error);
        pair->error = NULL;
    }
}

/* Finds the VM's MAC: other_config:dpfip-mac if set, else the OpenStack/OVN
 * convention external_ids:attached-mac.  Returns NULL on success, else why
 * there is no usable MAC (the caller frees it). */
char *
dpfip_vm_mac_parse(const struct smap *external_ids,
                   const struct smap *other_config, struct eth_addr *mac)
{
    const char *key = "other_config:dpfip-mac";
    const char *s = smap_get(other_config, "dpfip-mac");

    if (!s) {
        key = "external_ids:attached-mac";
        s = smap_get(external_ids, "attached-mac");
    }
    if (!s) {
        return xstrdup("no VM MAC: set external_ids:attached-mac or "
                       "other_config:dpfip-mac");
    }
    if (!eth_addr_from_string(s, mac)) {
        return xasprintf("%s: '%s' is not a MAC address", key, s);
    }
    if (eth_addr_is_zero(*mac) || eth_addr_is_multicast(*mac)) {
        return xasprintf("%s: '%s' is not a unicast MAC address", key, s);
    }
    return NULL;
}
