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

/* Unit tests of dpfip's OVSDB key parsing (ofproto-dpfip/dpfip-config.c):
 * "ovstest test-dpfip-config".  Each check prints what it tested when it
 * fails, and the run ends with the number of checks. */

#include <config.h>
#undef NDEBUG
#include "dpfip-config.h"
#include "dpfip-test-check.h"

#include <stdio.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "tests/ovstest.h"
#include "smap.h"
#include "util.h"


/* Fills 'smap' from "KEY=VALUE" strings, NULL-terminated. */
static void
smap_from(struct smap *smap, const char *const *kv)
{
    smap_init(smap);
    for (; *kv; kv++) {
        const char *eq = strchr(*kv, '=');
        char *key = xmemdup0(*kv, eq - *kv);

        smap_add(smap, key, eq + 1);
        free(key);
    }
}

/* Parses bridge keys; returns the error (caller frees) and 'cfg'. */
static char *
bridge(struct dpfip_bridge_cfg *cfg, const char *const *kv)
{
    struct smap smap;
    char *error;

    smap_from(&smap, kv);
    error = dpfip_bridge_cfg_parse(&smap, cfg);
    smap_destroy(&smap);
    return error;
}

static bool
contains(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle);
}

#define BASE "dpfip-uplink=p1", "dpfip-gateway=192.0.2.1,2001:db8::1", \
             "dpfip-router=10.0.0.1/24,fd00::1/64",                   \
             "dpfip-router-mac=02:00:00:00:00:01"

static void
test_macs(void)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        { "02:00:00:00:00:01", true },
        { "2:0:0:0:0:1", true },
        { "AA:bb:CC:dd:EE:ff", true },
        { "02:00:00:00:00:011", false },    /* One digit too many. */
        { "02:00:00:00:00", false },
        { "02:00:00:00:00:01:", false },
        { "02:00:00:00:00:01 ", false },
        { "02-00-00-00-00-01", false },
        { "", false },
        { "zz:00:00:00:00:01", false },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct eth_addr mac;

        CHECK(dpfip_mac_parse(cases[i].s, &mac) == cases[i].ok,
              "'%s' should %sparse", cases[i].s, cases[i].ok ? "" : "not ");
    }
    struct eth_addr mac;
    CHECK(dpfip_mac_parse("2:0:0:0:0:1", &mac)
          && mac.ea[0] == 2 && mac.ea[5] == 1, "value");
}

