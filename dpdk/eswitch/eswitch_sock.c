/* SPDX-License-Identifier: BSD-3-Clause
 *
 * AF_PACKET I/O of one switch port: plain non-blocking recvmmsg() and
 * sendmmsg() on a raw socket bound to the port's Linux interface, so a
 * PMD thread can poll at any rate.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_string_fns.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "eswitch.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define ESW_SOCK_BUF (4 * 1024 * 1024)

int
esw_sock_open(struct eswitch_port *port)
{
    struct sockaddr_ll sll;
    struct ifreq ifr;
    int one = 1;
    int bufsz = ESW_SOCK_BUF;
    int fd;

    fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                htons(ETH_P_ALL));
    if (fd < 0) {
        ESW_LOG(ERR, "%s: iface=%s: AF_PACKET socket: %s", port->name,
                port->iface, strerror(errno));
        return -errno;
    }

    memset(&ifr, 0, sizeof ifr);
    strlcpy(ifr.ifr_name, port->iface, sizeof ifr.ifr_name);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
        ESW_LOG(ERR, "%s: iface=%s: no such interface: %s", port->name,
                port->iface, strerror(errno));
        goto error;
    }
    port->ifindex = ifr.ifr_ifindex;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        ESW_LOG(ERR, "%s: iface=%s: cannot read MAC: %s", port->name,
                port->iface, strerror(errno));
        goto error;
    }
    if (rte_is_zero_ether_addr(&port->mac)) {
        memcpy(&port->mac, ifr.ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
    }

    /* Our own transmissions, and the host's on this interface, are not
     * rx traffic of the port (also filtered per packet in rx). */
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    /* Tells rx which frames carry a partial (offloaded) checksum. */
    if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
        ESW_LOG(ERR, "%s: iface=%s: PACKET_AUXDATA: %s", port->name,
                port->iface, strerror(errno));
        goto error;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof bufsz)) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof bufsz)) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
    }

    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = port->ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        ESW_LOG(ERR, "%s: iface=%s: bind: %s", port->name, port->iface,
                strerror(errno));
        goto error;
    }
    port->fd = fd;
    return 0;

error:
    {
        int err = -errno;

        close(fd);
        return err ? err : -EINVAL;
    }
}

void
esw_sock_close(struct eswitch_port *port)
{
    if (port->fd >= 0) {
        close(port->fd);
        port->fd = -1;
    }
}

static bool
esw_auxdata(struct msghdr *msg, struct tpacket_auxdata *aux)
{
    struct cmsghdr *c;

    for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA
            && c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
            memcpy(aux, CMSG_DATA(c), sizeof *aux);
            return true;
        }
    }
    return false;
}

/* The kernel hands AF_PACKET a received VLAN tag apart from the frame
 * (PACKET_AUXDATA); a NIC sees it in the frame.  Puts it back. */
static void
esw_restore_vlan(struct rte_mbuf *m, const struct tpacket_auxdata *aux)
{
    uint16_t tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID
                     ? aux->tp_vlan_tpid : RTE_ETHER_TYPE_VLAN);
    uint8_t *d = (uint8_t *) rte_pktmbuf_prepend(m, 4);

    if (!d) {
        return;
    }
    memmove(d, d + 4, 2 * RTE_ETHER_ADDR_LEN);
    d[12] = tpid >> 8;
    d[13] = tpid & 0xff;
    d[14] = aux->tp_vlan_tci >> 8;
    d[15] = aux->tp_vlan_tci & 0xff;
}

