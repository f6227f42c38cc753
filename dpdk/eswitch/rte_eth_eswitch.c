/* SPDX-License-Identifier: BSD-3-Clause
 *
 * net_eswitch vdev: probe/remove, devargs and ethdev ops.  One vdev is one
 * switch port:
 *
 *   net_eswitch_up0,iface=IF,switch=NAME,role=uplink[,capacity=N]
 *       [,fail-every=N][,group-miss=software|none][,state-file=PATH]
 *       [,state-rules=0|1][,mac=MAC]
 *   net_eswitch_rep0,iface=IF,switch=NAME,representor=vfN[,mac=MAC]
 *
 * so that OVS can attach each port by its own devargs string (OVS finds
 * the port with ethdev's devargs matching, which only matches a
 * representor when "representor=" is given; "role=rep,vf=N" is
 * accepted too for applications that look ports up by name).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "eswitch.h"

RTE_LOG_REGISTER(eswitch_logtype, pmd.net.eswitch, NOTICE);

#define ARG_IFACE       "iface"
#define ARG_SWITCH      "switch"
#define ARG_ROLE        "role"
#define ARG_VF          "vf"
#define ARG_CAPACITY    "capacity"
#define ARG_FAIL_EVERY  "fail-every"
#define ARG_STATE_FILE  "state-file"
#define ARG_MAC         "mac"
#define ARG_REPRESENTOR "representor"
#define ARG_GROUP_MISS  "group-miss"
#define ARG_STATE_RULES "state-rules"

static const char *const valid_args[] = {
    ARG_IFACE, ARG_SWITCH, ARG_ROLE, ARG_VF, ARG_CAPACITY, ARG_FAIL_EVERY,
    ARG_STATE_FILE, ARG_MAC, ARG_REPRESENTOR, ARG_GROUP_MISS,
    ARG_STATE_RULES, NULL
};

#define VALID_ARGS_STR "iface, switch, role, vf, representor, capacity, " \
                       "fail-every, group-miss, state-file, state-rules, mac"

struct esw_devargs {
    const char *iface;
    const char *switch_name;
    bool uplink;
    bool has_vf;
    uint16_t vf;
    bool has_capacity;
    uint32_t capacity;
    bool has_fail_every;
    uint32_t fail_every;
    bool has_group_miss;
    enum esw_group_miss group_miss;
    bool has_state_rules;
    bool state_rules;
    const char *state_file;
    bool has_mac;
    struct rte_ether_addr mac;
};

static int
parse_u32(const char *dev, const char *key, const char *value, uint32_t min,
          uint32_t max, uint32_t *out)
{
    unsigned long long v;
    char *end;

    errno = 0;
    v = strtoull(value, &end, 0);
    if (!*value || *end || errno || value[0] == '-') {
        ESW_LOG(ERR, "%s: devarg %s=%s: not a number", dev, key, value);
        return -EINVAL;
    }
    if (v < min || v > max) {
        ESW_LOG(ERR, "%s: devarg %s=%s: out of range [%u, %u]", dev, key,
                value, min, max);
        return -ERANGE;
    }
    *out = v;
    return 0;
}

static int
esw_parse_devargs(const char *dev, const char *params, struct esw_devargs *a)
{
    struct rte_kvargs *kv;
    unsigned int i, j;
    const char *role = NULL;
    int err = 0;

    memset(a, 0, sizeof *a);
    if (!params || !*params) {
        ESW_LOG(ERR, "%s: devarg %s is required (e.g. %s,iface=veth0,"
                "switch=sw0,role=uplink)", dev, ARG_IFACE, dev);
        return -EINVAL;
    }
    /* Parse without key filtering so an unknown key can be named. */
    kv = rte_kvargs_parse(params, NULL);
    if (!kv) {
        ESW_LOG(ERR, "%s: cannot parse devargs '%s' (expected "
                "key=value,...)", dev, params);
        return -EINVAL;
    }
    for (i = 0; i < kv->count; i++) {
        const char *key = kv->pairs[i].key;
        const char *value = kv->pairs[i].value;

        for (j = 0; valid_args[j]; j++) {
            if (!strcmp(key, valid_args[j])) {
                break;
            }
        }
        if (!valid_args[j]) {
            ESW_LOG(ERR, "%s: unknown devarg '%s' (valid: %s)", dev, key,
                    VALID_ARGS_STR);
            err = -EINVAL;
            goto out;
        }
        if (rte_kvargs_count(kv, key) > 1) {
            ESW_LOG(ERR, "%s: devarg %s given more than once", dev, key);
            err = -EINVAL;
            goto out;
        }
        if (!value || !*value) {
            ESW_LOG(ERR, "%s: devarg %s: empty value", dev, key);
            err = -EINVAL;
            goto out;
        }
    }

    a->iface = rte_kvargs_get(kv, ARG_IFACE);
    a->switch_name = rte_kvargs_get(kv, ARG_SWITCH);
    role = rte_kvargs_get(kv, ARG_ROLE);
    a->state_file = rte_kvargs_get(kv, ARG_STATE_FILE);

    if (!a->iface) {
        ESW_LOG(ERR, "%s: devarg %s is required", dev, ARG_IFACE);
        err = -EINVAL;
        goto out;
    }
    if (strlen(a->iface) >= IF_NAMESIZE) {
        ESW_LOG(ERR, "%s: devarg %s=%s: longer than %d characters", dev,
                ARG_IFACE, a->iface, IF_NAMESIZE - 1);
        err = -EINVAL;
        goto out;
    }
    if (!a->switch_name) {
        a->switch_name = "eswitch";
    }
    if (strlen(a->switch_name) >= ESW_SWITCH_NAME_LEN) {
        ESW_LOG(ERR, "%s: devarg %s=%s: longer than %d characters", dev,
                ARG_SWITCH, a->switch_name, ESW_SWITCH_NAME_LEN - 1);
        err = -EINVAL;
        goto out;
    }
    if (rte_kvargs_get(kv, ARG_VF)) {
        uint32_t vf;

        err = parse_u32(dev, ARG_VF, rte_kvargs_get(kv, ARG_VF), 0,
                        ESW_UPLINK_PORT - 1, &vf);
        if (err) {
            goto out;
        }
        a->has_vf = true;
        a->vf = vf;
    }
    if (rte_kvargs_get(kv, ARG_REPRESENTOR)) {
        /* ethdev's class matching (used by OVS to find the port from
         * its devargs) only matches representors by this key. */
        const char *v = rte_kvargs_get(kv, ARG_REPRESENTOR);
        char num[16];
        size_t n;
        uint32_t vf;

        if (!strncmp(v, "vf", 2)) {
            v += 2;
        }
        n = strlen(v);
        if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
            v++;
            n -= 2;
        }
        if (n == 0 || n >= sizeof num) {
            ESW_LOG(ERR, "%s: devarg %s=%s: expected vfN, [N] or N", dev,
                    ARG_REPRESENTOR, rte_kvargs_get(kv, ARG_REPRESENTOR));
            err = -EINVAL;
            goto out;
        }
        memcpy(num, v, n);
        num[n] = '\0';
        err = parse_u32(dev, ARG_REPRESENTOR, num, 0, ESW_UPLINK_PORT - 1,
                        &vf);
        if (err) {
            goto out;
        }
        if (a->has_vf && a->vf != vf) {
            ESW_LOG(ERR, "%s: devarg %s=%s: disagrees with vf=%u", dev,
                    ARG_REPRESENTOR, rte_kvargs_get(kv, ARG_REPRESENTOR),
                    a->vf);
            err = -EINVAL;
            goto out;
        }
        a->has_vf = true;
        a->vf = vf;
    }
    if (!role) {
        role = a->has_vf ? "rep" : "uplink";
    }
    if (!strcmp(role, "uplink")) {
        a->uplink = true;
        if (a->has_vf) {
            ESW_LOG(ERR, "%s: devarg %s: only for role=rep", dev, ARG_VF);
            err = -EINVAL;
            goto out;
        }
    } else if (!strcmp(role, "rep")) {
        if (!a->has_vf) {
            ESW_LOG(ERR, "%s: devarg %s is required with role=rep", dev,
                    ARG_VF);
            err = -EINVAL;
            goto out;
        }
    } else {
        ESW_LOG(ERR, "%s: devarg %s=%s: must be 'uplink' or 'rep'", dev,
                ARG_ROLE, role);
        err = -EINVAL;
        goto out;
    }

    /* Switch-wide settings belong to the uplink. */
    if (rte_kvargs_get(kv, ARG_CAPACITY)) {
        err = parse_u32(dev, ARG_CAPACITY, rte_kvargs_get(kv, ARG_CAPACITY),
                        1, ESW_MAX_CAPACITY, &a->capacity);
        if (err) {
            goto out;
        }
        a->has_capacity = true;
    }
    if (rte_kvargs_get(kv, ARG_FAIL_EVERY)) {
        err = parse_u32(dev, ARG_FAIL_EVERY,
                        rte_kvargs_get(kv, ARG_FAIL_EVERY), 0, UINT32_MAX,
                        &a->fail_every);
        if (err) {
            goto out;
        }
        a->has_fail_every = true;
    }
    if (rte_kvargs_get(kv, ARG_GROUP_MISS)) {
        const char *v = rte_kvargs_get(kv, ARG_GROUP_MISS);

        if (!strcmp(v, "software")) {
            a->group_miss = ESW_GROUP_MISS_SOFTWARE;
        } else if (!strcmp(v, "none")) {
            a->group_miss = ESW_GROUP_MISS_NONE;
        } else {
            ESW_LOG(ERR, "%s: devarg %s=%s: must be 'software' or 'none'",
                    dev, ARG_GROUP_MISS, v);
            err = -EINVAL;
            goto out;
        }
        a->has_group_miss = true;
    }
    a->state_rules = true;
    if (rte_kvargs_get(kv, ARG_STATE_RULES)) {
        uint32_t v;

        err = parse_u32(dev, ARG_STATE_RULES,
                        rte_kvargs_get(kv, ARG_STATE_RULES), 0, 1, &v);
        if (err) {
            goto out;
        }
        a->state_rules = v;
        a->has_state_rules = true;
    }
    if (!a->uplink && (a->has_capacity || a->has_fail_every
                       || a->state_file || a->has_group_miss
                       || a->has_state_rules)) {
        ESW_LOG(ERR, "%s: devarg %s: switch-wide, give it on the "
                "role=uplink port", dev, a->has_capacity ? ARG_CAPACITY
                : a->has_fail_every ? ARG_FAIL_EVERY
                : a->has_group_miss ? ARG_GROUP_MISS
                : a->has_state_rules ? ARG_STATE_RULES : ARG_STATE_FILE);
        err = -EINVAL;
        goto out;
    }
    if (a->state_file && (a->state_file[0] != '/'
                          || strlen(a->state_file) >= PATH_MAX - 32)) {
        ESW_LOG(ERR, "%s: devarg %s=%s: must be an absolute path shorter "
                "than %d", dev, ARG_STATE_FILE, a->state_file,
                PATH_MAX - 32);
        err = -EINVAL;
        goto out;
    }
    if (rte_kvargs_get(kv, ARG_MAC)) {
        const char *mac = rte_kvargs_get(kv, ARG_MAC);

        if (rte_ether_unformat_addr(mac, &a->mac)
            || !rte_is_unicast_ether_addr(&a->mac)
            || rte_is_zero_ether_addr(&a->mac)) {
            ESW_LOG(ERR, "%s: devarg %s=%s: not a unicast MAC address", dev,
                    ARG_MAC, mac);
            err = -EINVAL;
            goto out;
        }
        a->has_mac = true;
    }

