#!/bin/bash
# Kernel lab: run a command inside a qemu guest booted with Debian's 6.1
# kernel, against the host's root file system (read-only, virtio-9p).
#
# Usage:
#   tests/kernel-lab/run.sh [OPTIONS] -- COMMAND [ARG...]
#
# Options:
#   --timeout SECS   time limit for COMMAND inside the guest (default 600)
#   --mem MB         guest memory (default 2048)
#   --smp N          guest CPUs (default 2)
#   --results DIR    host dir, created if missing, writable in the guest at
#                    the same path (own 9p share); repeatable
#   --rw DIR         like --results but DIR must exist; repeatable
#   --ro DIR         a dir under /tmp, /run or a --tmpfs dir that the
#                    command needs to read: bound back (read-only) over the
#                    guest's tmpfs; repeatable.  The cwd is added
#                    automatically when it lies there.
#   --tmpfs DIR      an extra empty writable tmpfs at DIR; repeatable
#   --logdir DIR     keep the run's logs (console.log, dmesg.log, stdout,
#                    stderr, status) in DIR; default: a temp dir that is
#                    removed on success and kept (and printed) on failure
#   --keep           keep the temp log dir also on success
#   --accel A        tcg (default) or kvm (env KLAB_ACCEL)
#   -v, --verbose    also stream the guest console to stderr
#
# Exit status: COMMAND's status; 77 when qemu cannot run here ("SKIP: ...");
# 124 when COMMAND or the guest timed out; 125 for other lab errors.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TIMEOUT=600
MEM=2048
SMP=2
ACCEL=${KLAB_ACCEL:-tcg}
LOGDIR=
KEEP=0
VERBOSE=0
RW=()
RO=()
TMPFS=()

usage() { sed -n '5,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
err() { echo "kernel-lab: $*" >&2; }
abspath() { realpath -m -- "$1"; }

while [ $# -gt 0 ]; do
    case $1 in
        --timeout) TIMEOUT=$2; shift 2 ;;
        --mem) MEM=$2; shift 2 ;;
        --smp) SMP=$2; shift 2 ;;
        --results) mkdir -p -- "$2" || exit 125; RW+=("$(abspath "$2")"); shift 2 ;;
        --rw) [ -d "$2" ] || { err "--rw $2: not a directory"; exit 125; }
              RW+=("$(abspath "$2")"); shift 2 ;;
        --ro) RO+=("$(abspath "$2")"); shift 2 ;;
        --tmpfs) TMPFS+=("$(abspath "$2")"); shift 2 ;;
        --logdir) LOGDIR=$(abspath "$2"); shift 2 ;;
        --keep) KEEP=1; shift ;;
        --accel) ACCEL=$2; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage 0 ;;
        --) shift; break ;;
        *) err "unknown option $1"; usage 125 >&2 ;;
    esac
done
[ $# -gt 0 ] || { err "no COMMAND given"; usage 125 >&2; }
case $TIMEOUT in ''|*[!0-9]*) err "--timeout needs whole seconds"; exit 125 ;; esac
for p in "${RW[@]}" "${RO[@]}" "${TMPFS[@]}"; do
    case $p in
        *[[:space:]:]*) err "path '$p' contains space or ':' (unsupported)"; exit 125 ;;
        /) err "'/' cannot be a share"; exit 125 ;;
    esac
done

# ------------------------------------------------------------ kernel + qemu
if [ -n "${KLAB_KERNEL:-}" ] && [ -n "${KLAB_INITRD:-}" ]; then
    :   # given by the caller
else
    envout=$("$HERE/prepare.sh" --print-env)
    prc=$?
    [ $prc = 77 ] && exit 77
    [ $prc = 0 ] || { err "prepare.sh failed (status $prc)"; exit 125; }
    eval "$(printf '%s\n' "$envout" | grep -E '^KLAB_(KERNEL|INITRD|KVER)=')"
