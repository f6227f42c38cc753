/* SPDX-License-Identifier: BSD-3-Clause
 *
 * State file: lets tests (and people) see the model's "hardware" table.
 * Rewritten atomically (write to a temporary file, rename) from an EAL
 * alarm every ESW_STATE_PERIOD_US when the table or a counter changed.
 * The format is documented in dpdk/README.md.  The same alarm refreshes
 * the counter cache that queries read, every ESW_COUNTER_PERIOD_MS.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>

#include "eswitch.h"

#define ESW_STATE_PERIOD_US (100 * 1000)

static void eswitch_state_alarm(void *);

void
eswitch_state_changed(struct eswitch *sw)
{
    __atomic_fetch_add(&sw->gen, 1, __ATOMIC_RELAXED);
}

static uint64_t
eswitch_total_hits(struct eswitch *sw)
{
    const struct esw_rule *r;
    uint64_t sum = 0;
    unsigned int i;

    TAILQ_FOREACH (r, &sw->rules, next) {
        sum += __atomic_load_n(&r->hits, __ATOMIC_RELAXED);
    }
    for (i = 0; i < sw->n_ports; i++) {
        sum += __atomic_load_n(&sw->ports[i]->hw_tx_errs, __ATOMIC_RELAXED);
    }
    sum += __atomic_load_n(&sw->group_misses, __ATOMIC_RELAXED);
    sum += __atomic_load_n(&sw->lost_tx, __ATOMIC_RELAXED);
    return sum;
}

static void
eswitch_write_port(FILE *f, const struct eswitch_port *p)
{
    uint64_t tx = 0, tx_errs = 0;
    unsigned int q;

    for (q = 0; q < ESW_MAX_TXQ; q++) {
        tx += p->txq[q].pkts;
        tx_errs += p->txq[q].errs;
    }
    fprintf(f, "port id=%u name=%s iface=%s role=%s vf=", p->port_id,
            p->name, p->iface, p->is_uplink ? "uplink" : "rep");
    if (p->is_uplink) {
        fprintf(f, "-");
    } else {
        fprintf(f, "%u", p->vf);
    }
    fprintf(f, " started=%d owned=%u rules=%u rx=%"PRIu64" rx_errs=%"PRIu64
            " hw_rx=%"PRIu64" tx=%"PRIu64" tx_errs=%"PRIu64" hw_tx=%"PRIu64
            " hw_tx_bytes=%"PRIu64" hw_tx_errs=%"PRIu64"\n",
            p->started, p->n_owned, p->n_rules, p->rxq.pkts, p->rxq.errs,
            p->rxq.hw_pkts, tx,
            tx_errs, __atomic_load_n(&p->hw_tx_pkts, __ATOMIC_RELAXED),
            __atomic_load_n(&p->hw_tx_bytes, __ATOMIC_RELAXED),
            __atomic_load_n(&p->hw_tx_errs, __ATOMIC_RELAXED));
}

/* Caller holds sw->lock (read). */
static int
eswitch_state_write__(struct eswitch *sw, uint32_t gen)
{
    char tmp[PATH_MAX + 32];
    unsigned int i;
    FILE *f;

    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", sw->state_file, getpid())
        >= (int) sizeof tmp) {
        return -ENAMETOOLONG;
    }
    f = fopen(tmp, "w");
    if (!f) {
        return -errno;
    }
    fprintf(f, "switch name=%s domain=%u capacity=%u fail_every=%u "
            "group_miss=%s rules=%u peak_rules=%u masks=%u peak_masks=%u "
            "overlaps=%"PRIu64" creates=%"PRIu64" injected_failures=%"PRIu64
            " table_full=%"PRIu64" destroys=%"PRIu64" stale_destroys=%"PRIu64
            " flushed=%"PRIu64" group_misses=%"PRIu64" jump_loops=%"PRIu64
            " lost_tx=%"PRIu64" gen=%u\n",
            sw->name, sw->domain_id, sw->capacity, sw->fail_every,
            sw->group_miss == ESW_GROUP_MISS_NONE ? "none" : "software",
            sw->n_rules, sw->peak_rules, sw->n_matchers, sw->peak_matchers,
            sw->n_overlaps, sw->n_creates, sw->n_injected, sw->n_full,
            sw->n_destroys, sw->n_stale_destroys, sw->n_flushed,
            __atomic_load_n(&sw->group_misses, __ATOMIC_RELAXED),
            __atomic_load_n(&sw->jump_loops, __ATOMIC_RELAXED),
            __atomic_load_n(&sw->lost_tx, __ATOMIC_RELAXED), gen);
    for (i = 0; i < sw->n_ports; i++) {
        eswitch_write_port(f, sw->ports[i]);
    }
    if (sw->state_rules) {
        const struct esw_rule *r;

        TAILQ_FOREACH (r, &sw->rules, next) {
            fprintf(f, "rule id=%u owner=%u src=%u group=%u prio=%u "
                    "hits=%"PRIu64" bytes=%"PRIu64" overlap=%d%s\n",
                    r->handle, r->owner_port, r->src_port, r->group,
                    r->priority,
                    __atomic_load_n(&r->hits, __ATOMIC_RELAXED),
                    __atomic_load_n(&r->bytes, __ATOMIC_RELAXED),
                    r->overlap, r->desc);
        }
    }
    fprintf(f, "end\n");
    if (fclose(f)) {
        int err = -errno;

        unlink(tmp);
        return err;
    }
    if (rename(tmp, sw->state_file)) {
        int err = -errno;

        unlink(tmp);
        return err;
    }
    return 0;
}

