#!/bin/sh
# Kernel lab: /init of the guest's initramfs (busybox sh).  Built into the
# initramfs by prepare.sh; configured by run.sh through the "klabctl" 9p
# share (config + cmd.sh), which also receives stdout, stderr, status.
#
# Every step runs under busybox `timeout`; anything unexpected ends in
# `poweroff -f`, and run.sh reports "no status" with the console log.

export PATH=/bin:/sbin
STEP_T=60
NINEP_OPTS=trans=virtio,version=9p2000.L,msize=262144

T() { timeout -s KILL "$STEP_T" "$@"; }
say() { echo "kernel-lab(guest): $*"; }
die() {
    say "FATAL: $*"
    [ -d /ctl/. ] && echo "$*" >> /ctl/guest-error 2>/dev/null
    T dmesg > /ctl/dmesg.log 2>/dev/null
    T sync
    poweroff -f
    sleep 10
}

T mount -t proc proc /proc
T mount -t sysfs sysfs /sys
T mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

up() { cut -d' ' -f1 /proc/uptime; }
say "init start, uptime $(up) s, kernel $(uname -r)"

# Modules.  crc32c_generic must be there before openvswitch (via
# nf_conntrack/libcrc32c); a module that is built in or missing is only
# reported.
MODS="virtio_pci crc32c_generic 9pnet_virtio 9p openvswitch cls_flower
      act_pedit act_mirred act_gact act_csum act_skbedit act_tunnel_key
      act_vlan act_ct act_police sch_ingress veth vxlan geneve nf_conntrack"
for m in $MODS; do
    T modprobe "$m" || say "modprobe $m failed (built in or missing?)"
done

mkdir -p /ctl /host /orig
T mount -t 9p -o "$NINEP_OPTS" klabctl /ctl || die "cannot mount the klabctl share"
[ -f /ctl/config ] || die "/ctl/config missing"
. /ctl/config
# config defines: KLAB_TIMEOUT, KLAB_RW ("tag:path ..."), KLAB_RO, KLAB_TMPFS

T mount -t 9p -o "$NINEP_OPTS,ro" hostroot /host || die "cannot mount the hostroot share"
[ -x /host/bin/bash ] || die "/host/bin/bash missing: is the host root exported?"
# Keep a view of the host root without the tmpfs mounts below, for --ro.
T mount --bind /host /orig || die "bind /host /orig"

T mount -t proc proc /host/proc || die "mount /host/proc"
T mount -t sysfs sysfs /host/sys || die "mount /host/sys"
T mount -t devtmpfs devtmpfs /host/dev || die "mount /host/dev"
mkdir -p /host/dev/pts /host/dev/shm 2>/dev/null
T mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts || say "devpts failed"
T mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm || say "/dev/shm failed"
[ -d /host/sys/kernel/debug ] && T mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
[ -d /host/sys/fs/bpf ] && T mount -t bpf bpf /host/sys/fs/bpf 2>/dev/null

# Writable /tmp and /run (OVS uses tmpfile(), pid files, sockets).
T mount -t tmpfs -o mode=1777 tmpfs /host/tmp || die "tmpfs /host/tmp"
T mount -t tmpfs -o mode=0755 tmpfs /host/run || die "tmpfs /host/run"
mkdir -p /host/run/lock /host/run/netns /host/run/kernel-lab
chmod 1777 /host/run/lock
for d in $KLAB_TMPFS; do
    mkdir -p "/host$d" 2>/dev/null
    T mount -t tmpfs -o mode=1777 tmpfs "/host$d" || die "tmpfs $d"
done

# Directories under /tmp, /run, ... that the command needs to read: bind
# them back, read-only, from the host's view.
for d in $KLAB_RO; do
    [ -e "/orig$d" ] || { say "--ro $d: not on the host, skipped"; continue; }
    mkdir -p "/host$d" 2>/dev/null
    T mount --bind "/orig$d" "/host$d" || die "bind $d"
    T mount -o remount,bind,ro "/host$d" 2>/dev/null
done

# Writable host directories (--rw, --results), each its own 9p share.
for tp in $KLAB_RW; do
    tag=${tp%%:*}
    d=${tp#*:}
    mkdir -p "/host$d" 2>/dev/null
    T mount -t 9p -o "$NINEP_OPTS" "$tag" "/host$d" || die "cannot mount $tag on $d"
done

# The guest kernel's modules, so `modprobe X` works inside the chroot: over
# /lib/modules when the host has that dir, and always under
# /run/kernel-lab-modules/lib/modules, which cmd.sh hands to kmod's
# modprobe with MODPROBE_OPTIONS="-d /run/kernel-lab-modules".
mkdir -p /host/run/kernel-lab-modules/lib/modules
T mount --bind /lib/modules /host/run/kernel-lab-modules/lib/modules || say "bind modules failed"
if [ -d /host/lib/modules ]; then
    T mount --bind /lib/modules /host/lib/modules && \
        T mount -o remount,bind,ro /host/lib/modules 2>/dev/null
fi
T mount --bind /ctl /host/run/kernel-lab || die "bind ctl"

hostname klab 2>/dev/null
ip link set lo up 2>/dev/null

say "running command (timeout ${KLAB_TIMEOUT}s), uptime $(up) s"
up > /ctl/started
start=$(date +%s)
timeout -s TERM -k 10 "$KLAB_TIMEOUT" \
    chroot /host /bin/bash /run/kernel-lab/cmd.sh \
    </dev/null >>/ctl/stdout 2>>/ctl/stderr
rc=$?
end=$(date +%s)
if [ $((end - start)) -ge "$KLAB_TIMEOUT" ] && { [ $rc = 143 ] || [ $rc = 137 ]; }; then
    say "TIMEOUT after $((end - start)) s"
    echo "$((end - start))" > /ctl/timedout
fi
say "command exited with status $rc after $((end - start)) s, uptime $(up) s"
T dmesg > /ctl/dmesg.log 2>/dev/null
echo "$rc" > /ctl/status
T sync
poweroff -f
sleep 10
