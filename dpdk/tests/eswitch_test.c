/* SPDX-License-Identifier: BSD-3-Clause
 *
 * End-to-end test of net_eswitch with real traffic.  Run by run.sh, which
 * creates the namespaces and veths:
 *
 *   netns eswt_ext: ext0 198.51.100.1, 2001:db8:1::1 <-> eswt_up (uplink)
 *   netns eswt_vm0: vm0 10.0.0.5, fd00::5           <-> eswt_rep0 (vf 0)
 *   root: eswt_c0/eswt_c1 and eswt_f0/eswt_f1 (capacity and fail-every
 *         switches, no traffic)
 *
 * Prints one "PASS: ..." or "FAIL: ..." line per check.
 *
 * usage: eswitch_test PLUGIN.so STATE_FILE WORKDIR FRAMES.py
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

static int n_pass, n_fail;

static void
check(int ok, const char *fmt, ...)
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

static const char *workdir;
static const char *state_file;
static const char *frames;      /* frames.py */
static uint16_t up, rep0;

#define FIP4 "192.0.2.10"
#define VM4 "10.0.0.5"
#define FIP6 "2001:db8:f::10"
#define VM6 "fd00::5"
static const struct rte_ether_addr vm0_mac =
    {{ 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 }};
static const struct rte_ether_addr gw_mac =
    {{ 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 }};

/* Poll thread: plays the OVS PMD thread. */
static volatile int polling = 1;
static int poll_up = 1;         /* Atomic: rx_burst the uplink. */
static uint64_t up_rx, rep_rx, fip4_miss, fip6_miss;

static void
classify(struct rte_mbuf *m)
{
    const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m);
    uint32_t fip4 = inet_addr(FIP4);
    uint8_t fip6[16];

    inet_pton(AF_INET6, FIP6, fip6);
    if (len >= 34 && d[12] == 0x08 && d[13] == 0x00
        && !memcmp(d + 30, &fip4, 4)) {
        __atomic_fetch_add(&fip4_miss, 1, __ATOMIC_RELAXED);
    }
    if (len >= 54 && d[12] == 0x86 && d[13] == 0xdd
        && !memcmp(d + 38, fip6, 16)) {
        __atomic_fetch_add(&fip6_miss, 1, __ATOMIC_RELAXED);
    }
}

static void *
poll_main(void *arg)
{
    struct rte_mbuf *pkts[32];

    (void) arg;
    while (polling) {
        uint16_t i, n;

        n = (__atomic_load_n(&poll_up, __ATOMIC_ACQUIRE)
             ? rte_eth_rx_burst(up, 0, pkts, 32) : 0);
        for (i = 0; i < n; i++) {
            classify(pkts[i]);
            rte_pktmbuf_free(pkts[i]);
        }
        __atomic_fetch_add(&up_rx, n, __ATOMIC_RELAXED);
        n = rte_eth_rx_burst(rep0, 0, pkts, 32);
        rte_pktmbuf_free_bulk(pkts, n);
        __atomic_fetch_add(&rep_rx, n, __ATOMIC_RELAXED);
        if (!n) {
            usleep(100);
        }
    }
    return NULL;
}

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
slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    buf[0] = '\0';
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static int
count_lines(const char *path)
{
    const char *s = slurp(path);
    int n = 0;

    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

/* The value of KEY= on the first line of the state file that starts
 * with PREFIX and contains every word of WHERE (space separated), or -1. */
static long long
state_field(const char *prefix, const char *where, const char *key)
{
    char *buf = strdup(slurp(state_file));
    long long v = -1;
    char *line, *save = NULL;

    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char words[512], *w, *wsave = NULL, k[64];
        const char *hit;
        int ok = !strncmp(line, prefix, strlen(prefix));

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

/* Waits up to 'ms' for state_field() to equal 'want'. */
static bool
state_wait(const char *prefix, const char *where, const char *key,
           long long want, int ms)
{
    for (; ms > 0; ms -= 50) {
        if (state_field(prefix, where, key) == want) {
            return true;
        }
        usleep(50 * 1000);
    }
    return state_field(prefix, where, key) == want;
}

static long long
sw_field(const char *key)
{
    return state_field("switch ", "", key);
}

/* Waits for a file in the work directory to exist (a receiver bound its
 * socket, tcpdump started). */
static bool
file_wait(const char *name, const char *needle, int ms)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", workdir, name);
    for (; ms > 0; ms -= 20) {
        if (!access(path, F_OK) && (!needle || strstr(slurp(path), needle))) {
            return true;
        }
        usleep(20 * 1000);
    }
    return false;
}

static int
query_hits(uint16_t port, struct rte_flow *f, uint64_t *bytes)
{
    struct rte_flow_action act[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_query_count q = { .reset = 0 };
    struct rte_flow_error err;

    if (rte_flow_query(port, f, act, &q, &err)) {
        return -1;
    }
    if (bytes) {
        *bytes = q.bytes;
    }
    return (int) q.hits;
}

/* Starts a UDP receiver in the VM namespace writing payloads to FILE. */
static void
start_receiver(const char *addr, int af, int port, const char *file,
               int secs)
{
    sh("ip netns exec eswt_vm0 timeout %d /usr/bin/python3 -c '"
       "import socket,sys\n"
       "s=socket.socket(socket.AF_INET%s,socket.SOCK_DGRAM)\n"
       "s.bind((\"%s\",%d))\n"
       "f=open(\"%s/%s\",\"w\",buffering=1)\n"
       "while True:\n"
       "  d=s.recv(2048); f.write(d.decode().strip()+\"\\n\")\n"
       "' >/dev/null 2>&1 &", secs, af == 6 ? "6" : "", addr, port,
       workdir, file);
    /* The file appears once the socket is bound. */
    if (!file_wait(file, NULL, 5000)) {
        printf("  receiver %s did not start\n", file);
    }
}

/* Starts tcpdump in 'ns' on 'dev' into FILE for 'secs'; waits until it
 * listens. */
static void
start_tcpdump(const char *ns, const char *dev, const char *filter,
              const char *file, int secs)
{
    char ready[300];

    snprintf(ready, sizeof ready, "%s.ready", file);
    sh("ip netns exec %s timeout %d tcpdump -i %s -n -e -vv -l '%s' "
       "> %s/%s 2> %s/%s &", ns, secs, dev, filter, workdir, file, workdir,
       ready);
    if (!file_wait(ready, "listening on", 5000)) {
        printf("  tcpdump %s did not start\n", file);
    }
}

static void
send_udp(const char *ns, const char *dst, int port, const char *tag, int n)
{
    sh("ip netns exec %s bash -c 'for i in $(seq 1 %d); do "
       "echo %s$i > /dev/udp/%s/%d; sleep 0.05; done'", ns, n, tag, dst,
       port);
}

static bool
wait_for(uint64_t *counter, uint64_t min, int ms)
{
    while (ms > 0) {
        if (__atomic_load_n(counter, __ATOMIC_RELAXED) >= min) {
            return true;
        }
        usleep(50 * 1000);
        ms -= 50;
    }
    return __atomic_load_n(counter, __ATOMIC_RELAXED) >= min;
}

static struct rte_flow *
fip4_rule(uint16_t port, struct rte_flow_error *err, int validate_only)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_ethdev src = { .port_id = up };
    struct rte_flow_item_ipv4 ip_spec = { .hdr.dst_addr = inet_addr(FIP4) };
    struct rte_flow_item_ipv4 ip_mask = { .hdr.dst_addr = 0xffffffff };
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &src },
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip_spec,
          .mask = &ip_mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action_set_mac mdst, msrc;
    struct rte_flow_action_set_ipv4 ipdst = { .ipv4_addr = inet_addr(VM4) };
    struct rte_flow_action_count cnt = { 0 };
    struct rte_flow_action_port_id out = { .id = rep0 };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_MAC_DST, .conf = &mdst },
        { .type = RTE_FLOW_ACTION_TYPE_SET_MAC_SRC, .conf = &msrc },
        { .type = RTE_FLOW_ACTION_TYPE_SET_IPV4_DST, .conf = &ipdst },
        { .type = RTE_FLOW_ACTION_TYPE_DEC_TTL },
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &out },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    memcpy(mdst.mac_addr, vm0_mac.addr_bytes, 6);
    memcpy(msrc.mac_addr, gw_mac.addr_bytes, 6);
    if (validate_only) {
        return rte_flow_validate(port, &attr, pattern, actions, err)
               ? NULL : (struct rte_flow *) 1;
    }
    return rte_flow_create(port, &attr, pattern, actions, err);
}

