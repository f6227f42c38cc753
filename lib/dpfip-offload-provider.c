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
#include "dpfip-offload-provider.h"

#include <errno.h>
#include <string.h>
#include "netdev.h"
#include "util.h"

/* The offload providers, and which one serves a datapath: rte_flow for the
 * userspace datapath (dpif-netdev; "dummy" is dpif-netdev too, for
 * tests), tc flower for the kernel one.  The manager asks here and knows
 * providers only through their vtable. */
static const struct {
    const char *dpif_type;
    const struct dpfip_offload_class *class;
} providers[] = {
    { "netdev", &dpfip_offload_rte_flow_class },
    { "dummy", &dpfip_offload_rte_flow_class },
    { "system", &dpfip_offload_tc_class },
};

/* The provider for bridges of datapath type 'dpif_type' (a dpif class's
 * type, e.g. "netdev", "system"), or NULL. */
const struct dpfip_offload_class *
dpfip_offload_provider_for(const char *dpif_type)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(providers); i++) {
        if (!strcmp(providers[i].dpif_type, dpif_type)) {
            return providers[i].class;
        }
    }
    return NULL;
}

/* Returns the handle of 'netdev' for 'class', or -1 with a reason in
 * '*reason'.  A provider without port_handle() takes ifindexes. */
int
dpfip_offload_port_handle(const struct dpfip_offload_class *class,
                          const struct netdev *netdev, char **reason)
{
    int ifindex;

    if (class->port_handle) {
        return class->port_handle(netdev, reason);
    }
    ifindex = netdev_get_ifindex(netdev);
    if (ifindex <= 0) {
        *reason = xasprintf("%s has no ifindex (%s)", netdev_get_name(netdev),
                            ovs_strerror(ifindex ? -ifindex : EINVAL));
        return -1;
    }
    return ifindex;
}

/* Lets 'class' clean up 'port' (see 'reconcile'). */
void
dpfip_offload_reconcile_port(const struct dpfip_offload_class *class,
                             uint32_t port)
{
    if (class->reconcile) {
        class->reconcile(port);
    }
}

/* Whether a provider's 'error' may go away by itself (the table fills and
 * empties, a port restarts, tc's cls_flower module gets loaded: ENOENT):
 * then the manager retries with backoff.
 * Anything else (ENOTSUP, EINVAL...) says this hardware cannot do this
 * spec: it stays refused until the spec or the configuration changes. */
bool
dpfip_offload_error_is_transient(int error)
{
    switch (error) {
    case ENOSPC:
    case ENOENT:
    case ENOMEM:
    case EAGAIN:
    case ENODEV:
    case EBUSY:
    case EIO:
    case ENOBUFS:
    case ETIMEDOUT:
        return true;
    default:
        return false;
    }
}
