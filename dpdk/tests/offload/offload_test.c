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

/* Standalone test of lib/dpfip-offload-rte-flow.c against the net_eswitch
 * model, with real traffic.  run.sh creates (MACs as in the comments):
 *
 *   netns dpo_ext: ext0 198.51.100.1, 2001:db8:1::1 (the gateway,
 *                  02:00:00:00:01:01) <-> dpo_up (uplink, 02:00:00:00:01:02
 *                  = external MAC)
 *   netns dpo_vm0: vm0 10.0.0.5, fd00::5 (02:00:00:00:02:01), default
 *                  routes via the router 10.0.0.1 / fd00::1, router MAC
 *                  02:00:00:00:00:01 <-> dpo_rep0 (vf 0)
 *   root: dpo_c0/dpo_c1 (switch capacity=1), dpo_f0/dpo_f1 (fail-every=3)
 *
 * FIPs: 192.0.2.10 = 10.0.0.5, 2001:db8:f::10 = fd00::5; internal prefixes
 * 10.0.0.0/24, fd00::/64.  Prints "PASS: ..." / "FAIL: ..." per check.
 *
 * usage: offload_test PLUGIN.so WORKDIR HELPER.py */

#include <config.h>
#include "dpfip-offload-provider.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

static int n_pass, n_fail;
static const char *workdir, *helper;
static uint16_t up, rep0, cap0, cap1, fe0, fe1;
static const struct dpfip_offload_class *cls = &dpfip_offload_rte_flow_class;

static void check(bool ok, const char *fmt, ...) OVS_PRINTF_FORMAT(2, 3);

static void
check(bool ok, const char *fmt, ...)
{
    va_list args;

    if (ok) {
        n_pass++;
    } else {
        n_fail++;
    }
    printf("%s: ", ok ? "PASS" : "FAIL");
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
    printf("\n");
    fflush(stdout);
}

static int sh(const char *fmt, ...) OVS_PRINTF_FORMAT(1, 2);

static int
sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list args;

    va_start(args, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, args);
    va_end(args);
    return system(cmd);
}

static char *
slurp(const char *name)
{
    static char buf[65536];
    char path[512];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "%s/%s", workdir, name);
    f = fopen(path, "r");
    buf[0] = '\0';
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static int
count_lines(const char *name)
{
    const char *s = slurp(name);
    int n = 0;

    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

/* Misses seen by the application (rx_burst), by kind. */
enum miss {
    MISS_FIP4,          /* Uplink, IPv4 dst 192.0.2.10. */
    MISS_FIP6,          /* Uplink, IPv6 dst 2001:db8:f::10. */
    MISS_INT4,          /* rep0, IPv4 dst 10.0.0.7 (internal). */
    MISS_INT6,          /* rep0, IPv6 dst fd00::7 (internal). */
    MISS_OUT4,          /* rep0, IPv4 dst 198.51.100.1. */
    MISS_OUT6,          /* rep0, IPv6 dst 2001:db8:1::1. */
    N_MISS
};
static uint64_t misses[N_MISS];
static volatile int polling = 1;

static void
count_miss(enum miss m)
{
    __atomic_fetch_add(&misses[m], 1, __ATOMIC_RELAXED);
}

static uint64_t
get_miss(enum miss m)
{
    return __atomic_load_n(&misses[m], __ATOMIC_RELAXED);
}

static bool
ip6_is(const uint8_t *p, const char *s)
{
    struct in6_addr a;

    return inet_pton(AF_INET6, s, &a) == 1 && !memcmp(p, &a, 16);
}

static bool
ip4_is(const uint8_t *p, const char *s)
{
    uint32_t a = inet_addr(s);

    return !memcmp(p, &a, 4);
}

static void
classify(const struct rte_mbuf *m, bool uplink)
{
    const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m);
    bool v4 = len >= 34 && d[12] == 0x08 && d[13] == 0x00;
    bool v6 = len >= 54 && d[12] == 0x86 && d[13] == 0xdd;

    if (uplink) {
        if (v4 && ip4_is(d + 30, "192.0.2.10")) {
            count_miss(MISS_FIP4);
        } else if (v6 && ip6_is(d + 38, "2001:db8:f::10")) {
            count_miss(MISS_FIP6);
        }
    } else if (v4) {
        if (ip4_is(d + 30, "10.0.0.7")) {
            count_miss(MISS_INT4);
        } else if (ip4_is(d + 30, "198.51.100.1")) {
            count_miss(MISS_OUT4);
        }
    } else if (v6) {
        if (ip6_is(d + 38, "fd00::7")) {
            count_miss(MISS_INT6);
        } else if (ip6_is(d + 38, "2001:db8:1::1")) {
            count_miss(MISS_OUT6);
        }
    }
}