out:
    if (err) {
        rte_kvargs_free(kv);
        return err;
    }
    /* Strings point into kv: keep copies in static-lifetime storage of
     * the caller by duplicating them. */
    a->iface = strdup(a->iface);
    a->switch_name = strdup(a->switch_name);
    a->state_file = a->state_file ? strdup(a->state_file) : NULL;
    rte_kvargs_free(kv);
    if (!a->iface || !a->switch_name) {
        return -ENOMEM;
    }
    return 0;
}

static void
esw_devargs_free(struct esw_devargs *a)
{
    free((char *) a->iface);
    free((char *) a->switch_name);
    free((char *) a->state_file);
}

/* ethdev ops. */

static int
esw_dev_configure(struct rte_eth_dev *dev)
{
    if (dev->data->nb_rx_queues > ESW_MAX_RXQ
        || dev->data->nb_tx_queues > ESW_MAX_TXQ) {
        return -EINVAL;
    }
    return 0;
}

static int
esw_dev_start(struct rte_eth_dev *dev)
{
    struct eswitch_port *port = dev->data->dev_private;

    port->link_up = true;
    port->started = true;
    dev->data->dev_link.link_status = RTE_ETH_LINK_UP;
    if (port->sw) {
        eswitch_state_changed(port->sw);
    }
    return 0;
}