static struct rte_flow *
fip6_rule(struct rte_flow_error *err)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_ipv6 ip_spec, ip_mask;
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6, .spec = &ip_spec,
          .mask = &ip_mask },
        { .type = RTE_FLOW_ITEM_TYPE_UDP },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action_set_mac mdst, msrc;
    struct rte_flow_action_set_ipv6 ipdst;
    struct rte_flow_action_ethdev out = { .port_id = rep0 };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_MAC_DST, .conf = &mdst },
        { .type = RTE_FLOW_ACTION_TYPE_SET_MAC_SRC, .conf = &msrc },
        { .type = RTE_FLOW_ACTION_TYPE_SET_IPV6_DST, .conf = &ipdst },
        { .type = RTE_FLOW_ACTION_TYPE_DEC_TTL },
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, .conf = &out },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    memset(&ip_spec, 0, sizeof ip_spec);
    memset(&ip_mask, 0, sizeof ip_mask);
    inet_pton(AF_INET6, FIP6, ip_spec.hdr.dst_addr);
    memset(ip_mask.hdr.dst_addr, 0xff, 16);
    inet_pton(AF_INET6, VM6, ipdst.ipv6_addr);
    memcpy(mdst.mac_addr, vm0_mac.addr_bytes, 6);
    memcpy(msrc.mac_addr, gw_mac.addr_bytes, 6);
    /* No source item: the port it is created on (the uplink). */
    return rte_flow_create(up, &attr, pattern, actions, err);
}

/* A rule matching one /32 destination, dropping: for table tests. */
static struct rte_flow *
drop_rule(uint16_t port, uint32_t n, struct rte_flow_error *err)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_ipv4 ip_spec = {
        .hdr.dst_addr = rte_cpu_to_be_32(0xc6336400 + n),
    };
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip_spec,
          .mask = &rte_flow_item_ipv4_mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    return rte_flow_create(port, &attr, pattern, actions, err);
}

static void
test_info(void)
{
    struct rte_eth_dev_info iu, ir;
    uint16_t c0;

    check(rte_eth_dev_info_get(up, &iu) == 0
          && rte_eth_dev_info_get(rep0, &ir) == 0, "dev_info_get");
    check(iu.switch_info.name && ir.switch_info.name
          && !strcmp(iu.switch_info.name, "sw0")
          && !strcmp(ir.switch_info.name, "sw0")
          && iu.switch_info.domain_id == ir.switch_info.domain_id
          && iu.switch_info.domain_id != RTE_ETH_DEV_SWITCH_DOMAIN_ID_INVALID,
          "uplink and rep0 share switch_info name=sw0 domain=%u",
          iu.switch_info.domain_id);
    check(iu.switch_info.port_id == 0xffff && ir.switch_info.port_id == 0,
          "switch_info.port_id uplink=0x%x rep0=%u", iu.switch_info.port_id,
          ir.switch_info.port_id);
    check((*ir.dev_flags & RTE_ETH_DEV_REPRESENTOR)
          && !(*iu.dev_flags & RTE_ETH_DEV_REPRESENTOR),
          "RTE_ETH_DEV_REPRESENTOR set on rep0 only");
    check(rte_eth_devices[rep0].data->representor_id == 0
          && rte_eth_devices[rep0].data->backer_port_id == up,
          "rep0 representor_id=0 backer=uplink");
    /* How OVS finds a port from its dpdk-devargs. */
    {
        struct rte_dev_iterator it;
        uint16_t pid, found_rep = RTE_MAX_ETHPORTS;
        uint16_t found_up = RTE_MAX_ETHPORTS;

        RTE_ETH_FOREACH_MATCHING_DEV (pid, "net_eswitch_rep0,iface=x,"
                                      "representor=vf0", &it) {
            found_rep = pid;
            rte_eth_iterator_cleanup(&it);
            break;
        }
        RTE_ETH_FOREACH_MATCHING_DEV (pid, "net_eswitch_up0,iface=x", &it) {
            found_up = pid;
            rte_eth_iterator_cleanup(&it);
            break;
        }
        check(found_rep == rep0 && found_up == up,
              "devargs iterator (OVS lookup) finds uplink and "
              "representor=vf0");
    }
    if (rte_eth_dev_get_port_by_name("net_eswitch_cap0", &c0) == 0) {
        struct rte_eth_dev_info ic;

        rte_eth_dev_info_get(c0, &ic);
        check(ic.switch_info.domain_id != iu.switch_info.domain_id,
              "a second switch gets its own domain (%u)",
              ic.switch_info.domain_id);
    }
}

