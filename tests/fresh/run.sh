#!/usr/bin/env bash
# tests/fresh/run.sh - the pristine-root check (make check-fresh; issue #10). Proves that the README's
# two commands work on a fresh Debian 12 machine, which CI cannot: CI runs on a machine that already
# has the packages.
#
#   bash tests/fresh/run.sh [run|test|both]     (default both; needs root, debootstrap, network to
#                                                the Debian mirror of this machine's apt sources)
#
# 1. Once, and cached: debootstrap --variant=minbase bookworm, plus only git, make, ca-certificates
#    and sudo, and an unprivileged user `dev` with password-less sudo (a new user's machine), packed
#    as $FRESH_CACHE/bookworm-minbase.tar. The mirror is read from this machine's apt sources
#    (never written into the repository).
# 2. For each command: unpack the tarball into a new root, clone this checkout's HEAD into
#    /home/dev/dnnfuser, and run the command exactly as the README's "two commands" section writes
#    it, as dev, from the clone. It passes when the command exits 0 and, for the test command, its
#    output has the line "tests: N passed, 0 failed" with N > 0.
# Prints per command: wall time, packages installed by it and their download/disk size, then a line
# "fresh: N passed, M failed". Logs stay in $FRESH_CACHE/logs/.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CACHE=${FRESH_CACHE:-/var/cache/dnnfuser-fresh}
SUITE=bookworm
TARBALL=$CACHE/$SUITE-minbase.tar
which=${1:-both}
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
finish() { echo "fresh: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

if [ "$(id -u)" != 0 ]; then echo "fresh: needs root (debootstrap, chroot, mounts)" >&2; not_ok "run as root"; finish; fi
case "$which" in run|test|both) ;; *) echo "usage: $0 [run|test|both]" >&2; exit 2 ;; esac

# --- the README's two commands: the indented code lines of its "## The two commands" section -----
mapfile -t CMDS < <(bash "$SRC/tests/tools/readme_commands.sh" "$SRC/README.md")
if [ "${#CMDS[@]}" -ne 2 ]; then
    not_ok "README's two-commands section has ${#CMDS[@]} command lines, want 2"; finish
fi
RUN_CMD=${CMDS[0]}; TEST_CMD=${CMDS[1]}
echo "# run command:  $RUN_CMD"
echo "# test command: $TEST_CMD"
if [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "# note: the checkout has uncommitted changes; the roots get HEAD ($(git -C "$SRC" rev-parse --short HEAD)) only"
fi

# --- the mirror this machine's apt uses for the main suite ---------------------------------------
mirror() {
    local m=""
    if [ -r /etc/apt/sources.list ]; then
        m=$(awk '$1=="deb" && $3=="'$SUITE'" {print $2; exit}' /etc/apt/sources.list)
    fi
    if [ -z "$m" ]; then
        # deb822: the URIs of the stanza whose Suites name the bare suite
        m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
            /^URIs:/ {u=$2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "'$SUITE'") s=1}
            /^$/ {if (s && u != "") {print u; exit} u=""; s=0}
            END {if (s && u != "") print u}' | head -1)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

# --- step 1: the cached pristine tarball ---------------------------------------------------------
mkdir -p "$CACHE/logs"
if [ ! -s "$TARBALL" ]; then
    command -v debootstrap >/dev/null || {
        echo "# installing debootstrap (Debian package) on this machine"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; } >/dev/null 2>&1
    }
    command -v debootstrap >/dev/null || { not_ok "debootstrap not available"; finish; }
    M=$(mirror)
    echo "# debootstrap --variant=minbase $SUITE (mirror $M), once; cached as $TARBALL"
    base=$(mktemp -d "$CACHE/base.XXXXXX")
    t0=$(date +%s)
    if ! debootstrap --variant=minbase --include=git,make,ca-certificates,sudo "$SUITE" "$base" "$M" \
            >"$CACHE/logs/debootstrap.log" 2>&1; then
        tail -20 "$CACHE/logs/debootstrap.log"; rm -rf "$base"; not_ok "debootstrap"; finish
    fi
    chroot "$base" useradd -m -s /bin/bash dev
    echo 'dev ALL=(ALL) NOPASSWD:ALL' >"$base/etc/sudoers.d/dev"; chmod 440 "$base/etc/sudoers.d/dev"
    chroot "$base" apt-get clean
    tar -C "$base" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$base"
    echo "# pristine root made in $(( $(date +%s) - t0 )) s: $(du -sh "$TARBALL" | cut -f1) tar"
