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
#include "dpfip-route.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

#ifdef __linux__
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include "netlink.h"
#include "netlink-socket.h"
#include "openvswitch/ofpbuf.h"
#endif

VLOG_DEFINE_THIS_MODULE(dpfip_route);

/* Route export state of one bridge. */
struct dpfip_routes {
    char *bridge_name;
    enum dpfip_announce_mode mode;  /* dpfip-announce. */
    char *table_name;               /* dpfip-route-table, or NULL. */
    uint32_t table;                 /* Resolved table, 0 if none. */
    bool is_vrf;                    /* 'table' is a VRF's: shared. */
    bool reconciled;                /* 'exported' matches the kernel. */
    long long int next_retry;       /* Of reconciliation, when it failed. */
    struct sset wanted;             /* "ADDRESS/LEN" of the active FIPs. */
    struct sset exported;           /* "ADDRESS/LEN" in 'table'. */
    char *error;                    /* Why routes are not exported. */
};

#define RETRY_MS 5000

/* Whether a routing daemon runs in this network namespace: with none,
 * exported routes reach nobody, so "bgp" bridges announce by ARP/ND too.
 * Looked for every DAEMON_CHECK_MS while some bridge exports routes. */
#define DAEMON_CHECK_MS 5000
static const char *const routing_daemons[] = { "zebra", "bird", "gobgpd" };
static bool daemon_running = true;
static long long int next_daemon_check;

static void
set_error(struct dpfip_routes *r, char *error)
{
    if (error && (!r->error || strcmp(error, r->error))) {
        VLOG_WARN("bridge %s: routes not exported, announcing by ARP/ND: %s",
                  r->bridge_name, error);
    } else if (!error && r->error) {
        VLOG_INFO("bridge %s: route export to table %"PRIu32" works again",
                  r->bridge_name, r->table);
    }
    free(r->error);
    r->error = error;
}

#ifdef __linux__

/* Adds (RTM_NEWROUTE) or deletes (RTM_DELROUTE) the blackhole host route
 * 'prefix' ("ADDRESS/LEN") in 'table'. */
static int
route_op(int type, uint32_t table, const char *prefix)
{
    bool is_ipv4 = !strchr(prefix, ':');
    struct in6_addr addr;
    struct ofpbuf request;
    struct rtmsg *rtm;
    unsigned int plen;
    ovs_be32 ip4;
    char *err;
    int error;

    err = (is_ipv4 ? ip_parse_cidr(prefix, &ip4, &plen)
           : ipv6_parse_cidr(prefix, &addr, &plen));
    if (err) {
        free(err);
        return EINVAL;
    }

    ofpbuf_init(&request, 0);
    nl_msg_put_nlmsghdr(&request, sizeof *rtm, type,
                        NLM_F_REQUEST | NLM_F_ACK
                        | (type == RTM_NEWROUTE
                           ? NLM_F_CREATE | NLM_F_REPLACE : 0));
    rtm = ofpbuf_put_zeros(&request, sizeof *rtm);
    rtm->rtm_family = is_ipv4 ? AF_INET : AF_INET6;
    rtm->rtm_dst_len = is_ipv4 ? 32 : 128;
    rtm->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
    rtm->rtm_protocol = DPFIP_RTPROT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_BLACKHOLE;
    nl_msg_put_u32(&request, RTA_TABLE, table);
    if (is_ipv4) {
        nl_msg_put_be32(&request, RTA_DST, ip4);
    } else {
        nl_msg_put_in6_addr(&request, RTA_DST, &addr);
    }
    error = nl_transact(NETLINK_ROUTE, &request, NULL);
    ofpbuf_uninit(&request);
    return error;
}