static void
test_validate_errors(void)
{
    struct rte_flow_error err;
    struct rte_flow_attr tr = { .transfer = 1 };
    struct rte_flow_attr ing = { .ingress = 1 };
    struct rte_flow_item_vlan vlan = { 0 };
    struct rte_flow_item_ipv4 ip = { .hdr.dst_addr = inet_addr(FIP4) };
    struct rte_flow_item_ipv4 ip_last = {
        .hdr.dst_addr = inet_addr("192.0.2.20"),
    };
    struct rte_flow_action_port_id bad_port = { .id = 200 };
    struct rte_flow_action_mark mark = { .id = 1 };
    struct rte_flow_action_set_ipv4 sip = { .ipv4_addr = 1 };
    struct rte_flow_action_port_id out = { .id = rep0 };
    struct rte_flow_item p_eth[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_item p_vlan[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_VLAN, .spec = &vlan },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_item p_range[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip,
          .last = &ip_last, .mask = &rte_flow_item_ipv4_mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action a_out[] = {
        { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &out },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_action a_mark[] = {
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark },
        { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &out },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_action a_sip[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC, .conf = &sip },
        { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &out },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_action a_badport[] = {
        { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &bad_port },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_action a_nofate[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    int ret;

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &ing, p_eth, a_out, &err);
    check(ret < 0 && err.type == RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER,
          "validate: non-transfer rule refused (type %d: %s)", err.type,
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &tr, p_vlan, a_out, &err);
    check(ret == -ENOTSUP && err.type == RTE_FLOW_ERROR_TYPE_ITEM
          && err.cause == &p_vlan[1] && err.message
          && strstr(err.message, "VLAN not supported"),
          "validate: VLAN item refused (%s)",
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &tr, p_eth, a_mark, &err);
    check(ret == -ENOTSUP && err.type == RTE_FLOW_ERROR_TYPE_ACTION
          && err.cause == &a_mark[0] && err.message
          && strstr(err.message, "MARK not supported"),
          "validate: MARK action refused (%s)",
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &tr, p_eth, a_sip, &err);
    check(ret < 0 && err.type == RTE_FLOW_ERROR_TYPE_ACTION
          && err.cause == &a_sip[0],
          "validate: SET_IPV4_SRC without IPV4 item refused (%s)",
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &tr, p_eth, a_badport, &err);
    check(ret < 0 && err.type == RTE_FLOW_ERROR_TYPE_ACTION_CONF,
          "validate: output to a port outside the switch refused (%s)",
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &tr, p_range, a_out, &err);
    check(ret < 0 && err.type == RTE_FLOW_ERROR_TYPE_ITEM_LAST,
          "validate: item ranges refused (%s)",
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &tr, p_eth, a_nofate, &err);
    check(ret < 0 && err.type == RTE_FLOW_ERROR_TYPE_ACTION_NUM,
          "validate: rule without fate action refused (%s)",
          err.message ? err.message : "");

    memset(&err, 0, sizeof err);
    check(fip4_rule(up, &err, 1) != NULL, "validate: FIP rule accepted");
}

static void
test_capacity(void)
{
    struct rte_flow_error err;
    struct rte_flow *f[4];
    uint16_t c0;
    int i, ok = 1;

    if (rte_eth_dev_get_port_by_name("net_eswitch_cap0", &c0)) {
        check(0, "capacity switch present");
        return;
    }
    for (i = 0; i < 3; i++) {
        f[i] = drop_rule(c0, i, &err);
        ok &= f[i] != NULL;
    }
    check(ok, "capacity=3: three rules created");
    memset(&err, 0, sizeof err);
    f[3] = drop_rule(c0, 3, &err);
    check(!f[3] && rte_errno == ENOSPC && err.message
          && strstr(err.message, "table full"),
          "capacity=3: 4th rule refused, errno ENOSPC (%s)",
          err.message ? err.message : "");
    check(rte_flow_destroy(c0, f[0], &err) == 0, "destroy frees a slot");
    f[0] = drop_rule(c0, 4, &err);
    check(f[0] != NULL, "capacity=3: create after destroy works");
    check(rte_flow_flush(c0, &err) == 0, "flush on capacity switch");
    f[0] = drop_rule(c0, 5, &err);
    check(f[0] != NULL, "create after flush works");
    {
        struct rte_flow *j = NULL;
        struct rte_flow_error e2;
        struct rte_flow_attr g1 = { .transfer = 1, .group = 1 };
        struct rte_flow_item p_any[] = {
            { .type = RTE_FLOW_ITEM_TYPE_END },
        };
        struct rte_flow_action a_drop[] = {
            { .type = RTE_FLOW_ACTION_TYPE_DROP },
            { .type = RTE_FLOW_ACTION_TYPE_END },
        };

        memset(&e2, 0, sizeof e2);
        j = (struct rte_flow *) (uintptr_t)
            (rte_flow_validate(c0, &g1, p_any, a_drop, &e2) == 0);
        check(!j && e2.type == RTE_FLOW_ERROR_TYPE_ATTR_GROUP,
              "group-miss=none: a rule in group 1 is refused (%s)",
              e2.message ? e2.message : "");
    }
}

static void
test_fail_every(void)
{
    struct rte_flow_error err;
    int i, fails = 0, ok_pattern = 1;
    uint16_t f0;

    if (rte_eth_dev_get_port_by_name("net_eswitch_fe0", &f0)) {
        check(0, "fail-every switch present");
        return;
    }
    for (i = 1; i <= 6; i++) {
        struct rte_flow *f;

        memset(&err, 0, sizeof err);
        f = drop_rule(f0, i, &err);
        if (!f) {
            fails++;
            ok_pattern &= (i % 3 == 0) && err.message
                          && strstr(err.message, "injected failure");
            if (i == 3) {
                printf("  fail-every message: %s (errno %d)\n",
                       err.message, rte_errno);
            }
        } else {
            ok_pattern &= i % 3 != 0;
        }
    }
    check(fails == 2 && ok_pattern,
          "fail-every=3: creates #3 and #6 refused, others succeed");
}

static void
test_bad_devargs(void)
{
    static const char *bad[] = {
        "net_eswitch_bad0,iface=eswt_c0,role=bogus",
        "net_eswitch_bad1,iface=nosuchif0",
        "net_eswitch_bad2,iface=eswt_f1,colour=red",
        "net_eswitch_bad3,iface=eswt_f1,role=rep,vf=1,capacity=5",
        "net_eswitch_bad4,iface=eswt_f1,capacity=0",
        "net_eswitch_bad5,iface=eswt_f1,switch=sw0,role=uplink",
        "net_eswitch_bad6,iface=eswt_f1,role=rep",
        "net_eswitch_bad7,iface=eswt_f1,fail-every=x",
        "net_eswitch_bad8,iface=eswt_f1,representor=vf1,vf=2",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint16_t p;
        char name[32];
        int ret = rte_dev_probe(bad[i]);

        snprintf(name, sizeof name, "net_eswitch_bad%zu", i);
        check(ret < 0 && rte_eth_dev_get_port_by_name(name, &p) != 0,
              "bad devargs refused: %s", bad[i]);
    }
}

static void
test_tx_path(void)
{
    struct rte_mempool *mp = rte_mempool_lookup("esw_test_mp");
    struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
    struct rte_ether_hdr *eh;
    struct rte_ipv4_hdr *ip;
    struct rte_udp_hdr *udp;
    const char payload[] = "txpath1\n";
    struct rte_eth_stats st0, st1;
    char path[512];
    uint16_t len = sizeof *eh + sizeof *ip + sizeof *udp + 8;
    int i;

    start_receiver(VM4, 4, 5007, "rx_tx.txt", 6);
    rte_eth_stats_get(rep0, &st0);
    eh = (struct rte_ether_hdr *) rte_pktmbuf_append(m, len);
    eh->dst_addr = vm0_mac;
    eh->src_addr = gw_mac;
    eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    ip = (struct rte_ipv4_hdr *) (eh + 1);
    memset(ip, 0, sizeof *ip);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16(len - sizeof *eh);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = inet_addr("10.0.0.99");
    ip->dst_addr = inet_addr(VM4);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    udp = (struct rte_udp_hdr *) (ip + 1);
    udp->src_port = rte_cpu_to_be_16(4444);
    udp->dst_port = rte_cpu_to_be_16(5007);
    udp->dgram_len = rte_cpu_to_be_16(sizeof *udp + 8);
    memcpy(udp + 1, payload, 8);
    udp->dgram_cksum = 0;
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    check(rte_eth_tx_burst(rep0, 0, &m, 1) == 1, "tx_burst accepted");
    snprintf(path, sizeof path, "%s/rx_tx.txt", workdir);
    for (i = 0; i < 30 && !strstr(slurp(path), "txpath1"); i++) {
        usleep(100 * 1000);
    }
    rte_eth_stats_get(rep0, &st1);
    check(strstr(slurp(path), "txpath1") != NULL,
          "packet sent by the application on rep0 reached the VM "
          "unchanged");
    check(st1.opackets == st0.opackets + 1, "rep0 opackets +1 (%"PRIu64")",
          st1.opackets);
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits until a COUNT query of 'f' reports at least 'min' hits (counters
 * come from a cache refreshed about once a second, as on mlx5). */
static int
wait_hits(uint16_t port, struct rte_flow *f, int min, int ms,
          uint64_t *bytes)
{
    int h = query_hits(port, f, bytes);

    for (; h < min && ms > 0; ms -= 50) {
        usleep(50 * 1000);
        h = query_hits(port, f, bytes);
    }
    return h;
}

static void
test_traffic(void)
{
    struct rte_flow_error err;
    struct rte_flow *f4, *f6;
    char path[512], *cap;
    uint64_t bytes = 0, miss0;
    int hits, hits6, n;

    /* 1. No rule: traffic to the FIP is a miss, seen by rx_burst. */
    __atomic_store_n(&fip4_miss, 0, __ATOMIC_RELAXED);
    send_udp("eswt_ext", FIP4, 5000, "miss", 3);
    check(wait_for(&fip4_miss, 3, 10000),
          "without a rule, UDP to the FIP arrives in rx_burst (%"PRIu64
          " packets)", fip4_miss);

    /* 2. Install the FIP rule. */
    memset(&err, 0, sizeof err);
    f4 = fip4_rule(up, &err, 0);
    check(f4 != NULL, "create FIP rule (uplink ipv4 dst " FIP4 " -> "
          "set mac, set ipv4 dst " VM4 ", dec ttl, count, port_id rep0) %s",
          f4 ? "" : err.message);
    if (!f4) {
        return;
    }
    check(state_wait("switch ", "", "rules", 1, 10000)
          && state_field("rule ", "ipv4_dst=" FIP4 "/32", "hits") == 0,
          "state file shows the rule, 0 hits");

    start_receiver(VM4, 4, 5000, "rx4.txt", 20);
    start_tcpdump("eswt_vm0", "vm0", "udp port 5000 or icmp", "cap4.txt",
                  15);
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);

    send_udp("eswt_ext", FIP4, 5000, "hello", 5);
    sh("ip netns exec eswt_ext ping -c 3 -i 0.2 -W 1 " FIP4
       " >/dev/null 2>&1");
    /* Now with a complete checksum computed by the sender's stack. */
    sh("ip netns exec eswt_ext ethtool -K ext0 tx off >/dev/null 2>&1");
    send_udp("eswt_ext", FIP4, 5000, "csum", 2);
    sh("ip netns exec eswt_ext ethtool -K ext0 tx on >/dev/null 2>&1");

    /* Exactly the 10 packets: a field of the rule's line, not a
     * substring of the file. */
    check(state_wait("rule ", "ipv4_dst=" FIP4 "/32", "hits", 10, 10000),
          "state file: the rule's hits=10 (5+2 UDP, 3 ICMP)");
    hits = wait_hits(up, f4, 10, 3000, &bytes);
    check(hits == 10, "COUNT query: hits=%d bytes=%"PRIu64" (10 expected)",
          hits, bytes);
    check(bytes >= (uint64_t) hits * 42, "COUNT bytes plausible");
    check(__atomic_load_n(&fip4_miss, __ATOMIC_RELAXED) == miss0,
          "hits never reached rx_burst (misses stayed %"PRIu64")", miss0);

    snprintf(path, sizeof path, "%s/rx4.txt", workdir);
    n = count_lines(path);
    check(n == 7 && strstr(slurp(path), "hello5")
          && strstr(slurp(path), "csum2"),
          "VM socket on " VM4 ":5000 received all 7 rewritten datagrams "
          "(%d): IP and UDP checksums valid", n);
    snprintf(path, sizeof path, "%s/cap4.txt", workdir);
    for (n = 0; n < 60 && !strstr(slurp(path), "ICMP echo request"); n++) {
        usleep(50 * 1000);
    }
    cap = slurp(path);
    check(strstr(cap, "02:00:00:00:02:02 > 02:00:00:00:02:01") != NULL,
          "tcpdump in VM: MACs rewritten");
    check(strstr(cap, "ttl 63") != NULL && !strstr(cap, "ttl 64"),
          "tcpdump in VM: TTL decremented 64 -> 63");
    check(strstr(cap, "198.51.100.1.") && strstr(cap, "> " VM4 ".5000")
          && strstr(cap, "udp sum ok") && !strstr(cap, "bad"),
          "tcpdump in VM: dst " VM4 ", UDP checksum ok");
    check(strstr(cap, "198.51.100.1 > " VM4 ": ICMP echo request") != NULL,
          "tcpdump in VM: ICMP echo rewritten");

    /* DEC_TTL is mlx5's "add 0xff": TTL 1 leaves with TTL 0, forwarded,
     * never handed to software. */
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);
    start_tcpdump("eswt_vm0", "vm0", "icmp", "cap_ttl.txt", 10);
    sh("ip netns exec eswt_ext ping -c 2 -t 1 -i 0.2 -W 1 " FIP4
       " >/dev/null 2>&1");
    check(state_wait("rule ", "ipv4_dst=" FIP4 "/32", "hits", 12, 10000)
          && __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED) == miss0,
          "DEC_TTL: TTL=1 packets are forwarded by the rule (hits 12), "
          "none reach rx_burst");
    snprintf(path, sizeof path, "%s/cap_ttl.txt", workdir);
    for (n = 0; n < 60 && !strstr(slurp(path), "ttl 0,"); n++) {
        usleep(50 * 1000);
    }
    /* tcpdump leaves "ttl N" out when N is 0. */
    cap = slurp(path);
    check(strstr(cap, "ICMP (1)") && strstr(cap, "(tos 0x0, id ")
          && !strstr(cap, "ttl 1,"),
          "tcpdump in VM: TTL 1 arrived as TTL 0 (wrapped, not expired)");

    /* IPv6 FIP. */
    memset(&err, 0, sizeof err);
    f6 = fip6_rule(&err);
    check(f6 != NULL, "create IPv6 FIP rule %s", f6 ? "" : err.message);
    start_receiver(VM6, 6, 5006, "rx6.txt", 10);
    start_tcpdump("eswt_vm0", "vm0", "udp port 5006", "cap6.txt", 10);
    send_udp("eswt_ext", FIP6, 5006, "six", 3);
    hits6 = f6 ? wait_hits(up, f6, 3, 3000, NULL) : -1;
    snprintf(path, sizeof path, "%s/rx6.txt", workdir);
    for (n = 0; n < 60 && count_lines(path) < 3; n++) {
        usleep(50 * 1000);
    }
    check(hits6 == 3 && count_lines(path) == 3,
          "IPv6: 3 hits, VM socket on [" VM6 "]:5006 got %d datagrams",
          count_lines(path));
    snprintf(path, sizeof path, "%s/cap6.txt", workdir);
    for (n = 0; n < 60 && !strstr(slurp(path), "six3"); n++) {
        usleep(50 * 1000);
    }
    cap = slurp(path);
    check(strstr(cap, "hlim 63") && strstr(cap, "> " VM6 ".5006")
          && strstr(cap, "udp sum ok"),
          "tcpdump in VM: IPv6 dst rewritten, hop limit 63, UDP sum ok");

    test_tx_path();

    /* Destroy: back to the slow path. */
    check(rte_flow_destroy(up, f4, &err) == 0, "destroy FIP rule");
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);
    send_udp("eswt_ext", FIP4, 5000, "after", 2);
    check(wait_for(&fip4_miss, miss0 + 2, 10000),
          "after destroy, FIP traffic is a miss again");
    check(state_wait("switch ", "", "rules", 1, 10000),
          "state file: 1 rule left");
    check(rte_flow_flush(up, &err) == 0
          && state_wait("switch ", "", "rules", 0, 10000),
          "flush: state file shows rules=0");
}

/* A rule from the uplink for UDP to 'dport', with 'fate' (JUMP to
 * 'group', or PORT_ID rep0), in 'in_group' at 'prio'. */
static struct rte_flow *
udp_rule(uint16_t port, uint32_t in_group, uint32_t prio, uint16_t dport,
         bool jump, uint32_t group, struct rte_flow_error *err)
{
    struct rte_flow_attr attr = {
        .transfer = 1, .group = in_group, .priority = prio,
    };
    struct rte_flow_item_udp udp = { .hdr.dst_port = rte_cpu_to_be_16(dport) };
    struct rte_flow_item_udp udp_mask = { .hdr.dst_port = 0xffff };
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp, .mask = &udp_mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action_jump j = { .group = group };
    struct rte_flow_action_ethdev out = { .port_id = rep0 };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = jump ? RTE_FLOW_ACTION_TYPE_JUMP
                       : RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
          .conf = jump ? (const void *) &j : (const void *) &out },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    memset(err, 0, sizeof *err);
    return rte_flow_create(port, &attr, pattern, actions, err);
}