/* Plays the OVS PMD thread: whatever reaches rx_burst is a miss. */
static void *
poll_main(void *arg OVS_UNUSED)
{
    struct rte_mbuf *pkts[32];

    while (polling) {
        uint16_t i, n, n2;

        n = rte_eth_rx_burst(up, 0, pkts, 32);
        for (i = 0; i < n; i++) {
            classify(pkts[i], true);
            rte_pktmbuf_free(pkts[i]);
        }
        n2 = rte_eth_rx_burst(rep0, 0, pkts, 32);
        for (i = 0; i < n2; i++) {
            classify(pkts[i], false);
            rte_pktmbuf_free(pkts[i]);
        }
        if (!n && !n2) {
            usleep(100);
        }
    }
    return NULL;
}

static bool
wait_miss(enum miss m, uint64_t min, int ms)
{
    for (; ms > 0; ms -= 50) {
        if (get_miss(m) >= min) {
            return true;
        }
        usleep(50 * 1000);
    }
    return get_miss(m) >= min;
}

static void
recv_start(const char *ns, int af, const char *addr, int port,
           const char *file, int secs)
{
    sh("ip netns exec %s %s recv %d %s %d %s/%s %d >/dev/null 2>&1 &",
       ns, helper, af, addr, port, workdir, file, secs);
}

static void
send_udp(const char *ns, int af, const char *dst, int port, const char *tag,
         int n, int hlim)
{
    char hl[16] = "";

    if (hlim) {
        snprintf(hl, sizeof hl, " %d", hlim);
    }
    sh("ip netns exec %s %s send %d %s %d %s %d%s", ns, helper, af, dst,
       port, tag, n, hl);
}

static int
ping(const char *ns, int af, const char *dst, int n, int ttl)
{
    char t[16] = "";

    if (ttl) {
        snprintf(t, sizeof t, " -t %d", ttl);
    }
    return sh("ip netns exec %s ping -%d -n -q -c %d -i 0.2 -W 1%s %s "
              ">/dev/null 2>&1", ns, af, n, t, dst);
}

/* Captures 'filter' on 'dev' in 'ns' for 5 s; waits until it runs. */
static void
tcpdump(const char *ns, const char *dev, const char *filter,
        const char *file)
{
    sh("ip netns exec %s timeout 5 tcpdump -i %s -n -e -vv -l '%s' "
       "> %s/%s 2>/dev/null &", ns, dev, filter, workdir, file);
    usleep(1500 * 1000);
}

/* Lets the receivers and the model settle (veth + AF_PACKET latency). */
static void
settle(void)
{
    usleep(700 * 1000);
}

static struct in6_addr
addr(const char *s)
{
    struct in6_addr a;

    if (strchr(s, ':')) {
        inet_pton(AF_INET6, s, &a);
    } else {
        in6_addr_set_mapped_ipv4(&a, inet_addr(s));
    }
    return a;
}

static struct eth_addr
mac(const char *s)
{
    struct eth_addr ea;

    eth_addr_from_string(s, &ea);
    return ea;
}