/* Resolves a VRF device name to its table. */
static char *
vrf_table(const char *name, uint32_t *table)
{
    static const struct nl_policy link_policy[] = {
        [IFLA_LINKINFO] = { .type = NL_A_NESTED, .optional = true },
    };
    static const struct nl_policy info_policy[] = {
        [IFLA_INFO_KIND] = { .type = NL_A_STRING, .optional = true },
        [IFLA_INFO_DATA] = { .type = NL_A_NESTED, .optional = true },
    };
    static const struct nl_policy vrf_policy[] = {
        [IFLA_VRF_TABLE] = { .type = NL_A_U32, .optional = true },
    };
    struct nlattr *link[ARRAY_SIZE(link_policy)];
    struct nlattr *info[ARRAY_SIZE(info_policy)];
    struct nlattr *vrf[ARRAY_SIZE(vrf_policy)];
    struct ofpbuf request, *reply;
    struct ifinfomsg *ifi;
    char *error = NULL;
    int err;

    ofpbuf_init(&request, 0);
    nl_msg_put_nlmsghdr(&request, sizeof *ifi, RTM_GETLINK, NLM_F_REQUEST);
    ifi = ofpbuf_put_zeros(&request, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    nl_msg_put_string(&request, IFLA_IFNAME, name);
    err = nl_transact(NETLINK_ROUTE, &request, &reply);
    ofpbuf_uninit(&request);
    if (err) {
        return xasprintf("dpfip-route-table: '%s' is neither a table number "
                         "nor a VRF device (%s)", name,
                         err == ENODEV ? "no such device"
                         : ovs_strerror(err));
    }
    if (!nl_policy_parse(reply, NLMSG_HDRLEN + sizeof *ifi, link_policy,
                         link, ARRAY_SIZE(link_policy))
        || !link[IFLA_LINKINFO]
        || !nl_parse_nested(link[IFLA_LINKINFO], info_policy, info,
                            ARRAY_SIZE(info_policy))
        || !info[IFLA_INFO_KIND]
        || strcmp(nl_attr_get_string(info[IFLA_INFO_KIND]), "vrf")) {
        error = xasprintf("dpfip-route-table: device '%s' is not a VRF",
                          name);
    } else if (!info[IFLA_INFO_DATA]
               || !nl_parse_nested(info[IFLA_INFO_DATA], vrf_policy, vrf,
                                   ARRAY_SIZE(vrf_policy))
               || !vrf[IFLA_VRF_TABLE]) {
        error = xasprintf("dpfip-route-table: VRF '%s' has no table", name);
    } else {
        *table = nl_attr_get_u32(vrf[IFLA_VRF_TABLE]);
    }
    ofpbuf_delete(reply);
    return error;
}

/* Reads 'table': our routes into 'ours', and, for a table that must be
 * ours alone, an error naming a route of someone else. */
static char *
dump_table(uint32_t table, bool shared, struct sset *ours)
{
    static const struct nl_policy policy[] = {
        [RTA_DST] = { .type = NL_A_UNSPEC, .optional = true },
        [RTA_TABLE] = { .type = NL_A_U32, .optional = true },
    };
    char *error = NULL;

    for (int family = 0; family < 2; family++) {
        uint64_t reply_stub[NL_DUMP_BUFSIZE / 8];
        struct ofpbuf request, reply, buf;
        struct nl_dump dump;
        struct rtmsg *rtm;

        ofpbuf_init(&request, 0);
        nl_msg_put_nlmsghdr(&request, sizeof *rtm, RTM_GETROUTE,
                            NLM_F_REQUEST | NLM_F_DUMP);
        rtm = ofpbuf_put_zeros(&request, sizeof *rtm);
        rtm->rtm_family = family ? AF_INET6 : AF_INET;
        nl_dump_start(&dump, NETLINK_ROUTE, &request);
        ofpbuf_uninit(&request);

        ofpbuf_use_stub(&buf, reply_stub, sizeof reply_stub);
        while (nl_dump_next(&dump, &reply, &buf)) {
            struct nlattr *attrs[ARRAY_SIZE(policy)];
            const struct rtmsg *r;
            struct in6_addr dst;
            uint32_t t;

            r = ofpbuf_at(&reply, NLMSG_HDRLEN, sizeof *r);
            if (!r || !nl_policy_parse(&reply, NLMSG_HDRLEN + sizeof *r,
                                       policy, attrs, ARRAY_SIZE(policy))) {
                continue;
            }
            t = attrs[RTA_TABLE] ? nl_attr_get_u32(attrs[RTA_TABLE])
                                 : r->rtm_table;
            if (t != table) {
                continue;
            }
            memset(&dst, 0, sizeof dst);
            if (attrs[RTA_DST] && family == 0
                && nl_attr_get_size(attrs[RTA_DST]) == 4) {
                in6_addr_set_mapped_ipv4(&dst,
                                         nl_attr_get_be32(attrs[RTA_DST]));
            } else if (attrs[RTA_DST]
                       && nl_attr_get_size(attrs[RTA_DST]) == 16) {
                dst = nl_attr_get_in6_addr(attrs[RTA_DST]);
            }

            struct ds s = DS_EMPTY_INITIALIZER;
            ipv6_format_mapped(&dst, &s);
            ds_put_format(&s, "/%d", r->rtm_dst_len);
            if (r->rtm_protocol == DPFIP_RTPROT) {
                sset_add(ours, ds_cstr(&s));
            } else if (!shared && !error
                       && r->rtm_type != RTN_LOCAL
                       && r->rtm_type != RTN_BROADCAST
                       && r->rtm_type != RTN_MULTICAST) {
                error = xasprintf("dpfip-route-table: table %"PRIu32" is in "
                                  "use by others (route %s, protocol %d); "
                                  "give dpfip a table of its own", table,
                                  ds_cstr(&s), r->rtm_protocol);
            }
            ds_destroy(&s);
        }
        int err = nl_dump_done(&dump);
        ofpbuf_uninit(&buf);
        if (err && !error) {
            error = xasprintf("dpfip-route-table: reading table %"PRIu32
                              ": %s", table, ovs_strerror(err));
        }
    }
    return error;
}

#else  /* !__linux__ */

static int
route_op(int type OVS_UNUSED, uint32_t table OVS_UNUSED,
         const char *prefix OVS_UNUSED)
{
    return EOPNOTSUPP;
}

static char *
vrf_table(const char *name, uint32_t *table OVS_UNUSED)
{
    return xasprintf("dpfip-route-table: '%s': VRFs need Linux", name);
}

static char *
dump_table(uint32_t table OVS_UNUSED, bool shared OVS_UNUSED,
           struct sset *ours OVS_UNUSED)
{
    return xstrdup("dpfip-route-table: route export needs Linux");
}
#define RTM_NEWROUTE 24
#define RTM_DELROUTE 25
#endif

/* Parses dpfip-route-table: a table number of dpfip's own, or a VRF. */
static char *
resolve_table(const char *name, uint32_t *table, bool *is_vrf)
{
    unsigned int n;

    *table = 0;
    *is_vrf = false;
    if (name[0] >= '0' && name[0] <= '9') {
        if (!str_to_uint(name, 10, &n) || !n) {
            return xasprintf("dpfip-route-table: '%s' is not a table number "
                             "from 1 to 4294967295 or a VRF name", name);
        }
        if (n >= 253 && n <= 255) {
            return xasprintf("dpfip-route-table: table %u is the kernel's "
                             "(default, main or local); give dpfip a table "
                             "of its own", n);
        }
        *table = n;
        return NULL;
    }
    *is_vrf = true;
    return vrf_table(name, table);
}

static char *
prefix_string(const struct in6_addr *addr, enum dpfip_family family)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dpfip_addr_format(addr, &s);
    ds_put_format(&s, "/%d", family == DPFIP_IPV4 ? 32 : 128);
    return ds_steal_cstr(&s);
}