/* Groups: a JUMP to a group that has no matching rule continues at the
 * source port's software path (mlx5 FDB); a JUMP to a group that has
 * one is executed there. */
static void
test_groups(void)
{
    struct rte_flow_error err;
    struct rte_flow *j1, *j2, *g8;
    uint64_t miss0;
    bool ok;

    j1 = udp_rule(up, 0, 1, 5000, true, 7, &err);
    check(j1 != NULL, "JUMP to group 7 (empty) created %s",
          j1 ? "" : err.message);
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);
    send_udp("eswt_ext", FIP4, 5000, "grp", 3);
    check(wait_for(&fip4_miss, miss0 + 3, 10000)
          && state_wait("switch ", "", "group_misses", 3, 10000)
          && state_wait("rule ", "jump=7", "hits", 3, 10000),
          "a miss in group 7 goes to the source port's rx_burst "
          "(group_misses=3, JUMP rule hits=3)");

    j2 = udp_rule(up, 0, 1, 5008, true, 8, &err);
    g8 = udp_rule(up, 8, 5, 5008, false, 0, &err);
    check(j2 && g8, "JUMP to group 8, and a rule in group 8 sending to "
          "rep0 %s", g8 ? "" : err.message);
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);
    send_udp("eswt_ext", FIP4, 5008, "g", 2);
    ok = (state_wait("rule ", "group=8", "hits", 2, 10000)
          && __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED) == miss0);
    check(ok, "group 8's rule forwards what group 0 jumped there (hits=2, "
          "no miss)");
    if (!ok) {
        printf("  state:\n%s", slurp(state_file));
    }

    /* Jumping to the rule's own group is refused, as by mlx5. */
    j1 = udp_rule(up, 8, 1, 5009, true, 8, &err);
    check(!j1 && err.type == RTE_FLOW_ERROR_TYPE_ACTION,
          "JUMP to its own group refused (%s)",
          err.message ? err.message : "");
    check(state_wait("switch ", "", "masks", 2, 10000),
          "distinct masks per (group, priority, mask): 2, the two JUMP "
          "rules share one");
    rte_flow_flush(up, &err);
}