/* Like mlx5_dev_stop(): the rules created on this port are flushed (for
 * the transfer proxy, every rule it installed for the switch).  Their
 * handles go back to the pool and will name new rules. */
static int
esw_dev_stop(struct rte_eth_dev *dev)
{
    struct eswitch_port *port = dev->data->dev_private;
    struct eswitch *sw = port->sw;

    dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
    dev->data->dev_started = 0;
    port->started = false;
    if (sw) {
        unsigned int n;

        rte_rwlock_write_lock(&sw->lock);
        n = esw_rules_flush_owner(sw, port->port_id);
        sw->n_flushed += n;
        eswitch_state_changed(sw);
        rte_rwlock_write_unlock(&sw->lock);
        if (n) {
            ESW_LOG(INFO, "%s: stopped: %u rules flushed", port->name, n);
        }
    }
    return 0;
}

static int
esw_set_link_up(struct rte_eth_dev *dev)
{
    struct eswitch_port *port = dev->data->dev_private;

    port->link_up = true;
    dev->data->dev_link.link_status = RTE_ETH_LINK_UP;
    return 0;
}

static int
esw_set_link_down(struct rte_eth_dev *dev)
{
    struct eswitch_port *port = dev->data->dev_private;

    port->link_up = false;
    dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
    return 0;
}