static void
withdraw(struct dpfip_routes *r, const char *prefix)
{
    int error = route_op(RTM_DELROUTE, r->table, prefix);

    if (error && error != ESRCH && error != ENOENT) {
        VLOG_WARN("bridge %s: withdrawing %s from table %"PRIu32": %s",
                  r->bridge_name, prefix, r->table, ovs_strerror(error));
    }
}

static void
withdraw_all(struct dpfip_routes *r)
{
    const char *prefix;

    SSET_FOR_EACH (prefix, &r->exported) {
        withdraw(r, prefix);
    }
    sset_clear(&r->exported);
}

struct dpfip_routes *
dpfip_routes_create(const char *bridge_name)
{
    struct dpfip_routes *r = xzalloc(sizeof *r);

    r->bridge_name = xstrdup(bridge_name);
    r->mode = DPFIP_ANNOUNCE_ARP;
    sset_init(&r->wanted);
    sset_init(&r->exported);
    return r;
}

void
dpfip_routes_destroy(struct dpfip_routes *r)
{
    if (r) {
        if (r->table) {
            withdraw_all(r);
        }
        sset_destroy(&r->wanted);
        sset_destroy(&r->exported);
        free(r->table_name);
        free(r->error);
        free(r->bridge_name);
        free(r);
    }
}

