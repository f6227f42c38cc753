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
#include "dpfip-offload.h"
#include "dpfip-route.h"
#include "dpfip-private.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "flow.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

/* dpfip/show [--json] [BRIDGE]: the FIP table, read only. */

struct fip_row {
    const struct dpfip_fip *fip;
    char *floating;
    char *fixed;
    char *vm_mac;
    char *where;                    /* software, offloaded or -. */
    char *offload;                  /* The same, with details. */
    uint64_t packets[DPFIP_N_DIRECTIONS];
    uint64_t bytes[DPFIP_N_DIRECTIONS];
    uint64_t dropped;
    uint64_t offloaded_packets;     /* By OVS's own megaflow offload. */
};

static char *
format_addr(const struct in6_addr *addr)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dpfip_addr_format(addr, &s);
    return ds_steal_cstr(&s);
}

static void
fip_row_init(struct fip_row *row, const struct dpfip_fip *fip)
{
    row->fip = fip;
    if (fip->pair.error) {
        const char *eq = strchr(fip->text, '=');

        row->floating = eq ? xmemdup0(fip->text, eq - fip->text)
                           : xstrdup(fip->text);
        row->fixed = xstrdup(eq ? eq + 1 : "-");
    } else {
        row->floating = format_addr(&fip->pair.floating);
        row->fixed = format_addr(&fip->pair.fixed);
    }
    row->vm_mac = (fip->vm_mac_error ? xstrdup("-")
                   : xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(fip->vm_mac)));
    row->where = xstrdup(fip->state != DPFIP_ACTIVE ? "-"
                         : dpfip_offload_where(fip));

    struct ds offload = DS_EMPTY_INITIALIZER;
    dpfip_offload_format(fip, &offload);
    row->offload = ds_steal_cstr(&offload);
    for (int i = 0; i < DPFIP_N_DIRECTIONS; i++) {
        atomic_read_relaxed(&fip->stats[i]->n_packets, &row->packets[i]);
        atomic_read_relaxed(&fip->stats[i]->n_bytes, &row->bytes[i]);
    }
    uint64_t d0, d1;
    atomic_read_relaxed(&fip->stats[0]->n_dropped, &d0);
    atomic_read_relaxed(&fip->stats[1]->n_dropped, &d1);
    row->dropped = d0 + d1;
    uint64_t o0, o1;
    atomic_read_relaxed(&fip->stats[0]->n_offloaded_packets, &o0);
    atomic_read_relaxed(&fip->stats[1]->n_offloaded_packets, &o1);
    row->offloaded_packets = o0 + o1;
}

static void
fip_row_destroy(struct fip_row *row)
{
    free(row->floating);
    free(row->fixed);
    free(row->vm_mac);
    free(row->where);
    free(row->offload);
}

static int
compare_rows(const void *a_, const void *b_)
{
    const struct fip_row *a = a_;
    const struct fip_row *b = b_;
    int cmp = strcmp(a->floating, b->floating);

    return cmp ? cmp : strcmp(a->fip->iface_name, b->fip->iface_name);
}

static struct fip_row *
collect_rows(const struct dpfip_bridge *br, size_t *n_rows)
{
    const struct dpfip_fip *fip;
    struct fip_row *rows;
    size_t n = 0;

    rows = xmalloc((hmap_count(&dpfip_fips) + 1) * sizeof *rows);
    HMAP_FOR_EACH (fip, hmap_node, &dpfip_fips) {
        if (!strcmp(fip->bridge_name, br->name)) {
            fip_row_init(&rows[n++], fip);
        }
    }
    qsort(rows, n, sizeof *rows, compare_rows);
    *n_rows = n;
    return rows;
}