static void
spec_init(struct dpfip_offload_rule_spec *s, enum dpfip_direction dir,
          bool v4, uint16_t uplink, uint16_t vm)
{
    memset(s, 0, sizeof *s);
    s->direction = dir;
    s->is_ipv4 = v4;
    s->floating = addr(v4 ? "192.0.2.10" : "2001:db8:f::10");
    s->fixed = addr(v4 ? "10.0.0.5" : "fd00::5");
    s->vm_mac = mac("02:00:00:00:02:01");
    s->router_mac = mac("02:00:00:00:00:01");
    s->ext_mac = mac("02:00:00:00:01:02");
    s->gw_mac = mac("02:00:00:00:01:01");
    s->in_port = dir == DPFIP_DNAT ? uplink : vm;
    s->out_port = dir == DPFIP_DNAT ? vm : uplink;
    s->has_internal = true;
    s->internal = addr(v4 ? "10.0.0.0" : "fd00::");
    s->internal_plen = v4 ? 24 : 64;
}

static int
install(const struct dpfip_offload_rule_spec *s,
        struct dpfip_offload_rule **r, char **error)
{
    *error = NULL;
    return cls->install(s, r, error);
}

static struct dpfip_offload_stats
stats(struct dpfip_offload_rule *r)
{
    struct dpfip_offload_stats st;
    char *error = NULL;

    memset(&st, 0, sizeof st);
    if (r && cls->stats(r, &st, &error)) {
        check(false, "stats: %s", error);
        free(error);
    }
    return st;
}

static char *
describe(const struct dpfip_offload_rule *r)
{
    static char buf[256];
    struct ds ds = DS_EMPTY_INITIALIZER;

    cls->describe(r, &ds);
    snprintf(buf, sizeof buf, "%s", ds_cstr(&ds));
    ds_destroy(&ds);
    return buf;
}

static void
remove_rule(struct dpfip_offload_rule **r, const char *what)
{
    char *error = NULL;
    int ret = cls->remove(*r, &error);

    check(!ret, "remove %s%s%s", what, ret ? ": " : "",
          ret ? error : "");
    free(error);
    *r = NULL;
}

static void
test_probe(void)
{
    char *reason = NULL;
    int ret;

    ret = cls->probe(up, rep0, &reason);
    check(!ret, "probe uplink -> rep0: same switch (%s)",
          ret ? reason : "ok");
    free(reason);
    reason = NULL;
    ret = cls->probe(rep0, up, &reason);
    check(!ret, "probe rep0 -> uplink");
    free(reason);
    reason = NULL;

    ret = cls->probe(up, cap1, &reason);
    check(ret == EOPNOTSUPP && reason
          && strstr(reason, "different switch domains"),
          "probe across switches refused: %s", reason ? reason : "");
    free(reason);
    reason = NULL;

    ret = cls->probe(up, 77, &reason);
    check(ret == ENODEV && reason
          && !strcmp(reason, "port 77 is not a DPDK port"),
          "probe of a missing port: %s", reason ? reason : "");
    free(reason);
    reason = NULL;

    ret = cls->probe(up, up, &reason);
    check(ret && reason && strstr(reason, "same port"),
          "probe in == out refused: %s", reason ? reason : "");
    free(reason);
}

static void
test_spec_errors(void)
{
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *r;
    char *error;
    int ret;

    /* A port of another switch: the model's validate message, verbatim,
     * and nothing created. */
    spec_init(&s, DPFIP_DNAT, true, up, cap1);
    ret = install(&s, &r, &error);
    check(ret && !r && error
          && strstr(error, "eswitch: action REPRESENTED_PORT: port")
          && strstr(error, "is not a port of switch sw0"),
          "validate failure surfaces the PMD message: %s",
          error ? error : "");
    free(error);

    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    s.internal_plen = 0;
    ret = install(&s, &r, &error);
    check(ret == EINVAL && error && strstr(error, "/0"),
          "SNAT with internal prefix /0 refused: %s", error ? error : "");
    free(error);

    spec_init(&s, DPFIP_DNAT, true, up, rep0);
    s.ext_mac = s.router_mac;
    s.internal = addr("192.0.2.0");
    ret = install(&s, &r, &error);
    check(ret == EINVAL && error && strstr(error, "internal prefix"),
          "DNAT shadowed by the internal prefix refused: %s",
          error ? error : "");
    free(error);

    spec_init(&s, DPFIP_SNAT, false, up, rep0);
    s.internal_plen = 128;
    s.ttl_guard = true;
    ret = install(&s, &r, &error);
    check(ret == E2BIG && error && strstr(error, "256 hardware rules"),
          "too many rules refused: %s", error ? error : "");
    free(error);

    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    s.fixed = addr("fd00::5");
    ret = install(&s, &r, &error);
    check(ret == EINVAL && error && strstr(error, "IPv4-mapped"),
          "IPv4 spec with an IPv6 address refused: %s", error ? error : "");
    free(error);
}

