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

#include <arpa/inet.h>
#include "dpfip-neigh.h"
#include "dpfip-offload.h"
#include "dpfip-route.h"
#include "dpfip-private.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "netdev.h"
#include "ofproto/ofproto-dpif.h"
#include "ofproto/ofproto-provider.h"
#include "unixctl.h"
#include "util.h"

/* dpfip/show [--json] [BRIDGE] and dpfip/dump-flows [BRIDGE]: the FIP
 * table, read only.  Both write their text directly (no JSON tree), so
 * that 100k FIPs take well under a second. */

struct fip_row {
    const struct dpfip_fip *fip;
    char floating[INET6_ADDRSTRLEN];
    char fixed[INET6_ADDRSTRLEN];
    uint64_t packets[DPFIP_N_DIRECTIONS];
    uint64_t bytes[DPFIP_N_DIRECTIONS];
    uint64_t dropped[DPFIP_N_DIRECTIONS];
    uint64_t filtered[DPFIP_N_DIRECTIONS];  /* Part of 'dropped'. */
    uint64_t offloaded_packets;
};

/* The decimal digits of 'value' (at most 255) at 'p'; returns the end. */
static char *
put_octet(char *p, unsigned int value)
{
    if (value >= 100) {
        *p++ = '0' + value / 100;
    }
    if (value >= 10) {
        *p++ = '0' + value / 10 % 10;
    }
    *p++ = '0' + value % 10;
    return p;
}

/* inet_ntop() goes through sprintf() for IPv4, which was a tenth of
 * dpfip/show at 100k FIPs: dotted quads are written here. */
static void
format_addr_buf(const struct in6_addr *addr, char buf[INET6_ADDRSTRLEN])
{
    if (IN6_IS_ADDR_V4MAPPED(addr)) {
        const uint8_t *b = &addr->s6_addr[12];
        char *p = buf;

        for (int i = 0; i < 4; i++) {
            if (i) {
                *p++ = '.';
            }
            p = put_octet(p, b[i]);
        }
        *p = '\0';
    } else {
        inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN);
    }
}

/* Appends 'mac' as xx:xx:xx:xx:xx:xx, as ETH_ADDR_FMT does, without
 * printf (two MACs for each FIP). */
static void
put_mac(struct ds *s, struct eth_addr mac)
{
    static const char hex[] = "0123456789abcdef";
    char buf[17];

    for (int i = 0; i < 6; i++) {
        buf[i * 3] = hex[mac.ea[i] >> 4];
        buf[i * 3 + 1] = hex[mac.ea[i] & 15];
        if (i < 5) {
            buf[i * 3 + 2] = ':';
        }
    }
    ds_put_buffer(s, buf, sizeof buf);
}

static void
fip_row_init(struct fip_row *row, const struct dpfip_fip *fip)
{
    memset(row, 0, sizeof *row);
    row->fip = fip;
    if (fip->pair.error) {
        const char *eq = strchr(fip->text, '=');
        size_t n = eq ? eq - fip->text : strlen(fip->text);

        ovs_strzcpy(row->floating, fip->text,
                    MIN(n + 1, sizeof row->floating));
        ovs_strzcpy(row->fixed, eq ? eq + 1 : "-", sizeof row->fixed);
    } else {
        format_addr_buf(&fip->pair.floating, row->floating);
        format_addr_buf(&fip->pair.fixed, row->fixed);
    }
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        const struct dpfip_dir_stats *d = &fip->stats->dir[i];
        uint64_t offloaded;

        atomic_read_relaxed(&CONST_CAST(struct dpfip_dir_stats *, d)
                            ->n_packets, &row->packets[i]);
        atomic_read_relaxed(&CONST_CAST(struct dpfip_dir_stats *, d)
                            ->n_bytes, &row->bytes[i]);
        atomic_read_relaxed(&CONST_CAST(struct dpfip_dir_stats *, d)
                            ->n_dropped, &row->dropped[i]);
        atomic_read_relaxed(&CONST_CAST(struct dpfip_dir_stats *, d)
                            ->n_filtered, &row->filtered[i]);
        atomic_read_relaxed(&CONST_CAST(struct dpfip_dir_stats *, d)
                            ->n_offloaded_packets, &offloaded);
        row->offloaded_packets += offloaded;
    }
}

