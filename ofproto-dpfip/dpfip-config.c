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

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "smap.h"
#include "socket-util.h"
#include "sset.h"
#include "util.h"

/* Addresses. */

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

/* Parses exactly six groups of one or two hex digits separated by ':'.
 * Stricter than eth_addr_from_string(), which reads "02:00:00:00:00:011"
 * as ...:11 and ignores trailing text. */
bool
dpfip_mac_parse(const char *s, struct eth_addr *mac)
{
    for (int i = 0; i < ETH_ADDR_LEN; i++) {
        int n = 0;
        unsigned int byte = 0;

        while (n < 2 && isxdigit((unsigned char) s[n])) {
            byte = byte * 16 + (isdigit((unsigned char) s[n])
                                ? s[n] - '0'
                                : tolower((unsigned char) s[n]) - 'a' + 10);
            n++;
        }
        if (!n || s[n] != (i < ETH_ADDR_LEN - 1 ? ':' : '\0')) {
            return false;
        }
        mac->ea[i] = byte;
        s += n + 1;
    }
    return true;
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

/* Prefixes. */

struct in6_addr
dpfip_prefix_mask(enum dpfip_family family, unsigned int plen)
{
    return ipv6_create_mask(family == DPFIP_IPV4 ? 96 + plen : plen);
}

bool
dpfip_prefix_contains(const struct dpfip_prefix *p, const struct in6_addr *a)
{
    struct in6_addr mask = dpfip_prefix_mask(p->family, p->plen);
    struct in6_addr x = ipv6_addr_bitand(a, &mask);
    struct in6_addr y = ipv6_addr_bitand(&p->addr, &mask);

    return (IN6_IS_ADDR_V4MAPPED(a) == (p->family == DPFIP_IPV4)
            && ipv6_addr_equals(&x, &y));
}

static int
compare_prefixes(const void *a_, const void *b_)
{
    const struct dpfip_prefix *a = a_, *b = b_;
    int cmp = memcmp(&a->addr, &b->addr, sizeof a->addr);

    return (a->family != b->family ? (int) a->family - (int) b->family
            : cmp ? cmp
            : a->plen < b->plen ? -1 : a->plen > b->plen);
}

/* Builds a set from 'n' prefixes (host bits are cleared), sorted, without
 * duplicates. */
static struct dpfip_prefixes *
prefixes_create(const struct dpfip_prefix *p, size_t n)
{
    struct dpfip_prefixes *set = xzalloc(sizeof *set + n * sizeof *p);

    ovs_refcount_init(&set->ref_cnt);
    for (size_t i = 0; i < n; i++) {
        struct in6_addr mask = dpfip_prefix_mask(p[i].family, p[i].plen);

        set->p[i] = p[i];
        set->p[i].addr = ipv6_addr_bitand(&p[i].addr, &mask);
    }
    qsort(set->p, n, sizeof *p, compare_prefixes);
    for (size_t i = 0; i < n; i++) {
        if (!set->n || compare_prefixes(&set->p[set->n - 1], &set->p[i])) {
            set->p[set->n++] = set->p[i];
        }
    }
    return set;
}

struct dpfip_prefixes *
dpfip_prefixes_ref(const struct dpfip_prefixes *set_)
{
    struct dpfip_prefixes *set = CONST_CAST(struct dpfip_prefixes *, set_);

    if (set) {
        ovs_refcount_ref(&set->ref_cnt);
    }
    return set;
}

void
dpfip_prefixes_unref(struct dpfip_prefixes *set)
{
    if (set && ovs_refcount_unref_relaxed(&set->ref_cnt) == 1) {
        free(set);
    }
}

bool
dpfip_prefixes_equal(const struct dpfip_prefixes *a,
                     const struct dpfip_prefixes *b)
{
    size_t na = a ? a->n : 0;
    size_t nb = b ? b->n : 0;

    return (a == b
            || (na == nb
                && (!na || !memcmp(a->p, b->p, na * sizeof a->p[0]))));
}

/* Returns the first prefix of 'set' of 'family' that contains 'addr'. */
const struct dpfip_prefix *
dpfip_prefixes_find(const struct dpfip_prefixes *set,
                    enum dpfip_family family, const struct in6_addr *addr)
{
    for (size_t i = 0; set && i < set->n; i++) {
        if (set->p[i].family == family
            && dpfip_prefix_contains(&set->p[i], addr)) {
            return &set->p[i];
        }
    }
    return NULL;
}

size_t
dpfip_prefixes_count(const struct dpfip_prefixes *set,
                     enum dpfip_family family)
{
    size_t n = 0;

    for (size_t i = 0; set && i < set->n; i++) {
        n += set->p[i].family == family;
    }
    return n;
}

void
dpfip_prefixes_format(const struct dpfip_prefixes *set, struct ds *s)
{
    if (!set || !set->n) {
        ds_put_cstr(s, "none");
        return;
    }
    for (size_t i = 0; i < set->n; i++) {
        if (i) {
            ds_put_char(s, ',');
        }
        dpfip_addr_format(&set->p[i].addr, s);
        ds_put_format(s, "/%u", set->p[i].plen);
    }
}

/* Value parsers.  Each returns NULL or an error that names 'key'. */

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

static char *
finish_errors(struct ds *errors)
{
    if (!errors->length) {
        ds_destroy(errors);
        return NULL;
    }
    return ds_steal_cstr(errors);
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
    if (!dpfip_mac_parse(s, mac)) {
        return xasprintf("%s: '%s' is not a MAC address", key, s);
    }
    if (eth_addr_is_zero(*mac) || eth_addr_is_multicast(*mac)) {
        return xasprintf("%s: '%s' is not a unicast MAC address", key, s);
    }
    *has = true;
    return NULL;
}

/* Parses "ADDRESS" or, with 'plen', "ADDRESS/PREFIX-LENGTH" (length from 1
 * to the family's full length: /0 would cover every destination). */
static char * OVS_WARN_UNUSED_RESULT
parse_prefix(const char *key, const char *token_, bool want_plen,
             struct dpfip_prefix *p)
{
    char *token = xstrdup(token_);
    char *slash = strchr(token, '/');
    char *error = NULL;
    const char *why;
    int plen = -1;

    memset(p, 0, sizeof *p);
    if (want_plen) {
        int n = 0;

        if (!slash || sscanf(slash + 1, "%d%n", &plen, &n) != 1
            || slash[1 + n] || !isdigit((unsigned char) slash[1])) {
            error = xasprintf("%s: '%s' is not ADDRESS/PREFIX-LENGTH",
                              key, token_);
            goto out;
        }
        *slash = '\0';
    } else if (slash) {
        error = xasprintf("%s: '%s' is not an address", key, token_);
        goto out;
    }
    if (!dpfip_addr_parse(token, &p->addr, &p->family)) {
        error = xasprintf("%s: '%s' is not an IPv4 or IPv6 address",
                          key, token);
    } else if ((why = addr_unusable(&p->addr, p->family))) {
        error = xasprintf("%s: '%s' %s", key, token, why);
    } else if (want_plen
               && (plen < 1 || plen > (p->family == DPFIP_IPV4 ? 32 : 128))) {
        error = xasprintf("%s: prefix length %d is out of range for %s "
                          "(1 to %d)", key, plen,
                          dpfip_family_to_string(p->family),
                          p->family == DPFIP_IPV4 ? 32 : 128);
    } else {
        p->plen = want_plen ? plen : (p->family == DPFIP_IPV4 ? 32 : 128);
    }
out:
    free(token);
    return error;
}

/* Calls 'cb' for each comma- or space-separated token of 'value'. */
#define FOR_EACH_TOKEN(TOKEN, SAVE, COPY, VALUE)                        \
    for (char *COPY = xstrdup(VALUE), *SAVE = NULL,                     \
              *TOKEN = strtok_r(COPY, ", \t", &SAVE);                   \
         TOKEN || (free(COPY), false);                                  \
         TOKEN = strtok_r(NULL, ", \t", &SAVE))

/* Parses a list of at most one address per family, with prefix lengths if
 * 'want_plen'. */
static char * OVS_WARN_UNUSED_RESULT
parse_addr_list(const struct smap *cfg, const char *key, bool want_plen,
                bool has[DPFIP_N_FAMILIES],
                struct dpfip_prefix addrs[DPFIP_N_FAMILIES])
{
    const char *value = smap_get(cfg, key);
    struct ds errors = DS_EMPTY_INITIALIZER;

    memset(has, 0, DPFIP_N_FAMILIES * sizeof *has);
    if (!value) {
        return NULL;
    }
    FOR_EACH_TOKEN (token, save, copy, value) {
        struct dpfip_prefix p;
        char *error = parse_prefix(key, token, want_plen, &p);

        if (!error && has[p.family]) {
            error = xasprintf("%s: more than one %s address", key,
                              dpfip_family_to_string(p.family));
        }
        if (error) {
            add_error(&errors, error);
        } else {
            has[p.family] = true;
            addrs[p.family] = p;
        }
    }
    if (!errors.length && !has[DPFIP_IPV4] && !has[DPFIP_IPV6]) {
        ds_put_format(&errors, "%s: '%s' has no address", key, value);
    }
    return finish_errors(&errors);
}

static char * OVS_WARN_UNUSED_RESULT
parse_router(const struct smap *cfg, const char *key,
             struct dpfip_router_cfg *router)
{
    return parse_addr_list(cfg, key, true, router->has, router->addr);
}

/* dpfip-internal: any number of prefixes of either family. */
#define MAX_INTERNAL_PREFIXES 64

static char * OVS_WARN_UNUSED_RESULT
parse_internal(const struct smap *cfg, const char *key,
               struct dpfip_prefixes **setp)
{
    const char *value = smap_get(cfg, key);
    struct dpfip_prefix p[MAX_INTERNAL_PREFIXES];
    struct ds errors = DS_EMPTY_INITIALIZER;
    size_t n = 0;

    *setp = NULL;
    if (!value) {
        return NULL;
    }
    FOR_EACH_TOKEN (token, save, copy, value) {
        if (n >= MAX_INTERNAL_PREFIXES) {
            if (!errors.length) {
                ds_put_format(&errors, "%s: more than %d prefixes", key,
                              MAX_INTERNAL_PREFIXES);
            }
            continue;
        }
        add_error(&errors, parse_prefix(key, token, true, &p[n]));
        n++;
    }
    if (!errors.length && !n) {
        ds_put_format(&errors, "%s: '%s' has no prefix", key, value);
    }
    if (!errors.length) {
        *setp = prefixes_create(p, n);
    }
    return finish_errors(&errors);
}

/* Filters (dpfip-ingress, dpfip-egress). */

#define MAX_FILTER_ITEMS 64

struct dpfip_filter *
dpfip_filter_ref(const struct dpfip_filter *filter_)
{
    struct dpfip_filter *filter = CONST_CAST(struct dpfip_filter *, filter_);

    if (filter) {
        ovs_refcount_ref(&filter->ref_cnt);
    }
    return filter;
}

void
dpfip_filter_unref(struct dpfip_filter *filter)
{
    if (filter && ovs_refcount_unref_relaxed(&filter->ref_cnt) == 1) {
        free(filter);
    }
}

bool
dpfip_filter_equal(const struct dpfip_filter *a, const struct dpfip_filter *b)
{
    return (a == b
            || (a && b && a->pipeline == b->pipeline && a->n == b->n
                && !memcmp(a->items, b->items, a->n * sizeof *a->items)));
}

/* Whether some item of 'filter' can allow traffic of a FIP of 'family'
 * (the bridge's flows can allow anything). */
bool
dpfip_filter_applies(const struct dpfip_filter *filter,
                     enum dpfip_family family)
{
    if (filter->pipeline) {
        return true;
    }
    for (size_t i = 0; i < filter->n; i++) {
        if (filter->items[i].family[family]) {
            return true;
        }
    }
    return false;
}

static const char *
filter_proto_name(const struct dpfip_filter_item *item)
{
    switch (item->nw_proto) {
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_ICMP:
        return "icmp";
    case IPPROTO_ICMPV6:
        return "icmp6";
    default:
        return "ip";
    }
}

void
dpfip_filter_format(const struct dpfip_filter *filter, struct ds *s)
{
    if (filter->pipeline) {
        ds_put_cstr(s, "pipeline");
    }
    for (size_t i = 0; i < filter->n; i++) {
        const struct dpfip_filter_item *item = &filter->items[i];

        if (i) {
            ds_put_char(s, ',');
        }
        ds_put_cstr(s, filter_proto_name(item));
        if (item->port_min) {
            ds_put_format(s, ":%"PRIu16, item->port_min);
            if (item->port_max != item->port_min) {
                ds_put_format(s, "-%"PRIu16, item->port_max);
            }
        }
        if (item->has_remote) {
            ds_put_char(s, '@');
            dpfip_addr_format(&item->remote.addr, s);
            ds_put_format(s, "/%u", item->remote.plen);
        }
    }
}

static char * OVS_WARN_UNUSED_RESULT
parse_port(const char *key, const char *item, const char *s, uint16_t *port)
{
    unsigned long int n;
    char *end;

    if (!isdigit((unsigned char) *s)) {
        return xasprintf("%s: '%s': '%s' is not a port", key, item, s);
    }
    errno = 0;
    n = strtoul(s, &end, 10);
    if (*end) {
        return xasprintf("%s: '%s': '%s' is not a port", key, item, s);
    }
    if (errno || n < 1 || n > 65535) {
        return xasprintf("%s: '%s': port %s is out of range (1 to 65535)",
                         key, item, s);
    }
    *port = n;
    return NULL;
}

/* Parses one PROTOCOL[:PORT[-PORT]][@PREFIX] item. */
static char * OVS_WARN_UNUSED_RESULT
parse_filter_item(const char *key, const char *item_,
                  struct dpfip_filter_item *item)
{
    char *copy = xstrdup(item_);
    char *remote = strchr(copy, '@');
    char *ports = strchr(copy, ':');
    char *error = NULL;

    memset(item, 0, sizeof *item);
    if (remote) {
        *remote++ = '\0';
    }
    if (ports && (!remote || ports < remote)) {
        *ports++ = '\0';
    } else {
        ports = NULL;
    }

    item->family[DPFIP_IPV4] = item->family[DPFIP_IPV6] = true;
    if (!strcmp(copy, "tcp")) {
        item->nw_proto = IPPROTO_TCP;
    } else if (!strcmp(copy, "udp")) {
        item->nw_proto = IPPROTO_UDP;
    } else if (!strcmp(copy, "icmp")) {
        item->nw_proto = IPPROTO_ICMP;
        item->family[DPFIP_IPV6] = false;
    } else if (!strcmp(copy, "icmp6")) {
        item->nw_proto = IPPROTO_ICMPV6;
        item->family[DPFIP_IPV4] = false;
    } else if (!strcmp(copy, "pipeline")) {
        error = xasprintf("%s: 'pipeline' stands alone (the bridge's flows "
                          "filter), not in a list", key);
        goto out;
    } else if (strcmp(copy, "ip")) {
        error = xasprintf("%s: '%s': '%s' is not a protocol (tcp, udp, icmp, "
                          "icmp6 or ip)", key, item_, copy);
        goto out;
    }

    if (ports) {
        char *dash = strchr(ports, '-');

        if (item->nw_proto != IPPROTO_TCP && item->nw_proto != IPPROTO_UDP) {
            error = xasprintf("%s: '%s': only tcp and udp take a port",
                              key, item_);
            goto out;
        }
        if (dash) {
            *dash++ = '\0';
        }
        error = parse_port(key, item_, ports, &item->port_min);
        if (!error) {
            item->port_max = item->port_min;
            if (dash) {
                error = parse_port(key, item_, dash, &item->port_max);
            }
        }
        if (!error && item->port_max < item->port_min) {
            error = xasprintf("%s: '%s': the port range is empty",
                              key, item_);
        }
        if (error) {
            goto out;
        }
    }

    if (remote) {
        struct in6_addr mask;

        error = parse_prefix(key, remote, strchr(remote, '/') != NULL,
                             &item->remote);
        if (error) {
            goto out;
        }
        if (!item->family[item->remote.family]) {
            error = xasprintf("%s: '%s': %s takes no %s prefix", key, item_,
                              copy, dpfip_family_to_string(
                                  item->remote.family));
            goto out;
        }
        mask = dpfip_prefix_mask(item->remote.family, item->remote.plen);
        item->remote.addr = ipv6_addr_bitand(&item->remote.addr, &mask);
        item->has_remote = true;
        item->family[item->remote.family == DPFIP_IPV4
                     ? DPFIP_IPV6 : DPFIP_IPV4] = false;
    }
out:
    free(copy);
    return error;
}

/* Parses 'value' of filter key 'key' into '*filterp' (NULL on error). */
char *
dpfip_filter_parse(const char *key, const char *value,
                   struct dpfip_filter **filterp)
{
    struct dpfip_filter_item items[MAX_FILTER_ITEMS];
    struct ds errors = DS_EMPTY_INITIALIZER;
    size_t n = 0;

    *filterp = NULL;
    if (!strcmp(value, "pipeline")) {
        struct dpfip_filter *filter = xzalloc(sizeof *filter);

        ovs_refcount_init(&filter->ref_cnt);
        filter->pipeline = true;
        *filterp = filter;
        return NULL;
    }
    FOR_EACH_TOKEN (token, save, copy, value) {
        if (n >= MAX_FILTER_ITEMS) {
            if (!errors.length) {
                ds_put_format(&errors, "%s: more than %d items", key,
                              MAX_FILTER_ITEMS);
            }
            continue;
        }
        add_error(&errors, parse_filter_item(key, token, &items[n]));
        n++;
    }
    if (!errors.length && !n) {
        ds_put_format(&errors, "%s: '%s' has no item", key, value);
    }
    if (!errors.length) {
        struct dpfip_filter *filter = xzalloc(sizeof *filter
                                              + n * sizeof *items);

        ovs_refcount_init(&filter->ref_cnt);
        filter->n = n;
        memcpy(filter->items, items, n * sizeof *items);
        *filterp = filter;
    }
    return finish_errors(&errors);
}

static struct dpfip_prefixes *
router_prefixes(const struct dpfip_router_cfg *router)
{
    struct dpfip_prefix p[DPFIP_N_FAMILIES];
    size_t n = 0;

    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (router->has[i]) {
            p[n++] = router->addr[i];
        }
    }
    return prefixes_create(p, n);
}