fi
QEMU=${KLAB_QEMU:-qemu-system-x86_64}
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "SKIP: qemu cannot run here: $QEMU not found" >&2; exit 77
fi
if ! qv=$(timeout 30 "$QEMU" --version 2>&1); then
    echo "SKIP: qemu cannot run here: '$QEMU --version' failed: $qv" >&2; exit 77
fi
if [ "$ACCEL" = kvm ] && ! [ -w /dev/kvm ]; then
    err "--accel kvm: /dev/kvm not usable, falling back to tcg"; ACCEL=tcg
fi

# ------------------------------------------------------------ control dir
TMPLOG=0
if [ -z "$LOGDIR" ]; then
    LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/kernel-lab.XXXXXX") || exit 125
    TMPLOG=1
else
    mkdir -p "$LOGDIR" || exit 125
    rm -f "$LOGDIR"/{config,cmd.sh,stdout,stderr,status,started,timedout,guest-error,dmesg.log,console.log}
fi
: > "$LOGDIR/stdout"; : > "$LOGDIR/stderr"; : > "$LOGDIR/console.log"

# The cwd and this checkout must be reachable in the guest: when they lie
# under a dir that is a tmpfs there, bind them back read-only.
CWD=$(pwd -P)
under() { case $1/ in "$2"/*) return 0 ;; esac; return 1; }
auto_ro() {
    local d=$1 p t
    for p in "${RW[@]}" "${RO[@]}"; do under "$d" "$p" && return 0; done
    for t in /tmp /run /var/run "${TMPFS[@]}"; do
        if under "$d" "$t"; then RO+=("$d"); return 0; fi
    done
}
auto_ro "$CWD"
auto_ro "$(cd "$HERE/../.." && pwd -P)"
# Called through a tree of links (OVS_BUILD/dpfip/ links to each file of
# the checkout): the files themselves are in the real checkout.
auto_ro "$(cd "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../.." && pwd -P)"
sort_by_len() { printf '%s\n' "$@" | awk 'NF { print length($0) " " $0 }' | sort -n -u | cut -d' ' -f2-; }

{
    echo "KLAB_TIMEOUT=$TIMEOUT"
    rw=""; i=0
    # Shallow paths first so nested shares are mounted on top.
    while IFS= read -r p; do
        [ -n "$p" ] || continue
        rw="$rw rw$i:$p"; i=$((i + 1))
    done < <(sort_by_len "${RW[@]}")
    echo "KLAB_RW='${rw# }'"
    echo "KLAB_RO='$(sort_by_len "${RO[@]}" | tr '\n' ' ')'"
    echo "KLAB_TMPFS='${TMPFS[*]}'"
} > "$LOGDIR/config"

{
    echo '# generated by tests/kernel-lab/run.sh'
    export -p | grep -Ev '^declare -[a-z]*x (BASH[A-Z_]*|SHLVL|PWD|OLDPWD|_|SHELLOPTS)='
    echo 'export KLAB_GUEST=1'
    # kmod's modprobe finds the guest kernel's modules there (see init.sh).
    echo 'export MODPROBE_OPTIONS="-d /run/kernel-lab-modules${MODPROBE_OPTIONS:+ $MODPROBE_OPTIONS}"'
    printf 'cd -- %q || { echo "kernel-lab: cannot cd to %q in the guest" >&2; exit 126; }\n' "$CWD" "$CWD"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$LOGDIR/cmd.sh"

# ------------------------------------------------------------ qemu
VIRTFS=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
        -virtfs "local,path=$LOGDIR,mount_tag=klabctl,security_model=none,multidevs=remap")
for tp in $(sed -n "s/^KLAB_RW='\(.*\)'$/\1/p" "$LOGDIR/config"); do
    VIRTFS+=(-virtfs "local,path=${tp#*:},mount_tag=${tp%%:*},security_model=none,multidevs=remap")
done
CPU=${KLAB_CPU:-max}
[ "$ACCEL" = kvm ] && [ -z "${KLAB_CPU:-}" ] && CPU=host
QEMU_CMD=("$QEMU" -accel "$ACCEL" -cpu "$CPU" -m "$MEM" -smp "$SMP"
          -nodefaults -display none -no-reboot -monitor none
          -serial "file:$LOGDIR/console.log"
          -kernel "$KLAB_KERNEL" -initrd "$KLAB_INITRD"
          -append "console=ttyS0 quiet panic=-1 oops=panic"
          "${VIRTFS[@]}")
printf '%q ' "${QEMU_CMD[@]}" > "$LOGDIR/qemu.cmd"; echo >> "$LOGDIR/qemu.cmd"

# Host-side limit: the guest's own limit plus boot and setup.
HOST_LIMIT=$((TIMEOUT + ${KLAB_BOOT_MARGIN:-180}))
T0=$(date +%s.%N)
timeout -k 10 "$HOST_LIMIT" "${QEMU_CMD[@]}" </dev/null >"$LOGDIR/qemu.out" 2>&1 &
QPID=$!
TAILS=()
cleanup() {
    kill "$QPID" 2>/dev/null && { sleep 1; kill -KILL "$QPID" 2>/dev/null; }
    for t in "${TAILS[@]}"; do kill "$t" 2>/dev/null; done
}
trap 'cleanup; err "interrupted; logs in $LOGDIR"; exit 130' INT TERM
trap cleanup EXIT
tail -q -n +1 -s 0.2 --pid="$QPID" -f "$LOGDIR/stdout" & TAILS+=($!)
tail -q -n +1 -s 0.2 --pid="$QPID" -f "$LOGDIR/stderr" >&2 & TAILS+=($!)
if [ $VERBOSE = 1 ]; then
    tail -q -n +1 -s 0.2 --pid="$QPID" -f "$LOGDIR/console.log" >&2 & TAILS+=($!)
fi
wait "$QPID"; qrc=$?
T1=$(date +%s.%N)
for t in "${TAILS[@]}"; do wait "$t" 2>/dev/null; done
TAILS=()

elapsed=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }')
boot='?'
if [ -f "$LOGDIR/started" ]; then
    boot=$(awk -v a="$T0" -v b="$(stat -c %.9Y "$LOGDIR/started")" 'BEGIN { printf "%.1f", b - a }')
fi
echo "boot_s=$boot total_s=$elapsed qemu_rc=$qrc accel=$ACCEL" > "$LOGDIR/times"

fail_logs() {
    err "log dir: $LOGDIR (console.log, dmesg.log, qemu.out, qemu.cmd)"
    if [ -s "$LOGDIR/qemu.out" ]; then err "qemu said:"; tail -n 20 "$LOGDIR/qemu.out" >&2; fi
    err "last console lines:"; tail -n 30 "$LOGDIR/console.log" | tr -d '\r' >&2
}

if [ -f "$LOGDIR/timedout" ]; then
    err "TIMEOUT: the command did not finish within $TIMEOUT s in the guest (killed)"
    KEEP=1; fail_logs; rc=124
elif [ -f "$LOGDIR/status" ]; then
    rc=$(cat "$LOGDIR/status")
    [ "$rc" = 0 ] || KEEP=1
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
    err "TIMEOUT: the guest did not finish within $HOST_LIMIT s (boot or setup hung); qemu killed"
    KEEP=1; fail_logs; rc=124
else
    err "ERROR: the guest stopped without reporting a status (qemu status $qrc)"
    [ -s "$LOGDIR/guest-error" ] && err "guest: $(cat "$LOGDIR/guest-error")"
    KEEP=1; fail_logs; rc=125
fi
[ -n "${KLAB_TIMES:-}" ] || [ $VERBOSE = 1 ] && err "boot ${boot} s, total ${elapsed} s, status $rc"
if [ $TMPLOG = 1 ]; then
    if [ $KEEP = 1 ]; then err "logs kept in $LOGDIR"; else rm -rf "$LOGDIR"; fi
fi
exit "$rc"