uint16_t
esw_sock_rx(struct esw_rxq *rxq, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
    struct eswitch_port *port = rxq->port;
    struct rte_mbuf *mbufs[ESW_BURST];
    struct mmsghdr msgs[ESW_BURST];
    struct iovec iovs[ESW_BURST];
    struct sockaddr_ll slls[ESW_BURST];
    union {
        char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        struct cmsghdr align;
    } cmsgs[ESW_BURST];
    bool locked = false;
    uint16_t nb_rx = 0;
    int i, n, r;

    n = RTE_MIN(nb_pkts, ESW_BURST);
    if (!n || port->fd < 0) {
        return 0;
    }
    if (rte_pktmbuf_alloc_bulk(rxq->mp, mbufs, n)) {
        rxq->nombuf++;
        return 0;
    }
    for (i = 0; i < n; i++) {
        iovs[i].iov_base = rte_pktmbuf_mtod(mbufs[i], void *);
        iovs[i].iov_len = rte_pktmbuf_tailroom(mbufs[i]);
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &slls[i];
        msgs[i].msg_hdr.msg_namelen = sizeof slls[i];
        msgs[i].msg_hdr.msg_control = cmsgs[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof cmsgs[i].buf;
    }
    r = recvmmsg(port->fd, msgs, n, MSG_DONTWAIT, NULL);
    if (r <= 0) {
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            rxq->errs++;
        }
        rte_pktmbuf_free_bulk(mbufs, n);
        return 0;
    }
    if (r < n) {
        rte_pktmbuf_free_bulk(&mbufs[r], n - r);
    }

    for (i = 0; i < r; i++) {
        struct rte_mbuf *m = mbufs[i];
        uint32_t len = msgs[i].msg_len;
        struct tpacket_auxdata aux;

        if (slls[i].sll_pkttype == PACKET_OUTGOING) {
            rte_pktmbuf_free(m);
            continue;
        }
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC
            || len < RTE_ETHER_HDR_LEN) {
            /* Larger than an mbuf (e.g. GSO from a veth): drop. */
            rxq->errs++;
            rte_pktmbuf_free(m);
            continue;
        }
        m->data_len = len;
        m->pkt_len = len;
        m->port = port->port_id;
        if (esw_auxdata(&msgs[i].msg_hdr, &aux)) {
            if (aux.tp_status & TP_STATUS_VLAN_VALID) {
                esw_restore_vlan(m, &aux);
                len = rte_pktmbuf_data_len(m);
            }
            if (aux.tp_status & TP_STATUS_CSUMNOTREADY) {
                /* The sender left the L4 checksum to "hardware": finish
                 * it, as nobody downstream of this port would. */
                esw_fix_partial_csum(rte_pktmbuf_mtod(m, uint8_t *), len);
            }
        }

        if (__atomic_load_n(&port->n_rules, __ATOMIC_RELAXED)) {
            if (!locked) {
                rte_rwlock_read_lock(&port->sw->lock);
                locked = true;
            }
            if (esw_rules_process(port, m)) {
                rxq->hw_pkts++;
                continue;
            }
        }
        rxq->pkts++;
        rxq->bytes += len;
        bufs[nb_rx++] = m;
    }
    if (locked) {
        rte_rwlock_read_unlock(&port->sw->lock);
    }
    return nb_rx;
}

int
esw_sock_send_raw(struct eswitch_port *port, const void *data, uint32_t len)
{
    if (port->fd < 0) {
        return -ENODEV;
    }
    if (send(port->fd, data, len, MSG_DONTWAIT) < 0) {
        return -errno;
    }
    return 0;
}

uint16_t
esw_sock_tx(struct esw_txq *txq, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
    struct eswitch_port *port = txq->port;
    struct mmsghdr msgs[ESW_BURST];
    struct iovec iovs[ESW_BURST][ESW_MAX_SEGS];
    uint16_t done = 0;

    while (done < nb_pkts) {
        uint16_t n = RTE_MIN(nb_pkts - done, ESW_BURST);
        uint16_t i, k = 0;
        uint64_t bytes = 0;
        int sent;

        for (i = 0; i < n; i++) {
            struct rte_mbuf *m = bufs[done + i];
            struct rte_mbuf *seg;
            unsigned int s = 0;

            if (m->nb_segs > ESW_MAX_SEGS) {
                txq->errs++;
                continue;
            }
            for (seg = m; seg; seg = seg->next) {
                iovs[k][s].iov_base = rte_pktmbuf_mtod(seg, void *);
                iovs[k][s].iov_len = seg->data_len;
                s++;
            }
            memset(&msgs[k], 0, sizeof msgs[k]);
            msgs[k].msg_hdr.msg_iov = iovs[k];
            msgs[k].msg_hdr.msg_iovlen = s;
            bytes += m->pkt_len;
            k++;
        }

        sent = k && port->fd >= 0
               ? sendmmsg(port->fd, msgs, k, MSG_DONTWAIT) : 0;
        if (sent < 0) {
            sent = 0;
        }
        if (sent < k) {
            /* Socket buffer full: drop, as a NIC ring would. */
            txq->errs += k - sent;
        }
        if (sent == k) {
            txq->bytes += bytes;
        } else {
            int j;

            for (j = 0; j < sent; j++) {
                txq->bytes += msgs[j].msg_len;
            }
        }
        txq->pkts += sent;
        rte_pktmbuf_free_bulk(&bufs[done], n);
        done += n;
    }
    return nb_pkts;
}