static void
test_bridge(void)
{
    struct dpfip_bridge_cfg cfg, cfg2;
    char *error;

    error = bridge(&cfg, (const char *[]) { BASE, NULL });
    CHECK(!error, "a good bridge: %s", error);
    CHECK(cfg.has_gw[DPFIP_IPV4] && cfg.has_gw[DPFIP_IPV6], "gateways");
    CHECK(cfg.router.has[DPFIP_IPV4] && cfg.router.addr[0].plen == 24,
          "router prefix");
    CHECK(cfg.internal && cfg.internal->n == 2,
          "internal defaults to the router's prefixes");
    CHECK(cfg.announce_count == DPFIP_ANNOUNCE_COUNT_DEFAULT
          && cfg.announce == DPFIP_ANNOUNCE_ARP && !cfg.uplink_vlan,
          "defaults");
    free(error);

    error = bridge(&cfg2, (const char *[]) { BASE, NULL });
    CHECK(dpfip_bridge_cfg_equal(&cfg, &cfg2), "equal to itself");
    dpfip_bridge_cfg_destroy(&cfg2);
    free(error);
    error = bridge(&cfg2, (const char *[]) { BASE, "dpfip-uplink-vlan=7",
                                             NULL });
    CHECK(!error && cfg2.uplink_vlan == 7, "vlan: %s", error);
    CHECK(!dpfip_bridge_cfg_equal(&cfg, &cfg2), "a VLAN makes a difference");
    dpfip_bridge_cfg_destroy(&cfg2);
    dpfip_bridge_cfg_destroy(&cfg);
    free(error);

    static const struct {
        const char *kv[8];
        const char *error;
    } bad[] = {
        { { "dpfip-gateway=192.0.2.1", "dpfip-router-mac=02:00:00:00:00:01" },
          "dpfip-uplink is not set" },
        { { "dpfip-uplink=p1", "dpfip-router-mac=02:00:00:00:00:01" },
          "dpfip-gateway is not set" },
        { { BASE, "dpfip-gateway=192.0.2.1,192.0.2.2" },
          "dpfip-gateway: more than one IPv4 address" },
        { { BASE, "dpfip-gateway=224.0.0.1" },
          "dpfip-gateway: '224.0.0.1' is multicast" },
        { { BASE, "dpfip-gateway-mac=01:00:00:00:00:01" },
          "dpfip-gateway-mac: '01:00:00:00:00:01' is not a unicast MAC" },
        { { BASE, "dpfip-router-mac=02:00:00:00:00:011" },
          "dpfip-router-mac: '02:00:00:00:00:011' is not a MAC address" },
        { { BASE, "dpfip-router=10.0.0.1" },
          "dpfip-router: '10.0.0.1' is not ADDRESS/PREFIX-LENGTH" },
        { { BASE, "dpfip-router=10.0.0.1/0" },
          "dpfip-router: prefix length 0 is out of range for IPv4" },
        { { BASE, "dpfip-router=10.0.0.1/33" },
          "dpfip-router: prefix length 33 is out of range" },
        { { BASE, "dpfip-router=10.0.0.1/24,10.0.1.1/24" },
          "dpfip-router: more than one IPv4 address" },
        { { BASE, "dpfip-router=192.0.2.1/24" },
          "dpfip-gateway: 192.0.2.1 is also the router's address" },
        { { BASE, "dpfip-router=192.0.2.9/24" },
          "dpfip-router: 192.0.2.0/24 contains the gateway 192.0.2.1" },
        { { BASE, "dpfip-internal=10.0.0.0/8,192.0.0.0/16" },
          "dpfip-internal: 192.0.0.0/16 contains the gateway 192.0.2.1" },
        { { BASE, "dpfip-internal=10.0.0.0/0" },
          "dpfip-internal: prefix length 0 is out of range" },
        { { BASE, "dpfip-internal=" }, "dpfip-internal: '' has no prefix" },
        { { BASE, "dpfip-external-mac=02:00:00:00:00:01" },
          "dpfip-external-mac: equal to dpfip-router-mac" },
        { { BASE, "dpfip-uplink-vlan=4095" },
          "dpfip-uplink-vlan: '4095' is not an integer from 0 to 4094" },
        { { BASE, "dpfip-announce-count=-1" },
          "dpfip-announce-count: '-1' is not an integer from 0 to 100" },
        { { BASE, "dpfip-announce-count=101" },
          "dpfip-announce-count: '101' is not an integer from 0 to 100" },
        { { BASE, "dpfip-announce=ospf" },
          "dpfip-announce: 'ospf' is not arp, bgp or both" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        error = bridge(&cfg, bad[i].kv);
        CHECK(contains(error, bad[i].error), "case %"PRIuSIZE": got '%s', "
              "want '%s'", i, error ? error : "(none)", bad[i].error);
        dpfip_bridge_cfg_destroy(&cfg);
        free(error);
    }

    /* Every problem is reported, each with its key. */
    error = bridge(&cfg, (const char *[]) {
                       BASE, "dpfip-gateway-mac=x", "dpfip-announce-count=x",
                       NULL });
    CHECK(contains(error, "dpfip-gateway-mac") && contains(error, "; ")
          && contains(error, "dpfip-announce-count"), "both: %s", error);
    dpfip_bridge_cfg_destroy(&cfg);
    free(error);
}

static void
test_prefixes(void)
{
    struct dpfip_bridge_cfg cfg;
    struct in6_addr a;
    enum dpfip_family f;
    char *error = bridge(&cfg, (const char *[]) {
                             BASE, "dpfip-internal=10.1.2.3/16,10.0.0.0/24,"
                             "fd00::/64,10.1.0.0/16", NULL });
    struct ds s = DS_EMPTY_INITIALIZER;

    CHECK(!error, "%s", error);
    dpfip_prefixes_format(cfg.internal, &s);
    CHECK(!strcmp(ds_cstr(&s), "10.0.0.0/24,10.1.0.0/16,fd00::/64"),
          "sorted, host bits cleared, duplicates dropped: %s", ds_cstr(&s));
    CHECK(dpfip_prefixes_count(cfg.internal, DPFIP_IPV4) == 2
          && dpfip_prefixes_count(cfg.internal, DPFIP_IPV6) == 1, "counts");

    static const struct {
        const char *addr;
        bool inside;
    } cases[] = {
        { "10.0.0.0", true }, { "10.0.0.255", true }, { "10.0.1.0", false },
        { "10.1.255.255", true }, { "10.2.0.0", false }, { "11.0.0.1", false },
        { "fd00::1", true }, { "fd00:0:0:1::1", false },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        CHECK(dpfip_addr_parse(cases[i].addr, &a, &f), "%s", cases[i].addr);
        CHECK(!dpfip_prefixes_find(cfg.internal, f, &a) == !cases[i].inside,
              "%s should be %s", cases[i].addr,
              cases[i].inside ? "inside" : "outside");
    }
    /* A prefix never contains an address of the other family. */
    dpfip_addr_parse("10.0.0.1", &a, &f);
    CHECK(!dpfip_prefixes_find(cfg.internal, DPFIP_IPV6, &a), "family");

    /* IPv4-mapped addresses are not IPv4 to the parser. */
    CHECK(!dpfip_addr_parse("::ffff:10.0.0.1", &a, &f), "v4-mapped");

    struct in6_addr mask = dpfip_prefix_mask(DPFIP_IPV4, 24);
    CHECK(mask.s6_addr[12] == 0xff && mask.s6_addr[14] == 0xff
          && mask.s6_addr[15] == 0 && mask.s6_addr[0] == 0xff,
          "IPv4 mask counts from the IPv4 address");
    ds_destroy(&s);
    dpfip_bridge_cfg_destroy(&cfg);
    free(error);
}

static char *
iface(struct dpfip_iface_cfg *cfg, const char *const *external_ids,
      const char *const *other_config)
{
    struct smap ext, oc;
    char *error;

    smap_from(&ext, external_ids);
    smap_from(&oc, other_config);
    error = dpfip_iface_cfg_parse(&ext, &oc, cfg);
    smap_destroy(&ext);
    smap_destroy(&oc);
    return error;
}

static void
test_iface(void)
{
    struct dpfip_bridge_cfg br;
    struct dpfip_iface_cfg cfg;
    struct dpfip_route_ctx ctx;
    char *error = bridge(&br, (const char *[]) { BASE, NULL });

    CHECK(!error, "%s", error);

    /* No keys of its own: the bridge's router and prefixes. */
    error = iface(&cfg, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) { NULL });
    CHECK(!error, "%s", error);
    free(error);
    error = dpfip_iface_cfg_resolve(&cfg, &br, &ctx);
    CHECK(!error, "%s", error);
    CHECK(ctx.answered.has[DPFIP_IPV4] && ctx.internal->n == 2
          && ctx.router_mac.ea[5] == 1, "bridge defaults");
    dpfip_route_ctx_destroy(&ctx);
    dpfip_iface_cfg_destroy(&cfg);
    free(error);

    /* A router MAC of its own: another router, not the bridge's; its own
     * internal prefixes. */
    error = iface(&cfg, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) {
                      "dpfip-router-mac=02:00:00:00:00:09",
                      "dpfip-internal=172.16.0.0/12,192.168.0.0/16", NULL });
    CHECK(!error, "%s", error);
    free(error);
    error = dpfip_iface_cfg_resolve(&cfg, &br, &ctx);
    CHECK(!error, "%s", error);
    CHECK(!ctx.answered.has[DPFIP_IPV4] && !ctx.answered.has[DPFIP_IPV6],
          "the bridge's router is not this VM's");
    CHECK(ctx.router_mac.ea[5] == 9 && ctx.internal->n == 2,
          "its own router MAC and prefixes");
    dpfip_route_ctx_destroy(&ctx);
    dpfip_iface_cfg_destroy(&cfg);
    free(error);

    /* dpfip-mac wins over attached-mac; errors name the key. */
    error = iface(&cfg, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) { "dpfip-mac=02:00:00:00:00:07", NULL });
    CHECK(!error && cfg.vm_mac.ea[5] == 7, "dpfip-mac: %s", error);
    dpfip_iface_cfg_destroy(&cfg);
    free(error);
    error = iface(&cfg, (const char *[]) { NULL }, (const char *[]) { NULL });
    CHECK(contains(error, "no VM MAC"), "%s", error);
    dpfip_iface_cfg_destroy(&cfg);
    free(error);
    error = iface(&cfg, (const char *[]) {
                      "attached-mac=02:00:00:00:00:050", NULL },
                  (const char *[]) { NULL });
    CHECK(contains(error, "external_ids:attached-mac: '02:00:00:00:00:050' "
                   "is not a MAC address"), "%s", error);
    dpfip_iface_cfg_destroy(&cfg);
    free(error);

    /* The VM's MAC cannot be its router's. */
    error = iface(&cfg, (const char *[]) {
                      "attached-mac=02:00:00:00:00:01", NULL },
                  (const char *[]) { NULL });
    free(error);
    error = dpfip_iface_cfg_resolve(&cfg, &br, &ctx);
    CHECK(contains(error, "is the router's MAC"), "%s", error);
    dpfip_route_ctx_destroy(&ctx);
    dpfip_iface_cfg_destroy(&cfg);
    free(error);
    dpfip_bridge_cfg_destroy(&br);
}

