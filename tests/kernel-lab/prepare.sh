#!/bin/bash
# Kernel lab: prepare a Debian 6.1 kernel + initramfs for booting under qemu.
#
#   tests/kernel-lab/prepare.sh [--force] [--print-env]
#
# Installs (only if missing) qemu-system-x86, busybox-static, cpio, kmod;
# downloads the newest linux-image-6.1.0-*-amd64-unsigned .deb with
# `apt-get download`, unpacks it with `dpkg -x` into the cache directory
# (env KLAB_CACHE, default /var/cache/dpfip-kernel-lab), runs depmod -b and
# builds an uncompressed initramfs (busybox-static, a subset of the modules,
# modules.dep, and init.sh from this directory as /init).
#
# Idempotent: a second run only checks what is there (about 1 s).
# On success it prints KLAB_KERNEL=..., KLAB_INITRD=..., KLAB_KVER=... lines
# (with --print-env) so run.sh can pick them up.
#
# Env:
#   KLAB_CACHE        cache dir (default /var/cache/dpfip-kernel-lab)
#   KLAB_KERNEL_PKG   exact package to use instead of the newest
#                     linux-image-6.1.0-*-amd64-unsigned
#   KLAB_NO_INSTALL=1 never call apt-get install/update/download
#
# Exit codes: 0 ready; 77 qemu (or another tool) is missing and cannot be
# installed here; 1 other error.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${KLAB_CACHE:-/var/cache/dpfip-kernel-lab}
FORCE=0
PRINT_ENV=0
for a in "$@"; do
    case $a in
        --force) FORCE=1 ;;
        --print-env) PRINT_ENV=1 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "prepare.sh: unknown argument $a" >&2; exit 1 ;;
    esac
done

log() { echo "kernel-lab/prepare: $*" >&2; }
skip() { echo "SKIP: qemu cannot run here: $*" >&2; exit 77; }

APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return 0
    apt_updated=1
    log "apt-get update"
    timeout 600 apt-get "${APT_OPTS[@]}" -qq update >&2 || log "apt-get update failed (continuing)"
}

# ---------------------------------------------------------------- packages
need_pkgs=()
QEMU=${KLAB_QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null 2>&1 || need_pkgs+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' \
    || need_pkgs+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
command -v depmod >/dev/null 2>&1 || [ -x /sbin/depmod ] || need_pkgs+=(kmod)

if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ "${KLAB_NO_INSTALL:-0}" = 1 ]; then
        skip "missing packages ${need_pkgs[*]} and KLAB_NO_INSTALL=1"
    fi
    if [ "$(id -u)" != 0 ]; then
        skip "missing packages ${need_pkgs[*]} and not root (cannot apt-get install)"
    fi
    log "installing ${need_pkgs[*]}"
    if ! DEBIAN_FRONTEND=noninteractive timeout 900 apt-get "${APT_OPTS[@]}" -qq -y \
            install --no-install-recommends "${need_pkgs[@]}" >&2; then
        apt_update
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get "${APT_OPTS[@]}" -qq -y \
            install --no-install-recommends "${need_pkgs[@]}" >&2 \
            || skip "apt-get install ${need_pkgs[*]} failed"
    fi
fi
command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU not found after install"
PATH=$PATH:/sbin:/usr/sbin
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || skip "busybox-static is not installed ($BUSYBOX missing)"

# ---------------------------------------------------------------- kernel
pick_pkg() {
    apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null \
        | awk '{print $1}' | sort -V | tail -n1
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 1800 9 || { log "could not lock $CACHE/.lock"; exit 1; }

PKG=${KLAB_KERNEL_PKG:-}
if [ -z "$PKG" ]; then
    PKG=$(pick_pkg)
    if [ -z "$PKG" ] && [ "${KLAB_NO_INSTALL:-0}" != 1 ]; then
        apt_update
        PKG=$(pick_pkg)
    fi
    if [ -z "$PKG" ]; then
        # Offline fallback: use whatever was prepared before.
        PKG=$(ls -1 "$CACHE" 2>/dev/null | grep -E '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' \
              | sort -V | tail -n1 || true)
    fi
fi
[ -n "$PKG" ] || { log "no linux-image-6.1.0-*-amd64-unsigned package found by apt-cache"; exit 1; }
case $PKG in *cloud*) log "$PKG: the -cloud flavour lacks 9p; refusing"; exit 1 ;; esac