fi

# --- step 2: one command in one fresh root -------------------------------------------------------
ROOT=""
cleanup() {
    [ -n "$ROOT" ] || return 0
    for m in dev/pts dev/shm dev proc sys; do umount -l "$ROOT/$m" 2>/dev/null; done
    rm -rf --one-file-system "$ROOT"; ROOT=""
}
trap cleanup EXIT INT TERM

in_root() { # NAME CMD: runs CMD as dev in /home/dev/dnnfuser of a fresh root
    local name=$1 cmd=$2 log="$CACHE/logs/$1.log" rc t0 t1
    ROOT=$(mktemp -d "$CACHE/root.XXXXXX")
    tar -C "$ROOT" -xf "$TARBALL" && chmod 755 "$ROOT"   # mktemp made it 0700: dev must reach /
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    mount -t proc proc "$ROOT/proc" && mount -t sysfs sys "$ROOT/sys" && mount --bind /dev "$ROOT/dev" &&
        mount --bind /dev/pts "$ROOT/dev/pts" && mount -t tmpfs shm "$ROOT/dev/shm" ||
        { not_ok "$name: mounts in the fresh root"; cleanup; return; }
    git clone -q "$SRC" "$ROOT/home/dev/dnnfuser" && chroot "$ROOT" chown -R dev:dev /home/dev/dnnfuser ||
        { not_ok "$name: clone"; cleanup; return; }
    local pk0 du0
    pk0=$(chroot "$ROOT" dpkg-query -W -f='${Status}\n' | grep -c 'install ok installed')
    du0=$(du -sxm "$ROOT" | cut -f1)
    echo "# $name: $cmd"
    t0=$(date +%s)
    # a login-like environment for dev: nothing inherited from this machine's shell
    chroot --userspec=dev:dev "$ROOT" /usr/bin/env -i HOME=/home/dev USER=dev LOGNAME=dev SHELL=/bin/bash \
        PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin LANG=C.UTF-8 CI="${CI:-}" \
        /bin/bash -c "cd /home/dev/dnnfuser && $cmd" >"$log" 2>&1 </dev/null
    rc=$?
    t1=$(date +%s)
    local pk1 du1 dl
    pk1=$(chroot "$ROOT" dpkg-query -W -f='${Status}\n' | grep -c 'install ok installed')
    du1=$(du -sxm "$ROOT" | cut -f1)
    dl=$(grep -h '^deps: Need to get' "$log" | sed -E 's/^deps: Need to get ([^ ]+ [^ ]+).*/\1/' | paste -sd+ -)
    echo "# $name: exit $rc after $((t1 - t0)) s; installed $((pk1 - pk0)) packages (download ${dl:-0 B}); root grew $((du1 - du0)) MB (clone and build included); log $log"
    tail -3 "$log" | sed 's/^/#   /'
    if [ $rc -ne 0 ]; then
        not_ok "$name: '$cmd' exits 0 in a pristine root (exit $rc)"
    else
        ok "$name: '$cmd' exits 0 in a pristine root"
    fi
    if [ "$name" = test ]; then
        local line
        line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
        if [[ "$line" =~ ^tests:\ ([0-9]+)\ passed,\ 0\ failed ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
            ok "test: the suite reports '$line'"
        else
            not_ok "test: the suite's summary line is '${line:-missing}', want 'tests: N passed, 0 failed'"
        fi
    fi
    cleanup
}

case "$which" in run|both) in_root run "$RUN_CMD" ;; esac
case "$which" in test|both) in_root test "$TEST_CMD" ;; esac
finish