static int
compare_bridges(const void *a_, const void *b_)
{
    const struct dpfip_bridge *const *a = a_;
    const struct dpfip_bridge *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

static const struct dpfip_bridge **
sorted_bridges(const char *name, size_t *n_bridges)
{
    const struct dpfip_bridge **bridges;
    const struct dpfip_bridge *br;
    size_t n = 0;

    bridges = xmalloc((hmap_count(&dpfip_bridges) + 1) * sizeof *bridges);
    HMAP_FOR_EACH (br, hmap_node, &dpfip_bridges) {
        if (!name || !strcmp(name, br->name)) {
            bridges[n++] = br;
        }
    }
    qsort(bridges, n, sizeof *bridges, compare_bridges);
    *n_bridges = n;
    return bridges;
}

static const char *
gateway_state(const struct dpfip_bridge *br, enum dpfip_family family)
{
    return (br->cfg.has_gw_mac ? "configured"
            : br->gw[family].resolved ? "learned"
            : "resolving");
}

static void
show_bridge_text(struct ds *s, const struct dpfip_bridge *br)
{
    long long int now = time_msec();

    ds_put_format(s, "bridge %s:\n", br->name);
    if (br->error) {
        ds_put_format(s, "  error: %s\n", br->error);
    }
    if (br->cfg.uplink) {
        ds_put_format(s, "  uplink: %s", br->cfg.uplink);
        if (br->uplink_port != OFPP_NONE) {
            ds_put_format(s, " (OpenFlow port %"PRIu32"), external MAC "
                          ETH_ADDR_FMT, ofp_to_u16(br->uplink_port),
                          ETH_ADDR_ARGS(br->ext_mac));
        }
        ds_put_char(s, '\n');
    }
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        const struct dpfip_gateway *gw = &br->gw[i];

        if (!br->cfg.has_gw[i]) {
            continue;
        }
        ds_put_format(s, "  %s gateway: ", dpfip_family_to_string(i));
        dpfip_addr_format(&br->cfg.gw[i], s);
        if (gw->resolved) {
            ds_put_format(s, " at "ETH_ADDR_FMT" (%s", ETH_ADDR_ARGS(gw->mac),
                          gateway_state(br, i));
            if (!br->cfg.has_gw_mac) {
                ds_put_format(s, " %lld s ago",
                              (now - gw->resolved_at) / 1000);
            }
            ds_put_char(s, ')');
        } else {
            ds_put_format(s, " resolving (%u probes sent)", gw->n_probes);
        }
        ds_put_char(s, '\n');
    }
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (br->cfg.has_router[i]) {
            ds_put_format(s, "  %s router: ", dpfip_family_to_string(i));
            dpfip_addr_format(&br->cfg.router[i], s);
            ds_put_format(s, "/%d at "ETH_ADDR_FMT"\n", br->cfg.router_plen[i],
                          ETH_ADDR_ARGS(br->cfg.router_mac));
        }
    }
    dpfip_routes_format(br, s);
    ds_put_format(s, "  flows: %"PRIuSIZE"\n", dpfip_flows_count(br));

    size_t n_rows;
    struct fip_row *rows = collect_rows(br, &n_rows);
    int wf = strlen("FLOATING"), wx = strlen("FIXED"), wp = strlen("PORT");

    for (size_t i = 0; i < n_rows; i++) {
        wf = MAX(wf, strlen(rows[i].floating));
        wx = MAX(wx, strlen(rows[i].fixed));
        wp = MAX(wp, strlen(rows[i].fip->iface_name));
    }
    ds_put_format(s, "  %-*s  %-*s  %-*s  %-17s  %-7s  %-8s  %10s  %12s  "
                  "%10s  %12s\n", wf, "FLOATING", wx, "FIXED", wp, "PORT",
                  "VM MAC", "STATE", "WHERE", "IN PKTS", "IN BYTES",
                  "OUT PKTS", "OUT BYTES");
    for (size_t i = 0; i < n_rows; i++) {
        const struct fip_row *r = &rows[i];

        ds_put_format(s, "  %-*s  %-*s  %-*s  %-17s  %-7s  %-8s  %10"PRIu64
                      "  %12"PRIu64"  %10"PRIu64"  %12"PRIu64"\n",
                      wf, r->floating, wx, r->fixed, wp, r->fip->iface_name,
                      r->vm_mac, dpfip_state_to_string(r->fip->state),
                      r->where, r->packets[DPFIP_DNAT], r->bytes[DPFIP_DNAT],
                      r->packets[DPFIP_SNAT], r->bytes[DPFIP_SNAT]);
        if (r->fip->reason) {
            ds_put_format(s, "    reason: %s\n", r->fip->reason);
        }
        if (strcmp(r->where, r->offload)) {
            ds_put_format(s, "    where: %s\n", r->offload);
        }
        fip_row_destroy(&rows[i]);
    }
    free(rows);
}

static struct json *
json_string_or_null(const char *s)
{
    return s ? json_string_create(s) : json_null_create();
}

static struct json *
json_addr(const struct in6_addr *addr)
{
    return json_string_create_nocopy(format_addr(addr));
}

static struct json *
json_mac(struct eth_addr mac)
{
    return json_string_create_nocopy(xasprintf(ETH_ADDR_FMT,
                                               ETH_ADDR_ARGS(mac)));
}

