#! /bin/sh
# Installs what dpfip needs to build and test on Debian 12, as root.
# Idempotent: installs only missing packages.
set -e

PACKAGES="
    autoconf automake libtool pkg-config make gcc patch python3
    openvswitch-source libdpdk-dev dpdk rdma-core libibverbs-dev
    libcap-ng-dev libssl-dev libnuma-dev libpcap-dev libunbound-dev
    libunwind-dev
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