int
eswitch_state_write(struct eswitch *sw)
{
    uint32_t gen;
    int err;

    if (!sw->state_file[0]) {
        return 0;
    }
    rte_rwlock_read_lock(&sw->lock);
    gen = __atomic_load_n(&sw->gen, __ATOMIC_RELAXED);
    err = eswitch_state_write__(sw, gen);
    if (!err) {
        sw->written_gen = gen;
        sw->written_hits = eswitch_total_hits(sw);
    }
    rte_rwlock_read_unlock(&sw->lock);
    return err;
}

static void
eswitch_state_alarm(void *sw_)
{
    struct eswitch *sw = sw_;
    uint32_t gen;
    uint64_t hits;

    if (++sw->ticks % (ESW_COUNTER_PERIOD_MS * 1000
                       / ESW_STATE_PERIOD_US) == 0) {
        rte_rwlock_write_lock(&sw->lock);
        esw_rules_refresh_counters(sw);
        rte_rwlock_write_unlock(&sw->lock);
    }
    if (!sw->state_file[0]) {
        rte_eal_alarm_set(ESW_STATE_PERIOD_US, eswitch_state_alarm, sw);
        return;
    }
    rte_rwlock_read_lock(&sw->lock);
    gen = __atomic_load_n(&sw->gen, __ATOMIC_RELAXED);
    hits = eswitch_total_hits(sw);
    rte_rwlock_read_unlock(&sw->lock);

    if (gen != sw->written_gen || hits != sw->written_hits) {
        int err = eswitch_state_write(sw);

        if (err) {
            /* Log once per change, not every period. */
            ESW_LOG(WARNING, "switch %s: cannot write state-file %s: %s",
                    sw->name, sw->state_file, strerror(-err));
            sw->written_gen = gen;
            sw->written_hits = hits;
        }
    }
    rte_eal_alarm_set(ESW_STATE_PERIOD_US, eswitch_state_alarm, sw);
}

void
eswitch_state_start(struct eswitch *sw)
{
    if (sw->alarm_armed) {
        return;
    }
    sw->written_gen = 0;
    if (rte_eal_alarm_set(ESW_STATE_PERIOD_US, eswitch_state_alarm, sw)) {
        ESW_LOG(WARNING, "switch %s: cannot arm state-file timer",
                sw->name);
        return;
    }
    sw->alarm_armed = true;
}

void
eswitch_state_stop(struct eswitch *sw)
{
    if (sw->alarm_armed) {
        rte_eal_alarm_cancel(eswitch_state_alarm, sw);
        sw->alarm_armed = false;
    }
    if (sw->state_file[0]) {
        /* A final snapshot: the switch is gone, so is the table. */
        eswitch_state_write(sw);
    }
}