static void
test_pairs(void)
{
    static const struct {
        const char *text;
        const char *error;          /* NULL: valid, and then 'check'. */
        const char *check;
    } cases[] = {
        { "203.0.113.10=10.0.0.5", NULL, NULL },
        { "2001:db8:f::10=fd00::5", NULL, NULL },
        { "203.0.113.10", "is not FLOATING=FIXED", NULL },
        { "203.0.113.300=10.0.0.5", "floating address '203.0.113.300' is "
          "not an IPv4 or IPv6 address", NULL },
        { "203.0.113.10=fd00::5", "of different address families", NULL },
        { "224.0.0.1=10.0.0.5", "floating address 224.0.0.1 is multicast",
          NULL },
        { "10.0.0.5=10.0.0.5", "are both 10.0.0.5", NULL },
        { "192.0.2.1=10.0.0.5", NULL, "is the gateway's" },
        { "2001:db8::1=fd00::5", NULL, "is the gateway's" },
        { "10.0.0.1=10.0.0.5", NULL, "floating address 10.0.0.1 is the "
          "router's" },
        { "10.0.0.77=10.0.0.5", NULL, "is inside the internal prefix "
          "10.0.0.0/24" },
        { "203.0.113.10=10.0.0.1", NULL, "fixed address 10.0.0.1 is the "
          "router's" },
        { "203.0.113.10=192.0.2.1", NULL, "fixed address 192.0.2.1 is the "
          "gateway's" },
    };
    struct dpfip_bridge_cfg br;
    struct dpfip_iface_cfg icfg;
    struct dpfip_route_ctx ctx;
    char *error = bridge(&br, (const char *[]) { BASE, NULL });

    free(error);
    error = iface(&icfg, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) { NULL });
    free(error);
    error = dpfip_iface_cfg_resolve(&icfg, &br, &ctx);
    free(error);

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct dpfip_pair_cfg pair;

        dpfip_pair_cfg_parse(cases[i].text, &pair);
        if (cases[i].error) {
            CHECK(contains(pair.error, cases[i].error), "%s: got '%s'",
                  cases[i].text, pair.error ? pair.error : "(none)");
        } else {
            CHECK(!pair.error, "%s: %s", cases[i].text, pair.error);
            char *why = dpfip_pair_check(&pair, &br, &ctx);

            if (cases[i].check) {
                CHECK(contains(why, cases[i].check), "%s: got '%s'",
                      cases[i].text, why ? why : "(none)");
            } else {
                CHECK(!why, "%s: %s", cases[i].text, why);
            }
            free(why);
        }
        dpfip_pair_cfg_destroy(&pair);
    }
    dpfip_route_ctx_destroy(&ctx);
    dpfip_iface_cfg_destroy(&icfg);
    dpfip_bridge_cfg_destroy(&br);

    /* Items keep their order; duplicates go. */
    size_t n;
    char **items = dpfip_split_fips(" b=2, a=1,b=2\tc=3 ", &n);
    CHECK(n == 3 && !strcmp(items[0], "b=2") && !strcmp(items[1], "a=1")
          && !strcmp(items[2], "c=3"), "split: %"PRIuSIZE" items", n);
    for (size_t i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
}

