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

#ifndef DPFIP_OFFLOAD_TC_H
#define DPFIP_OFFLOAD_TC_H 1

/* How the tc provider (lib/dpfip-offload-tc.c) talks to the kernel:
 * rtnetlink requests, one at a time, and filter dumps.  By default over
 * a NETLINK_ROUTE socket; the provider's unit test (tests/test-dpfip-tc.c)
 * puts a model of mlx5e in its place, which decodes every request and
 * applies the driver's acceptance rules (../shared/hardware.md). */

struct ofpbuf;

struct dpfip_tc_kernel {
    /* Sends 'request' (a complete rtnetlink message, uninitialized
     * afterwards) and waits for the kernel's answer.  Returns 0 or a
     * positive errno value; on error '*extack' may be set to the kernel's
     * message (netlink extended ack, malloc()ed).  With 'replyp', stores
     * in '*replyp' the echo of the request (NLM_F_ECHO), NULL if none. */
    int (*transact)(struct ofpbuf *request, struct ofpbuf **replyp,
                    char **extack);

    /* Sends the dump 'request' (uninitialized afterwards) and calls 'cb'
     * with each message of the answer.  Returns 0 or a positive errno
     * value. */
    int (*dump)(struct ofpbuf *request,
                void (*cb)(const struct ofpbuf *msg, void *aux), void *aux);
};

/* Makes the provider use 'kernel' (NULL: the real one) and forget what it
 * knew of the ports of the previous one.  Call with no rules installed. */
void dpfip_offload_tc_set_kernel(const struct dpfip_tc_kernel *kernel);

#endif /* dpfip-offload-tc.h */