static void
test_capacity(void)
{
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *r1, *r2;
    char *error;
    int ret;

    spec_init(&s, DPFIP_DNAT, true, cap0, cap1);
    s.has_internal = false;
    ret = install(&s, &r1, &error);
    check(!ret && r1, "capacity=1: first FIP rule installed %s",
          ret ? error : "");
    free(error);

    s.floating = addr("192.0.2.11");
    ret = install(&s, &r2, &error);
    check(ret == ENOSPC && !r2 && error
          && !strcmp(error, "eswitch: table full (capacity 1)"),
          "capacity=1: second refused, ENOSPC, \"%s\"", error ? error : "");
    free(error);

    if (r1) {
        remove_rule(&r1, "capacity=1 first rule");
    }
    /* 8 rules (IPv6 DNAT): the 2nd create fails, the 1st is rolled back,
     * so a 1-rule FIP fits again afterwards. */
    spec_init(&s, DPFIP_DNAT, false, cap0, cap1);
    ret = install(&s, &r2, &error);
    check(ret == ENOSPC && !r2 && error && strstr(error, "table full"),
          "capacity=1: 8-rule IPv6 DNAT refused (%s)", error ? error : "");
    free(error);
    spec_init(&s, DPFIP_DNAT, true, cap0, cap1);
    ret = install(&s, &r1, &error);
    check(!ret, "capacity=1: after the rollback a 1-rule FIP fits %s",
          ret ? error : "");
    free(error);
    if (r1) {
        remove_rule(&r1, "capacity=1 rule");
    }
}

static void
test_fail_every(void)
{
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *r[3];
    char *error;
    int i, ret;

    spec_init(&s, DPFIP_DNAT, true, fe0, fe1);
    s.has_internal = false;
    for (i = 0; i < 3; i++) {
        in6_addr_set_mapped_ipv4(&s.floating, htonl(0xc0000214 + i));
        ret = install(&s, &r[i], &error);
        if (i < 2) {
            check(!ret, "fail-every=3: create #%d works", i + 1);
        } else {
            check(ret == EIO && !r[i] && error
                  && !strcmp(error, "eswitch: injected failure "
                             "(fail-every=3, create #3)"),
                  "fail-every=3: create #3 refused, EIO, \"%s\"",
                  error ? error : "");
        }
        free(error);
    }
    /* IPv6 DNAT: creates #4, #5 pass, #6 fails: two rolled back. */
    spec_init(&s, DPFIP_DNAT, false, fe0, fe1);
    ret = install(&s, &r[2], &error);
    check(ret == EIO && error && strstr(error, "create #6"),
          "fail-every=3: 8-rule install fails at #6 and rolls back (%s)",
          error ? error : "");
    free(error);
    for (i = 0; i < 2; i++) {
        if (r[i]) {
            remove_rule(&r[i], "fail-every rule");
        }
    }
}

static bool
state_has(const char *needle)
{
    int i;

    for (i = 0; i < 20; i++) {
        if (strstr(slurp("state"), needle)) {
            return true;
        }
        usleep(100 * 1000);
    }
    return false;
}