/* What the rows are sorted by, copied out of the FIPs so that the sort
 * touches only this array (at 100k FIPs, following each FIP's pointer in
 * every comparison was the largest cost of dpfip/show). */
struct fip_order {
    struct in6_addr floating;           /* Zero if the pair is invalid. */
    bool invalid;
    enum dpfip_family family;
    const struct dpfip_fip *fip;
};

static void
fip_order_init(struct fip_order *o, const struct dpfip_fip *fip)
{
    o->invalid = fip->pair.error != NULL;
    o->family = o->invalid ? 0 : fip->pair.family;
    o->floating = o->invalid ? in6addr_any : fip->pair.floating;
    o->fip = fip;
}

/* Valid pairs by family and address, then the rest by text; ties by
 * interface name. */
static int
compare_order(const void *a_, const void *b_)
{
    const struct fip_order *a = a_, *b = b_;
    int cmp;

    if (a->invalid != b->invalid) {
        return a->invalid ? 1 : -1;
    }
    cmp = (a->family != b->family ? (int) a->family - (int) b->family
           : memcmp(&a->floating, &b->floating, sizeof a->floating));
    if (!cmp && a->invalid) {
        cmp = strcmp(a->fip->text, b->fip->text);
    }
    return cmp ? cmp : strcmp(a->fip->iface->name, b->fip->iface->name);
}

/* The FIPs of 'br', or only those whose floating address is 'only' if it
 * is nonnull, sorted. */
static struct fip_row *
collect_rows(const struct dpfip_bridge *br, const struct in6_addr *only,
             size_t *n_rows)
{
    const struct dpfip_iface *iface;
    const struct dpfip_fip *fip;
    struct fip_order *order;
    struct fip_row *rows;
    size_t n = 0;

    if (only) {
        /* One address: its claimants from the index, whatever the size of
         * the table. */
        const struct ovs_list *claimants = dpfip_claimants(only);

        order = xmalloc(((claimants ? ovs_list_size(claimants) : 0) + 1)
                        * sizeof *order);
        if (claimants) {
            LIST_FOR_EACH (fip, claim_node, claimants) {
                if (dpfip_fip_bridge(fip) == br) {
                    fip_order_init(&order[n++], fip);
                }
            }
        }
    } else {
        order = xmalloc((br->n_fips + 1) * sizeof *order);
        HMAP_FOR_EACH (iface, node, &br->ifaces) {
            HMAP_FOR_EACH (fip, iface_node, &iface->fips) {
                fip_order_init(&order[n++], fip);
            }
        }
    }
    qsort(order, n, sizeof *order, compare_order);

    rows = xmalloc((n + 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        fip_row_init(&rows[i], order[i].fip);
    }
    free(order);
    *n_rows = n;
    return rows;
}

/* A filter as configured, or "all" (no filter: everything allowed). */
static void
put_filter(struct ds *s, const struct dpfip_filter *filter)
{
    if (filter) {
        dpfip_filter_format(filter, s);
    } else {
        ds_put_cstr(s, "all");
    }
}

static void
put_router(struct ds *s, const char *indent, const struct dpfip_router_cfg *r,
           struct eth_addr mac, bool has_mac)
{
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (r->has[i]) {
            ds_put_format(s, "%s%s router: ", indent,
                          dpfip_family_to_string(i));
            dpfip_addr_format(&r->addr[i].addr, s);
            ds_put_format(s, "/%u", r->addr[i].plen);
            if (has_mac) {
                ds_put_format(s, " at "ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));
            }
            ds_put_char(s, '\n');
        }
    }
}

static void
show_bridge_text(struct ds *s, const struct dpfip_bridge *br,
                 const struct in6_addr *only,
                 struct dpfip_offload_memo *memo)
{
    const struct dpfip_bridge_cfg *cfg = &br->cfg;

