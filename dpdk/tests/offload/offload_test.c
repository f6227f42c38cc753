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
 *   root: dpo_c0/dpo_c1 (switch capacity=4), dpo_f0/dpo_f1 (fail-every=5)
 *
 * FIPs: 192.0.2.10 = 10.0.0.5, 2001:db8:f::10 = fd00::5; internal prefixes
 * 10.0.0.0/24, fd00::/64.  Prints "PASS: ..." / "FAIL: ..." per check.
 * The model behaves as mlx5 does (dpdk/README.md): what it forwards a
 * ConnectX would forward.
 *
 * usage: offload_test PLUGIN.so WORKDIR UDP.py FRAMES.py */

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
static const char *workdir, *helper, *frames;
static uint16_t up, rep0, cap0, cap1, fe0, fe1, ng0, ng1;
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
    MISS_INT4B,         /* rep0, IPv4 dst 10.9.1.1 (second prefix). */
    N_MISS
};
static uint64_t misses[N_MISS];
static volatile int polling = 1;
static int poll_up = 1;         /* Atomic: poll the uplink. */

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
    bool v4, v6;

    if (len >= 18 && d[12] == 0x81 && d[13] == 0x00) {
        d += 4;                 /* A VLAN tag: classify what it carries. */
        len -= 4;
    }
    v4 = len >= 34 && d[12] == 0x08 && d[13] == 0x00;
    v6 = len >= 54 && d[12] == 0x86 && d[13] == 0xdd;

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
        } else if (ip4_is(d + 30, "10.9.1.1")) {
            count_miss(MISS_INT4B);
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

        n = (__atomic_load_n(&poll_up, __ATOMIC_ACQUIRE)
             ? rte_eth_rx_burst(up, 0, pkts, 32) : 0);
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

/* Waits up to 'ms' for file 'name' in the work directory to exist and,
 * if 'needle', to contain it. */
static bool
file_wait(const char *name, const char *needle, int ms)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", workdir, name);
    for (; ms > 0; ms -= 20) {
        if (!access(path, F_OK) && (!needle || strstr(slurp(name), needle))) {
            return true;
        }
        usleep(20 * 1000);
    }
    return false;
}

/* Starts a UDP receiver; returns once its socket is bound (the helper
 * creates its file after bind()). */
static void
recv_start(const char *ns, int af, const char *addr, int port,
           const char *file, int secs)
{
    sh("ip netns exec %s %s recv %d %s %d %s/%s %d >/dev/null 2>&1 &",
       ns, helper, af, addr, port, workdir, file, secs);
    if (!file_wait(file, NULL, 5000)) {
        printf("  receiver %s did not start\n", file);
    }
}