static bool
router_equal(const struct dpfip_router_cfg *a,
             const struct dpfip_router_cfg *b)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (a->has[i] != b->has[i]
            || (a->has[i] && (!ipv6_addr_equals(&a->addr[i].addr,
                                                &b->addr[i].addr)
                              || a->addr[i].plen != b->addr[i].plen))) {
            return false;
        }
    }
    return true;
}

static bool
router_has_addr(const struct dpfip_router_cfg *router,
                const struct in6_addr *addr)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (router->has[i] && ipv6_addr_equals(&router->addr[i].addr, addr)) {
            return true;
        }
    }
    return false;
}

/* Open_vSwitch other_config. */

const char *
dpfip_offload_mode_to_string(enum dpfip_offload_mode mode)
{
    return mode == DPFIP_OFFLOAD_SOFTWARE ? "software" : "auto";
}

const char *
dpfip_tc_policy_to_string(enum dpfip_tc_policy policy)
{
    return (policy == DPFIP_TC_POLICY_SKIP_SW ? "skip_sw"
            : policy == DPFIP_TC_POLICY_SKIP_HW ? "skip_hw"
            : "none");
}

void
dpfip_global_cfg_init(struct dpfip_global_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->offload = DPFIP_OFFLOAD_AUTO;
    cfg->tc_policy = DPFIP_TC_POLICY_NONE;
    cfg->fused_rewrite = true;
}