    ds_put_format(s, "bridge %s:\n", br->name);
    if (br->error) {
        ds_put_format(s, "  error: %s\n", br->error);
    }
    if (cfg->uplink) {
        ds_put_format(s, "  uplink: %s", cfg->uplink);
        if (br->uplink_port != OFPP_NONE) {
            ds_put_format(s, " (OpenFlow port %"PRIu32")",
                          ofp_to_u16(br->uplink_port));
        }
        if (!eth_addr_is_zero(br->ext_mac)) {
            ds_put_format(s, ", external MAC "ETH_ADDR_FMT,
                          ETH_ADDR_ARGS(br->ext_mac));
        }
        if (cfg->uplink_vlan) {
            ds_put_format(s, ", VLAN %"PRIu16, cfg->uplink_vlan);
        }
        ds_put_char(s, '\n');
    }
    dpfip_neigh_format(br->neigh, s);
    put_router(s, "  ", &cfg->router, cfg->router_mac, cfg->has_router_mac);
    if (cfg->has_router_mac && !cfg->router.has[0] && !cfg->router.has[1]) {
        ds_put_format(s, "  router MAC: "ETH_ADDR_FMT"\n",
                      ETH_ADDR_ARGS(cfg->router_mac));
    }
    ds_put_cstr(s, "  internal: ");
    dpfip_prefixes_format(cfg->internal, s);
    ds_put_char(s, '\n');
    dpfip_routes_format(br->routes, s);

    size_t n_rows;
    struct fip_row *rows = collect_rows(br, only, &n_rows);
    int wf = strlen("FLOATING"), wx = strlen("FIXED"), wp = strlen("PORT");

    for (size_t i = 0; i < n_rows; i++) {
        wf = MAX(wf, strlen(rows[i].floating));
        wx = MAX(wx, strlen(rows[i].fixed));
        wp = MAX(wp, strlen(rows[i].fip->iface->name));
    }
    ds_put_format(s, "  %-*s  %-*s  %-*s  %-17s  %-7s  %-8s  %10s  %12s  "
                  "%10s  %12s\n", wf, "FLOATING", wx, "FIXED", wp, "PORT",
                  "VM MAC", "STATE", "WHERE", "IN PKTS", "IN BYTES",
                  "OUT PKTS", "OUT BYTES");
    for (size_t i = 0; i < n_rows; i++) {
        const struct fip_row *r = &rows[i];
        const struct dpfip_fip *fip = r->fip;
        const struct dpfip_iface *iface = fip->iface;
        const char *where = (fip->state != DPFIP_ACTIVE ? "-"
                             : dpfip_offload_where_to_string(
                                 dpfip_offload_where(fip)));

        ds_put_format(s, "  %-*s  %-*s  %-*s  ", wf, r->floating, wx,
                      r->fixed, wp, iface->name);
        if (eth_addr_is_zero(iface->cfg.vm_mac)) {
            ds_put_format(s, "%-17s", "-");
        } else {
            put_mac(s, iface->cfg.vm_mac);
        }
        ds_put_format(s, "  %-7s  %-8s  %10"PRIu64"  %12"PRIu64"  %10"PRIu64
                      "  %12"PRIu64"\n", dpfip_state_to_string(fip->state),
                      where, r->packets[DPFIP_DNAT], r->bytes[DPFIP_DNAT],
                      r->packets[DPFIP_SNAT], r->bytes[DPFIP_SNAT]);
        if (fip->reason) {
            ds_put_format(s, "    reason: %s\n", fip->reason);
        }
        if (fip->state == DPFIP_ACTIVE) {
            size_t start = s->length;

            ds_put_cstr(s, "    where: ");
            dpfip_offload_format(fip, memo, s);
            if (!strcmp(s->string + start + strlen("    where: "), where)) {
                ds_truncate(s, start);
            } else {
                ds_put_char(s, '\n');
            }
        }
        if (iface->cfg.ingress || iface->cfg.egress) {
            ds_put_cstr(s, "    filters: in ");
            put_filter(s, iface->cfg.ingress);
            ds_put_cstr(s, "; out ");
            put_filter(s, iface->cfg.egress);
            ds_put_char(s, '\n');
        }
        if (fip->state == DPFIP_ACTIVE
            && (fip->rw.mtu[DPFIP_DNAT] || fip->rw.mtu[DPFIP_SNAT])) {
            ds_put_cstr(s, "    mtu: ");
            for (int dir = 0; dir < DPFIP_N_DIRECTIONS; dir++) {
                ds_put_format(s, "%s ", dir == DPFIP_DNAT ? "in" : "; out");
                if (fip->rw.mtu[dir]) {
                    ds_put_format(s, "%"PRIu16, fip->rw.mtu[dir]);
                } else {
                    ds_put_cstr(s, "-");
                }
            }
            ds_put_char(s, '\n');
        }
        if (r->dropped[DPFIP_DNAT] || r->dropped[DPFIP_SNAT]) {
            ds_put_format(s, "    dropped: in %"PRIu64", out %"PRIu64,
                          r->dropped[DPFIP_DNAT], r->dropped[DPFIP_SNAT]);
            if (r->filtered[DPFIP_DNAT] || r->filtered[DPFIP_SNAT]) {
                ds_put_format(s, " (filtered: in %"PRIu64", out %"PRIu64")",
                              r->filtered[DPFIP_DNAT],
                              r->filtered[DPFIP_SNAT]);
            }
            ds_put_char(s, '\n');
        }
    }
    free(rows);
}