static struct rte_flow *
mac_rule(uint16_t port, uint32_t prio, int n_mac, int n_ip6,
         struct rte_flow_error *err)
{
    struct rte_flow_attr attr = { .transfer = 1, .priority = prio };
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6 },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action_set_mac mac = { .mac_addr = { 2, 0, 0, 0, 0, 9 } };
    struct rte_flow_action_set_ipv6 ip6 = { .ipv6_addr = { 0xfd } };
    struct rte_flow_action actions[40];
    int i, n = 0;

    for (i = 0; i < n_mac; i++) {
        actions[n].type = RTE_FLOW_ACTION_TYPE_SET_MAC_DST;
        actions[n++].conf = &mac;
    }
    for (i = 0; i < n_ip6; i++) {
        actions[n].type = RTE_FLOW_ACTION_TYPE_SET_IPV6_DST;
        actions[n++].conf = &ip6;
    }
    actions[n].type = RTE_FLOW_ACTION_TYPE_DROP;
    actions[n++].conf = NULL;
    actions[n].type = RTE_FLOW_ACTION_TYPE_END;
    memset(err, 0, sizeof *err);
    return rte_flow_create(port, &attr, pattern, actions, err);
}

/* mlx5's limits: priorities, the modify-header budget, one transfer
 * proxy, reused handles, ENOENT of type UNSPECIFIED. */