static void
test_global(void)
{
    struct dpfip_global_cfg cfg;
    struct smap smap;
    char *error;

    dpfip_global_cfg_init(&cfg);
    smap_from(&smap, (const char *[]) {
                  "dpfip-enable=true", "dpfip-offload=software",
                  "tc-policy=skip_hw", "dpfip-fused-rewrite=false", NULL });
    error = dpfip_global_cfg_parse(&smap, &cfg);
    CHECK(!error && cfg.enabled && cfg.offload == DPFIP_OFFLOAD_SOFTWARE
          && cfg.tc_policy == DPFIP_TC_POLICY_SKIP_HW && !cfg.fused_rewrite,
          "%s", error);
    smap_destroy(&smap);
    free(error);

    /* A bad value keeps the previous one and says so. */
    smap_from(&smap, (const char *[]) {
                  "dpfip-enable=yes", "dpfip-offload=hardware",
                  "tc-policy=skip_everything", "dpfip-fused-rewrite=1",
                  NULL });
    error = dpfip_global_cfg_parse(&smap, &cfg);
    CHECK(cfg.enabled && cfg.offload == DPFIP_OFFLOAD_SOFTWARE
          && cfg.tc_policy == DPFIP_TC_POLICY_SKIP_HW && !cfg.fused_rewrite,
          "kept");
    CHECK(contains(error, "dpfip-enable: 'yes' is not true or false; keeping "
                   "'true'") && contains(error, "dpfip-offload: 'hardware'")
          && contains(error, "tc-policy: 'skip_everything'")
          && contains(error, "dpfip-fused-rewrite: '1' is not true or false; "
                      "keeping 'false'"), "%s", error);
    smap_destroy(&smap);
    free(error);

    /* Absent keys are their defaults. */
    smap_init(&smap);
    error = dpfip_global_cfg_parse(&smap, &cfg);
    CHECK(!error && !cfg.enabled && cfg.offload == DPFIP_OFFLOAD_AUTO
          && cfg.tc_policy == DPFIP_TC_POLICY_NONE && cfg.fused_rewrite,
          "defaults");
    smap_destroy(&smap);
    free(error);
}