static int
esw_dev_close(struct rte_eth_dev *dev)
{
    struct eswitch_port *port = dev->data->dev_private;

    if (rte_eal_process_type() != RTE_PROC_PRIMARY || !port) {
        return 0;
    }
    eswitch_detach(port);
    esw_sock_close(port);
    /* mac_addrs is part of dev_private, freed with it. */
    dev->data->mac_addrs = NULL;
    return 0;
}

static int
esw_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
    struct eswitch_port *port = dev->data->dev_private;

    info->max_mac_addrs = 1;
    info->max_rx_pktlen = RTE_ETHER_MAX_JUMBO_FRAME_LEN;
    info->max_rx_queues = ESW_MAX_RXQ;
    info->max_tx_queues = ESW_MAX_TXQ;
    info->min_rx_bufsize = 0;
    info->min_mtu = RTE_ETHER_MIN_MTU;
    info->max_mtu = RTE_ETHER_MAX_JUMBO_FRAME_LEN - RTE_ETHER_HDR_LEN;
    info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    if (port->sw) {
        info->switch_info.name = port->sw->name;
        info->switch_info.domain_id = port->sw->domain_id;
    }
    info->switch_info.port_id = port->is_uplink ? ESW_UPLINK_PORT
                                                : port->vf;
    return 0;
}

static int
esw_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
    struct eswitch_port *port = dev->data->dev_private;

    dev->data->dev_link.link_status = dev->data->dev_started
                                      && port->link_up
                                      ? RTE_ETH_LINK_UP
                                      : RTE_ETH_LINK_DOWN;
    return 0;
}