static void
test_traffic(void)
{
    struct dpfip_offload_rule *dnat4, *snat4, *dnat6, *snat6;
    struct dpfip_offload_stats st, st2;
    struct dpfip_offload_rule_spec s;
    uint64_t m0, m1;
    char *error, *cap;
    int ret;

    /* Before: FIP traffic is a miss. */
    m0 = get_miss(MISS_FIP4);
    send_udp("dpo_ext", 4, "192.0.2.10", 5000, "pre", 2, 0);
    check(wait_miss(MISS_FIP4, m0 + 2, 3000),
          "no rules: UDP to the IPv4 FIP reaches rx_burst");

    spec_init(&s, DPFIP_DNAT, true, up, rep0);
    ret = install(&s, &dnat4, &error);
    check(!ret, "install IPv4 DNAT %s", ret ? error : describe(dnat4));
    free(error);
    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    s.ttl_guard = true;
    ret = install(&s, &snat4, &error);
    check(!ret, "install IPv4 SNAT with TTL guard %s",
          ret ? error : describe(snat4));
    free(error);
    spec_init(&s, DPFIP_DNAT, false, up, rep0);
    s.ttl_guard = true;
    ret = install(&s, &dnat6, &error);
    check(!ret, "install IPv6 DNAT with TTL guard %s",
          ret ? error : describe(dnat6));
    free(error);
    spec_init(&s, DPFIP_SNAT, false, up, rep0);
    ret = install(&s, &snat6, &error);
    check(!ret, "install IPv6 SNAT %s", ret ? error : describe(snat6));
    free(error);
    if (!dnat4 || !snat4 || !dnat6 || !snat6) {
        return;
    }
    check(strstr(describe(dnat4), "1 transfer rules")
          && strstr(describe(snat4), "48 transfer rules (24 TTL guards)")
          && strstr(describe(dnat6), "9 transfer rules (1 TTL guards)")
          && strstr(describe(snat6), "64 transfer rules"),
          "rule counts: IPv4 DNAT 1, IPv4 SNAT /24 + guard 48, "
          "IPv6 DNAT 8 + guard 1, IPv6 SNAT /64 64");
    check(state_has("rules=122 "), "model's state file: 122 rules");

    /* IPv4 both ways, UDP. */
    recv_start("dpo_vm0", 4, "10.0.0.5", 5000, "vm4.txt", 6);
    recv_start("dpo_ext", 4, "198.51.100.1", 6000, "ext4.txt", 6);
    tcpdump("dpo_vm0", "vm0", "udp port 5000", "cap_vm4.txt");
    tcpdump("dpo_ext", "ext0", "udp port 6000", "cap_ext4.txt");
    m0 = get_miss(MISS_FIP4);
    m1 = get_miss(MISS_OUT4);
    send_udp("dpo_ext", 4, "192.0.2.10", 5000, "in", 5, 0);
    send_udp("dpo_vm0", 4, "198.51.100.1", 6000, "out", 4, 0);
    settle();
    cap = slurp("vm4.txt");
    check(count_lines("vm4.txt") == 5 && strstr(cap, "198.51.100.1 in1")
          && strstr(cap, "198.51.100.1 in5"),
          "IPv4 DNAT: VM got 5/5 datagrams on 10.0.0.5:5000 from "
          "198.51.100.1");
    cap = slurp("ext4.txt");
    check(count_lines("ext4.txt") == 4 && strstr(cap, "192.0.2.10 out1")
          && strstr(cap, "192.0.2.10 out4"),
          "IPv4 SNAT: external host got 4/4 datagrams from 192.0.2.10");
    st = stats(dnat4);
    st2 = stats(snat4);
    check(st.n_packets == 5 && st.n_bytes == 5 * 46,
          "IPv4 DNAT counters: %"PRIu64" packets, %"PRIu64" bytes "
          "(5, 230 expected)", st.n_packets, st.n_bytes);
    check(st2.n_packets == 4 && st2.n_bytes == 4 * 47,
          "IPv4 SNAT counters: %"PRIu64" packets, %"PRIu64" bytes "
          "(4, 188 expected)", st2.n_packets, st2.n_bytes);
    check(get_miss(MISS_FIP4) == m0 && get_miss(MISS_OUT4) == m1,
          "IPv4: no offloaded packet reached rx_burst");
    cap = slurp("cap_vm4.txt");
    check(strstr(cap, "02:00:00:00:00:01 > 02:00:00:00:02:01")
          && strstr(cap, "ttl 63") && !strstr(cap, "ttl 64")
          && strstr(cap, "198.51.100.1.") && strstr(cap, "> 10.0.0.5.5000")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump in the VM: router MAC > VM MAC, TTL 63, dst 10.0.0.5, "
          "UDP checksum ok");
    cap = slurp("cap_ext4.txt");
    check(strstr(cap, "02:00:00:00:01:02 > 02:00:00:00:01:01")
          && strstr(cap, "ttl 63") && strstr(cap, "192.0.2.10.")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump on the external host: ext MAC > gw MAC, TTL 63, "
          "src 192.0.2.10, UDP checksum ok");

    /* Ping round trip entirely in "hardware". */
    ret = ping("dpo_ext", 4, "192.0.2.10", 3, 0);
    st = stats(dnat4);
    st2 = stats(snat4);
    check(!ret && st.n_packets == 8 && st2.n_packets == 7,
          "IPv4 ping ext -> FIP: 3/3 replies, DNAT %"PRIu64" SNAT %"PRIu64
          " (8, 7 expected)", st.n_packets, st2.n_packets);
    st = stats(dnat4);
    check(st.n_packets == 8, "stats twice without traffic: same totals "
          "(query resets, provider accumulates)");

    /* Internal destination: stays in software. */
    m0 = get_miss(MISS_INT4);
    send_udp("dpo_vm0", 4, "10.0.0.7", 7000, "int", 3, 0);
    check(wait_miss(MISS_INT4, m0 + 3, 3000) && stats(snat4).n_packets == 7,
          "IPv4 to internal 10.0.0.7 via router MAC: 3 misses to rx_burst, "
          "SNAT counter unchanged");

    /* TTL 1 in: no guard, the model hands it to software. */
    m0 = get_miss(MISS_FIP4);
    ping("dpo_ext", 4, "192.0.2.10", 2, 1);
    check(wait_miss(MISS_FIP4, m0 + 2, 3000) && stats(dnat4).n_packets == 8,
          "IPv4 TTL 1 to the FIP (no guard): model punts to rx_burst "
          "(%"PRIu64" misses), DNAT counter unchanged", get_miss(MISS_FIP4)
          - m0);
    /* TTL 1 out: the guard drops it in hardware and counts it. */
    m1 = get_miss(MISS_OUT4);
    send_udp("dpo_vm0", 4, "198.51.100.1", 6000, "ttl", 2, 1);
    settle();
    st = stats(snat4);
    check(st.n_dropped == 2 && st.n_packets == 7
          && get_miss(MISS_OUT4) == m1,
          "IPv4 TTL 1 from the VM: TTL guard dropped %"PRIu64" in hardware "
          "(%"PRIu64" bytes), none to rx_burst", st.n_dropped,
          st.n_dropped_bytes);
    /* TTL 1 to an internal destination is not the guard's business. */
    m0 = get_miss(MISS_INT4);
    send_udp("dpo_vm0", 4, "10.0.0.7", 7000, "int", 2, 1);
    check(wait_miss(MISS_INT4, m0 + 2, 3000)
          && stats(snat4).n_dropped == 2,
          "IPv4 TTL 1 to internal 10.0.0.7: misses, guard not hit");

    /* IPv6 both ways. */
    recv_start("dpo_vm0", 6, "fd00::5", 5000, "vm6.txt", 6);
    recv_start("dpo_ext", 6, "2001:db8:1::1", 6000, "ext6.txt", 6);
    tcpdump("dpo_vm0", "vm0", "udp port 5000", "cap_vm6.txt");
    tcpdump("dpo_ext", "ext0", "udp port 6000", "cap_ext6.txt");
    m0 = get_miss(MISS_FIP6);
    m1 = get_miss(MISS_OUT6);
    send_udp("dpo_ext", 6, "2001:db8:f::10", 5000, "in", 3, 0);
    send_udp("dpo_vm0", 6, "2001:db8:1::1", 6000, "out", 3, 0);
    settle();
    check(count_lines("vm6.txt") == 3
          && strstr(slurp("vm6.txt"), "2001:db8:1::1 in3"),
          "IPv6 DNAT: VM got 3/3 datagrams on [fd00::5]:5000");
    check(count_lines("ext6.txt") == 3
          && strstr(slurp("ext6.txt"), "2001:db8:f::10 out3"),
          "IPv6 SNAT: external host got 3/3 datagrams from "
          "2001:db8:f::10");
    st = stats(dnat6);
    st2 = stats(snat6);
    check(st.n_packets == 3 && st.n_bytes == 3 * 66 && st2.n_packets == 3
          && st2.n_bytes == 3 * 67,
          "IPv6 counters: DNAT %"PRIu64"/%"PRIu64" SNAT %"PRIu64"/%"PRIu64
          " packets/bytes (3/198, 3/201 expected)", st.n_packets,
          st.n_bytes, st2.n_packets, st2.n_bytes);
    check(get_miss(MISS_FIP6) == m0 && get_miss(MISS_OUT6) == m1,
          "IPv6: no offloaded packet reached rx_burst");
    cap = slurp("cap_vm6.txt");
    check(strstr(cap, "02:00:00:00:00:01 > 02:00:00:00:02:01")
          && strstr(cap, "hlim 63") && strstr(cap, "> fd00::5.5000")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump in the VM: router MAC > VM MAC, hop limit 63, "
          "dst fd00::5, UDP checksum ok");
    cap = slurp("cap_ext6.txt");
    check(strstr(cap, "02:00:00:00:01:02 > 02:00:00:00:01:01")
          && strstr(cap, "hlim 63") && strstr(cap, "2001:db8:f::10.")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump on the external host: ext MAC > gw MAC, hop limit 63, "
          "src 2001:db8:f::10, UDP checksum ok");
    ret = ping("dpo_ext", 6, "2001:db8:f::10", 3, 0);
    check(!ret && stats(dnat6).n_packets == 6
          && stats(snat6).n_packets == 6,
          "IPv6 ping ext -> FIP: 3/3 replies through hardware");

    /* Hop limit 255 (neighbor discovery's) stays in software. */
    m0 = get_miss(MISS_FIP6);
    send_udp("dpo_ext", 6, "2001:db8:f::10", 5000, "hl", 2, 255);
    check(wait_miss(MISS_FIP6, m0 + 2, 3000) && stats(dnat6).n_packets == 6,
          "IPv6 hop limit 255 to the FIP: misses (ND stays in software)");
    /* Hop limit 1: the guard drops it. */
    m0 = get_miss(MISS_FIP6);
    send_udp("dpo_ext", 6, "2001:db8:f::10", 5000, "hl", 2, 1);
    settle();
    st = stats(dnat6);
    check(st.n_dropped == 2 && st.n_packets == 6 && get_miss(MISS_FIP6) == m0,
          "IPv6 hop limit 1 to the FIP: TTL guard dropped %"PRIu64,
          st.n_dropped);
    m0 = get_miss(MISS_INT6);
    send_udp("dpo_vm0", 6, "fd00::7", 7000, "int", 3, 0);
    check(wait_miss(MISS_INT6, m0 + 3, 3000) && stats(snat6).n_packets == 6,
          "IPv6 to internal fd00::7 via router MAC: misses");

    /* Remove: back to software. */
    remove_rule(&dnat4, "IPv4 DNAT");
    m0 = get_miss(MISS_FIP4);
    recv_start("dpo_vm0", 4, "10.0.0.5", 5000, "vm4b.txt", 3);
    settle();
    send_udp("dpo_ext", 4, "192.0.2.10", 5000, "after", 3, 0);
    check(wait_miss(MISS_FIP4, m0 + 3, 3000),
          "after remove, IPv4 FIP traffic reaches rx_burst (%"PRIu64")",
          get_miss(MISS_FIP4) - m0);
    settle();
    check(count_lines("vm4b.txt") == 0, "after remove, VM gets nothing");
    remove_rule(&snat4, "IPv4 SNAT");
    remove_rule(&snat6, "IPv6 SNAT");

    /* Someone else flushes the uplink (OVS's netdev-offload-dpdk does):
     * stats report it, remove does not touch the stale handles. */
    {
        struct rte_flow_error ferr;

        ret = rte_flow_flush(up, &ferr);
        error = NULL;
        ret = ret ? ret : cls->stats(dnat6, &st, &error);
        check(ret == ENOENT && error
              && !strcmp(error, "eswitch: unknown flow handle")
              && st.n_packets == 6 && st.n_dropped == 2,
              "after a flush of the uplink, stats: ENOENT \"%s\", totals "
              "kept", error ? error : "");
        free(error);
        error = NULL;
        ret = cls->stats(dnat6, &st, &error);
        check(ret == ENOENT && error
              && !strcmp(error, "9 of 9 hardware rules are gone (port "
                         "flushed or removed)"),
              "stats again: \"%s\"", error ? error : "");
        free(error);
        remove_rule(&dnat6, "IPv6 DNAT after the flush");
    }
    check(state_has("rules=0 "), "model's state file: 0 rules left");
}