/* Updates 'cfg' from 'other_config'.  A key with a bad value keeps its
 * value in 'cfg' (the previous one); the errors name each. */
char *
dpfip_global_cfg_parse(const struct smap *other_config,
                       struct dpfip_global_cfg *cfg)
{
    struct ds errors = DS_EMPTY_INITIALIZER;
    const char *s;

    s = smap_get_def(other_config, "dpfip-enable", "false");
    if (!strcmp(s, "true") || !strcmp(s, "false")) {
        cfg->enabled = !strcmp(s, "true");
    } else {
        ds_put_format(&errors, "dpfip-enable: '%s' is not true or false; "
                      "keeping '%s'", s, cfg->enabled ? "true" : "false");
    }

    s = smap_get_def(other_config, "dpfip-fused-rewrite", "true");
    if (!strcmp(s, "true") || !strcmp(s, "false")) {
        cfg->fused_rewrite = !strcmp(s, "true");
    } else {
        add_error(&errors,
                  xasprintf("dpfip-fused-rewrite: '%s' is not true or false; "
                            "keeping '%s'", s,
                            cfg->fused_rewrite ? "true" : "false"));
    }

    s = smap_get_def(other_config, "dpfip-offload", "auto");
    if (!strcmp(s, "auto")) {
        cfg->offload = DPFIP_OFFLOAD_AUTO;
    } else if (!strcmp(s, "software")) {
        cfg->offload = DPFIP_OFFLOAD_SOFTWARE;
    } else {
        add_error(&errors,
                  xasprintf("dpfip-offload: '%s' is not 'auto' or "
                            "'software'; keeping '%s'", s,
                            dpfip_offload_mode_to_string(cfg->offload)));
    }

