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

/* libFuzzer target for the dpfip action's codec, through OVS's own entry
 * points, built like OVS's tests/oss-fuzz/ targets.
 *
 * The first input byte selects what the rest is:
 *
 *     0  OpenFlow actions (byte 1 selects the OpenFlow version), decoded by
 *        ofpacts_pull_openflow_actions(),
 *     1  OpenFlow instructions (byte 1 selects a version >= 1.1), decoded by
 *        ofpacts_pull_openflow_instructions(),
 *     2  an actions string for ofpacts_parse_actions(),
 *     3  a string for ofp_dpfip_parse() (what is inside "dpfip(...)").
 *
 * Whatever decodes or parses is formatted, parsed again, encoded for every
 * usable OpenFlow version and decoded again.  Each dpfip action (nested ones
 * included) must come out of every round trip unchanged and be valid; one
 * decoded from the top level of OpenFlow actions must encode to exactly the
 * bytes it came from; ofpacts_check() must refuse it when its floating IP
 * is unknown, and the group bucket check exactly then.  A violation aborts,
 * which libFuzzer reports as a crash.
 *
 * Round trips of the other, stock OVS actions are not dpfip's: a mismatch
 * there is counted (DPFIP_FUZZ_STOCK=report prints it to stderr) and aborts
 * only with DPFIP_FUZZ_STOCK=abort, for finding such cases to report. */

#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum input_kind {
    INPUT_ACTIONS,
    INPUT_INSTRUCTIONS,
    INPUT_ACTIONS_STRING,
    INPUT_DPFIP_STRING,
    N_INPUT_KINDS
};

static const enum ofp_version versions[] = {
    OFP10_VERSION, OFP11_VERSION, OFP12_VERSION,
    OFP13_VERSION, OFP14_VERSION, OFP15_VERSION,
};

/* NXAST_DPFIP on the wire: a vendor action (OFPAT_VENDOR in OpenFlow 1.0,
 * OFPAT_EXPERIMENTER later) with the subtype registered in
 * lib/ofp-actions.c. */
#define VENDOR_ACTION_TYPE 0xffff
#define NXAST_DPFIP_SUBTYPE 53489

enum stock_policy { STOCK_COUNT, STOCK_REPORT, STOCK_ABORT };
static enum stock_policy stock_policy;

/* A dpfip invariant does not hold: a bug in dpfip's codec. */
#define DPFIP_ASSERT(COND)                                              \
    do {                                                                \
        if (!(COND)) {                                                  \
            ovs_abort(0, "%s:%d: dpfip invariant failed: %s",           \
                      __FILE__, __LINE__, #COND);                       \
        }                                                               \
    } while (0)

/* A round trip of stock OVS actions does not hold. */
static void
stock_mismatch(const char *what, const struct ofpact *ofpacts, size_t len)
{
    if (stock_policy == STOCK_COUNT) {
        return;
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };
    ofpacts_format(ofpacts, len, &fp);
    if (stock_policy == STOCK_ABORT) {
        ovs_abort(0, "stock OVS round trip: %s: %s", what, ds_cstr(&s));
    }
    fprintf(stderr, "stock OVS round trip: %s: %s\n", what, ds_cstr(&s));
    ds_destroy(&s);
}

/* Which floating IPs the fuzzed "switch" knows: a fixed rule on the last
 * address byte, so that both outcomes of the check are reached. */
static bool
fuzz_is_known(const struct in6_addr *fip)
{
    return fip->s6_addr[15] & 1;
}

static bool
fip_is_valid(const struct in6_addr *fip)
{
    if (IN6_IS_ADDR_V4MAPPED(fip)) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(fip);

        return ip4 && ip4 != htonl(UINT32_MAX) && !ip_is_multicast(ip4);
    }
    return ipv6_addr_is_set(fip) && !ipv6_addr_is_multicast(fip);
}

/* The dpfip actions of 'ofpacts', nested ones included, in order, as
 * (direction, floating IP) records appended to 'out'. */
static void
collect_dpfip(const struct ofpact *ofpacts, size_t len, struct ds *out)
{
    const struct ofpact *a;

    OFPACT_FOR_EACH_FLATTENED (a, ofpacts, len) {
        if (a->type == OFPACT_DPFIP) {
            const struct ofpact_dpfip *d = ofpact_get_DPFIP(a);

            ds_put_char(out, d->direction);
            ds_put_buffer(out, (const char *) &d->fip, sizeof d->fip);
        }
    }
}

static bool
same_dpfip(const struct ofpact *a, size_t a_len,
           const struct ofpact *b, size_t b_len)
{
    struct ds as = DS_EMPTY_INITIALIZER;
    struct ds bs = DS_EMPTY_INITIALIZER;

    collect_dpfip(a, a_len, &as);
    collect_dpfip(b, b_len, &bs);
    bool same = as.length == bs.length
                && !memcmp(as.string, bs.string, as.length);
    ds_destroy(&as);
    ds_destroy(&bs);
    return same;
}