int
main(int argc, char **argv)
{
    char vdev_up[512], vdev_cap[512];
    struct rte_mempool *mp;
    uint16_t ports[2];
    pthread_t poller;
    bool ok;
    int i;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PLUGIN.so WORKDIR HELPER.py\n", argv[0]);
        return 2;
    }
    workdir = argv[2];
    helper = argv[3];
    snprintf(vdev_up, sizeof vdev_up,
             "net_eswitch_up0,iface=dpo_up,switch=sw0,role=uplink,"
             "state-file=%s/state", workdir);
    snprintf(vdev_cap, sizeof vdev_cap,
             "net_eswitch_cap0,iface=dpo_c0,switch=swcap,capacity=1");
    char *eal_argv[] = {
        argv[0], "--no-pci", "--no-huge", "-m", "256", "--no-shconf",
        "--log-level=pmd.net.eswitch:notice", "-d", argv[1],
        "--vdev", vdev_up,
        "--vdev", "net_eswitch_rep0,iface=dpo_rep0,switch=sw0,role=rep,vf=0",
        "--vdev", vdev_cap,
        "--vdev", "net_eswitch_cap1,iface=dpo_c1,switch=swcap,role=rep,vf=1",
        "--vdev", "net_eswitch_fe0,iface=dpo_f0,switch=swfe,fail-every=3",
        "--vdev", "net_eswitch_fe1,iface=dpo_f1,switch=swfe,role=rep,vf=1",
    };

    if (rte_eal_init(ARRAY_SIZE(eal_argv), eal_argv) < 0) {
        check(false, "rte_eal_init");
        goto out;
    }
    ok = (!rte_eth_dev_get_port_by_name("net_eswitch_up0", &up)
          && !rte_eth_dev_get_port_by_name("net_eswitch_rep0", &rep0)
          && !rte_eth_dev_get_port_by_name("net_eswitch_cap0", &cap0)
          && !rte_eth_dev_get_port_by_name("net_eswitch_cap1", &cap1)
          && !rte_eth_dev_get_port_by_name("net_eswitch_fe0", &fe0)
          && !rte_eth_dev_get_port_by_name("net_eswitch_fe1", &fe1));
    check(ok, "model ports probed: uplink %u rep0 %u", up, rep0);
    if (!ok) {
        goto out;
    }

    test_probe();
    test_spec_errors();
    test_capacity();
    test_fail_every();

    mp = rte_pktmbuf_pool_create("dpo_mp", 4095, 0, 0,
                                 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ports[0] = up;
    ports[1] = rep0;
    for (i = 0; i < 2; i++) {
        struct rte_eth_conf conf;

        memset(&conf, 0, sizeof conf);
        check(mp
              && !rte_eth_dev_configure(ports[i], 1, 1, &conf)
              && !rte_eth_rx_queue_setup(ports[i], 0, 512, SOCKET_ID_ANY,
                                         NULL, mp)
              && !rte_eth_tx_queue_setup(ports[i], 0, 512, SOCKET_ID_ANY,
                                         NULL)
              && !rte_eth_promiscuous_enable(ports[i])
              && !rte_eth_dev_start(ports[i]),
              "configure and start port %u", ports[i]);
    }
    pthread_create(&poller, NULL, poll_main, NULL);
    test_traffic();
    polling = 0;
    pthread_join(poller, NULL);
    for (i = 0; i < 2; i++) {
        rte_eth_dev_stop(ports[i]);
        rte_eth_dev_close(ports[i]);
    }
    rte_eal_cleanup();

out:
    printf("offload_test: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