    s = smap_get_def(other_config, "tc-policy", "none");
    if (!strcmp(s, "none")) {
        cfg->tc_policy = DPFIP_TC_POLICY_NONE;
    } else if (!strcmp(s, "skip_sw")) {
        cfg->tc_policy = DPFIP_TC_POLICY_SKIP_SW;
    } else if (!strcmp(s, "skip_hw")) {
        cfg->tc_policy = DPFIP_TC_POLICY_SKIP_HW;
    } else {
        add_error(&errors,
                  xasprintf("tc-policy: '%s' is not none, skip_sw or "
                            "skip_hw; dpfip keeps '%s'", s,
                            dpfip_tc_policy_to_string(cfg->tc_policy)));
    }
    return finish_errors(&errors);
}

/* Bridge other_config. */

const char *
dpfip_announce_mode_to_string(enum dpfip_announce_mode mode)
{
    return (mode == DPFIP_ANNOUNCE_BOTH ? "both"
            : mode == DPFIP_ANNOUNCE_BGP ? "bgp"
            : "arp");
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

static char * OVS_WARN_UNUSED_RESULT
parse_uint(const struct smap *cfg, const char *key, unsigned int min,
           unsigned int max, unsigned int *value)
{
    const char *s = smap_get(cfg, key);
    unsigned int n;

    if (!s) {
        return NULL;
    }
    if (!isdigit((unsigned char) s[0]) || !str_to_uint(s, 10, &n)
        || n < min || n > max) {
        return xasprintf("%s: '%s' is not an integer from %u to %u", key, s,
                         min, max);
    }
    *value = n;
    return NULL;
}

/* Checks that do not concern one key alone. */
static void
check_bridge(const struct dpfip_bridge_cfg *cfg, const char *internal_key,
             struct ds *errors)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        const struct dpfip_prefix *p;
        struct ds s = DS_EMPTY_INITIALIZER;

        if (!cfg->has_gw[i]) {
            continue;
        }
        dpfip_addr_format(&cfg->gw[i], &s);
        if (router_has_addr(&cfg->router, &cfg->gw[i])) {
            add_error(errors, xasprintf("dpfip-gateway: %s is also the "
                                        "router's address (dpfip-router)",
                                        ds_cstr(&s)));
        } else if ((p = dpfip_prefixes_find(cfg->internal, i, &cfg->gw[i]))) {
            struct ds ps = DS_EMPTY_INITIALIZER;

            dpfip_addr_format(&p->addr, &ps);
            add_error(errors, xasprintf("%s: %s/%u contains the gateway %s: "
                                        "the provider network cannot be "
                                        "internal", internal_key,
                                        ds_cstr(&ps), p->plen,
                                        ds_cstr(&s)));
            ds_destroy(&ps);
        }
        ds_destroy(&s);
    }
    if (cfg->has_ext_mac && cfg->has_router_mac
        && eth_addr_equals(cfg->ext_mac, cfg->router_mac)) {
        add_error(errors, xstrdup("dpfip-external-mac: equal to "
                                  "dpfip-router-mac (the provider network "
                                  "and the VMs must see different MACs)"));
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
    struct dpfip_prefix gws[DPFIP_N_FAMILIES];
    unsigned int vlan = 0;

    memset(cfg, 0, sizeof *cfg);
    if (uplink && uplink[0]) {
        cfg->uplink = xstrdup(uplink);
    } else {
        add_error(&errors, xstrdup("dpfip-uplink is not set"));
    }
    add_error(&errors, parse_uint(other_config, "dpfip-uplink-vlan", 0, 4094,
                                  &vlan));
    cfg->uplink_vlan = vlan;

    if (!smap_get(other_config, "dpfip-gateway")) {
        add_error(&errors, xstrdup("dpfip-gateway is not set"));
    } else {
        add_error(&errors, parse_addr_list(other_config, "dpfip-gateway",
                                           false, cfg->has_gw, gws));
        for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
            cfg->gw[i] = gws[i].addr;
        }
    }
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-gateway-mac",
                                         &cfg->has_gw_mac, &cfg->gw_mac));
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-external-mac",
                                         &cfg->has_ext_mac, &cfg->ext_mac));
    if (smap_get(other_config, "dpfip-router")) {
        add_error(&errors, parse_router(other_config, "dpfip-router",
                                        &cfg->router));
    }
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-router-mac",
                                         &cfg->has_router_mac,
                                         &cfg->router_mac));
    add_error(&errors, parse_internal(other_config, "dpfip-internal",
                                      &cfg->internal));
    if (!cfg->internal) {
        cfg->internal = router_prefixes(&cfg->router);
    }

    cfg->announce_count = DPFIP_ANNOUNCE_COUNT_DEFAULT;
    add_error(&errors, parse_uint(other_config, "dpfip-announce-count", 0,
                                  DPFIP_ANNOUNCE_COUNT_MAX,
                                  &cfg->announce_count));

    const char *mode = smap_get_def(other_config, "dpfip-announce", "arp");
    cfg->announce = DPFIP_ANNOUNCE_ARP;
    if (!strcmp(mode, "bgp")) {
        cfg->announce = DPFIP_ANNOUNCE_BGP;
    } else if (!strcmp(mode, "both")) {
        cfg->announce = DPFIP_ANNOUNCE_BOTH;
    } else if (strcmp(mode, "arp")) {
        add_error(&errors, xasprintf("dpfip-announce: '%s' is not arp, bgp "
                                     "or both", mode));
    }
    cfg->route_table = nullable_xstrdup(smap_get(other_config,
                                                 "dpfip-route-table"));

    if (!errors.length) {
        check_bridge(cfg, (smap_get(other_config, "dpfip-internal")
                           ? "dpfip-internal" : "dpfip-router"), &errors);
    }
    return finish_errors(&errors);
}