static struct json *
show_bridge_json(const struct dpfip_bridge *br)
{
    struct json *jbr = json_object_create();
    struct json *gateways = json_array_create_empty();
    struct json *fips = json_array_create_empty();

    json_object_put_string(jbr, "name", br->name);
    json_object_put(jbr, "error", json_string_or_null(br->error));
    json_object_put(jbr, "uplink", json_string_or_null(br->cfg.uplink));
    json_object_put(jbr, "uplink_ofport",
                    br->uplink_port == OFPP_NONE ? json_null_create()
                    : json_integer_create(ofp_to_u16(br->uplink_port)));
    json_object_put(jbr, "external_mac", json_mac(br->ext_mac));
    json_object_put(jbr, "router_mac", json_mac(br->cfg.router_mac));
    json_object_put(jbr, "flows", json_integer_create(dpfip_flows_count(br)));
    json_object_put(jbr, "announce", dpfip_routes_to_json(br));
    for (int i = 0; i < DPFIP_N_FAMILIES; i++) {
        if (br->cfg.has_gw[i]) {
            struct json *jgw = json_object_create();

            json_object_put_string(jgw, "family", dpfip_family_to_string(i));
            json_object_put(jgw, "address", json_addr(&br->cfg.gw[i]));
            json_object_put(jgw, "mac", br->gw[i].resolved
                            ? json_mac(br->gw[i].mac) : json_null_create());
            json_object_put_string(jgw, "state", gateway_state(br, i));
            json_object_put(jgw, "probes",
                            json_integer_create(br->gw[i].n_probes));
            json_array_add(gateways, jgw);
        }
    }
    json_object_put(jbr, "gateways", gateways);

    size_t n_rows;
    struct fip_row *rows = collect_rows(br, &n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        const struct fip_row *r = &rows[i];
        struct json *jfip = json_object_create();

        json_object_put_string(jfip, "floating", r->floating);
        json_object_put_string(jfip, "fixed", r->fixed);
        json_object_put_string(jfip, "port", r->fip->iface_name);
        json_object_put(jfip, "vm_mac", r->fip->vm_mac_error
                        ? json_null_create() : json_mac(r->fip->vm_mac));
        json_object_put_string(jfip, "state",
                               dpfip_state_to_string(r->fip->state));
        json_object_put(jfip, "reason", json_string_or_null(r->fip->reason));
        json_object_put_string(jfip, "where", r->where);
        json_object_put_string(jfip, "offload", r->offload);
        json_object_put(jfip, "in_packets",
                        json_integer_create(r->packets[DPFIP_DNAT]));
        json_object_put(jfip, "in_bytes",
                        json_integer_create(r->bytes[DPFIP_DNAT]));
        json_object_put(jfip, "out_packets",
                        json_integer_create(r->packets[DPFIP_SNAT]));
        json_object_put(jfip, "out_bytes",
                        json_integer_create(r->bytes[DPFIP_SNAT]));
        json_object_put(jfip, "dropped", json_integer_create(r->dropped));
        json_object_put(jfip, "offloaded_packets",
                        json_integer_create(r->offloaded_packets));
        json_object_put(jfip, "announcements",
                        json_integer_create(r->fip->n_announced));
        json_array_add(fips, jfip);
        fip_row_destroy(&rows[i]);
    }
    free(rows);
    json_object_put(jbr, "fips", fips);
    return jbr;
}

static void
dpfip_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                   void *aux OVS_UNUSED)
{
    const char *name = NULL;
    bool json = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!name) {
            name = argv[i];
        } else {
            unixctl_command_reply_error(conn, "usage: dpfip/show [--json] "
                                        "[BRIDGE]");
            return;
        }
    }
    if (!json && !dpfip_is_enabled()) {
        unixctl_command_reply(conn, "dpfip is disabled (Open_vSwitch "
                              "other_config:dpfip-enable is not true)\n");
        return;
    }
    if (name && !dpfip_bridge_find(name)) {
        char *error = xasprintf("%s is not a dpfip bridge", name);

        unixctl_command_reply_error(conn, error);
        free(error);
        return;
    }

    size_t n_bridges;
    const struct dpfip_bridge **bridges = sorted_bridges(name, &n_bridges);
    if (json) {
        struct json *top = json_object_create();
        struct json *jbridges = json_array_create_empty();

        for (size_t i = 0; i < n_bridges; i++) {
            json_array_add(jbridges, show_bridge_json(bridges[i]));
        }
        json_object_put(top, "enabled",
                        json_boolean_create(dpfip_is_enabled()));
        json_object_put(top, "bridges", jbridges);
        json_object_put(top, "unknown_fip_drops",
                        json_integer_create(dpfip_xlate_unknown_drops()));
        char *s = json_to_string(top, JSSF_SORT);
        unixctl_command_reply(conn, s);
        free(s);
        json_destroy(top);
    } else {
        struct ds s = DS_EMPTY_INITIALIZER;

        for (size_t i = 0; i < n_bridges; i++) {
            show_bridge_text(&s, bridges[i]);
        }
        if (!name) {
            ds_put_format(&s, "packets dropped for an inactive floating IP: "
                          "%"PRIu64"\n", dpfip_xlate_unknown_drops());
        }
        unixctl_command_reply(conn, ds_cstr(&s));
        ds_destroy(&s);
    }
    free(bridges);
}

void
dpfip_unixctl_register(void)
{
    unixctl_command_register("dpfip/show", "[--json] [BRIDGE]", 0, 2,
                             dpfip_unixctl_show, NULL);
}
