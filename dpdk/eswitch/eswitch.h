/* SPDX-License-Identifier: BSD-3-Clause
 *
 * net_eswitch: a software model of a ConnectX (mlx5) eSwitch in switchdev
 * mode.  Every vdev instance is one switch port (the uplink or a VF
 * representor) backed by a Linux interface through an AF_PACKET socket.
 * Ports sharing a "switch=" name form one switch with one rte_flow
 * transfer table; rules matching on a port's rx are executed inside the
 * rx burst ("in hardware") and never reach the application.
 */

#ifndef ESWITCH_H
#define ESWITCH_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_dev.h>
#include <rte_ether.h>
#include <rte_tailq.h>
#include <rte_flow.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rwlock.h>
#include <rte_spinlock.h>

extern int eswitch_logtype;

#define ESW_LOG(level, fmt, ...) \
    rte_log(RTE_LOG_ ## level, eswitch_logtype, "eswitch: " fmt "\n", \
            ##__VA_ARGS__)

#define ESW_DRIVER_NAME     "net_eswitch"
#define ESW_SWITCH_NAME_LEN 32
#define ESW_MAX_PORTS       64          /* Ports in one switch. */
#define ESW_MAX_TXQ         16
#define ESW_MAX_RXQ         1
#define ESW_BURST           32
#define ESW_MAX_ACTIONS     16
#define ESW_MAX_SEGS        16
#define ESW_UPLINK_PORT     0xffff      /* switch_info.port_id of uplink. */
#define ESW_DEFAULT_CAPACITY 65536
#define ESW_MAX_CAPACITY    (1u << 22)
#define ESW_DESC_LEN        512
#define ESW_RULE_MAGIC      0x45535752u  /* "ESWR" */

struct eswitch;
struct eswitch_port;

struct esw_rxq {
    struct eswitch_port *port;
    struct rte_mempool *mp;
    uint64_t pkts;
    uint64_t bytes;
    uint64_t errs;
    uint64_t nombuf;
    uint64_t hw_pkts;           /* Consumed by a transfer rule. */
};

struct esw_txq {
    struct eswitch_port *port;
    uint64_t pkts;
    uint64_t bytes;
    uint64_t errs;
};

/* Compiled pattern: masked compare of each layer's fixed header. */
struct esw_match {
    uint16_t src_port;          /* ethdev port id of the source. */
    bool eth;
    int8_t has_vlan;            /* -1: don't care. */
    uint8_t l3;                 /* 0: any, 4 or 6. */
    int16_t l4_proto;           /* -1: any, else IP protocol number. */
    uint8_t l3_len;
    uint8_t l4_len;
    uint8_t eth_spec[RTE_ETHER_HDR_LEN];
    uint8_t eth_mask[RTE_ETHER_HDR_LEN];
    uint8_t l3_spec[40];
    uint8_t l3_mask[40];
    uint8_t l4_spec[20];
    uint8_t l4_mask[20];
};

enum esw_op {
    ESW_OP_SET_MAC_SRC,
    ESW_OP_SET_MAC_DST,
    ESW_OP_SET_IPV4_SRC,
    ESW_OP_SET_IPV4_DST,
    ESW_OP_SET_IPV6_SRC,
    ESW_OP_SET_IPV6_DST,
    ESW_OP_DEC_TTL,
    ESW_OP_SET_TTL,
    ESW_OP_SET_TP_SRC,
    ESW_OP_SET_TP_DST,
};

struct esw_action {
    enum esw_op op;
    union {
        uint8_t mac[RTE_ETHER_ADDR_LEN];
        uint8_t ip4[4];
        uint8_t ip6[16];
        uint8_t ttl;
        uint8_t tp[2];
    };
};

/* A transfer rule; also the opaque rte_flow handle given to the user. */
struct rte_flow {
    TAILQ_ENTRY(rte_flow) next;     /* In the source port's list. */
    uint32_t magic;                 /* ESW_RULE_MAGIC while alive. */
    struct eswitch *sw;
    struct eswitch_port *src;
    struct eswitch_port *out;       /* NULL for drop. */
    uint64_t id;
    uint32_t priority;
    uint16_t owner_port;            /* Port the rule was created on. */
    struct esw_match match;
    struct esw_action acts[ESW_MAX_ACTIONS];
    unsigned int n_acts;
    bool dec_ttl;
    bool count;
    bool drop;
    uint16_t out_port;
    uint64_t hits;                  /* Atomic, lifetime. */
    uint64_t bytes;                 /* Atomic, lifetime. */
    uint64_t hits_base;             /* Values at the last query reset. */
    uint64_t bytes_base;
    char desc[ESW_DESC_LEN];        /* "match=... actions=..." */
};

TAILQ_HEAD(esw_rule_list, rte_flow);

struct eswitch_port {
    struct eswitch *sw;
    uint16_t port_id;
    bool is_uplink;
    uint16_t vf;
    char name[RTE_DEV_NAME_MAX_LEN];
    char iface[IF_NAMESIZE];
    int ifindex;
    int fd;
    struct rte_ether_addr mac;
    bool link_up;
    struct esw_rxq rxq;
    struct esw_txq txq[ESW_MAX_TXQ];
    struct esw_rule_list rules;     /* Rules whose source is this port. */
    uint32_t n_rules;               /* Atomic; lets rx skip the lock. */
    uint64_t hw_tx_pkts;            /* Atomic: sent here by rules. */
    uint64_t hw_tx_bytes;
    uint64_t hw_tx_errs;
};

struct eswitch {
    TAILQ_ENTRY(eswitch) next;
    char name[ESW_SWITCH_NAME_LEN];
    uint16_t domain_id;
    rte_rwlock_t lock;              /* Rules and port membership. */
    struct eswitch_port *ports[ESW_MAX_PORTS];
    unsigned int n_ports;
    struct eswitch_port *uplink;
    bool params_set;                /* Switch devargs given (uplink). */
    uint32_t capacity;
    uint32_t fail_every;
    char state_file[PATH_MAX];
    uint32_t n_rules;
    uint32_t peak_rules;            /* Most rules ever in the table. */
    uint64_t next_rule_id;
    uint64_t n_creates;             /* Create attempts past validation. */
    uint64_t n_injected;
    uint64_t n_full;
    uint64_t n_destroys;
    uint32_t gen;                   /* Atomic: bumped on table changes. */
    uint32_t written_gen;
    uint64_t written_hits;
    bool alarm_armed;
};

/* Parsed view of a received frame. */
struct esw_pkt {
    uint8_t *data;
    uint32_t len;
    bool has_vlan;
    uint8_t l3;                 /* 0, 4 or 6. */
    uint16_t l3_off;
    int16_t l4_proto;           /* -1 if no L4 header is present. */
    uint16_t l4_off;
};

/* eswitch_switch.c: switch registry and membership. */
struct eswitch_params {
    const char *name;
    bool has_params;
    uint32_t capacity;
    uint32_t fail_every;
    const char *state_file;
};
int eswitch_attach(struct eswitch_port *, const struct eswitch_params *);
void eswitch_detach(struct eswitch_port *);
struct eswitch_port *eswitch_port_by_id(struct eswitch *, uint16_t port_id);

/* eswitch_state.c: state file for tests. */
void eswitch_state_start(struct eswitch *);
void eswitch_state_stop(struct eswitch *);
void eswitch_state_changed(struct eswitch *);
int eswitch_state_write(struct eswitch *);

/* eswitch_sock.c: AF_PACKET I/O. */
int esw_sock_open(struct eswitch_port *);
void esw_sock_close(struct eswitch_port *);
uint16_t esw_sock_rx(struct esw_rxq *, struct rte_mbuf **, uint16_t);
uint16_t esw_sock_tx(struct esw_txq *, struct rte_mbuf **, uint16_t);
int esw_sock_send_raw(struct eswitch_port *, const void *, uint32_t);

/* eswitch_rules.c: rule table, matching and rewrite. */
void esw_pkt_parse(struct esw_pkt *, uint8_t *data, uint32_t len);
bool esw_rule_matches(const struct rte_flow *, const struct esw_pkt *);
void esw_rules_insert(struct eswitch *, struct rte_flow *);
void esw_rules_remove(struct eswitch *, struct rte_flow *);
bool esw_rule_valid(const struct eswitch *, const struct rte_flow *);
void esw_rules_purge_port(struct eswitch *, uint16_t port_id);
unsigned int esw_rules_flush_owner(struct eswitch *, uint16_t port_id);
bool esw_rules_process(struct eswitch_port *, struct rte_mbuf *);
void esw_fix_partial_csum(uint8_t *data, uint32_t len);

/* eswitch_flow.c: rte_flow_ops. */
extern const struct rte_flow_ops eswitch_flow_ops;

#endif /* ESWITCH_H */