KVER=${PKG#linux-image-}
KVER=${KVER%-unsigned}          # e.g. 6.1.0-56-amd64
KDIR=$CACHE/$PKG
ROOT=$KDIR/root                 # dpkg -x target
VMLINUZ=$ROOT/boot/vmlinuz-$KVER
INITRD=$KDIR/initrd.cpio

# The initramfs depends on init.sh, this script and busybox.
inputs_hash() {
    cat "$HERE/init.sh" "$HERE/prepare.sh" "$BUSYBOX" | sha256sum | cut -c1-16
}
HASH=$(inputs_hash)

emit() {
    if [ "$PRINT_ENV" = 1 ]; then
        echo "KLAB_KERNEL=$VMLINUZ"
        echo "KLAB_INITRD=$INITRD"
        echo "KLAB_KVER=$KVER"
    fi
}

if [ "$FORCE" = 0 ] && [ -f "$KDIR/.ready" ] && [ "$(cat "$KDIR/.ready")" = "$HASH" ] \
        && [ -f "$VMLINUZ" ] && [ -f "$INITRD" ]; then
    emit
    exit 0
fi

if [ "$FORCE" = 1 ] || [ ! -f "$KDIR/.unpacked" ] || [ ! -f "$VMLINUZ" ]; then
    [ "${KLAB_NO_INSTALL:-0}" = 1 ] && { log "kernel $PKG not in cache and KLAB_NO_INSTALL=1"; exit 1; }
    rm -rf "$KDIR"
    mkdir -p "$KDIR/dl"
    # apt downloads as user _apt when it can; let it write there.
    chown _apt "$KDIR/dl" 2>/dev/null || chmod 0777 "$KDIR/dl"
    log "downloading $PKG"
    ( cd "$KDIR/dl" && timeout 900 apt-get "${APT_OPTS[@]}" -qq download "$PKG" >&2 ) || {
        apt_update
        ( cd "$KDIR/dl" && timeout 900 apt-get "${APT_OPTS[@]}" -qq download "$PKG" >&2 )
    } || { log "apt-get download $PKG failed"; exit 1; }
    deb=$(ls -1 "$KDIR"/dl/*.deb | head -n1)
    log "unpacking $(basename "$deb")"
    dpkg -x "$deb" "$ROOT"
    rm -f "$deb"
    [ -f "$VMLINUZ" ] || { log "$VMLINUZ missing after dpkg -x"; exit 1; }
    depmod -b "$ROOT" "$KVER"
    touch "$KDIR/.unpacked"
fi

# ---------------------------------------------------------------- initramfs
log "building initramfs for $KVER"
STAGE=$KDIR/initramfs.stage
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,tmp,run,host,ctl,orig,lib/modules}
cp "$BUSYBOX" "$STAGE/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$STAGE/bin/$applet"
done
# The kernel's module autoloader runs /sbin/modprobe in the initramfs root.
ln -sf ../bin/busybox "$STAGE/sbin/modprobe"
install -m 0755 "$HERE/init.sh" "$STAGE/init"

MSRC=$ROOT/lib/modules/$KVER
MDST=$STAGE/lib/modules/$KVER
mkdir -p "$MDST/kernel"
for d in net fs/9p fs/netfs fs/fscache drivers/net drivers/virtio lib crypto \
         drivers/block/virtio_blk.ko drivers/char/virtio_console.ko; do
    [ -e "$MSRC/kernel/$d" ] || continue
    mkdir -p "$(dirname "$MDST/kernel/$d")"
    cp -a "$MSRC/kernel/$d" "$MDST/kernel/$d"
done
# Hardware NIC drivers are big and useless in the guest.
rm -rf "$MDST/kernel/drivers/net/wireless" "$MDST/kernel/drivers/net/ethernet" \
       "$MDST/kernel/drivers/net/usb" "$MDST/kernel/drivers/net/can" \
       "$MDST/kernel/drivers/net/wwan" "$MDST/kernel/drivers/net/ieee802154" \
       "$MDST/kernel/drivers/net/hamradio" "$MDST/kernel/drivers/net/fddi" \
       "$MDST/kernel/drivers/net/arcnet" "$MDST/kernel/drivers/net/appletalk" \
       "$MDST/kernel/net/wireless" "$MDST/kernel/net/mac80211" \
       "$MDST/kernel/net/bluetooth"
cp -a "$MSRC"/modules.order "$MSRC"/modules.builtin* "$MDST/" 2>/dev/null || true
# Recompute modules.dep for the subset (references to removed modules would
# make modprobe fail).
depmod -b "$STAGE" "$KVER"
echo "$KVER" > "$STAGE/kver"

( cd "$STAGE" && find . -print0 | LC_ALL=C sort -z \
      | cpio --null -o -H newc --quiet ) > "$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
rm -rf "$STAGE"
echo "$HASH" > "$KDIR/.ready"
log "ready: kernel $VMLINUZ, initramfs $INITRD ($(du -h "$INITRD" | cut -f1))"
emit
