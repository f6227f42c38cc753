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
#define ESW_MAX_PORTS       RTE_MAX_ETHPORTS  /* Ports in one switch. */
#define ESW_MAX_TXQ         16
#define ESW_MAX_RXQ         1
#define ESW_BURST           32
#define ESW_MAX_ACTIONS     33
#define ESW_MAX_SEGS        16
#define ESW_UPLINK_PORT     0xffff      /* switch_info.port_id of uplink. */
#define ESW_DEFAULT_CAPACITY 65536
#define ESW_MAX_CAPACITY    (1u << 22)
#define ESW_DESC_LEN        512

/* mlx5 (DPDK 22.11, dv_flow_en=1, fdb_def_rule_en=1): transfer group 0
 * is a non-root table, priorities 0..MLX5_NON_ROOT_FLOW_MAX_PRIO - 1. */
#define ESW_MAX_PRIORITY    21843
/* mlx5: MLX5_MAX_MODIFY_NUM commands per modify-header action.  A MAC
 * takes 2, an IPv6 address 4, an IPv4 address, TTL or L4 port 1. */
#define ESW_MODIFY_BUDGET   32
/* Packets that jump more often than this are dropped (a loop). */
#define ESW_MAX_JUMPS       16
/* mlx5 refreshes its counter cache from an alarm about once a second
 * (mlx5_flow_query_alarm): queries return values up to that old. */
#define ESW_COUNTER_PERIOD_MS 1000

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

/* A lookup key: the fields a rule can match, laid out flat so that a rule
 * is (masked key, mask) and a packet is a key.  Like a hardware matcher,
 * rules with the same mask in one (group, priority) share one hash table
 * (struct esw_matcher). */
enum {
    ESW_K_SRC = 0,              /* 2 bytes: ethdev port id of the source. */
    ESW_K_FLAGS = 2,            /* ESW_KF_*. */
    ESW_K_L3 = 3,               /* 4, 6 or 0. */
    ESW_K_L4 = 4,               /* IP protocol of a present L4 header. */
    ESW_K_ETH = 5,              /* dst, src, inner ether type. */
    ESW_K_L3H = ESW_K_ETH + 14, /* IPv4 or IPv6 fixed header. */
    ESW_K_L4H = ESW_K_L3H + 40, /* TCP, UDP, ICMP, ICMPv6 header. */
    ESW_KEY_LEN = ESW_K_L4H + 20
};
#define ESW_KF_VLAN 0x01        /* At least one VLAN tag. */
#define ESW_L4_NONE 0xff        /* ESW_K_L4 of a packet without L4. */

struct esw_key {
    uint8_t b[ESW_KEY_LEN];
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

enum esw_fate {
    ESW_FATE_PORT,              /* Out of 'out_port'. */
    ESW_FATE_DROP,
    ESW_FATE_JUMP,              /* Continue in 'jump_group'. */
};

/* A transfer rule.  Users see it only as its handle: a small integer
 * from the owner port's pool (cast to 'struct rte_flow *'), reused
 * after a destroy or a flush, as mlx5's indexed pools do. */
struct esw_rule {
    TAILQ_ENTRY(esw_rule) next;     /* In the switch's list, oldest first. */
    struct esw_rule *hnext;         /* In its matcher's bucket. */
    struct esw_matcher *matcher;
    struct eswitch *sw;
    uint32_t handle;                /* In the owner's pool, >= 1. */
    uint16_t owner_port;            /* Port the rule was created on. */
    uint16_t src_port;
    uint32_t group;
    uint32_t priority;
    struct esw_key key;             /* Masked by matcher->mask. */
    struct esw_key mask;            /* Before insertion (validate). */
    bool eth_item;                  /* Pattern had an ETH item. */
    int8_t has_vlan;                /* -1: don't care. */
    uint8_t l3;                     /* 0, 4 or 6. */
    int16_t l4_proto;               /* -1: no L4 item. */
    uint8_t l3_len, l4_len;
    struct esw_action acts[ESW_MAX_ACTIONS];
    unsigned int n_acts;
    unsigned int n_modify;          /* Modify-header commands. */
    bool count;
    enum esw_fate fate;
    uint16_t out_port;
    uint32_t jump_group;
    bool overlap;                   /* Conflicts at equal priority. */
    uint64_t hits;                  /* Atomic, lifetime, live. */
    uint64_t bytes;
    uint64_t cached_hits;           /* As of the last counter refresh. */
    uint64_t cached_bytes;
    uint64_t hits_base;             /* Cached values at the last reset. */
    uint64_t bytes_base;
    char desc[ESW_DESC_LEN];        /* "match ... actions ..." */
};

TAILQ_HEAD(esw_rule_list, esw_rule);

/* The rules of one (group, priority, mask): a hash table on the masked
 * key.  A packet visits a group's matchers in priority order, and among
 * equal priorities the newest matcher first (mlx5 software steering). */
struct esw_matcher {
    TAILQ_ENTRY(esw_matcher) next;  /* In its group. */
    uint32_t group;
    uint32_t priority;
    struct esw_key mask;
    uint32_t n_rules;
    uint32_t n_buckets;             /* Power of 2. */
    struct esw_rule **buckets;
    uint64_t seq;                   /* Creation order. */
    /* For overlap checks: rules per source port, L3 types present
     * (bit 0: none, 1: IPv4, 2: IPv6). */
    uint32_t n_by_src[ESW_MAX_PORTS];
    uint8_t l3_seen;
};
TAILQ_HEAD(esw_matcher_list, esw_matcher);

struct esw_group {
    TAILQ_ENTRY(esw_group) next;
    uint32_t id;
    uint32_t n_rules;
    struct esw_matcher_list matchers;
};
TAILQ_HEAD(esw_group_list, esw_group);

/* One port's pool of handles. */
struct esw_handles {
    struct esw_rule **rules;        /* Indexed by handle; [0] unused. */
    uint32_t size;                  /* Allocated entries. */
    uint32_t high;                  /* Highest handle ever given. */
    uint32_t *free;                 /* Freed handles, reused LIFO. */
    uint32_t n_free;
};

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
    bool started;
    struct esw_rxq rxq;
    struct esw_txq txq[ESW_MAX_TXQ];
    struct esw_handles handles;     /* Rules owned (created) here. */
    uint32_t n_rules;               /* Atomic: rules whose source is this
                                     * port; lets rx skip the lock. */
    uint32_t n_owned;
    uint64_t hw_tx_pkts;            /* Atomic: sent here by rules. */
    uint64_t hw_tx_bytes;
    uint64_t hw_tx_errs;
};