/* JSON, written directly. */

/* 'key' is one of this file's literals: nothing in it needs escaping (at
 * 100k FIPs, escaping the keys was a fifth of dpfip/show --json). */
static void
json_key(struct ds *s, const char *key, bool *first)
{
    if (!*first) {
        ds_put_char(s, ',');
    }
    *first = false;
    ds_put_char(s, '"');
    ds_put_cstr(s, key);
    ds_put_cstr(s, "\":");
}

/* 'value' is text this module wrote (an address, a state): nothing in it
 * needs escaping. */
static void
json_put_plain(struct ds *s, const char *key, const char *value,
               bool *first)
{
    json_key(s, key, first);
    ds_put_char(s, '"');
    ds_put_cstr(s, value);
    ds_put_char(s, '"');
}

static void
json_put_string(struct ds *s, const char *key, const char *value,
                bool *first)
{
    json_key(s, key, first);
    if (value) {
        json_string_escape(value, s);
    } else {
        ds_put_cstr(s, "null");
    }
}

static void
json_put_uint(struct ds *s, const char *key, uint64_t value, bool *first)
{
    char buf[20];               /* UINT64_MAX has 20 digits. */
    size_t n = 0;

    json_key(s, key, first);
    do {
        buf[sizeof buf - ++n] = '0' + value % 10;
        value /= 10;
    } while (value);
    ds_put_buffer(s, &buf[sizeof buf - n], n);
}

static void
json_put_mac(struct ds *s, const char *key, struct eth_addr mac, bool valid,
             bool *first)
{
    json_key(s, key, first);
    if (valid) {
        ds_put_char(s, '"');
        put_mac(s, mac);
        ds_put_char(s, '"');
    } else {
        ds_put_cstr(s, "null");
    }
}

static void
json_put_tree(struct ds *s, const char *key, struct json *json, bool *first)
{
    json_key(s, key, first);
    json_to_ds(json, 0, s);
    json_destroy(json);
}

/* The limits of dpfip's length checks of an active FIP ('mtu'), null if it
 * has none. */
static void
json_put_mtu(struct ds *s, const struct dpfip_fip *fip, bool *first)
{
    const uint16_t *mtu = fip->rw.mtu;
    bool f = true;

    json_key(s, "mtu", first);
    if (fip->state != DPFIP_ACTIVE || (!mtu[DPFIP_DNAT]
                                       && !mtu[DPFIP_SNAT])) {
        ds_put_cstr(s, "null");
        return;
    }
    ds_put_char(s, '{');
    for (int dir = 0; dir < DPFIP_N_DIRECTIONS; dir++) {
        const char *key = dir == DPFIP_DNAT ? "in" : "out";

        if (mtu[dir]) {
            json_put_uint(s, key, mtu[dir], &f);
        } else {
            json_key(s, key, &f);
            ds_put_cstr(s, "null");
        }
    }
    ds_put_char(s, '}');
}

static void
json_put_filter(struct ds *s, const char *key,
                const struct dpfip_filter *filter, bool *first)
{
    struct ds value = DS_EMPTY_INITIALIZER;

    if (!filter) {
        json_put_string(s, key, "all", first);
        return;
    }
    put_filter(&value, filter);
    json_put_string(s, key, ds_cstr(&value), first);
    ds_destroy(&value);
}

static void
show_bridge_json(struct ds *s, const struct dpfip_bridge *br,
                 const struct in6_addr *only,
                 struct dpfip_offload_memo *memo)
{
    const struct dpfip_bridge_cfg *cfg = &br->cfg;
    bool first = true;