/* One dpfip action on its own: valid, and through the wire format of every
 * OpenFlow version and through its text form unchanged. */
static void
check_one_dpfip(const struct ofpact_dpfip *d)
{
    DPFIP_ASSERT(d->direction == DPFIP_DNAT || d->direction == DPFIP_SNAT);
    DPFIP_ASSERT(fip_is_valid(&d->fip));

    for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
        struct ofpbuf wire, back;

        ofpbuf_init(&wire, 0);
        ofpacts_put_openflow_actions(&d->ofpact, d->ofpact.len, &wire,
                                     versions[i]);
        DPFIP_ASSERT(wire.size == sizeof(struct nx_action_dpfip));

        const struct nx_action_dpfip *nad = wire.data;
        DPFIP_ASSERT(nad->direction == d->direction);
        DPFIP_ASSERT(is_all_zeros(nad->pad, sizeof nad->pad));
        DPFIP_ASSERT(ipv6_addr_equals(&nad->fip, &d->fip));

        struct ofpbuf in = ofpbuf_const_initializer(wire.data, wire.size);
        ofpbuf_init(&back, 0);
        DPFIP_ASSERT(!ofpacts_pull_openflow_actions(&in, wire.size,
                                                    versions[i], NULL, NULL,
                                                    &back));
        DPFIP_ASSERT(same_dpfip(&d->ofpact, d->ofpact.len,
                                back.data, back.size));
        DPFIP_ASSERT(back.size == OFPACT_ALIGN(d->ofpact.len));
        ofpbuf_uninit(&back);
        ofpbuf_uninit(&wire);
    }

    /* "dpfip(ARGS)" parses back, through ofp_dpfip_parse() directly and
     * through ofpacts_parse_actions(). */
    struct ds s = DS_EMPTY_INITIALIZER;
    ofp_dpfip_format(d, &s);
    DPFIP_ASSERT(!strncmp(ds_cstr(&s), "dpfip(", 6));
    DPFIP_ASSERT(s.length > 7 && s.string[s.length - 1] == ')');

    struct ofpbuf parsed;
    ofpbuf_init(&parsed, 0);
    enum ofputil_protocol usable = OFPUTIL_P_ANY;
    struct ofpact_parse_params pp = {
        .ofpacts = &parsed,
        .usable_protocols = &usable,
    };
    char *error = ofpacts_parse_actions(ds_cstr(&s), &pp);
    DPFIP_ASSERT(!error);
    DPFIP_ASSERT(same_dpfip(&d->ofpact, d->ofpact.len,
                            parsed.data, parsed.size));
    DPFIP_ASSERT(parsed.size == OFPACT_ALIGN(d->ofpact.len));
    DPFIP_ASSERT(usable == OFPUTIL_P_ANY);
    ofpbuf_uninit(&parsed);

    char *args = xmemdup0(s.string + 6, s.length - 7);
    struct ofpact_dpfip direct;
    memset(&direct, 0, sizeof direct);
    error = ofp_dpfip_parse(args, &direct);
    DPFIP_ASSERT(!error);
    DPFIP_ASSERT(direct.direction == d->direction);
    DPFIP_ASSERT(ipv6_addr_equals(&direct.fip, &d->fip));
    free(args);
    ds_destroy(&s);

    DPFIP_ASSERT(!ofp_dpfip_check(d) == fuzz_is_known(&d->fip));
}

/* Whether 'ofpacts' name a floating IP that fuzz_is_known() does not know,
 * nested actions included. */
static bool
has_unknown_fip(const struct ofpact *ofpacts, size_t len)
{
    const struct ofpact *a;

    OFPACT_FOR_EACH_FLATTENED (a, ofpacts, len) {
        if (a->type == OFPACT_DPFIP
            && !fuzz_is_known(&ofpact_get_DPFIP(a)->fip)) {
            return true;
        }
    }
    return false;
}

/* ofpacts_check() (what a flow_mod goes through, against a catch-all match)
 * and the group bucket check refuse an unknown floating IP. */