bool
dpfip_bridge_cfg_equal(const struct dpfip_bridge_cfg *a,
                       const struct dpfip_bridge_cfg *b)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (a->has_gw[i] != b->has_gw[i]
            || (a->has_gw[i] && !ipv6_addr_equals(&a->gw[i], &b->gw[i]))) {
            return false;
        }
    }
    return (nullable_string_is_equal(a->uplink, b->uplink)
            && a->uplink_vlan == b->uplink_vlan
            && a->has_gw_mac == b->has_gw_mac
            && (!a->has_gw_mac || eth_addr_equals(a->gw_mac, b->gw_mac))
            && a->has_ext_mac == b->has_ext_mac
            && (!a->has_ext_mac || eth_addr_equals(a->ext_mac, b->ext_mac))
            && router_equal(&a->router, &b->router)
            && a->has_router_mac == b->has_router_mac
            && (!a->has_router_mac
                || eth_addr_equals(a->router_mac, b->router_mac))
            && dpfip_prefixes_equal(a->internal, b->internal)
            && a->announce_count == b->announce_count
            && a->announce == b->announce
            && nullable_string_is_equal(a->route_table, b->route_table));
}

void
dpfip_bridge_cfg_destroy(struct dpfip_bridge_cfg *cfg)
{
    if (cfg) {
        free(cfg->uplink);
        cfg->uplink = NULL;
        free(cfg->route_table);
        cfg->route_table = NULL;
        dpfip_prefixes_unref(cfg->internal);
        cfg->internal = NULL;
    }
}