static int
esw_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
    struct eswitch_port *port = dev->data->dev_private;
    unsigned int q;

    st->ipackets = port->rxq.pkts;
    st->ibytes = port->rxq.bytes;
    st->ierrors = port->rxq.errs;
    st->rx_nombuf = port->rxq.nombuf;
    st->q_ipackets[0] = port->rxq.pkts;
    st->q_ibytes[0] = port->rxq.bytes;
    st->q_errors[0] = port->rxq.errs;
    for (q = 0; q < ESW_MAX_TXQ; q++) {
        st->opackets += port->txq[q].pkts;
        st->obytes += port->txq[q].bytes;
        st->oerrors += port->txq[q].errs;
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            st->q_opackets[q] = port->txq[q].pkts;
            st->q_obytes[q] = port->txq[q].bytes;
        }
    }
    return 0;
}

static int
esw_stats_reset(struct rte_eth_dev *dev)
{
    struct eswitch_port *port = dev->data->dev_private;
    unsigned int q;

    port->rxq.pkts = port->rxq.bytes = port->rxq.errs = 0;
    port->rxq.nombuf = port->rxq.hw_pkts = 0;
    for (q = 0; q < ESW_MAX_TXQ; q++) {
        port->txq[q].pkts = port->txq[q].bytes = port->txq[q].errs = 0;
    }
    return 0;
}

static int
esw_noop(struct rte_eth_dev *dev __rte_unused)
{
    /* AF_PACKET sees every frame of the interface already. */
    return 0;
}

static int
esw_mtu_set(struct rte_eth_dev *dev __rte_unused, uint16_t mtu __rte_unused)
{
    return 0;
}

static int
esw_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
    struct eswitch_port *port = dev->data->dev_private;

    rte_ether_addr_copy(addr, &port->mac);
    return 0;
}

static uint16_t
esw_rx_burst(void *q, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
    return esw_sock_rx(q, bufs, nb_pkts);
}

static uint16_t
esw_tx_burst(void *q, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
    return esw_sock_tx(q, bufs, nb_pkts);
}

static int
esw_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid,
                   uint16_t nb_desc __rte_unused,
                   unsigned int socket_id __rte_unused,
                   const struct rte_eth_rxconf *conf __rte_unused,
                   struct rte_mempool *mp)
{
    struct eswitch_port *port = dev->data->dev_private;

    if (qid >= ESW_MAX_RXQ || !mp) {
        return -EINVAL;
    }
    port->rxq.port = port;
    port->rxq.mp = mp;
    dev->data->rx_queues[qid] = &port->rxq;
    return 0;
}

static int
esw_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid,
                   uint16_t nb_desc __rte_unused,
                   unsigned int socket_id __rte_unused,
                   const struct rte_eth_txconf *conf __rte_unused)
{
    struct eswitch_port *port = dev->data->dev_private;

    if (qid >= ESW_MAX_TXQ) {
        return -EINVAL;
    }
    port->txq[qid].port = port;
    dev->data->tx_queues[qid] = &port->txq[qid];
    return 0;
}

static int
esw_flow_ops_get(struct rte_eth_dev *dev __rte_unused,
                 const struct rte_flow_ops **ops)
{
    *ops = &eswitch_flow_ops;
    return 0;
}

static const struct eth_dev_ops esw_ops = {
    .dev_configure = esw_dev_configure,
    .dev_start = esw_dev_start,
    .dev_stop = esw_dev_stop,
    .dev_set_link_up = esw_set_link_up,
    .dev_set_link_down = esw_set_link_down,
    .dev_close = esw_dev_close,
    .dev_infos_get = esw_dev_info,
    .link_update = esw_link_update,
    .stats_get = esw_stats_get,
    .stats_reset = esw_stats_reset,
    .promiscuous_enable = esw_noop,
    .promiscuous_disable = esw_noop,
    .allmulticast_enable = esw_noop,
    .allmulticast_disable = esw_noop,
    .mtu_set = esw_mtu_set,
    .mac_addr_set = esw_mac_addr_set,
    .rx_queue_setup = esw_rx_queue_setup,
    .tx_queue_setup = esw_tx_queue_setup,
    .flow_ops_get = esw_flow_ops_get,
};