/* What a miss in a group other than 0 does (devarg group-miss). */
enum esw_group_miss {
    ESW_GROUP_MISS_SOFTWARE,        /* To the source port's rx (mlx5). */
    ESW_GROUP_MISS_NONE,            /* No groups: JUMP refused. */
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
    enum esw_group_miss group_miss;
    bool state_rules;               /* Rule lines in the state file. */
    char state_file[PATH_MAX];
    struct esw_rule_list rules;     /* Every rule, oldest first. */
    struct esw_group_list groups;
    uint32_t n_rules;
    uint32_t peak_rules;            /* Most rules ever in the table. */
    uint32_t n_matchers;            /* Distinct (group, priority, mask). */
    uint32_t peak_matchers;
    uint64_t matcher_seq;
    uint64_t n_creates;             /* Create attempts past validation. */
    uint64_t n_injected;
    uint64_t n_full;
    uint64_t n_destroys;
    uint64_t n_stale_destroys;      /* Destroys of unknown handles. */
    uint64_t n_overlaps;            /* Creates that overlapped a rule of
                                     * equal priority, other behaviour. */
    uint64_t n_flushed;             /* Rules flushed by dev_stop. */
    uint64_t group_misses;          /* Atomic: misses after a JUMP. */
    uint64_t jump_loops;            /* Atomic. */
    uint64_t lost_tx;               /* Atomic: rule out port gone. */
    uint32_t gen;                   /* Atomic: bumped on table changes. */
    uint32_t written_gen;
    uint64_t written_hits;
    bool alarm_armed;
    unsigned int ticks;             /* Alarm periods since start. */
};

/* Parsed view of a received frame. */
struct esw_pkt {
    uint8_t *data;
    uint32_t len;
    bool has_vlan;
    uint16_t eth_type;          /* After the VLAN tags. */
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
    enum esw_group_miss group_miss;
    bool state_rules;
    const char *state_file;
};
int eswitch_attach(struct eswitch_port *, const struct eswitch_params *);
void eswitch_detach(struct eswitch_port *);
struct eswitch_port *eswitch_port_by_id(struct eswitch *, uint16_t port_id);

/* eswitch_state.c: state file for tests, counter refresh. */
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
void esw_pkt_key(const struct esw_pkt *, uint16_t src_port,
                 struct esw_key *);
int esw_rules_insert(struct eswitch *, struct esw_rule *);
void esw_rules_remove(struct eswitch *, struct esw_rule *);
struct esw_rule *esw_rule_by_handle(struct eswitch_port *owner,
                                    uint32_t handle);
unsigned int esw_rules_flush_owner(struct eswitch *, uint16_t port_id);
bool esw_rules_process(struct eswitch_port *, struct rte_mbuf *);
void esw_rules_refresh_counters(struct eswitch *);
void esw_handles_free(struct esw_handles *);
void esw_fix_partial_csum(uint8_t *data, uint32_t len);

/* eswitch_flow.c: rte_flow_ops. */
extern const struct rte_flow_ops eswitch_flow_ops;

#endif /* ESWITCH_H */
