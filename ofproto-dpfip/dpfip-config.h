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

#ifndef DPFIP_CONFIG_H
#define DPFIP_CONFIG_H 1

/* OVSDB other_config keys -> validated dpfip configuration.  Every error
 * names the key and the reason, so that it can be logged and shown by
 * dpfip/show as is. */

#include <stdbool.h>
#include <netinet/in.h>
#include "packets.h"

struct ds;
struct smap;
struct sset;

enum dpfip_family {
    DPFIP_IPV4,
    DPFIP_IPV6,
};
#define DPFIP_N_FAMILIES 2

const char *dpfip_family_to_string(enum dpfip_family);

/* Bridge other_config. */
struct dpfip_bridge_cfg {
    char *uplink;                               /* dpfip-uplink. */
    bool has_gw[DPFIP_N_FAMILIES];              /* dpfip-gateway. */
    struct in6_addr gw[DPFIP_N_FAMILIES];
    bool has_gw_mac;                            /* dpfip-gateway-mac. */
    struct eth_addr gw_mac;
    bool has_ext_mac;                           /* dpfip-external-mac. */
    struct eth_addr ext_mac;
    bool has_router[DPFIP_N_FAMILIES];          /* dpfip-router. */
    struct in6_addr router[DPFIP_N_FAMILIES];
    int router_plen[DPFIP_N_FAMILIES];
    bool has_router_mac;                        /* dpfip-router-mac. */
    struct eth_addr router_mac;
    unsigned int announce_count;                /* dpfip-announce-count. */
};

#define DPFIP_ANNOUNCE_COUNT_DEFAULT 5
#define DPFIP_ANNOUNCE_COUNT_MAX 100

bool dpfip_bridge_cfg_is_wanted(const struct smap *other_config);
char *dpfip_bridge_cfg_parse(const struct smap *other_config,
                             struct dpfip_bridge_cfg *)
    OVS_WARN_UNUSED_RESULT;
void dpfip_bridge_cfg_destroy(struct dpfip_bridge_cfg *);

/* One FLOATING=FIXED pair of Interface other_config:dpfip-fips. */
struct dpfip_pair_cfg {
    struct in6_addr floating;           /* IPv4 is IPv4-mapped. */
    struct in6_addr fixed;              /* IPv4 is IPv4-mapped. */
    enum dpfip_family family;
    char *error;                        /* Why unusable, or NULL. */
};

void dpfip_split_fips(const char *value, struct sset *pairs);
void dpfip_pair_cfg_parse(const char *text, struct dpfip_pair_cfg *);
void dpfip_pair_cfg_destroy(struct dpfip_pair_cfg *);

char *dpfip_vm_mac_parse(const struct smap *external_ids,
                         const struct smap *other_config,
                         struct eth_addr *)
    OVS_WARN_UNUSED_RESULT;

/* Address helpers: IPv4 addresses are kept IPv4-mapped. */
bool dpfip_addr_parse(const char *, struct in6_addr *, enum dpfip_family *);
void dpfip_addr_format(const struct in6_addr *, struct ds *);

#endif /* dpfip-config.h */