/* Interface keys. */

/* Finds the VM's MAC: other_config:dpfip-mac if set, else the OpenStack/OVN
 * convention external_ids:attached-mac. */
static char *
parse_vm_mac(const struct smap *external_ids, const struct smap *other_config,
             struct eth_addr *mac)
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
    if (!dpfip_mac_parse(s, mac)) {
        return xasprintf("%s: '%s' is not a MAC address", key, s);
    }
    if (eth_addr_is_zero(*mac) || eth_addr_is_multicast(*mac)) {
        return xasprintf("%s: '%s' is not a unicast MAC address", key, s);
    }
    return NULL;
}

char *
dpfip_iface_cfg_parse(const struct smap *external_ids,
                      const struct smap *other_config,
                      struct dpfip_iface_cfg *cfg)
{
    struct ds errors = DS_EMPTY_INITIALIZER;

    memset(cfg, 0, sizeof *cfg);
    add_error(&errors, parse_vm_mac(external_ids, other_config,
                                    &cfg->vm_mac));
    if (smap_get(other_config, "dpfip-router")) {
        char *error = parse_router(other_config, "dpfip-router",
                                   &cfg->router);

        cfg->has_router = !error;
        add_error(&errors, error);
    }
    add_error(&errors, parse_unicast_mac(other_config, "dpfip-router-mac",
                                         &cfg->has_router_mac,
                                         &cfg->router_mac));
    add_error(&errors, parse_internal(other_config, "dpfip-internal",
                                      &cfg->internal));