    ds_put_char(s, '{');
    json_put_string(s, "name", br->name, &first);
    json_put_string(s, "error", br->error, &first);
    json_put_string(s, "uplink", cfg->uplink, &first);
    json_key(s, "uplink_ofport", &first);
    if (br->uplink_port == OFPP_NONE) {
        ds_put_cstr(s, "null");
    } else {
        ds_put_format(s, "%"PRIu16, ofp_to_u16(br->uplink_port));
    }
    json_put_uint(s, "uplink_vlan", cfg->uplink_vlan, &first);
    json_put_mac(s, "external_mac", br->ext_mac, true, &first);
    json_put_mac(s, "router_mac", cfg->router_mac, cfg->has_router_mac,
                 &first);
    struct ds internal = DS_EMPTY_INITIALIZER;
    dpfip_prefixes_format(cfg->internal, &internal);
    json_put_string(s, "internal", ds_cstr(&internal), &first);
    ds_destroy(&internal);
    json_put_tree(s, "announce", dpfip_routes_to_json(br->routes), &first);
    json_put_tree(s, "gateways", dpfip_neigh_gateways_to_json(br->neigh),
                  &first);
    json_put_uint(s, "spoofed_drops", dpfip_neigh_spoofed(br->neigh),
                  &first);

    size_t n_rows;
    struct fip_row *rows = collect_rows(br, only, &n_rows);
    struct ds offload = DS_EMPTY_INITIALIZER;
    json_key(s, "fips", &first);
    ds_put_char(s, '[');
    for (size_t i = 0; i < n_rows; i++) {
        const struct fip_row *r = &rows[i];
        const struct dpfip_fip *fip = r->fip;
        const struct dpfip_iface *iface = fip->iface;
        bool f = true;

        if (i) {
            ds_put_char(s, ',');
        }
        ds_put_char(s, '{');
        if (fip->pair.error) {
            /* As configured: the user's text. */
            json_put_string(s, "floating", r->floating, &f);
            json_put_string(s, "fixed", r->fixed, &f);
        } else {
            json_put_plain(s, "floating", r->floating, &f);
            json_put_plain(s, "fixed", r->fixed, &f);
        }
        json_put_string(s, "port", iface->name, &f);
        json_put_mac(s, "vm_mac", iface->cfg.vm_mac,
                     !eth_addr_is_zero(iface->cfg.vm_mac), &f);
        json_put_mac(s, "router_mac", iface->ctx.router_mac,
                     !iface->error, &f);
        json_put_plain(s, "state", dpfip_state_to_string(fip->state), &f);
        json_put_string(s, "reason", fip->reason, &f);
        json_put_plain(s, "where", (fip->state != DPFIP_ACTIVE ? "-"
                                     : dpfip_offload_where_to_string(
                                         dpfip_offload_where(fip))), &f);
        ds_clear(&offload);
        dpfip_offload_format(fip, memo, &offload);
        json_put_string(s, "offload", ds_cstr(&offload), &f);
        json_put_uint(s, "in_packets", r->packets[DPFIP_DNAT], &f);
        json_put_uint(s, "in_bytes", r->bytes[DPFIP_DNAT], &f);
        json_put_uint(s, "out_packets", r->packets[DPFIP_SNAT], &f);
        json_put_uint(s, "out_bytes", r->bytes[DPFIP_SNAT], &f);
        json_put_uint(s, "in_dropped", r->dropped[DPFIP_DNAT], &f);
        json_put_uint(s, "out_dropped", r->dropped[DPFIP_SNAT], &f);
        json_put_uint(s, "dropped", r->dropped[DPFIP_DNAT]
                      + r->dropped[DPFIP_SNAT], &f);
        json_put_uint(s, "in_filtered", r->filtered[DPFIP_DNAT], &f);
        json_put_uint(s, "out_filtered", r->filtered[DPFIP_SNAT], &f);
        json_put_filter(s, "ingress", iface->cfg.ingress, &f);
        json_put_filter(s, "egress", iface->cfg.egress, &f);
        json_put_mtu(s, fip, &f);
        json_put_uint(s, "offloaded_packets", r->offloaded_packets, &f);
        json_put_uint(s, "announcements", fip->announcement.n_sent, &f);
        ds_put_char(s, '}');
    }
    ds_put_char(s, ']');
    ds_destroy(&offload);
    free(rows);
    ds_put_char(s, '}');
}

