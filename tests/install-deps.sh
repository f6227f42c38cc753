#! /bin/sh
# Installs what dpfip needs to build and test on Debian 12, as root.
# Idempotent: installs only missing packages.
set -e

PACKAGES="
    autoconf automake libtool pkg-config make gcc patch python3
    openvswitch-source libdpdk-dev dpdk rdma-core libibverbs-dev
    libcap-ng-dev libssl-dev libnuma-dev libpcap-dev libunbound-dev
    libunwind-dev
    clang-14 libclang-rt-14-dev
    ethtool iputils-ping iputils-arping netcat-openbsd tcpdump iperf3
    iproute2 procps kmod
"

missing=
for p in $PACKAGES; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
else
    echo "install-deps: all packages present"
fi

# Packages whose services must not start: FRR for the BGP tests
# (tests/system-dpfip-route.at runs its own zebra and bgpd) and OVN for the
# OVN tests (tests/system-dpfip-ovn.at runs its own ovsdb-servers,
# ovn-northd and ovn-controller).  invoke-rc.d asks policy-rc.d, which
# refuses (101) while they install; an existing policy-rc.d is kept.
SERVICE_PACKAGES="frr ovn-central ovn-host"

missing=
for p in $SERVICE_PACKAGES; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "install-deps: installing (services not started):$missing"
    created_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends $missing || status=$?
    if [ "$status" -ne 0 ]; then
        # The package lists may be missing or stale.
        apt-get update -q || true
        status=0
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends $missing || status=$?
    fi
    [ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ "$status" -eq 0 ] || exit "$status"
fi
