/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Switch registry: ports naming the same "switch=" join one eswitch,
 * which owns the switch domain, the transfer rule table and the
 * switch-wide parameters (given on the uplink).
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "eswitch.h"

static TAILQ_HEAD(, eswitch) switches = TAILQ_HEAD_INITIALIZER(switches);
static pthread_mutex_t switches_mutex = PTHREAD_MUTEX_INITIALIZER;

static struct eswitch *
eswitch_lookup(const char *name)
{
    struct eswitch *sw;

    TAILQ_FOREACH (sw, &switches, next) {
        if (!strcmp(sw->name, name)) {
            return sw;
        }
    }
    return NULL;
}

static struct eswitch *
eswitch_create(const char *name)
{
    struct eswitch *sw;
    int ret;

    sw = rte_zmalloc("eswitch", sizeof *sw, 0);
    if (!sw) {
        ESW_LOG(ERR, "switch %s: out of memory", name);
        return NULL;
    }
    ret = rte_eth_switch_domain_alloc(&sw->domain_id);
    if (ret) {
        ESW_LOG(ERR, "switch %s: cannot allocate switch domain: %s",
                name, strerror(-ret));
        rte_free(sw);
        return NULL;
    }
    strlcpy(sw->name, name, sizeof sw->name);
    rte_rwlock_init(&sw->lock);
    TAILQ_INIT(&sw->rules);
    TAILQ_INIT(&sw->groups);
    sw->capacity = ESW_DEFAULT_CAPACITY;
    sw->group_miss = ESW_GROUP_MISS_SOFTWARE;
    sw->state_rules = true;
    sw->gen = 1;
    TAILQ_INSERT_TAIL(&switches, sw, next);
    ESW_LOG(INFO, "switch %s created (domain %u)", name, sw->domain_id);
    return sw;
}

static void
eswitch_destroy(struct eswitch *sw)
{
    eswitch_state_stop(sw);
    TAILQ_REMOVE(&switches, sw, next);
    rte_eth_switch_domain_free(sw->domain_id);
    ESW_LOG(INFO, "switch %s destroyed", sw->name);
    rte_free(sw);
}

/* Keeps the representors' backer port pointing at the uplink (or at
 * themselves until there is one: ethdev's "representor=" devargs
 * matching queries the backer, which must be a valid port). */
static void
eswitch_update_backers(struct eswitch *sw)
{
    unsigned int i;

    for (i = 0; i < sw->n_ports; i++) {
        struct eswitch_port *p = sw->ports[i];

        if (!p->is_uplink) {
            rte_eth_devices[p->port_id].data->backer_port_id =
                sw->uplink ? sw->uplink->port_id : p->port_id;
        }
    }
}

int
eswitch_attach(struct eswitch_port *port, const struct eswitch_params *pp)
{
    struct eswitch *sw;
    unsigned int i;
    int err = 0;

    pthread_mutex_lock(&switches_mutex);
    sw = eswitch_lookup(pp->name);
    if (!sw) {
        sw = eswitch_create(pp->name);
        if (!sw) {
            err = -ENOMEM;
            goto out;
        }
    }

    if (sw->n_ports >= ESW_MAX_PORTS) {
        ESW_LOG(ERR, "%s: switch %s is full (%d ports)", port->name,
                sw->name, ESW_MAX_PORTS);
        err = -ENOSPC;
        goto out_maybe_destroy;
    }
    for (i = 0; i < sw->n_ports; i++) {
        struct eswitch_port *p = sw->ports[i];

        if (port->is_uplink && p->is_uplink) {
            ESW_LOG(ERR, "%s: role=uplink: switch %s already has uplink %s",
                    port->name, sw->name, p->name);
            err = -EINVAL;   /* -EEXIST means "already probed" to EAL. */
            goto out_maybe_destroy;
        }
        if (!port->is_uplink && !p->is_uplink && p->vf == port->vf) {
            ESW_LOG(ERR, "%s: vf=%u: switch %s already has it as %s",
                    port->name, port->vf, sw->name, p->name);
            err = -EINVAL;
            goto out_maybe_destroy;
        }
        if (!strcmp(p->iface, port->iface)) {
            ESW_LOG(ERR, "%s: iface=%s: already used by %s", port->name,
                    port->iface, p->name);
            err = -EINVAL;
            goto out_maybe_destroy;
        }
    }

    rte_rwlock_write_lock(&sw->lock);
    if (pp->has_params) {
        sw->params_set = true;
        sw->capacity = pp->capacity;
        sw->fail_every = pp->fail_every;
        sw->group_miss = pp->group_miss;
        sw->state_rules = pp->state_rules;
        strlcpy(sw->state_file, pp->state_file ? pp->state_file : "",
                sizeof sw->state_file);
    }
    port->sw = sw;
    sw->ports[sw->n_ports++] = port;
    {
        /* Rules of a closed port with this id stay (mlx5 keeps a proxy's
         * rules for a vport that went) and now match this port. */
        const struct esw_rule *r;
        uint32_t n = 0;

        TAILQ_FOREACH (r, &sw->rules, next) {
            n += r->src_port == port->port_id;
        }
        __atomic_store_n(&port->n_rules, n, __ATOMIC_RELEASE);
    }
    if (port->is_uplink) {
        sw->uplink = port;
    }
    eswitch_update_backers(sw);
    rte_rwlock_write_unlock(&sw->lock);

    eswitch_state_start(sw);
    eswitch_state_changed(sw);
    goto out;

out_maybe_destroy:
    if (!sw->n_ports) {
        eswitch_destroy(sw);
    }
out:
    pthread_mutex_unlock(&switches_mutex);
    return err;
}

void
eswitch_detach(struct eswitch_port *port)
{
    struct eswitch *sw = port->sw;
    unsigned int i;

    if (!sw) {
        return;
    }
    pthread_mutex_lock(&switches_mutex);
    rte_rwlock_write_lock(&sw->lock);
    /* The rules this port owns die with it; rules of other ports (the
     * proxy's) that match on it or send to it stay, as on mlx5. */
    esw_rules_flush_owner(sw, port->port_id);
    esw_handles_free(&port->handles);
    for (i = 0; i < sw->n_ports; i++) {
        if (sw->ports[i] == port) {
            sw->ports[i] = sw->ports[--sw->n_ports];
            sw->ports[sw->n_ports] = NULL;
            break;
        }
    }
    if (sw->uplink == port) {
        sw->uplink = NULL;
    }
    eswitch_update_backers(sw);
    port->sw = NULL;
    rte_rwlock_write_unlock(&sw->lock);
    eswitch_state_changed(sw);

    if (!sw->n_ports) {
        eswitch_destroy(sw);
    }
    pthread_mutex_unlock(&switches_mutex);
}

/* Caller holds sw->lock. */
struct eswitch_port *
eswitch_port_by_id(struct eswitch *sw, uint16_t port_id)
{
    unsigned int i;

    for (i = 0; i < sw->n_ports; i++) {
        if (sw->ports[i]->port_id == port_id) {
            return sw->ports[i];
        }
    }
    return NULL;
}