bool
dpfip_routes_configure(struct dpfip_routes *r, enum dpfip_announce_mode mode,
                       const char *table_name)
{
    char *error = NULL;

    if (r->mode == mode && nullable_string_is_equal(r->table_name,
                                                    table_name)) {
        return false;
    }

    /* Something changed: leave the old table clean and start over. */
    if (r->table) {
        withdraw_all(r);
    }
    sset_clear(&r->wanted);
    r->mode = mode;
    free(r->table_name);
    r->table_name = nullable_xstrdup(table_name);
    r->table = 0;
    r->reconciled = false;
    r->next_retry = 0;
    if (mode & DPFIP_ANNOUNCE_BGP) {
        if (!table_name) {
            error = xasprintf("dpfip-announce=%s needs dpfip-route-table",
                              dpfip_announce_mode_to_string(mode));
        } else {
            error = resolve_table(table_name, &r->table, &r->is_vrf);
        }
    }
    set_error(r, error);
    return true;
}

static bool
can_export(const struct dpfip_routes *r)
{
    return (r->mode & DPFIP_ANNOUNCE_BGP) && r->table && r->reconciled;
}

void
dpfip_routes_add(struct dpfip_routes *r, const struct in6_addr *addr,
                 enum dpfip_family family)
{
    if (!(r->mode & DPFIP_ANNOUNCE_BGP)) {
        return;
    }
    char *prefix = prefix_string(addr, family);
    if (sset_add(&r->wanted, prefix) && can_export(r)
        && !sset_contains(&r->exported, prefix)) {
        int error = route_op(RTM_NEWROUTE, r->table, prefix);

        if (error) {
            set_error(r, xasprintf("adding route %s to table %"PRIu32": %s",
                                   prefix, r->table, ovs_strerror(error)));
            /* Try the whole table again later. */
            r->reconciled = false;
            r->next_retry = time_msec() + RETRY_MS;
        } else {
            sset_add(&r->exported, prefix);
        }
    }
    free(prefix);
}

void
dpfip_routes_remove(struct dpfip_routes *r, const struct in6_addr *addr,
                    enum dpfip_family family)
{
    char *prefix = prefix_string(addr, family);

    sset_find_and_delete(&r->wanted, prefix);
    if (sset_find_and_delete(&r->exported, prefix)) {
        withdraw(r, prefix);
    }
    free(prefix);
}

/* Makes the table hold exactly 'wanted', when it is not known to. */
static void
reconcile(struct dpfip_routes *r)
{
    struct sset ours = SSET_INITIALIZER(&ours);
    const char *prefix;
    char *error;

    error = dump_table(r->table, r->is_vrf, &ours);
    if (error) {
        sset_destroy(&ours);
        set_error(r, error);
        r->next_retry = time_msec() + RETRY_MS;
        return;
    }
    sset_swap(&ours, &r->exported);
    sset_destroy(&ours);

    /* Announce first, then withdraw. */
    SSET_FOR_EACH (prefix, &r->wanted) {
        if (!sset_contains(&r->exported, prefix)) {
            int err = route_op(RTM_NEWROUTE, r->table, prefix);

            if (err) {
                set_error(r, xasprintf("adding route %s to table %"PRIu32
                                       ": %s", prefix, r->table,
                                       ovs_strerror(err)));
                r->next_retry = time_msec() + RETRY_MS;
                return;
            }
            sset_add(&r->exported, prefix);
        }
    }
    SSET_FOR_EACH_SAFE (prefix, &r->exported) {
        if (!sset_contains(&r->wanted, prefix)) {
            withdraw(r, prefix);
            sset_delete(&r->exported, SSET_NODE_FROM_NAME(prefix));
        }
    }
    r->reconciled = true;
    set_error(r, NULL);
}

void
dpfip_routes_run(struct dpfip_routes *r)
{
    if (!(r->mode & DPFIP_ANNOUNCE_BGP) || r->reconciled
        || time_msec() < r->next_retry) {
        return;
    }
    if (!r->table && r->table_name && r->is_vrf) {
        /* The VRF may have been created since. */
        char *error = resolve_table(r->table_name, &r->table, &r->is_vrf);

        if (error) {
            set_error(r, error);
            r->next_retry = time_msec() + RETRY_MS;
            return;
        }
    }
    if (r->table) {
        reconcile(r);
    }
}

void
dpfip_routes_wait(const struct dpfip_routes *r)
{
    if ((r->mode & DPFIP_ANNOUNCE_BGP) && !r->reconciled
        && (r->table || r->is_vrf)) {
        poll_timer_wait_until(r->next_retry);
    }
}

bool
dpfip_routes_exports(const struct dpfip_routes *r)
{
    return (r->mode & DPFIP_ANNOUNCE_BGP) != 0;
}