static void
test_filters(void)
{
    static const struct {
        const char *value;
        const char *canonical;      /* NULL: an error containing 'error'. */
        const char *error;
    } cases[] = {
        { "tcp:22@198.51.100.0/24,tcp:80-443,udp:53,icmp",
          "tcp:22@198.51.100.0/24,tcp:80-443,udp:53,icmp", NULL },
        { "ip@2001:db8::/32 icmp6", "ip@2001:db8::/32,icmp6", NULL },
        { "tcp@192.0.2.7", "tcp@192.0.2.7/32", NULL },
        { "udp:53@198.51.100.77/24", "udp:53@198.51.100.0/24", NULL },
        { "sctp:22", NULL, "dpfip-ingress: 'sctp:22': 'sctp' is not a "
          "protocol (tcp, udp, icmp, icmp6 or ip)" },
        { "tcp:0", NULL, "port 0 is out of range (1 to 65535)" },
        { "tcp:65536", NULL, "port 65536 is out of range" },
        { "tcp:99999999999999999999", NULL, "is out of range" },
        { "tcp:http", NULL, "'http' is not a port" },
        { "tcp:22x", NULL, "'22x' is not a port" },
        { "tcp:443-80", NULL, "the port range is empty" },
        { "icmp:8", NULL, "only tcp and udp take a port" },
        { "ip:22", NULL, "only tcp and udp take a port" },
        { "icmp@2001:db8::/32", NULL, "icmp takes no IPv6 prefix" },
        { "icmp6@192.0.2.0/24", NULL, "icmp6 takes no IPv4 prefix" },
        { "tcp@192.0.2.0/33", NULL, "prefix length 33 is out of range" },
        { "tcp@192.0.2.0/0", NULL, "prefix length 0 is out of range" },
        { "tcp@not-an-address", NULL, "is not an IPv4 or IPv6 address" },
        { "", NULL, "has no item" },
        { " , ", NULL, "has no item" },
        { "pipeline", "pipeline", NULL },
        { "pipeline,tcp:22", NULL, "'pipeline' stands alone" },
        { "tcp:22 pipeline", NULL, "'pipeline' stands alone" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct dpfip_filter *filter;
        char *error = dpfip_filter_parse("dpfip-ingress", cases[i].value,
                                         &filter);

        if (cases[i].canonical) {
            struct ds s = DS_EMPTY_INITIALIZER;

            CHECK(!error && filter, "'%s': %s", cases[i].value, error);
            if (filter) {
                dpfip_filter_format(filter, &s);
            }
            CHECK(!strcmp(ds_cstr(&s), cases[i].canonical),
                  "'%s' reads back as '%s'", cases[i].value, ds_cstr(&s));
            ds_destroy(&s);
        } else {
            CHECK(!filter && contains(error, cases[i].error),
                  "'%s': '%s' should contain '%s'", cases[i].value, error,
                  cases[i].error);
        }
        dpfip_filter_unref(filter);
        free(error);
    }

    /* Families: icmp and IPv4 prefixes apply to IPv4 FIPs only. */
    struct dpfip_iface_cfg cfg;
    char *error = iface(&cfg, (const char *[]) {
                            "attached-mac=02:00:00:00:00:05", NULL },
                        (const char *[]) {
                            "dpfip-ingress=icmp,tcp:22@198.51.100.0/24",
                            "dpfip-egress=udp:53", NULL });
    CHECK(!error && cfg.ingress && cfg.egress, "%s", error);
    free(error);
    error = dpfip_iface_cfg_check_family(&cfg, DPFIP_IPV4);
    CHECK(!error, "IPv4: %s", error);
    free(error);
    error = dpfip_iface_cfg_check_family(&cfg, DPFIP_IPV6);
    CHECK(contains(error, "dpfip-ingress: no item applies to IPv6"), "%s",
          error);
    free(error);

    /* Equality follows the items, not the text. */
    struct dpfip_iface_cfg cfg2;
    error = iface(&cfg2, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) {
                      "dpfip-ingress=icmp, tcp:22@198.51.100.9/24",
                      "dpfip-egress=udp:53", NULL });
    CHECK(!error && dpfip_iface_cfg_equal(&cfg, &cfg2), "equal: %s", error);
    free(error);
    dpfip_iface_cfg_destroy(&cfg2);
    error = iface(&cfg2, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) {
                      "dpfip-ingress=icmp,tcp:23@198.51.100.0/24",
                      "dpfip-egress=udp:53", NULL });
    CHECK(!error && !dpfip_iface_cfg_equal(&cfg, &cfg2), "differ: %s",
          error);
    free(error);
    dpfip_iface_cfg_destroy(&cfg2);

    /* "pipeline" applies to both families and is not the empty list. */
    error = iface(&cfg2, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) { "dpfip-ingress=pipeline", NULL });
    CHECK(!error && cfg2.ingress && cfg2.ingress->pipeline
          && !cfg2.ingress->n && !cfg2.egress, "pipeline: %s", error);
    free(error);
    for (int family = 0; family < DPFIP_N_FAMILIES; family++) {
        error = dpfip_iface_cfg_check_family(&cfg2, family);
        CHECK(!error, "pipeline, %s: %s", dpfip_family_to_string(family),
              error);
        free(error);
    }
    CHECK(!dpfip_iface_cfg_equal(&cfg, &cfg2), "pipeline equals a list");
    dpfip_iface_cfg_destroy(&cfg2);

    /* A bad filter makes the interface invalid, naming the key. */
    error = iface(&cfg2, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) { "dpfip-egress=tcp:0", NULL });
    CHECK(contains(error, "dpfip-egress: 'tcp:0': port 0 is out of range"),
          "%s", error);
    free(error);
    dpfip_iface_cfg_destroy(&cfg2);
    dpfip_iface_cfg_destroy(&cfg);
}