    const char *ingress = smap_get(other_config, "dpfip-ingress");
    const char *egress = smap_get(other_config, "dpfip-egress");
    if (ingress) {
        add_error(&errors, dpfip_filter_parse("dpfip-ingress", ingress,
                                              &cfg->ingress));
    }
    if (egress) {
        add_error(&errors, dpfip_filter_parse("dpfip-egress", egress,
                                              &cfg->egress));
    }
    add_error(&errors, parse_uint(other_config, "dpfip-mtu", DPFIP_MIN_MTU,
                                  UINT16_MAX, &cfg->mtu));
    return finish_errors(&errors);
}

/* Why a FIP of 'family' cannot work with the interface's filters (an
 * allow-list with nothing for its family) or its dpfip-mtu, or NULL. */
char *
dpfip_iface_cfg_check_family(const struct dpfip_iface_cfg *cfg,
                             enum dpfip_family family)
{
    if (cfg->ingress && !dpfip_filter_applies(cfg->ingress, family)) {
        return xasprintf("dpfip-ingress: no item applies to %s",
                         dpfip_family_to_string(family));
    }
    if (cfg->egress && !dpfip_filter_applies(cfg->egress, family)) {
        return xasprintf("dpfip-egress: no item applies to %s",
                         dpfip_family_to_string(family));
    }
    if (family == DPFIP_IPV6 && cfg->mtu && cfg->mtu < DPFIP_MIN_MTU_IPV6) {
        return xasprintf("dpfip-mtu: %u is below IPv6's minimum MTU (%d)",
                         cfg->mtu, DPFIP_MIN_MTU_IPV6);
    }
    return NULL;
}

bool
dpfip_iface_cfg_equal(const struct dpfip_iface_cfg *a,
                      const struct dpfip_iface_cfg *b)
{
    return (eth_addr_equals(a->vm_mac, b->vm_mac)
            && a->has_router == b->has_router
            && router_equal(&a->router, &b->router)
            && a->has_router_mac == b->has_router_mac
            && (!a->has_router_mac
                || eth_addr_equals(a->router_mac, b->router_mac))
            && dpfip_prefixes_equal(a->internal, b->internal)
            && dpfip_filter_equal(a->ingress, b->ingress)
            && dpfip_filter_equal(a->egress, b->egress)
            && a->mtu == b->mtu);
}

void
dpfip_iface_cfg_destroy(struct dpfip_iface_cfg *cfg)
{
    if (cfg) {
        dpfip_prefixes_unref(cfg->internal);
        cfg->internal = NULL;
        dpfip_filter_unref(cfg->ingress);
        cfg->ingress = NULL;
        dpfip_filter_unref(cfg->egress);
        cfg->egress = NULL;
    }
}