/* Waits until 'file' has 'n' lines. */
static bool
lines_wait(const char *file, int n, int ms)
{
    for (; ms > 0; ms -= 20) {
        if (count_lines(file) >= n) {
            break;
        }
        usleep(20 * 1000);
    }
    return count_lines(file) == n;
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

/* Captures 'filter' on 'dev' in 'ns' for 20 s; returns once tcpdump
 * listens. */
static void
tcpdump(const char *ns, const char *dev, const char *filter,
        const char *file)
{
    char ready[300];

    snprintf(ready, sizeof ready, "%s.ready", file);
    sh("ip netns exec %s timeout 20 tcpdump -i %s -n -e -vv -l '%s' "
       "> %s/%s 2> %s/%s &", ns, dev, filter, workdir, file, workdir,
       ready);
    if (!file_wait(ready, "listening on", 5000)) {
        printf("  tcpdump %s did not start\n", file);
    }
}

/* Sends hand-made frames (dpdk/tests/frames.py) from the external host
 * to the uplink: 'n' UDP datagrams from 198.51.100.1 to 'dst':5000 with
 * the options 'opts' ("--vlan 100", "--csum0", "--frag first"...). */
static void
send_frames(const char *dst, int n, const char *opts)
{
    sh("ip netns exec dpo_ext %s ext0 02:00:00:00:01:02 02:00:00:00:01:01 "
       "%s %s 5000 %d %s", frames,
       strchr(dst, ':') ? "2001:db8:1::1" : "198.51.100.1", dst, n, opts);
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

/* One internal prefix, or none if 'prefix' is NULL. */
static void
set_internal(struct dpfip_offload_rule_spec *s, const char *prefix, int plen)
{
    struct dpfip_offload_prefix p = { .addr = addr(prefix ? prefix : "::"),
                                      .plen = plen };

    dpfip_offload_spec_set_internal(s, &p, prefix ? 1 : 0);
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
    set_internal(s, v4 ? "10.0.0.0" : "fd00::", v4 ? 24 : 64);
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
    set_internal(&s, "10.0.0.0", 0);
    ret = install(&s, &r, &error);
    check(ret == EINVAL && error && strstr(error, "/0"),
          "SNAT with internal prefix /0 refused: %s", error ? error : "");
    free(error);

    spec_init(&s, DPFIP_DNAT, true, up, rep0);
    s.ext_mac = s.router_mac;
    set_internal(&s, "192.0.2.0", 24);
    ret = install(&s, &r, &error);
    check(ret == EINVAL && error && strstr(error, "internal prefix"),
          "DNAT shadowed by the internal prefix refused: %s",
          error ? error : "");
    free(error);

    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    s.fixed = addr("fd00::5");
    ret = install(&s, &r, &error);
    check(ret == EINVAL && error && strstr(error, "IPv4-mapped"),
          "IPv4 spec with an IPv6 address refused: %s", error ? error : "");
    free(error);
}

/* The value of KEY= on the first line of state file FILE that starts with
 * PREFIX and contains every word of WHERE, or -1. */
static long long
state_field(const char *file, const char *prefix, const char *where,
            const char *key)
{
    char *buf = xstrdup(slurp(file));
    long long v = -1;
    char *line, *save = NULL;

    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char words[512], *w, *wsave = NULL, k[64];
        const char *hit;
        bool ok = !strncmp(line, prefix, strlen(prefix));

        snprintf(words, sizeof words, "%s", where);
        for (w = strtok_r(words, " ", &wsave); ok && w;
             w = strtok_r(NULL, " ", &wsave)) {
            ok = strstr(line, w) != NULL;
        }
        if (!ok) {
            continue;
        }
        snprintf(k, sizeof k, " %s=", key);
        hit = strstr(line, k);
        if (hit) {
            v = atoll(hit + strlen(k));
        }
        break;
    }
    free(buf);
    return v;
}

static long long
sw(const char *file, const char *key)
{
    return state_field(file, "switch ", "", key);
}

/* The model rewrites its state file every 100 ms: waits until the switch
 * line of FILE shows KEY=WANT. */
static bool
sw_wait(const char *file, const char *key, long long want, int ms)
{
    for (; ms > 0; ms -= 50) {
        if (sw(file, key) == want) {
            return true;
        }
        usleep(50 * 1000);
    }
    return sw(file, key) == want;
}

/* Lets the state file catch up with the table: waits until its 'gen'
 * stops moving for 300 ms. */
static void
state_settle(const char *file)
{
    long long g = -2;
    int stable = 0, i;

    for (i = 0; i < 100 && stable < 6; i++) {
        long long n = sw(file, "gen");

        stable = n == g ? stable + 1 : 0;
        g = n;
        usleep(50 * 1000);
    }
}

/* Counters come from a cache the hardware refreshes about once a second:
 * polls stats() until the packets reach 'want' (or 10 s pass). */
static struct dpfip_offload_stats
stats_wait(struct dpfip_offload_rule *r, uint64_t want)
{
    struct dpfip_offload_stats st = stats(r);
    int ms;

    for (ms = 10000; st.n_packets < want && ms > 0; ms -= 100) {
        usleep(100 * 1000);
        st = stats(r);
    }
    return st;
}

/* Installs FIPs 192.0.2.20+i -> 10.0.0.20+i (DNAT, uplink 'in' -> 'out')
 * until one is refused; returns how many went in, 'ret'/'error' of the
 * refusal. */
static int
fill(uint16_t in, uint16_t out, struct dpfip_offload_rule **rules, int max,
     int *ret, char **error)
{
    struct dpfip_offload_rule_spec s;
    int i;

    for (i = 0; i < max; i++) {
        spec_init(&s, DPFIP_DNAT, true, in, out);
        set_internal(&s, NULL, 0);
        in6_addr_set_mapped_ipv4(&s.floating, htonl(0xc0000214 + i));
        in6_addr_set_mapped_ipv4(&s.fixed, htonl(0x0a000014 + i));
        *ret = install(&s, &rules[i], error);
        if (*ret) {
            return i;
        }
        free(*error);
        *error = NULL;
    }
    return i;
}

static void
test_capacity(void)
{
    struct dpfip_offload_rule *r[8];
    long long before;
    char *error = NULL;
    int i, n, ret = 0;

    n = fill(cap0, cap1, r, 8, &ret, &error);
    state_settle("state_cap");
    check(n >= 1 && n < 8 && ret == ENOSPC && error
          && !strcmp(error, "eswitch: table full (capacity 4)"),
          "capacity=4: %d FIPs in, the next refused, ENOSPC, \"%s\"", n,
          error ? error : "");
    free(error);
    error = NULL;
    before = sw("state_cap", "rules");
    for (i = 0; i < n; i++) {
        remove_rule(&r[i], "capacity FIP");
    }
    /* All or nothing: a rule left by the refused install would stay. */
    check(before > 0 && sw_wait("state_cap", "rules", 0, 10000),
          "capacity=4: removing the %d FIPs empties the table (%lld "
          "rules before): the refused one left nothing", n, before);
}

static void
test_fail_every(void)
{
    struct dpfip_offload_rule *r[8];
    char *error = NULL;
    int i, n, ret = 0;

    n = fill(fe0, fe1, r, 8, &ret, &error);
    check(ret == EIO && error && strstr(error, "eswitch: injected failure "
                                              "(fail-every=5, create #"),
          "fail-every=5: install #%d refused, EIO, \"%s\"", n + 1,
          error ? error : "");
    free(error);
    error = NULL;
    /* The next attempt gets past the injected failure. */
    n += fill(fe0, fe1, r + n, 1, &ret, &error);
    check(!ret, "fail-every=5: the retry installs %s", error ? error : "");
    free(error);
    for (i = 0; i < n; i++) {
        remove_rule(&r[i], "fail-every FIP");
    }
    check(sw_wait("state_fe", "rules", 0, 10000),
          "fail-every=5: removing every FIP empties the table: the failed "
          "install rolled back what it had created");
}

/* Rules per FIP and hardware masks do not grow with FIPs; never
 * priority 0 (OVS's). */
static void
test_shape(void)
{
    struct dpfip_offload_rule *r[8];
    struct dpfip_offload_rule_spec s;
    long long rules1, masks1, rules2, masks2;
    char *error;
    int i, n = 0, ret;

    for (i = 0; i < 2; i++) {
        bool v4 = i == 0;

        spec_init(&s, DPFIP_DNAT, v4, up, rep0);
        ret = install(&s, &r[n++], &error);
        free(error);
        spec_init(&s, DPFIP_SNAT, v4, up, rep0);
        ret |= install(&s, &r[n++], &error);
        free(error);
        check(!ret, "shape: IPv%d FIP installed both ways", v4 ? 4 : 6);
    }
    state_settle("state");
    rules1 = sw("state", "rules");
    masks1 = sw("state", "masks");
    for (i = 0; i < 2; i++) {
        bool v4 = i == 0;

        spec_init(&s, DPFIP_DNAT, v4, up, rep0);
        s.floating = addr(v4 ? "192.0.2.11" : "2001:db8:f::11");
        s.fixed = addr(v4 ? "10.0.0.6" : "fd00::6");
        ret = install(&s, &r[n++], &error);
        free(error);
        spec_init(&s, DPFIP_SNAT, v4, up, rep0);
        s.floating = addr(v4 ? "192.0.2.11" : "2001:db8:f::11");
        s.fixed = addr(v4 ? "10.0.0.6" : "fd00::6");
        ret |= install(&s, &r[n++], &error);
        free(error);
        check(!ret, "shape: a second IPv%d FIP installed", v4 ? 4 : 6);
    }
    state_settle("state");
    rules2 = sw("state", "rules");
    masks2 = sw("state", "masks");
    check(rules2 - rules1 == 4,
          "2 hardware rules per FIP (one per direction): 2 more FIPs "
          "added %lld rules", rules2 - rules1);
    check(masks2 == masks1 && masks1 <= 16,
          "hardware masks do not grow with FIPs (%lld, then %lld; at most "
          "16 for both families both ways)", masks1, masks2);
    check(state_field("state", "rule ", "prio=0 ", "hits") < 0,
          "no rule at priority 0 (OVS's own)");
    check(sw("state", "overlaps") == 0, "no overlapping rules of equal "
          "priority");
    for (i = 0; i < n; i++) {
        remove_rule(&r[i], "shape FIP");
    }
    check(sw_wait("state", "rules", 0, 10000),
          "shape: the last FIP's removal empties the table (shared rules "
          "too)");
}

/* The prefix arithmetic shared by the providers (lib/dpfip-offload-
 * spec.c): pure functions. */
static void
test_prefix_arithmetic(void)
{
    static const struct {
        int plen;
        bool v4;
        const char *mask;
    } masks[] = {
        { 0, true, "00000000" }, { 1, true, "80000000" },
        { 24, true, "ffffff00" }, { 31, true, "fffffffe" },
        { 32, true, "ffffffff" }, { 33, true, "ffffffff" },
        { 64, false, "ffffffffffffffff0000000000000000" },
        { 127, false, "fffffffffffffffffffffffffffffffe" },
    };
    static const struct {
        const char *addr, *prefix;
        int plen;
        bool in;
    } ins[] = {
        { "10.0.0.5", "10.0.0.0", 24, true },
        { "10.0.1.5", "10.0.0.0", 24, false },
        { "10.0.0.5", "10.0.0.7", 29, true },
        { "10.0.0.8", "10.0.0.7", 29, false },
        { "192.0.2.1", "0.0.0.0", 0, true },
        { "10.0.0.5", "10.0.0.5", 32, true },
        { "10.0.0.4", "10.0.0.5", 32, false },
        { "fd00::5", "fd00::", 64, true },
        { "fd00:0:0:1::5", "fd00::", 64, false },
        { "fd00::8000:0:0:5", "fd00::", 65, false },
        { "fd00::7fff:0:0:5", "fd00::", 65, true },
    };
    struct dpfip_offload_rule_spec s;
    char *error = NULL;
    size_t i;
    bool ok = true;

    for (i = 0; i < ARRAY_SIZE(masks); i++) {
        uint8_t m[16];
        char hex[33];
        int j, n = masks[i].v4 ? 4 : 16;

        dpfip_offload_prefix_mask(masks[i].plen, masks[i].v4, m);
        for (j = 0; j < n; j++) {
            snprintf(hex + 2 * j, 3, "%02x", m[j]);
        }
        if (strcmp(hex, masks[i].mask)) {
            printf("  mask /%d: %s, not %s\n", masks[i].plen, hex,
                   masks[i].mask);
            ok = false;
        }
    }
    check(ok, "prefix masks: /0, /1, /24, /31, /32 (and /33 clipped) for "
          "IPv4, /64, /127 for IPv6");
    ok = true;
    for (i = 0; i < ARRAY_SIZE(ins); i++) {
        struct in6_addr a = addr(ins[i].addr);
        struct dpfip_offload_prefix p = { .addr = addr(ins[i].prefix),
                                          .plen = ins[i].plen };
        bool v4 = !strchr(ins[i].addr, ':');

        if (dpfip_offload_addr_in_prefix(&a, &p, v4) != ins[i].in) {
            printf("  %s in %s/%d: %d\n", ins[i].addr, ins[i].prefix,
                   ins[i].plen, !ins[i].in);
            ok = false;
        }
    }
    check(ok, "address in prefix: %"PRIuSIZE" cases (boundaries, /0, "
          "/32, /65)", ARRAY_SIZE(ins));

    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    check(dpfip_offload_spec_check(&s, RTE_MAX_ETHPORTS, &error),
          "spec check: a good spec passes");
    s.internals[0].plen = 33;
    check(!dpfip_offload_spec_check(&s, RTE_MAX_ETHPORTS, &error)
          && strstr(error, "internal prefix length 33 out of range"),
          "spec check: an IPv4 /33 refused (%s)", error ? error : "");
    free(error);
    error = NULL;
    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    s.out_port = RTE_MAX_ETHPORTS;
    check(!dpfip_offload_spec_check(&s, RTE_MAX_ETHPORTS, &error)
          && strstr(error, "is not a port of this provider"),
          "spec check: a port handle out of range refused (%s)",
          error ? error : "");
    free(error);
    error = NULL;
    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    s.n_internals = DPFIP_OFFLOAD_MAX_INTERNAL + 1;
    check(!dpfip_offload_spec_check(&s, RTE_MAX_ETHPORTS, &error)
          && strstr(error, "internal prefixes (at most"),
          "spec check: too many internal prefixes refused (%s)",
          error ? error : "");
    free(error);
}

/* A PMD without groups (group-miss=none): the exceptions cannot be made,
 * so the FIP is refused permanently with the PMD's message. */
static void
test_no_groups(void)
{
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_rule *r;
    char *error;
    int ret;

    spec_init(&s, DPFIP_DNAT, true, ng0, ng1);
    ret = install(&s, &r, &error);
    check(ret == ENOTSUP && !r && error && strstr(error, "JUMP not supported")
          && !dpfip_offload_error_is_transient(ret),
          "a switch without groups: refused, ENOTSUP (permanent): \"%s\"",
          error ? error : "");
    free(error);
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
    check(wait_miss(MISS_FIP4, m0 + 2, 10000),
          "no rules: UDP to the IPv4 FIP reaches rx_burst");

    spec_init(&s, DPFIP_DNAT, true, up, rep0);
    ret = install(&s, &dnat4, &error);
    check(!ret, "install IPv4 DNAT %s", ret ? error : describe(dnat4));
    free(error);
    spec_init(&s, DPFIP_SNAT, true, up, rep0);
    {
        /* Two internal prefixes on this VM port. */
        struct dpfip_offload_prefix p[2] = {
            { .addr = addr("10.0.0.0"), .plen = 24 },
            { .addr = addr("10.9.0.0"), .plen = 16 },
        };

        dpfip_offload_spec_set_internal(&s, p, 2);
    }
    ret = install(&s, &snat4, &error);
    check(!ret, "install IPv4 SNAT (internal 10.0.0.0/24, 10.9.0.0/16) %s",
          ret ? error : describe(snat4));
    free(error);
    spec_init(&s, DPFIP_DNAT, false, up, rep0);
    ret = install(&s, &dnat6, &error);
    check(!ret, "install IPv6 DNAT %s", ret ? error : describe(dnat6));
    free(error);
    spec_init(&s, DPFIP_SNAT, false, up, rep0);
    ret = install(&s, &snat6, &error);
    check(!ret, "install IPv6 SNAT %s", ret ? error : describe(snat6));
    free(error);
    if (!dnat4 || !snat4 || !dnat6 || !snat6) {
        return;
    }

    /* IPv4 both ways, UDP. */
    recv_start("dpo_vm0", 4, "10.0.0.5", 5000, "vm4.txt", 8);
    recv_start("dpo_ext", 4, "198.51.100.1", 6000, "ext4.txt", 8);
    tcpdump("dpo_vm0", "vm0", "udp port 5000", "cap_vm4.txt");
    tcpdump("dpo_ext", "ext0", "udp port 6000", "cap_ext4.txt");
    m0 = get_miss(MISS_FIP4);
    m1 = get_miss(MISS_OUT4);
    send_udp("dpo_ext", 4, "192.0.2.10", 5000, "in", 5, 0);
    send_udp("dpo_vm0", 4, "198.51.100.1", 6000, "out", 4, 0);
    lines_wait("vm4.txt", 5, 10000);
    cap = slurp("vm4.txt");
    check(count_lines("vm4.txt") == 5 && strstr(cap, "198.51.100.1 in1")
          && strstr(cap, "198.51.100.1 in5"),
          "IPv4 DNAT: VM got 5/5 datagrams on 10.0.0.5:5000 from "
          "198.51.100.1");
    lines_wait("ext4.txt", 4, 10000);
    cap = slurp("ext4.txt");
    check(count_lines("ext4.txt") == 4 && strstr(cap, "192.0.2.10 out1")
          && strstr(cap, "192.0.2.10 out4"),
          "IPv4 SNAT: external host got 4/4 datagrams from 192.0.2.10");
    st = stats_wait(dnat4, 5);
    st2 = stats_wait(snat4, 4);
    check(st.n_packets == 5 && st.n_bytes == 5 * 46,
          "IPv4 DNAT counters: %"PRIu64" packets, %"PRIu64" bytes "
          "(5, 230 expected)", st.n_packets, st.n_bytes);
    check(st2.n_packets == 4 && st2.n_bytes == 4 * 47,
          "IPv4 SNAT counters: %"PRIu64" packets, %"PRIu64" bytes "
          "(4, 188 expected)", st2.n_packets, st2.n_bytes);
    check(get_miss(MISS_FIP4) == m0 && get_miss(MISS_OUT4) == m1,
          "IPv4: no offloaded packet reached rx_burst");
    file_wait("cap_vm4.txt", "in5", 10000);
    cap = slurp("cap_vm4.txt");
    check(strstr(cap, "02:00:00:00:00:01 > 02:00:00:00:02:01")
          && strstr(cap, "ttl 63") && !strstr(cap, "ttl 64")
          && strstr(cap, "198.51.100.1.") && strstr(cap, "> 10.0.0.5.5000")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump in the VM: router MAC > VM MAC, TTL 63, dst 10.0.0.5, "
          "UDP checksum ok");
    file_wait("cap_ext4.txt", "out4", 10000);
    cap = slurp("cap_ext4.txt");
    check(strstr(cap, "02:00:00:00:01:02 > 02:00:00:00:01:01")
          && strstr(cap, "ttl 63") && strstr(cap, "192.0.2.10.")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump on the external host: ext MAC > gw MAC, TTL 63, "
          "src 192.0.2.10, UDP checksum ok");

    /* ICMP goes to software: the NIC would rewrite an ICMP error's outer
     * header and leave the packet it quotes untranslated. */
    m0 = get_miss(MISS_FIP4);
    ping("dpo_ext", 4, "192.0.2.10", 3, 0);
    check(wait_miss(MISS_FIP4, m0 + 3, 10000),
          "IPv4 ping ext -> FIP: to software (%"PRIu64" of 3 misses)",
          get_miss(MISS_FIP4) - m0);
    usleep(1200 * 1000);        /* One counter refresh, no more traffic. */
    st = stats(dnat4);
    st2 = stats(snat4);
    check(st.n_packets == 5 && st2.n_packets == 4,
          "stats after a refresh: the UDP totals, no ICMP (DNAT %"PRIu64
          " SNAT %"PRIu64", 5 and 4 expected; query resets, provider "
          "accumulates)", st.n_packets, st2.n_packets);

    /* What software must see misses in hardware. */
    m0 = get_miss(MISS_INT4);
    m1 = get_miss(MISS_INT4B);
    send_udp("dpo_vm0", 4, "10.9.1.1", 7000, "int", 2, 0);
    check(wait_miss(MISS_INT4B, m1 + 2, 10000),
          "IPv4 to 10.9.1.1, the port's second internal prefix: misses");
    send_udp("dpo_vm0", 4, "10.0.0.7", 7000, "int", 3, 0);
    check(wait_miss(MISS_INT4, m0 + 3, 10000) && stats(snat4).n_packets == 4,
          "IPv4 to internal 10.0.0.7 via router MAC: 3 misses to rx_burst, "
          "SNAT counter unchanged");
    /* mlx5's DEC_TTL wraps: TTL 1 must not reach the rewrite rule, or it
     * leaves with TTL 0 instead of software's "time exceeded". */
    m0 = get_miss(MISS_FIP4);
    send_udp("dpo_ext", 4, "192.0.2.10", 5000, "ttl", 2, 1);
    check(wait_miss(MISS_FIP4, m0 + 2, 10000),
          "IPv4 TTL 1 to the FIP: to software (%"PRIu64" of 2 misses)",
          get_miss(MISS_FIP4) - m0);
    m1 = get_miss(MISS_OUT4);
    send_udp("dpo_vm0", 4, "198.51.100.1", 6000, "ttl", 2, 1);
    check(wait_miss(MISS_OUT4, m1 + 2, 10000),
          "IPv4 TTL 1 from the VM: to software (%"PRIu64" of 2 misses)",
          get_miss(MISS_OUT4) - m1);
    m0 = get_miss(MISS_FIP4);
    send_frames("192.0.2.10", 2, "--frag first");
    check(wait_miss(MISS_FIP4, m0 + 2, 10000),
          "IPv4 first fragments to the FIP: to software (%"PRIu64" of 2)",
          get_miss(MISS_FIP4) - m0);
    m0 = get_miss(MISS_FIP4);
    send_frames("192.0.2.10", 2, "--csum0");
    check(wait_miss(MISS_FIP4, m0 + 2, 10000),
          "IPv4 UDP with checksum 0 to the FIP: to software (%"PRIu64
          " of 2)", get_miss(MISS_FIP4) - m0);
    m0 = get_miss(MISS_FIP4);
    send_frames("192.0.2.10", 2, "--vlan 100");
    check(wait_miss(MISS_FIP4, m0 + 2, 10000),
          "VLAN-tagged frames to the FIP: to software (%"PRIu64" of 2)",
          get_miss(MISS_FIP4) - m0);
    st = stats_wait(dnat4, 5);
    check(st.n_packets == 5, "none of them was counted by the DNAT rule "
          "(%"PRIu64")", st.n_packets);

    /* IPv6 both ways. */
    recv_start("dpo_vm0", 6, "fd00::5", 5000, "vm6.txt", 8);
    recv_start("dpo_ext", 6, "2001:db8:1::1", 6000, "ext6.txt", 8);
    tcpdump("dpo_vm0", "vm0", "udp port 5000", "cap_vm6.txt");
    tcpdump("dpo_ext", "ext0", "udp port 6000", "cap_ext6.txt");
    m0 = get_miss(MISS_FIP6);
    m1 = get_miss(MISS_OUT6);
    send_udp("dpo_ext", 6, "2001:db8:f::10", 5000, "in", 3, 0);
    send_udp("dpo_vm0", 6, "2001:db8:1::1", 6000, "out", 3, 0);
    check(lines_wait("vm6.txt", 3, 10000)
          && strstr(slurp("vm6.txt"), "2001:db8:1::1 in3"),
          "IPv6 DNAT: VM got 3/3 datagrams on [fd00::5]:5000");
    check(lines_wait("ext6.txt", 3, 10000)
          && strstr(slurp("ext6.txt"), "2001:db8:f::10 out3"),
          "IPv6 SNAT: external host got 3/3 datagrams from "
          "2001:db8:f::10");
    st = stats_wait(dnat6, 3);
    st2 = stats_wait(snat6, 3);
    check(st.n_packets == 3 && st.n_bytes == 3 * 66 && st2.n_packets == 3
          && st2.n_bytes == 3 * 67,
          "IPv6 counters: DNAT %"PRIu64"/%"PRIu64" SNAT %"PRIu64"/%"PRIu64
          " packets/bytes (3/198, 3/201 expected)", st.n_packets,
          st.n_bytes, st2.n_packets, st2.n_bytes);
    check(get_miss(MISS_FIP6) == m0 && get_miss(MISS_OUT6) == m1,
          "IPv6: no offloaded packet reached rx_burst");
    file_wait("cap_vm6.txt", "in3", 10000);
    cap = slurp("cap_vm6.txt");
    check(strstr(cap, "02:00:00:00:00:01 > 02:00:00:00:02:01")
          && strstr(cap, "hlim 63") && strstr(cap, "> fd00::5.5000")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump in the VM: router MAC > VM MAC, hop limit 63, "
          "dst fd00::5, UDP checksum ok");
    file_wait("cap_ext6.txt", "out3", 10000);
    cap = slurp("cap_ext6.txt");
    check(strstr(cap, "02:00:00:00:01:02 > 02:00:00:00:01:01")
          && strstr(cap, "hlim 63") && strstr(cap, "2001:db8:f::10.")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump on the external host: ext MAC > gw MAC, hop limit 63, "
          "src 2001:db8:f::10, UDP checksum ok");

    /* ICMPv6 (neighbor discovery, echo) is not verified on hardware: it
     * stays in software. */
    m0 = get_miss(MISS_FIP6);
    ping("dpo_ext", 6, "2001:db8:f::10", 2, 0);
    check(wait_miss(MISS_FIP6, m0 + 2, 10000),
          "ICMPv6 echo to the IPv6 FIP: to software (%"PRIu64" misses)",
          get_miss(MISS_FIP6) - m0);
    m0 = get_miss(MISS_FIP6);
    send_udp("dpo_ext", 6, "2001:db8:f::10", 5000, "hl", 2, 1);
    check(wait_miss(MISS_FIP6, m0 + 2, 10000),
          "IPv6 hop limit 1 to the FIP: to software");
    m0 = get_miss(MISS_INT6);
    send_udp("dpo_vm0", 6, "fd00::7", 7000, "int", 3, 0);
    check(wait_miss(MISS_INT6, m0 + 3, 10000),
          "IPv6 to internal fd00::7 via router MAC: misses");
    st = stats_wait(dnat6, 3);
    st2 = stats_wait(snat6, 3);
    check(st.n_packets == 3 && st2.n_packets == 3,
          "IPv6 rewrite counters unchanged by them");

    /* Remove: back to software. */
    remove_rule(&dnat4, "IPv4 DNAT");
    m0 = get_miss(MISS_FIP4);
    recv_start("dpo_vm0", 4, "10.0.0.5", 5000, "vm4b.txt", 3);
    send_udp("dpo_ext", 4, "192.0.2.10", 5000, "after", 3, 0);
    check(wait_miss(MISS_FIP4, m0 + 3, 10000),
          "after remove, IPv4 FIP traffic reaches rx_burst (%"PRIu64")",
          get_miss(MISS_FIP4) - m0);
    check(count_lines("vm4b.txt") == 0, "after remove, VM gets nothing");
    remove_rule(&snat4, "IPv4 SNAT");
    remove_rule(&dnat6, "IPv6 DNAT");
    remove_rule(&snat6, "IPv6 SNAT");
    check(sw_wait("state", "rules", 0, 10000),
          "model's state file: 0 rules left");
}

/* An allow-list (dpfip-ingress): hardware rewrites what an entry matches,
 * everything else misses to software, which applies the whole list. */
static void
test_allow_list(void)
{
    struct dpfip_offload_allow allows[2];
    struct dpfip_offload_rule *dnat4;
    struct dpfip_offload_stats st;
    struct dpfip_offload_rule_spec s;
    char *error = NULL;
    uint64_t m0;
    int ret;

    memset(allows, 0, sizeof allows);
    spec_init(&s, DPFIP_DNAT, true, up, rep0);
    s.allows = allows;
    ret = install(&s, &dnat4, &error);
    check(ret == EINVAL && error && strstr(error, "0 allow-list entries"),
          "an allow-list without entries is refused: %s",
          error ? error : "");
    free(error);
    error = NULL;

    allows[0].ip_proto = IPPROTO_UDP;
    allows[0].port = 5002;
    allows[0].port_mask = 0xffff;
    allows[1].ip_proto = IPPROTO_TCP;
    allows[1].tcp_flags = 0x10;         /* ACK. */
    s.n_allows = 2;
    s.allows = allows;
    ret = install(&s, &dnat4, &error);
    check(!ret && strstr(describe(dnat4), "2 transfer rules"),
          "install IPv4 DNAT allowing udp:5002 and TCP ACK: %s",
          ret ? error : describe(dnat4));
    free(error);
    if (ret) {
        return;
    }
    state_settle("state");
    check(strstr(slurp("state"), "udp_dst=5002") != NULL,
          "the model has a rule for UDP port 5002");

    m0 = get_miss(MISS_FIP4);
    recv_start("dpo_vm0", 4, "10.0.0.5", 5002, "vm4f.txt", 5);
    send_udp("dpo_ext", 4, "192.0.2.10", 5002, "ok", 3, 0);
    check(lines_wait("vm4f.txt", 3, 10000) && get_miss(MISS_FIP4) == m0,
          "UDP to port 5002 (allowed): VM got %d of 3 in hardware, %"PRIu64
          " misses", count_lines("vm4f.txt"), get_miss(MISS_FIP4) - m0);
    send_udp("dpo_ext", 4, "192.0.2.10", 5003, "no", 2, 0);
    check(wait_miss(MISS_FIP4, m0 + 2, 10000),
          "UDP to port 5003 (not allowed): to software (%"PRIu64" of 2 "
          "misses)", get_miss(MISS_FIP4) - m0);
    st = stats_wait(dnat4, 3);
    check(st.n_packets == 3, "the allow rules counted the 3 allowed "
          "datagrams only (%"PRIu64")", st.n_packets);
    remove_rule(&dnat4, "IPv4 DNAT with an allow-list");
    check(sw_wait("state", "rules", 0, 10000),
          "model's state file: 0 rules left");
}

/* OVS stops and starts a DPDK port on an MTU or queue change: the proxy's
 * rules are flushed and their handles name new rules. */
static void
test_restart(void)
{
    struct dpfip_offload_rule *r[4], *c;
    struct dpfip_offload_rule_spec s;
    struct dpfip_offload_stats st;
    char *error;
    int i, ret, n_lost = 0;

    for (i = 0; i < 4; i++) {
        spec_init(&s, i % 2 ? DPFIP_SNAT : DPFIP_DNAT, i < 2, up, rep0);
        ret = install(&s, &r[i], &error);
        check(!ret, "restart: rule set %d installed %s", i,
              ret ? error : "");
        free(error);
    }
    __atomic_store_n(&poll_up, 0, __ATOMIC_RELEASE);
    usleep(10 * 1000);
    rte_eth_dev_stop(up);
    spec_init(&s, DPFIP_DNAT, true, up, rep0);
    s.floating = addr("192.0.2.30");
    ret = install(&s, &c, &error);
    check(ret == ENODEV && !c && error && strstr(error, "not started"),
          "install on a stopped proxy: ENODEV \"%s\"", error ? error : "");
    free(error);
    rte_eth_dev_start(up);
    __atomic_store_n(&poll_up, 1, __ATOMIC_RELEASE);
    check(sw_wait("state", "rules", 0, 10000),
          "the proxy's stop flushed every rule");

    /* The manager calls port_changed() when the netdev's change seq
     * moves; the provider finds the rules gone (ENOENT, of type
     * UNSPECIFIED on mlx5).  A representor is no proxy of ours. */
    check(!cls->port_changed(rep0), "port_changed(rep0): nothing lost");
    check(cls->port_changed(up), "port_changed(uplink): rules lost");
    for (i = 0; i < 4; i++) {
        error = NULL;
        ret = cls->stats(r[i], &st, &error);
        n_lost += ret == ENOENT;
        free(error);
    }
    check(n_lost == 4, "stats: ENOENT for each of the 4 rule sets (%d)",
          n_lost);
    /* A new FIP now reuses the flushed handles ... */
    ret = install(&s, &c, &error);
    check(!ret, "a FIP installed after the restart %s", ret ? error : "");
    free(error);
    state_settle("state");
    {
        long long rules = sw("state", "rules");

        /* ... and removing the lost rule sets must not destroy them. */
        for (i = 0; i < 4; i++) {
            remove_rule(&r[i], "lost rule set");
        }
        state_settle("state");
        check(sw("state", "rules") == rules && rules > 0
              && sw("state", "stale_destroys") == 0,
              "removing the lost rule sets destroyed nothing (%lld rules "
              "stay, stale_destroys=%lld)", sw("state", "rules"),
              sw("state", "stale_destroys"));
    }
    check(!cls->port_changed(up), "port_changed(uplink) again, no restart: "
          "nothing lost");
    remove_rule(&c, "FIP after the restart");
    check(sw_wait("state", "rules", 0, 10000),
          "and its removal empties the table");
}

int
main(int argc, char **argv)
{
    char vdev_up[512], vdev_cap[512], vdev_fe[512];
    struct rte_mempool *mp;
    uint16_t ports[8];
    pthread_t poller;
    bool ok;
    int i;

    if (argc != 5) {
        fprintf(stderr, "usage: %s PLUGIN.so WORKDIR UDP.py FRAMES.py\n",
                argv[0]);
        return 2;
    }
    workdir = argv[2];
    helper = argv[3];
    frames = argv[4];
    snprintf(vdev_up, sizeof vdev_up,
             "net_eswitch_up0,iface=dpo_up,switch=sw0,role=uplink,"
             "state-file=%s/state", workdir);
    snprintf(vdev_cap, sizeof vdev_cap,
             "net_eswitch_cap0,iface=dpo_c0,switch=swcap,capacity=4,"
             "state-file=%s/state_cap", workdir);
    snprintf(vdev_fe, sizeof vdev_fe,
             "net_eswitch_fe0,iface=dpo_f0,switch=swfe,fail-every=5,"
             "state-file=%s/state_fe", workdir);
    char *eal_argv[] = {
        argv[0], "--no-pci", "--no-huge", "-m", "256", "--no-shconf",
        "--log-level=pmd.net.eswitch:notice", "-d", argv[1],
        "--vdev", vdev_up,
        "--vdev", "net_eswitch_rep0,iface=dpo_rep0,switch=sw0,role=rep,vf=0",
        "--vdev", vdev_cap,
        "--vdev", "net_eswitch_cap1,iface=dpo_c1,switch=swcap,role=rep,vf=1",
        "--vdev", vdev_fe,
        "--vdev", "net_eswitch_ng0,iface=dpo_n0,switch=swng,group-miss=none",
        "--vdev", "net_eswitch_ng1,iface=dpo_n1,switch=swng,role=rep,vf=1",
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
          && !rte_eth_dev_get_port_by_name("net_eswitch_fe1", &fe1)
          && !rte_eth_dev_get_port_by_name("net_eswitch_ng0", &ng0)
          && !rte_eth_dev_get_port_by_name("net_eswitch_ng1", &ng1));
    check(ok, "model ports probed: uplink %u rep0 %u", up, rep0);
    if (!ok) {
        goto out;
    }

    mp = rte_pktmbuf_pool_create("dpo_mp", 4095, 0, 0,
                                 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ports[0] = up;
    ports[1] = rep0;
    ports[2] = cap0;
    ports[3] = cap1;
    ports[4] = fe0;
    ports[5] = fe1;
    ports[6] = ng0;
    ports[7] = ng1;
    /* Rules only go on started ports. */
    for (i = 0; i < 8; i++) {
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

    test_prefix_arithmetic();
    test_probe();
    test_spec_errors();
    test_no_groups();
    test_capacity();
    test_fail_every();
    test_shape();

    pthread_create(&poller, NULL, poll_main, NULL);
    test_traffic();
    test_allow_list();
    test_restart();
    polling = 0;
    pthread_join(poller, NULL);
    for (i = 0; i < 8; i++) {
        rte_eth_dev_stop(ports[i]);
        rte_eth_dev_close(ports[i]);
    }
    rte_eal_cleanup();

out:
    printf("offload_test: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