/* Parses "[--json] [BRIDGE [ADDRESS]]" ('allow_json' for dpfip/show). */
static bool
parse_args(struct unixctl_conn *conn, int argc, const char *argv[],
           bool allow_json, const char **name, bool *json,
           struct in6_addr *only, bool *has_only)
{
    const char *usage = (allow_json
                         ? "usage: dpfip/show [--json] [BRIDGE [ADDRESS]]"
                         : "usage: dpfip/dump-flows [BRIDGE [ADDRESS]]");
    const char *addr = NULL;

    *name = NULL;
    *json = false;
    *has_only = false;
    for (int i = 1; i < argc; i++) {
        if (allow_json && !strcmp(argv[i], "--json")) {
            *json = true;
        } else if (argv[i][0] == '-') {
            unixctl_command_reply_error(conn, usage);
            return false;
        } else if (!*name) {
            *name = argv[i];
        } else if (!addr) {
            addr = argv[i];
        } else {
            unixctl_command_reply_error(conn, usage);
            return false;
        }
    }
    if (*name && !dpfip_bridge_find(*name)) {
        char *error = xasprintf("%s is not a dpfip bridge", *name);

        unixctl_command_reply_error(conn, error);
        free(error);
        return false;
    }
    if (addr) {
        enum dpfip_family family;

        if (!dpfip_addr_parse(addr, only, &family)) {
            char *error = xasprintf("%s is not an IPv4 or IPv6 address",
                                    addr);

            unixctl_command_reply_error(conn, error);
            free(error);
            return false;
        }
        *has_only = true;
    }
    return true;
}

static void
dpfip_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                   void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct dpfip_offload_memo *memo;
    const struct dpfip_bridge **brs;
    struct in6_addr only_addr;
    const struct in6_addr *only;
    const char *name;
    bool json, has_only;
    size_t n_brs;

    if (!parse_args(conn, argc, argv, true, &name, &json, &only_addr,
                    &has_only)) {
        return;
    }
    only = has_only ? &only_addr : NULL;
    if (!json && !dpfip_is_enabled()) {
        unixctl_command_reply(conn, "dpfip is disabled (Open_vSwitch "
                              "other_config:dpfip-enable is not true)\n");
        return;
    }

    brs = dpfip_bridges_sorted(name, &n_brs);
    memo = dpfip_offload_memo_create();
    if (json) {
        bool first = true;

        ds_put_char(&s, '{');
        json_key(&s, "enabled", &first);
        ds_put_cstr(&s, dpfip_is_enabled() ? "true" : "false");
        json_put_string(&s, "error", dpfip_global_error(), &first);
        json_put_uint(&s, "unknown_fip_drops", dpfip_xlate_unknown_drops(),
                      &first);
        json_key(&s, "bridges", &first);
        ds_put_char(&s, '[');
        for (size_t i = 0; i < n_brs; i++) {
            if (i) {
                ds_put_char(&s, ',');
            }
            show_bridge_json(&s, brs[i], only, memo);
        }
        /* The newline that unixctl would otherwise add by copying the
         * whole reply through printf (a tenth of the time at 100k). */
        ds_put_cstr(&s, "]}\n");
    } else {
        if (dpfip_global_error()) {
            ds_put_format(&s, "error: %s\n", dpfip_global_error());
        }
        for (size_t i = 0; i < n_brs; i++) {
            show_bridge_text(&s, brs[i], only, memo);
        }
        if (!name) {
            ds_put_format(&s, "packets dropped for an inactive floating IP: "
                          "%"PRIu64"\n", dpfip_xlate_unknown_drops());
        }
    }
    dpfip_offload_memo_destroy(memo);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
    free(brs);
}

static const char *
port_name(const struct dpfip_bridge *br, ofp_port_t port)
{
    const struct ofport *ofport = ofproto_get_port(&br->ofproto->up, port);

    return ofport ? netdev_get_name(ofport->netdev) : "?";
}

static void
put_vlan(struct ds *s, uint16_t vlan)
{
    if (vlan) {
        ds_put_format(s, ",dl_vlan=%"PRIu16, vlan);
    } else {
        ds_put_cstr(s, ",vlan_tci=0x0000/0x1000");
    }
}