/* vdev driver. */

static int
esw_probe(struct rte_vdev_device *vdev)
{
    const char *name = rte_vdev_device_name(vdev);
    struct eswitch_params sp;
    struct esw_devargs a;
    struct rte_eth_dev *dev;
    struct eswitch_port *port;
    int err;

    if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
        ESW_LOG(ERR, "%s: secondary processes are not supported", name);
        return -ENOTSUP;
    }
    err = esw_parse_devargs(name, rte_vdev_device_args(vdev), &a);
    if (err) {
        ESW_LOG(ERR, "%s: probe failed: invalid devargs", name);
        return err;
    }

    dev = rte_eth_vdev_allocate(vdev, sizeof *port);
    if (!dev) {
        ESW_LOG(ERR, "%s: cannot allocate ethdev", name);
        esw_devargs_free(&a);
        return -ENOMEM;
    }
    port = dev->data->dev_private;
    port->fd = -1;
    port->port_id = dev->data->port_id;
    port->is_uplink = a.uplink;
    port->vf = a.vf;
    strlcpy(port->name, name, sizeof port->name);
    strlcpy(port->iface, a.iface, sizeof port->iface);
    if (a.has_mac) {
        port->mac = a.mac;
    }

    err = esw_sock_open(port);
    if (err) {
        goto error;
    }

    memset(&sp, 0, sizeof sp);
    sp.name = a.switch_name;
    sp.has_params = a.uplink;
    sp.capacity = a.has_capacity ? a.capacity : ESW_DEFAULT_CAPACITY;
    sp.fail_every = a.fail_every;
    sp.group_miss = a.group_miss;
    sp.state_rules = a.state_rules;
    sp.state_file = a.state_file;
    err = eswitch_attach(port, &sp);
    if (err) {
        goto error;
    }

    dev->data->mac_addrs = &port->mac;
    dev->data->dev_link.link_speed = RTE_ETH_SPEED_NUM_10G;
    dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
    dev->data->dev_link.link_autoneg = RTE_ETH_LINK_FIXED;
    dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
    dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS
                            | RTE_ETH_DEV_FLOW_OPS_THREAD_SAFE;
    if (!a.uplink) {
        dev->data->dev_flags |= RTE_ETH_DEV_REPRESENTOR;
        dev->data->representor_id = a.vf;
    }
    dev->dev_ops = &esw_ops;
    dev->rx_pkt_burst = esw_rx_burst;
    dev->tx_pkt_burst = esw_tx_burst;
    rte_eth_dev_probing_finish(dev);

    if (a.uplink) {
        ESW_LOG(INFO, "%s: port %u: uplink of switch %s on %s", name,
                port->port_id, a.switch_name, a.iface);
    } else {
        ESW_LOG(INFO, "%s: port %u: representor of vf %u of switch %s "
                "on %s", name, port->port_id, a.vf, a.switch_name, a.iface);
    }
    esw_devargs_free(&a);
    return 0;

error:
    ESW_LOG(ERR, "%s: probe failed: %s", name, strerror(-err));
    esw_sock_close(port);
    dev->data->mac_addrs = NULL;
    rte_eth_dev_release_port(dev);
    esw_devargs_free(&a);
    return err;
}

static int
esw_remove(struct rte_vdev_device *vdev)
{
    struct rte_eth_dev *dev;

    dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
    if (!dev) {
        return 0;
    }
    /* Closes (detaching from the switch) and releases the port. */
    return rte_eth_dev_close(dev->data->port_id);
}

static struct rte_vdev_driver esw_vdev_drv = {
    .probe = esw_probe,
    .remove = esw_remove,
};

RTE_PMD_REGISTER_VDEV(net_eswitch, esw_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_eswitch,
    "iface=<ifname> switch=<name> role=uplink|rep vf=<int> "
    "capacity=<int> fail-every=<int> group-miss=software|none "
    "state-file=<path> state-rules=0|1 mac=<mac>");