/* Resolves the routing context of an interface of a bridge (see
 * dpfip-config.h).  Returns NULL or why the interface cannot work; either
 * way 'ctx' is initialized. */
char *
dpfip_iface_cfg_resolve(const struct dpfip_iface_cfg *iface,
                        const struct dpfip_bridge_cfg *br,
                        struct dpfip_route_ctx *ctx)
{
    bool own_router = iface->has_router_mac || iface->has_router;

    memset(ctx, 0, sizeof *ctx);
    if (iface->has_router_mac) {
        ctx->router_mac = iface->router_mac;
    } else if (br->has_router_mac) {
        ctx->router_mac = br->router_mac;
    } else {
        return xstrdup("dpfip-router-mac is set neither on the interface nor "
                       "on its bridge");
    }
    if (iface->has_router) {
        ctx->answered = iface->router;
    } else if (!own_router) {
        ctx->answered = br->router;
    }
    ctx->internal = dpfip_prefixes_ref(iface->internal
                                       ? iface->internal
                                       : iface->has_router
                                       ? NULL : br->internal);
    if (!ctx->internal) {
        ctx->internal = router_prefixes(&iface->router);
    }

    if (eth_addr_equals(ctx->router_mac, iface->vm_mac)) {
        return xasprintf("the VM's MAC "ETH_ADDR_FMT" is the router's MAC",
                         ETH_ADDR_ARGS(iface->vm_mac));
    }
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (br->has_gw[i] && router_has_addr(&ctx->answered, &br->gw[i])) {
            return xstrdup("dpfip-router: the gateway's address is also "
                           "the router's");
        }
        if (br->has_gw[i] && dpfip_prefixes_find(ctx->internal, i,
                                                 &br->gw[i])) {
            return xstrdup("dpfip-internal: a prefix contains the gateway: "
                           "the provider network cannot be internal");
        }
    }
    return NULL;
}

void
dpfip_route_ctx_destroy(struct dpfip_route_ctx *ctx)
{
    if (ctx) {
        dpfip_prefixes_unref(ctx->internal);
        ctx->internal = NULL;
    }
}

/* dpfip-fips. */

char **
dpfip_split_fips(const char *value, size_t *np)
{
    struct sset seen = SSET_INITIALIZER(&seen);
    size_t n = 0, allocated = 0;
    char **items = NULL;

    FOR_EACH_TOKEN (token, save, copy, value) {
        if (sset_add(&seen, token)) {
            if (n >= allocated) {
                items = x2nrealloc(items, &allocated, sizeof *items);
            }
            items[n++] = xstrdup(token);
        }
    }
    sset_destroy(&seen);
    *np = n;
    return items;
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

char *
dpfip_pair_check(const struct dpfip_pair_cfg *pair,
                 const struct dpfip_bridge_cfg *br,
                 const struct dpfip_route_ctx *ctx)
{
    enum dpfip_family family = pair->family;
    const struct dpfip_prefix *p;
    struct ds f = DS_EMPTY_INITIALIZER;
    struct ds x = DS_EMPTY_INITIALIZER;
    char *error = NULL;

    dpfip_addr_format(&pair->floating, &f);
    dpfip_addr_format(&pair->fixed, &x);
    if (br->has_gw[family] && ipv6_addr_equals(&pair->floating,
                                               &br->gw[family])) {
        error = xasprintf("floating address %s is the gateway's "
                          "(dpfip-gateway)", ds_cstr(&f));
    } else if (br->has_gw[family] && ipv6_addr_equals(&pair->fixed,
                                                      &br->gw[family])) {
        error = xasprintf("fixed address %s is the gateway's "
                          "(dpfip-gateway)", ds_cstr(&x));
    } else if (router_has_addr(&ctx->answered, &pair->floating)
               || router_has_addr(&br->router, &pair->floating)) {
        error = xasprintf("floating address %s is the router's "
                          "(dpfip-router)", ds_cstr(&f));
    } else if (router_has_addr(&ctx->answered, &pair->fixed)) {
        error = xasprintf("fixed address %s is the router's (dpfip-router)",
                          ds_cstr(&x));
    } else if ((p = dpfip_prefixes_find(ctx->internal, family,
                                        &pair->floating))) {
        struct ds ps = DS_EMPTY_INITIALIZER;

        dpfip_addr_format(&p->addr, &ps);
        error = xasprintf("floating address %s is inside the internal "
                          "prefix %s/%u", ds_cstr(&f), ds_cstr(&ps),
                          p->plen);
        ds_destroy(&ps);
    }
    ds_destroy(&f);
    ds_destroy(&x);
    return error;
}