/* One active FIP's two directions, in the syntax of ovs-ofctl's flows. */
static void
dump_fip(struct ds *s, const struct dpfip_bridge *br,
         const struct dpfip_fip *fip)
{
    const struct dpfip_rewrite *rw = &fip->rw;
    const char *ip = rw->family == DPFIP_IPV4 ? "ip" : "ipv6";
    const char *nw = rw->family == DPFIP_IPV4 ? "nw" : "ipv6";
    struct fip_row row;

    fip_row_init(&row, fip);

    ds_put_format(s, "  in_port=%s,dl_dst="ETH_ADDR_FMT,
                  port_name(br, rw->uplink_port), ETH_ADDR_ARGS(rw->ext_mac));
    put_vlan(s, rw->uplink_vlan);
    ds_put_format(s, ",%s,%s_dst=%s actions=%sdpfip(dnat,fip=%s),output:%s"
                  " n_packets=%"PRIu64" n_bytes=%"PRIu64" dropped=%"PRIu64
                  "\n", ip, nw, row.floating,
                  rw->uplink_vlan ? "pop_vlan," : "", row.floating,
                  port_name(br, rw->vm_port), row.packets[DPFIP_DNAT],
                  row.bytes[DPFIP_DNAT], row.dropped[DPFIP_DNAT]);

    ds_put_format(s, "  in_port=%s,dl_src="ETH_ADDR_FMT",dl_dst="
                  ETH_ADDR_FMT, port_name(br, rw->vm_port),
                  ETH_ADDR_ARGS(rw->vm_mac), ETH_ADDR_ARGS(rw->router_mac));
    put_vlan(s, 0);
    ds_put_format(s, ",%s,%s_src=%s", ip, nw, row.fixed);
    size_t n_internal = dpfip_prefixes_count(rw->internal, rw->family);
    if (n_internal) {
        ds_put_format(s, ",%s_dst!=", nw);
        for (size_t i = 0, j = 0; i < rw->internal->n; i++) {
            const struct dpfip_prefix *p = &rw->internal->p[i];

            if (p->family == rw->family) {
                ds_put_cstr(s, j++ ? "|" : "");
                dpfip_addr_format(&p->addr, s);
                ds_put_format(s, "/%u", p->plen);
            }
        }
    }
    ds_put_format(s, " actions=dpfip(snat,fip=%s),", row.floating);
    if (rw->uplink_vlan) {
        ds_put_format(s, "mod_vlan_vid:%"PRIu16",", rw->uplink_vlan);
    }
    ds_put_format(s, "output:%s n_packets=%"PRIu64" n_bytes=%"PRIu64
                  " dropped=%"PRIu64"\n", port_name(br, rw->uplink_port),
                  row.packets[DPFIP_SNAT], row.bytes[DPFIP_SNAT],
                  row.dropped[DPFIP_SNAT]);
}

static void
dpfip_unixctl_dump_flows(struct unixctl_conn *conn, int argc,
                         const char *argv[], void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct dpfip_bridge **brs;
    struct in6_addr only_addr;
    const char *name;
    bool json, has_only;
    size_t n_brs;

    if (!parse_args(conn, argc, argv, false, &name, &json, &only_addr,
                    &has_only)) {
        return;
    }
    brs = dpfip_bridges_sorted(name, &n_brs);
    for (size_t i = 0; i < n_brs; i++) {
        const struct dpfip_bridge *br = brs[i];
        size_t n_rows;
        struct fip_row *rows = collect_rows(br, has_only ? &only_addr : NULL,
                                            &n_rows);

        ds_put_format(&s, "bridge %s: taken before table 0\n", br->name);
        for (size_t j = 0; j < n_rows; j++) {
            if (rows[j].fip->state == DPFIP_ACTIVE) {
                dump_fip(&s, br, rows[j].fip);
            }
        }
        free(rows);
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
    free(brs);
}

void
dpfip_unixctl_register(void)
{
    unixctl_command_register("dpfip/show", "[--json] [BRIDGE [ADDRESS]]",
                             0, 3, dpfip_unixctl_show, NULL);
    unixctl_command_register("dpfip/dump-flows", "[BRIDGE [ADDRESS]]", 0, 2,
                             dpfip_unixctl_dump_flows, NULL);
}