static void
check_context(struct ofpbuf *ofpacts)
{
    bool unknown = has_unknown_fip(ofpacts->data, ofpacts->size);

    struct ofputil_bucket bucket = {
        .ofpacts = ofpacts->data,
        .ofpacts_len = ofpacts->size,
    };
    struct ovs_list buckets = OVS_LIST_INITIALIZER(&buckets);
    ovs_list_push_back(&buckets, &bucket.list_node);
    enum ofperr error = ofp_dpfip_check_group_buckets(&buckets);
    DPFIP_ASSERT(unknown
                 ? error == OFPERR_OFPBAC_BAD_ARGUMENT
                 : !error);

    /* ofpacts_check() may annotate actions: check a copy. */
    struct ofpbuf copy;
    ofpbuf_init(&copy, ofpacts->size);
    ofpbuf_put(&copy, ofpacts->data, ofpacts->size);
    struct match match;
    match_init_catchall(&match);
    struct ofpact_check_params cp = {
        .match = &match,
        .max_ports = OFPP_MAX,
        .table_id = 0,
        .n_tables = 255,
    };
    error = ofpacts_check(copy.data, copy.size, &cp);
    if (unknown) {
        /* Another action may be refused first, never an unknown FIP
         * accepted. */
        DPFIP_ASSERT(error);
    }
    ofpbuf_uninit(&copy);
}

/* Every dpfip action of 'ofpacts' on its own, and the whole list through
 * text and through the wire format of each version in 'usable', as
 * instructions if 'instructions', otherwise as actions. */
static void
check_ofpacts(struct ofpbuf *ofpacts, enum ofputil_protocol usable,
              bool instructions)
{
    const struct ofpact *a;

    OFPACT_FOR_EACH_FLATTENED (a, ofpacts->data, ofpacts->size) {
        if (a->type == OFPACT_DPFIP) {
            check_one_dpfip(ofpact_get_DPFIP(a));
        }
    }
    check_context(ofpacts);

    /* Text round trip. */
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };
    ofpacts_format(ofpacts->data, ofpacts->size, &fp);

    struct ofpbuf reparsed;
    ofpbuf_init(&reparsed, 0);
    enum ofputil_protocol reparsed_usable = OFPUTIL_P_ANY;
    struct ofpact_parse_params pp = {
        .ofpacts = &reparsed,
        .usable_protocols = &reparsed_usable,
    };
    char *error = (instructions
                   ? ofpacts_parse_instructions(ds_cstr(&s), &pp)
                   : ofpacts_parse_actions(ds_cstr(&s), &pp));
    if (error) {
        stock_mismatch("formatted actions do not parse", ofpacts->data,
                       ofpacts->size);
        free(error);
    } else {
        DPFIP_ASSERT(same_dpfip(ofpacts->data, ofpacts->size,
                                reparsed.data, reparsed.size));
        if (!ofpacts_equal_stringwise(ofpacts->data, ofpacts->size,
                                      reparsed.data, reparsed.size)) {
            stock_mismatch("format and parse differ", ofpacts->data,
                           ofpacts->size);
        }
    }
    ofpbuf_uninit(&reparsed);
    ds_destroy(&s);

    /* Wire round trip in every usable version. */
    for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
        if (!(usable & ofputil_protocols_from_ofp_version(versions[i]))) {
            continue;
        }

        struct ofpbuf wire, back;
        enum ofperr err;

        ofpbuf_init(&wire, 0);
        ofpbuf_init(&back, 0);
        if (instructions) {
            ofpacts_put_openflow_instructions(ofpacts->data, ofpacts->size,
                                              &wire, versions[i]);
        } else {
            ofpacts_put_openflow_actions(ofpacts->data, ofpacts->size, &wire,
                                         versions[i]);
        }
        struct ofpbuf in = ofpbuf_const_initializer(wire.data, wire.size);
        err = (instructions
               ? ofpacts_pull_openflow_instructions(&in, wire.size,
                                                    versions[i], NULL, NULL,
                                                    &back)
               : ofpacts_pull_openflow_actions(&in, wire.size, versions[i],
                                               NULL, NULL, &back));
        if (err) {
            stock_mismatch("encoded actions do not decode", ofpacts->data,
                           ofpacts->size);
        } else {
            DPFIP_ASSERT(same_dpfip(ofpacts->data, ofpacts->size,
                                    back.data, back.size));
            if (!ofpacts_equal_stringwise(ofpacts->data, ofpacts->size,
                                          back.data, back.size)) {
                stock_mismatch("encode and decode differ", ofpacts->data,
                               ofpacts->size);
            }
        }
        ofpbuf_uninit(&back);
        ofpbuf_uninit(&wire);
    }
}

/* Each NXAST_DPFIP at the top level of the 'len' bytes of 'actions', which
 * decoded into 'ofpacts' in 'version', is byte for byte what the matching
 * top-level dpfip action encodes to: decoding keeps everything. */
