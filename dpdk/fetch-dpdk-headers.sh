#!/bin/sh
# Fetch Debian's dpdk 22.11 source package and extract the driver-SDK
# headers that libdpdk-dev does not install (ethdev_driver.h,
# ethdev_vdev.h, bus_vdev_driver.h, bus_driver.h, dev_driver.h, ...).
#
# Usage: fetch-dpdk-headers.sh BUILD_DIR
#
# The system's apt configuration is left untouched: a private apt
# directory under BUILD_DIR holds a deb-src copy of the system sources.
# Idempotent: once BUILD_DIR/include/.stamp exists nothing is fetched.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
mkdir -p "$1"
build=$(cd "$1" && pwd)
inc=$build/include
stamp=$inc/.stamp
if [ -f "$stamp" ]; then
    exit 0
fi

apt=$build/apt
src=$build/src
mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/archives/partial" "$src"

# Private deb-src list derived from the system's deb822 sources.
found=
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    found=1
    sed 's/^Types:.*/Types: deb-src/' "$f" \
        > "$apt/parts/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
        > "$apt/parts/legacy.list"
    [ -s "$apt/parts/legacy.list" ] && found=1
fi
if [ -z "$found" ]; then
    echo "$0: no apt sources found in /etc/apt" >&2
    exit 1
fi

set -- -o Dir::Etc::SourceList=/dev/null \
       -o Dir::Etc::SourceParts="$apt/parts" \
       -o Dir::State::Lists="$apt/lists" \
       -o Dir::Cache="$apt/cache" \
       -o Debug::NoLocking=1
mkdir -p "$apt/cache/archives/partial"

orig=$(ls "$src"/dpdk_22.11*.orig.tar.* 2>/dev/null | head -n 1 || true)
if [ -z "$orig" ]; then
    apt-get -q "$@" update >&2
    # Prefer the exact version installed, fall back to any 22.11.
    ver=$(dpkg-query -W -f '${Version}' libdpdk-dev 2>/dev/null || true)
    (cd "$src" && { [ -n "$ver" ] && \
        apt-get -q "$@" source --download-only "dpdk=$ver" >&2 || \
        apt-get -q "$@" source --download-only dpdk >&2; })
    orig=$(ls "$src"/dpdk_22.11*.orig.tar.* 2>/dev/null | head -n 1 || true)
fi
if [ -z "$orig" ]; then
    echo "$0: dpdk 22.11 orig tarball not found after download" >&2
    exit 1
fi

# Unpack only what the PMD needs (and the two reference drivers).
tmp=$build/src/tree.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
tar -xf "$orig" -C "$tmp" --strip-components=1 --wildcards \
    '*/lib/ethdev/*.h' '*/lib/eal/include/*.h' \
    '*/drivers/bus/vdev/*.h' \
    '*/drivers/net/null/*' '*/drivers/net/af_packet/*'
rm -rf "$build/src/tree"
mv "$tmp" "$build/src/tree"

rm -rf "$inc"
mkdir -p "$inc"
cp "$build/src/tree/lib/ethdev/ethdev_driver.h" \
   "$build/src/tree/lib/ethdev/ethdev_vdev.h" \
   "$build/src/tree/drivers/bus/vdev/bus_vdev_driver.h" "$inc/"
for h in bus_driver.h dev_driver.h; do
    if [ -f "$build/src/tree/lib/eal/include/$h" ]; then
        cp "$build/src/tree/lib/eal/include/$h" "$inc/"
    fi
done
echo "$(basename "$orig")" > "$stamp"
echo "dpdk driver headers ready in $inc" >&2
