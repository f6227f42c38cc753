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
 * usage: eswitch_test PLUGIN.so STATE_FILE WORKDIR
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

        n = rte_eth_rx_burst(up, 0, pkts, 32);
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

/* State file: wait until it shows 'needle' (rewritten every 100 ms). */
static bool
state_has(const char *needle)
{
    int i;

    for (i = 0; i < 20; i++) {
        if (strstr(slurp(state_file), needle)) {
            return true;
        }
        usleep(100 * 1000);
    }
    return false;
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
    sleep(1);
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
    check(wait_for(&fip4_miss, 3, 3000),
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
    check(state_has("rules=1 ") && state_has("ipv4_dst=" FIP4 "/32"),
          "state file shows the rule");

    start_receiver(VM4, 4, 5000, "rx4.txt", 12);
    sh("ip netns exec eswt_vm0 timeout 10 tcpdump -i vm0 -n -e -vv -l "
       "'udp port 5000 or icmp' > %s/cap4.txt 2>/dev/null &", workdir);
    sleep(2);
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);

    send_udp("eswt_ext", FIP4, 5000, "hello", 5);
    sh("ip netns exec eswt_ext ping -c 3 -i 0.2 -W 1 " FIP4
       " >/dev/null 2>&1");
    /* Now with a complete checksum computed by the sender's stack. */
    sh("ip netns exec eswt_ext ethtool -K ext0 tx off >/dev/null 2>&1");
    send_udp("eswt_ext", FIP4, 5000, "csum", 2);
    sh("ip netns exec eswt_ext ethtool -K ext0 tx on >/dev/null 2>&1");
    sleep(1);

    hits = query_hits(up, f4, &bytes);
    check(hits >= 10, "COUNT query: hits=%d bytes=%"PRIu64" (>= 10 "
          "expected: 5+2 UDP, 3 ICMP)", hits, bytes);
    check(bytes >= (uint64_t) hits * 42, "COUNT bytes plausible");
    check(__atomic_load_n(&fip4_miss, __ATOMIC_RELAXED) == miss0,
          "hits never reached rx_burst (misses stayed %"PRIu64")", miss0);

    snprintf(path, sizeof path, "%s/rx4.txt", workdir);
    n = count_lines(path);
    check(n == 7 && strstr(slurp(path), "hello5")
          && strstr(slurp(path), "csum2"),
          "VM socket on " VM4 ":5000 received all 7 rewritten datagrams "
          "(%d): IP and UDP checksums valid", n);
    sleep(1);
    snprintf(path, sizeof path, "%s/cap4.txt", workdir);
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
    check(state_has("hits=1") || state_has("hits=2"),
          "state file shows hits");

    /* TTL 1 would expire: punted to the slow path, not forwarded. */
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);
    sh("ip netns exec eswt_ext ping -c 2 -t 1 -i 0.2 -W 1 " FIP4
       " >/dev/null 2>&1");
    check(wait_for(&fip4_miss, miss0 + 2, 2000)
          && query_hits(up, f4, NULL) == hits,
          "TTL=1 packets go to rx_burst (slow path), hits unchanged");

    /* IPv6 FIP. */
    memset(&err, 0, sizeof err);
    f6 = fip6_rule(&err);
    check(f6 != NULL, "create IPv6 FIP rule %s", f6 ? "" : err.message);
    start_receiver(VM6, 6, 5006, "rx6.txt", 8);
    sh("ip netns exec eswt_vm0 timeout 6 tcpdump -i vm0 -n -e -vv -l "
       "'udp port 5006' > %s/cap6.txt 2>/dev/null &", workdir);
    sleep(2);
    send_udp("eswt_ext", FIP6, 5006, "six", 3);
    sleep(1);
    hits6 = f6 ? query_hits(up, f6, NULL) : -1;
    snprintf(path, sizeof path, "%s/rx6.txt", workdir);
    check(hits6 == 3 && count_lines(path) == 3,
          "IPv6: 3 hits, VM socket on [" VM6 "]:5006 got %d datagrams",
          count_lines(path));
    sleep(1);
    snprintf(path, sizeof path, "%s/cap6.txt", workdir);
    cap = slurp(path);
    check(strstr(cap, "hlim 63") && strstr(cap, "> " VM6 ".5006")
          && strstr(cap, "udp sum ok"),
          "tcpdump in VM: IPv6 dst rewritten, hop limit 63, UDP sum ok");

    test_tx_path();

    /* Destroy: back to the slow path. */
    check(rte_flow_destroy(up, f4, &err) == 0, "destroy FIP rule");
    miss0 = __atomic_load_n(&fip4_miss, __ATOMIC_RELAXED);
    send_udp("eswt_ext", FIP4, 5000, "after", 2);
    check(wait_for(&fip4_miss, miss0 + 2, 3000),
          "after destroy, FIP traffic is a miss again");
    check(state_has("rules=1 "), "state file: 1 rule left");
    check(rte_flow_flush(up, &err) == 0 && state_has("rules=0 "),
          "flush: state file shows rules=0");
}

int
main(int argc, char **argv)
{
    char vdev_up[512];
    struct rte_mempool *mp;
    pthread_t poller;
    uint16_t ports[2];
    int i;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PLUGIN.so STATE_FILE WORKDIR\n", argv[0]);
        return 2;
    }
    state_file = argv[2];
    workdir = argv[3];
    snprintf(vdev_up, sizeof vdev_up,
             "net_eswitch_up0,iface=eswt_up,switch=sw0,role=uplink,"
             "capacity=64,state-file=%s", state_file);
    char *eal_argv[] = {
        argv[0], "--no-pci", "--no-huge", "-m", "256", "--no-shconf",
        "--log-level=pmd.net.eswitch:info", "-d", argv[1],
        "--vdev", vdev_up,
        "--vdev", "net_eswitch_rep0,iface=eswt_rep0,switch=sw0,role=rep,vf=0",
        "--vdev", "net_eswitch_cap0,iface=eswt_c0,switch=swcap,capacity=3",
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
    test_capacity();
    test_fail_every();

    mp = rte_pktmbuf_pool_create("esw_test_mp", 4095, 0, 0,
                                 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    check(mp != NULL, "mempool");
    ports[0] = up;
    ports[1] = rep0;
    for (i = 0; i < 2; i++) {
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
    pthread_create(&poller, NULL, poll_main, NULL);
    test_traffic();
    polling = 0;
    pthread_join(poller, NULL);

    /* Hot-unplug the capacity switch: its ports go, the switch too. */
    check(rte_eal_hotplug_remove("vdev", "net_eswitch_cap1") == 0
          && rte_eal_hotplug_remove("vdev", "net_eswitch_cap0") == 0,
          "hot-unplug of the capacity switch ports");
    for (i = 0; i < 2; i++) {
        rte_eth_dev_stop(ports[i]);
        rte_eth_dev_close(ports[i]);
    }
    check(state_has("rules=0 ") && !strstr(slurp(state_file), "port id="),
          "after closing all ports, state file shows an empty switch");
    rte_eal_cleanup();
out:
    printf("eswitch_test: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