static void
check_wire_bytes(const uint8_t *actions, size_t len,
                 const struct ofpbuf *ofpacts, enum ofp_version version)
{
    const struct ofpact *a = ofpacts->data;
    const struct ofpact *end = ofpact_end(ofpacts->data, ofpacts->size);
    size_t ofs = 0;

    while (ofs < len) {
        /* The input is not aligned: copy each action's header out. */
        struct nx_action_dpfip nad;
        memset(&nad, 0, sizeof nad);
        memcpy(&nad, actions + ofs, MIN(sizeof nad, len - ofs));
        size_t action_len = ntohs(nad.len);

        DPFIP_ASSERT(action_len && ofs + action_len <= len);
        if (action_len == sizeof nad
            && nad.type == htons(VENDOR_ACTION_TYPE)
            && nad.vendor == htonl(NX_VENDOR_ID)
            && nad.subtype == htons(NXAST_DPFIP_SUBTYPE)) {
            while (a < end && a->type != OFPACT_DPFIP) {
                a = ofpact_next(a);
            }
            DPFIP_ASSERT(a < end);

            struct ofpbuf wire;
            ofpbuf_init(&wire, 0);
            ofpacts_put_openflow_actions(a, a->len, &wire, version);
            DPFIP_ASSERT(wire.size == sizeof nad
                         && !memcmp(wire.data, &nad, sizeof nad));
            ofpbuf_uninit(&wire);
            a = ofpact_next(a);
        }
        ofs += action_len;
    }
    while (a < end) {
        DPFIP_ASSERT(a->type != OFPACT_DPFIP);
        a = ofpact_next(a);
    }
}

static void
fuzz_openflow(const uint8_t *data, size_t size, bool instructions)
{
    if (size < 1) {
        return;
    }

    size_t n_versions = ARRAY_SIZE(versions) - instructions;
    enum ofp_version version = versions[instructions + data[0] % n_versions];
    struct ofpbuf msg = ofpbuf_const_initializer(data + 1, size - 1);
    struct ofpbuf ofpacts;
    enum ofperr error;

    ofpbuf_init(&ofpacts, 0);
    error = (instructions
             ? ofpacts_pull_openflow_instructions(&msg, size - 1, version,
                                                  NULL, NULL, &ofpacts)
             : ofpacts_pull_openflow_actions(&msg, size - 1, version,
                                             NULL, NULL, &ofpacts));
    if (!error) {
        if (!instructions) {
            check_wire_bytes(data + 1, size - 1, &ofpacts, version);
        }
        /* What decoded must encode again in its own version, and decode to
         * the same. */
        check_ofpacts(&ofpacts, ofputil_protocols_from_ofp_version(version),
                      instructions);
    }
    ofpbuf_uninit(&ofpacts);
}

static void
fuzz_actions_string(const uint8_t *data, size_t size)
{
    char *s = xmemdup0((const char *) data, size);
    struct ofpbuf ofpacts;
    enum ofputil_protocol usable = OFPUTIL_P_ANY;
    struct ofpact_parse_params pp = {
        .ofpacts = &ofpacts,
        .usable_protocols = &usable,
    };

    ofpbuf_init(&ofpacts, 0);
    char *error = ofpacts_parse_actions(s, &pp);
    if (error) {
        free(error);
    } else {
        check_ofpacts(&ofpacts, usable, false);
    }
    ofpbuf_uninit(&ofpacts);
    free(s);
}

static void
fuzz_dpfip_string(const uint8_t *data, size_t size)
{
    char *s = xmemdup0((const char *) data, size);
    struct ofpbuf ofpacts;

    ofpbuf_init(&ofpacts, 0);
    char *error = ofp_dpfip_parse(s, ofpact_put_DPFIP(&ofpacts));
    if (error) {
        DPFIP_ASSERT(!strncmp(error, "dpfip: ", 7));
        free(error);
    } else {
        check_ofpacts(&ofpacts, OFPUTIL_P_ANY, false);
    }
    ofpbuf_uninit(&ofpacts);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;

    if (!initialized) {
        const char *policy = getenv("DPFIP_FUZZ_STOCK");

        stock_policy = (!policy ? STOCK_COUNT
                        : !strcmp(policy, "abort") ? STOCK_ABORT
                        : !strcmp(policy, "report") ? STOCK_REPORT
                        : STOCK_COUNT);
        vlog_set_verbosity("off");
        ofp_dpfip_set_is_known(fuzz_is_known);
        initialized = true;
    }

    if (size < 1) {
        return 0;
    }
    switch ((enum input_kind) (data[0] % N_INPUT_KINDS)) {
    case INPUT_ACTIONS:
        fuzz_openflow(data + 1, size - 1, false);
        break;
    case INPUT_INSTRUCTIONS:
        fuzz_openflow(data + 1, size - 1, true);
        break;
    case INPUT_ACTIONS_STRING:
        fuzz_actions_string(data + 1, size - 1);
        break;
    case INPUT_DPFIP_STRING:
        fuzz_dpfip_string(data + 1, size - 1);
        break;
    case N_INPUT_KINDS:
    default:
        OVS_NOT_REACHED();
    }
    return 0;
}