/* True if the bridge answers ARP/ND for its FIPs and announces them on the
 * uplink: in "arp" and "both" modes, and as the fallback when routes
 * cannot be exported or no routing daemon runs to announce them. */
bool
dpfip_routes_use_arp(const struct dpfip_routes *r)
{
    return ((r->mode & DPFIP_ANNOUNCE_ARP) || r->error || !r->table
            || !daemon_running);
}

#ifdef __linux__
#define PROC_DIR "/proc"
#define SELF_NETNS "/proc/self/ns/net"

/* Looks in /proc for a process of 'routing_daemons' in this network
 * namespace. */
static bool
find_routing_daemon(void)
{
    struct stat self;
    struct dirent *de;
    bool found = false;
    DIR *dir;

    if (stat(SELF_NETNS, &self)) {
        return true;            /* Cannot tell: assume one runs. */
    }
    dir = opendir(PROC_DIR);
    if (!dir) {
        return true;            /* Cannot tell: assume one runs. */
    }
    while (!found && (de = readdir(dir))) {
        char path[300], comm[32];
        struct stat ns;
        FILE *f;

        if (de->d_name[0] < '1' || de->d_name[0] > '9') {
            continue;
        }
        snprintf(path, sizeof path, "/proc/%s/comm", de->d_name);
        f = fopen(path, "r");
        if (!f) {
            continue;
        }
        if (fgets(comm, sizeof comm, f)) {
            comm[strcspn(comm, "\n")] = '\0';
            for (size_t i = 0; i < ARRAY_SIZE(routing_daemons); i++) {
                if (!strcmp(comm, routing_daemons[i])) {
                    snprintf(path, sizeof path, "/proc/%s/ns/net",
                             de->d_name);
                    found = (!stat(path, &ns) && ns.st_ino == self.st_ino
                             && ns.st_dev == self.st_dev);
                    break;
                }
            }
        }
        fclose(f);
    }
    closedir(dir);
    return found;
}
#else
static bool
find_routing_daemon(void)
{
    return true;
}
#endif

bool
dpfip_routes_check_daemon(bool exporting)
{
    long long int now = time_msec();
    bool running;

    if (now < next_daemon_check || !exporting) {
        return false;
    }
    next_daemon_check = now + DAEMON_CHECK_MS;
    running = find_routing_daemon();
    if (running == daemon_running) {
        return false;
    }
    if (running) {
        VLOG_INFO("a routing daemon runs: exported FIP routes are announced");
    } else {
        VLOG_WARN("no routing daemon (zebra, bird, gobgpd) runs in this "
                  "network namespace: FIPs of dpfip-announce=bgp bridges "
                  "are announced by ARP/ND too");
    }
    daemon_running = running;
    return true;
}

void
dpfip_routes_wait_daemon(bool exporting)
{
    if (exporting) {
        poll_timer_wait_until(next_daemon_check);
    }
}

void
dpfip_routes_format(const struct dpfip_routes *r, struct ds *s)
{
    if (r->mode == DPFIP_ANNOUNCE_ARP && !r->error) {
        return;
    }
    ds_put_format(s, "  announce: %s", dpfip_announce_mode_to_string(r->mode));
    if (r->error) {
        ds_put_format(s, " (routes not exported, announcing by ARP/ND: %s)",
                      r->error);
    } else if (r->table) {
        if (!daemon_running) {
            ds_put_cstr(s, " (no routing daemon runs here: announcing by "
                        "ARP/ND too)");
        }
        size_t n = sset_count(&r->exported);

        ds_put_format(s, ", table %"PRIu32"%s%s%s: %"PRIuSIZE" route%s",
                      r->table, r->is_vrf ? " (VRF " : "",
                      r->is_vrf ? r->table_name : "",
                      r->is_vrf ? ")" : "", n, n == 1 ? "" : "s");
    }
    ds_put_char(s, '\n');
}

struct json *
dpfip_routes_to_json(const struct dpfip_routes *r)
{
    struct json *j = json_object_create();

    json_object_put_string(j, "announce",
                           dpfip_announce_mode_to_string(r->mode));
    json_object_put(j, "route_table",
                    r->table ? json_integer_create(r->table)
                             : json_null_create());
    json_object_put(j, "routes", json_integer_create(sset_count(
                                                         &r->exported)));
    json_object_put(j, "route_error",
                    r->error ? json_string_create(r->error)
                             : json_null_create());
    json_object_put(j, "routing_daemon", json_boolean_create(daemon_running));
    return j;
}