static void
test_mtu(void)
{
    static const struct {
        const char *value;
        unsigned int mtu;           /* 0: an error containing 'error'. */
        const char *error;
    } cases[] = {
        { "1400", 1400, NULL },
        { "68", 68, NULL },
        { "65535", 65535, NULL },
        { "67", 0, "dpfip-mtu: '67' is not an integer from 68 to 65535" },
        { "65536", 0, "not an integer from 68 to 65535" },
        { "-1400", 0, "not an integer" },
        { "1400x", 0, "not an integer" },
        { "", 0, "not an integer" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct dpfip_iface_cfg cfg;
        char *kv = xasprintf("dpfip-mtu=%s", cases[i].value);
        char *error = iface(&cfg, (const char *[]) {
                                "attached-mac=02:00:00:00:00:05", NULL },
                            (const char *[]) { kv, NULL });

        if (cases[i].mtu) {
            CHECK(!error && cfg.mtu == cases[i].mtu, "'%s': %s (%u)",
                  cases[i].value, error, cfg.mtu);
        } else {
            CHECK(contains(error, cases[i].error), "'%s': '%s' should "
                  "contain '%s'", cases[i].value, error, cases[i].error);
        }
        free(error);
        free(kv);
        dpfip_iface_cfg_destroy(&cfg);
    }

    /* Below IPv6's minimum, IPv6 FIPs cannot work; IPv4 ones can. */
    struct dpfip_iface_cfg cfg, cfg2;
    char *error = iface(&cfg, (const char *[]) {
                            "attached-mac=02:00:00:00:00:05", NULL },
                        (const char *[]) { "dpfip-mtu=1000", NULL });
    CHECK(!error, "%s", error);
    free(error);
    error = dpfip_iface_cfg_check_family(&cfg, DPFIP_IPV4);
    CHECK(!error, "IPv4, 1000: %s", error);
    free(error);
    error = dpfip_iface_cfg_check_family(&cfg, DPFIP_IPV6);
    CHECK(contains(error, "dpfip-mtu: 1000 is below IPv6's minimum MTU "
                   "(1280)"), "IPv6, 1000: %s", error);
    free(error);

    /* Not set: 0, the port's MTU; a change is a change. */
    error = iface(&cfg2, (const char *[]) {
                      "attached-mac=02:00:00:00:00:05", NULL },
                  (const char *[]) { NULL });
    CHECK(!error && !cfg2.mtu, "default: %s (%u)", error, cfg2.mtu);
    CHECK(!dpfip_iface_cfg_equal(&cfg, &cfg2), "1000 equals the default");
    free(error);
    dpfip_iface_cfg_destroy(&cfg2);
    dpfip_iface_cfg_destroy(&cfg);
}

static void
test_dpfip_config_main(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_macs();
    test_bridge();
    test_prefixes();
    test_iface();
    test_pairs();
    test_filters();
    test_mtu();
    test_global();
    check_exit();
}

OVSTEST_REGISTER("test-dpfip-config", test_dpfip_config_main);