static void
test_limits(void)
{
    struct rte_flow_attr hi = { .transfer = 1, .priority = 21843 };
    struct rte_flow_attr over = { .transfer = 1, .priority = 21844 };
    struct rte_flow_item p_eth[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action a_drop[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_action count[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_query_count q = { .reset = 0 };
    struct rte_flow_error err;
    struct rte_flow *f, *g;
    uint16_t proxy = RTE_MAX_ETHPORTS;
    int ret;

    memset(&err, 0, sizeof err);
    check(!rte_flow_validate(up, &hi, p_eth, a_drop, &err),
          "priority 21843 accepted");
    memset(&err, 0, sizeof err);
    ret = rte_flow_validate(up, &over, p_eth, a_drop, &err);
    check(ret == -ENOTSUP && err.type == RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY,
          "priority 21844 refused (%s)", err.message ? err.message : "");

    f = mac_rule(up, 1, 4, 6, &err);     /* 8 + 24 = 32 commands. */
    check(f != NULL, "modify budget: 4 MACs + 6 IPv6 addresses (32 "
          "commands) accepted %s", f ? "" : err.message);
    g = mac_rule(up, 1, 5, 6, &err);     /* 34. */
    check(!g && rte_errno == EINVAL && err.type == RTE_FLOW_ERROR_TYPE_ACTION
          && err.message && strstr(err.message, "too many items to modify"),
          "modify budget: 34 commands refused (%s)",
          err.message ? err.message : "");
    rte_flow_flush(up, &err);

    memset(&err, 0, sizeof err);
    ret = rte_flow_pick_transfer_proxy(rep0, &proxy, &err);
    check(!ret && proxy == up, "transfer proxy of rep0 is the uplink "
          "(port %u)", proxy);
    ret = rte_flow_pick_transfer_proxy(up, &proxy, &err);
    check(!ret && proxy == up, "transfer proxy of the uplink is itself");

    /* Handles: small integers of the owner's pool, reused. */
    f = drop_rule(up, 1, &err);
    check(f == (struct rte_flow *) 1, "first handle on the uplink is 1 "
          "(%p)", (void *) f);
    check(!rte_flow_destroy(up, f, &err), "destroy handle 1");
    g = drop_rule(up, 2, &err);
    check(g == f, "the next rule reuses handle 1 (%p)", (void *) g);
    rte_flow_destroy(up, g, &err);
    memset(&err, 0, sizeof err);
    ret = rte_flow_query(up, g, count, &q, &err);
    check(ret == -ENOENT && err.type == RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
          "query of a destroyed handle: ENOENT, type UNSPECIFIED (%s)",
          err.message ? err.message : "");
    ret = rte_flow_destroy(up, g, &err);
    check(ret == 0 && state_wait("switch ", "", "stale_destroys", 1, 10000),
          "destroy of an unknown handle returns 0 (as mlx5), counted as "
          "stale_destroys=1");
}

/* Equal priorities that overlap with other behaviour are flagged;
 * masks are counted per (group, priority). */
static void
test_overlap(void)
{
    struct rte_flow_error err;
    struct rte_flow *a, *b, *c;

    a = udp_rule(up, 0, 3, 5100, true, 7, &err);
    b = udp_rule(up, 0, 3, 5100, true, 7, &err);  /* Same behaviour. */
    check(a && b && state_wait("switch ", "", "overlaps", 0, 1000),
          "two equal rules with the same actions: not an overlap");
    c = udp_rule(up, 0, 3, 5100, false, 0, &err);  /* Other fate. */
    check(c && state_wait("switch ", "", "overlaps", 1, 10000)
          && state_field("rule ", "port_id=", "overlap") == 1,
          "equal priority, overlapping, other fate: flagged "
          "(overlaps=1, the rule's overlap=1)");
    check(state_wait("switch ", "", "masks", 1, 10000),
          "three rules, one (group, priority, mask): masks=1");
    rte_flow_flush(up, &err);
}

/* 'n' UDP frames to 198.51.101.10:5200 tagged with VLAN 100 from the
 * external host (no 8021q module needed). */
static void
send_tagged(int n)
{
    sh("ip netns exec eswt_ext %s ext0 02:00:00:00:01:02 02:00:00:00:01:01 "
       "198.51.100.1 198.51.101.10 5200 %d --vlan 100", frames, n);
}

/* ETH without a type matches VLAN-tagged frames (the L3 item looks
 * past the tag); has_vlan=0 does not. */
static void
test_vlan(void)
{
    struct rte_flow_error err;
    struct rte_flow *f;
    uint64_t miss0;
    bool ok;

    f = udp_rule(up, 0, 2, 5200, false, 0, &err);
    send_tagged(2);
    check(f && state_wait("rule ", "udp_dst=5200", "hits", 2, 10000),
          "ETH/IPV4/UDP without a VLAN item takes VLAN-tagged frames "
          "(hits=2)");
    rte_flow_flush(up, &err);

    {
        struct rte_flow_attr attr = { .transfer = 1, .priority = 2 };
        struct rte_flow_item_eth eth = { .has_vlan = 0 };
        struct rte_flow_item_eth eth_mask = { .has_vlan = 1 };
        struct rte_flow_item pattern[] = {
            { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &eth,
              .mask = &eth_mask },
            { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
            { .type = RTE_FLOW_ITEM_TYPE_END },
        };
        struct rte_flow_action actions[] = {
            { .type = RTE_FLOW_ACTION_TYPE_COUNT },
            { .type = RTE_FLOW_ACTION_TYPE_DROP },
            { .type = RTE_FLOW_ACTION_TYPE_END },
        };

        f = rte_flow_create(up, &attr, pattern, actions, &err);
        miss0 = __atomic_load_n(&up_rx, __ATOMIC_RELAXED);
        send_tagged(2);
        /* The state file is a periodic snapshot: wait for one that has
         * the rule (the frames have missed already, so its hits stay 0
         * unless the rule took them). */
        ok = (f && wait_for(&up_rx, miss0 + 2, 10000)
              && state_wait("rule ", "vlan=0", "hits", 0, 10000));
        check(ok, "has_vlan=0: tagged frames miss (reach rx_burst)");
        if (!ok) {
            printf("  %s up_rx %"PRIu64" -> %"PRIu64"\n  state: %s",
                   f ? "" : err.message, miss0,
                   __atomic_load_n(&up_rx, __ATOMIC_RELAXED),
                   strstr(slurp(state_file), "rule "));
        }
    }
    rte_flow_flush(up, &err);
}

/* Counters come from a cache refreshed about once a second: a query
 * right after the packets still shows the old value. */
static void
test_counter_lag(void)
{
    struct rte_flow_error err;
    struct rte_flow *f = udp_rule(up, 0, 2, 5300, true, 7, &err);
    int h0 = -1, h1 = -1, i, n;
    bool valid, live = false;

    check(f != NULL, "counter rule created");
    /* Find a refresh boundary (the query sees a new packet), then send
     * two more and query as soon as the live counter has them: the next
     * refresh is about a second after the boundary.  A busy machine can
     * miss that window; then the measurement is taken again. */
    for (i = 0, n = 1, valid = false; i < 3 && !valid; i++) {
        long long t0, t1;

        send_udp("eswt_ext", FIP4, 5300, "c", 1);
        h0 = wait_hits(up, f, n, 3000, NULL);
        t0 = now_ms();
        send_udp("eswt_ext", FIP4, 5300, "c", 2);
        n += 3;
        live = state_wait("rule ", "udp_dst=5300", "hits", n - 1, 1000);
        h1 = query_hits(up, f, NULL);
        t1 = now_ms();
        valid = live && t1 - t0 < 800;
    }
    check(valid && h1 == h0,
          "a query just after the packets still returns the cached value "
          "(%d, live %d)", h1, n - 1);
    for (i = 0; i < 30 && h1 < n - 1; i++) {
        usleep(100 * 1000);
        h1 = query_hits(up, f, NULL);
    }
    check(h1 == n - 1, "the refresh brings the query to %d within 3 s "
          "(%d after %d ms)", n - 1, h1, i * 100);
    rte_flow_flush(up, &err);
}

/* dev_stop of the proxy flushes the rules it owns; creating on a stopped
 * port fails; a handle from before names the next rule created. */
static void
test_stop(void)
{
    struct rte_flow_error err;
    struct rte_flow *f, *g;
    long long flushed0 = sw_field("flushed");
    bool ok;

    f = drop_rule(up, 10, &err);
    g = drop_rule(up, 11, &err);
    check(f && g && state_wait("switch ", "", "rules", 2, 10000),
          "two rules on the uplink before the stop");
    __atomic_store_n(&poll_up, 0, __ATOMIC_RELEASE);
    usleep(10 * 1000);          /* Let the poller leave rx_burst. */
    rte_eth_dev_stop(up);
    ok = state_wait("switch ", "", "flushed", flushed0 + 2, 10000);
    check(ok && state_field("switch ", "", "rules") == 0,
          "dev_stop of the proxy flushed its 2 rules (flushed=%lld)",
          flushed0 + 2);
    memset(&err, 0, sizeof err);
    f = drop_rule(up, 12, &err);
    check(!f && rte_errno == ENODEV
          && err.message && strstr(err.message, "not started"),
          "create on a stopped port refused (%s)",
          err.message ? err.message : "");
    rte_eth_dev_start(up);
    __atomic_store_n(&poll_up, 1, __ATOMIC_RELEASE);
    f = drop_rule(up, 13, &err);
    check(f == g, "after the restart the next rule gets a handle of a "
          "flushed one (%p)", (void *) f);
    rte_flow_flush(up, &err);
}

/* Closing a representor removes the rules it owns, not the proxy's rules
 * that send to it or match on it. */
static void
test_close_rep(void)
{
    struct rte_flow_error err;
    uint16_t c0, c1;

    if (rte_eth_dev_get_port_by_name("net_eswitch_cap0", &c0)
        || rte_eth_dev_get_port_by_name("net_eswitch_cap1", &c1)) {
        check(0, "capacity switch present");
        return;
    }
    rte_flow_flush(c0, &err);
    {
        struct rte_flow_attr attr = { .transfer = 1, .priority = 1 };
        struct rte_flow_item_ethdev src = { .port_id = c1 };
        struct rte_flow_item pattern[] = {
            { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &src },
            { .type = RTE_FLOW_ITEM_TYPE_END },
        };
        struct rte_flow_action_ethdev out = { .port_id = c1 };
        struct rte_flow_action to_rep[] = {
            { .type = RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, .conf = &out },
            { .type = RTE_FLOW_ACTION_TYPE_END },
        };
        struct rte_flow_action drop[] = {
            { .type = RTE_FLOW_ACTION_TYPE_DROP },
            { .type = RTE_FLOW_ACTION_TYPE_END },
        };
        struct rte_flow_item p_any[] = {
            { .type = RTE_FLOW_ITEM_TYPE_END },
        };

        check(rte_flow_create(c0, &attr, pattern, drop, &err)
              && rte_flow_create(c0, &attr, p_any, to_rep, &err)
              && rte_flow_create(c1, &attr, p_any, drop, &err),
              "proxy rules from and to cap1, and a rule owned by cap1");
    }
    rte_eth_dev_stop(c1);
    check(rte_eal_hotplug_remove("vdev", "net_eswitch_cap1") == 0,
          "hot-unplug of the representor cap1");
    /* The capacity switch has no state file: count through the API. */
    {
        struct rte_flow_error e2;
        struct rte_flow *f = drop_rule(c0, 77, &e2);

        /* capacity=3: 2 proxy rules stayed, so one more fits, not two. */
        check(f && !drop_rule(c0, 78, &e2) && rte_errno == ENOSPC,
              "the proxy's 2 rules for cap1 stayed, cap1's own went");
    }
    rte_flow_flush(c0, &err);
}

int
main(int argc, char **argv)
{
    char vdev_up[512];
    struct rte_mempool *mp;
    pthread_t poller;
    uint16_t ports[5];
    int i;

    if (argc != 5) {
        fprintf(stderr, "usage: %s PLUGIN.so STATE_FILE WORKDIR FRAMES.py\n",
                argv[0]);
        return 2;
    }
    state_file = argv[2];
    workdir = argv[3];
    frames = argv[4];
    snprintf(vdev_up, sizeof vdev_up,
             "net_eswitch_up0,iface=eswt_up,switch=sw0,role=uplink,"
             "capacity=64,state-file=%s", state_file);
    char *eal_argv[] = {
        argv[0], "--no-pci", "--no-huge", "-m", "256", "--no-shconf",
        "--log-level=pmd.net.eswitch:info", "-d", argv[1],
        "--vdev", vdev_up,
        "--vdev", "net_eswitch_rep0,iface=eswt_rep0,switch=sw0,role=rep,vf=0",
        "--vdev", "net_eswitch_cap0,iface=eswt_c0,switch=swcap,capacity=3,"
        "group-miss=none",
        "--vdev", "net_eswitch_cap1,iface=eswt_c1,switch=swcap,role=rep,vf=7",
        "--vdev", "net_eswitch_fe0,iface=eswt_f0,switch=swfe,fail-every=3",
    };
    int eal_argc = sizeof eal_argv / sizeof eal_argv[0];

    if (rte_eal_init(eal_argc, eal_argv) < 0) {
        check(0, "rte_eal_init");
        goto out;
    }
    i = rte_eth_dev_get_port_by_name("net_eswitch_up0", &up) == 0
        && rte_eth_dev_get_port_by_name("net_eswitch_rep0", &rep0) == 0;
    check(i, "vdevs probed: uplink port %u, rep0 port %u", up, rep0);
    check(rte_eth_dev_count_avail() >= 5, "5 eswitch ports exist (%u)",
          rte_eth_dev_count_avail());

    test_info();
    test_bad_devargs();
    test_validate_errors();

    mp = rte_pktmbuf_pool_create("esw_test_mp", 4095, 0, 0,
                                 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    check(mp != NULL, "mempool");
    ports[0] = up;
    ports[1] = rep0;
    for (i = 2; i < 5; i++) {
        static const char *const names[] = {
            "net_eswitch_cap0", "net_eswitch_cap1", "net_eswitch_fe0",
        };

        rte_eth_dev_get_port_by_name(names[i - 2], &ports[i]);
    }
    for (i = 0; i < 5; i++) {
        struct rte_eth_conf conf;

        memset(&conf, 0, sizeof conf);
        check(rte_eth_dev_configure(ports[i], 1, 1, &conf) == 0
              && rte_eth_rx_queue_setup(ports[i], 0, 512, SOCKET_ID_ANY,
                                        NULL, mp) == 0
              && rte_eth_tx_queue_setup(ports[i], 0, 512, SOCKET_ID_ANY,
                                        NULL) == 0
              && rte_eth_promiscuous_enable(ports[i]) == 0
              && rte_eth_dev_start(ports[i]) == 0,
              "configure and start port %u", ports[i]);
    }
    test_capacity();
    test_close_rep();
    test_fail_every();

    pthread_create(&poller, NULL, poll_main, NULL);
    test_limits();
    test_traffic();
    test_groups();
    test_overlap();
    test_vlan();
    test_counter_lag();
    test_stop();
    polling = 0;
    pthread_join(poller, NULL);

    /* Hot-unplug the capacity switch: its ports go, the switch too. */
    rte_eth_dev_stop(ports[2]);
    rte_eth_dev_stop(ports[4]);
    check(rte_eal_hotplug_remove("vdev", "net_eswitch_cap0") == 0,
          "hot-unplug of the capacity switch's uplink");
    for (i = 0; i < 2; i++) {
        rte_eth_dev_stop(ports[i]);
        rte_eth_dev_close(ports[i]);
    }
    check(state_wait("switch ", "", "rules", 0, 10000)
          && !strstr(slurp(state_file), "port id="),
          "after closing all ports, state file shows an empty switch");
    rte_eal_cleanup();
out:
    printf("eswitch_test: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
