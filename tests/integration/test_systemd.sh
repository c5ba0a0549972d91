#!/usr/bin/env bash
# test_systemd.sh - the systemd units in systemd/ against systemd 252 and the real daemon:
# `systemd-analyze verify` finds nothing to say about either unit (skipped, not counted, when verify
# cannot run here), `systemd-analyze security --offline=yes` rates each unit's exposure <= 2.0,
# every flag and DNNFUSER_* variable the units pass exists in `dnnfuserd --help`, the units' command
# lines and the example config parse (`--print-config`), the template passes its instance as the
# port, and the two units' [Service] sections differ only where they must.
# Needs systemd-analyze (Debian package systemd, in the Makefile's DEB_PKGS). Runs in about 2 s.
# Usage: BUILD=build bash tests/integration/test_systemd.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
SD="$ROOT/systemd"
UNITS=(dnnfuserd.service dnnfuserd@.service)
MAX_EXPOSURE=2.0
DAEMON_ABS=$(cd "$(dirname "$DAEMON")" && pwd)/$(basename "$DAEMON")

if ! command -v systemd-analyze >/dev/null; then
    not_ok "systemd-analyze not found (Debian package systemd; run make deps)"
    finish systemd
    exit 1
fi
echo "# $(systemd-analyze --version | head -1)"

# exec_line UNIT KEY: the value of KEY= in UNIT (first occurrence, without the key).
unit_value() { sed -nE "s/^$2=//p" "$SD/$1" | head -1; }
# instance UNIT: the name to check it under (a template is checked as instance 8081).
instance() { [[ $1 == *@.service ]] && echo "${1%@.service}@8081.service" || echo "$1"; }

# --- systemd-analyze verify ---------------------------------------------------------------------
# Verify needs no running systemd, but it checks that ExecStart's binary exists: the units are
# copied with /usr/local/bin/dnnfuserd replaced by the freshly built daemon. It exits 0 even on
# unknown keys or bad values, so any output is a failure. A trivial unit first tells whether verify
# works at all on this machine (a container without /etc/systemd, an old systemd, ...).
mkdir -p "$TMP/units"
printf '[Unit]\nDescription=canary\n[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$TMP/units/dfcanary.service"
if canary=$(cd "$TMP/units" && timeout 30 systemd-analyze verify "$TMP/units/dfcanary.service" 2>&1) && [ -z "$canary" ]; then
    for u in "${UNITS[@]}"; do
        sed "s#/usr/local/bin/dnnfuserd#$DAEMON_ABS#" "$SD/$u" >"$TMP/units/$u"
    done
    for u in "${UNITS[@]}"; do
        name=$(instance "$u")
        rc=0
        out=$(cd "$TMP/units" && timeout 30 systemd-analyze verify "$TMP/units/$name" 2>&1) || rc=$?
        if [ "$rc" -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify $name: clean"
        else not_ok "systemd-analyze verify $name (exit $rc): $(head -5 <<<"$out")"; fi
    done
else
    echo "# skip: systemd-analyze verify does not work here (on a trivial unit it said: $(head -2 <<<"$canary" | tr '\n' ' ')); verify not checked"
fi

# --- systemd-analyze security --offline=yes --------------------------------------------------------
for u in "${UNITS[@]}"; do
    rc=0
    out=$(cd "$SD" && timeout 30 systemd-analyze security --no-pager --offline=yes "$SD/$u" 2>&1) || rc=$?
    score=$(sed -nE 's/.*Overall exposure level for [^:]+: ([0-9]+\.[0-9]+).*/\1/p' <<<"$out" | tail -1)
    if [ -z "$score" ]; then
        not_ok "systemd-analyze security --offline=yes $u gave no score (exit $rc): $(tail -3 <<<"$out")"
    elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
        ok "systemd-analyze security: $u exposure $score <= $MAX_EXPOSURE"
    else
        not_ok "systemd-analyze security: $u exposure $score > $MAX_EXPOSURE; the exposed items:"
        grep -E '^✗' <<<"$out" | sed 's/^/#   /'
    fi
done

# --- the units against the daemon -------------------------------------------------------------------
"$DAEMON" --help >"$TMP/help"
for u in "${UNITS[@]}"; do
    exec_start=$(unit_value "$u" ExecStart)
    read -r -a argv <<<"$exec_start"
    [ "${argv[0]}" = /usr/local/bin/dnnfuserd ] && ok "$u: ExecStart runs /usr/local/bin/dnnfuserd" \
        || not_ok "$u: ExecStart runs '${argv[0]}'"
    missing=""
    for a in "${argv[@]:1}"; do
        [[ $a == --* ]] || continue
        grep -Eq -- "^  ${a%%=*}( |,|$)" "$TMP/help" || missing="$missing $a"
    done
    for v in $(grep -Eo 'DNNFUSER_[A-Z_]+' "$SD/$u" | sort -u); do
        grep -Eq "env $v\$" "$TMP/help" || missing="$missing $v"
    done
    [ -z "$missing" ] && ok "$u: every flag and DNNFUSER_* variable it passes is in dnnfuserd --help" \
        || not_ok "$u: unknown to dnnfuserd --help:$missing"

    # the real command line (instance 8081, the example config) parses
    args=()
    for a in "${argv[@]:1}"; do
        a=${a//%i/8081}
        args+=("${a//\/etc\/dnnfuser\/dnnfuserd.conf/$SD/dnnfuserd.conf}")
    done
    rc=0
    env -i PATH="$PATH" OPENBLAS_NUM_THREADS=1 timeout 10 "$DAEMON" "${args[@]}" --print-config >"$TMP/print.$u" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then ok "$u: its command line parses with the example config (--print-config)"
    else not_ok "$u: dnnfuserd ${args[*]} --print-config exit $rc: $(head -3 "$TMP/print.$u")"; fi

    grep -qx 'Type=notify' "$SD/$u" && grep -Eqx 'WatchdogSec=[1-9][0-9]*s?' "$SD/$u" \
        && ok "$u: Type=notify with WatchdogSec" || not_ok "$u: not Type=notify with a WatchdogSec"
    grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$SD/$u" && ok "$u: reload sends SIGHUP" || not_ok "$u: ExecReload is not SIGHUP"
    grep -qx 'Environment=OPENBLAS_NUM_THREADS=1' "$SD/$u" && ok "$u: OpenBLAS single-threaded" \
        || not_ok "$u: no Environment=OPENBLAS_NUM_THREADS=1"
done
grep -qx 'port = 8081' "$TMP/print.dnnfuserd@.service" && ok "dnnfuserd@8081: the instance name is the port" \
    || not_ok "dnnfuserd@8081 does not listen on 8081: $(grep '^port' "$TMP/print.dnnfuserd@.service")"

# The stop timeout must outlast the daemon's drain, or systemd SIGKILLs a clean drain.
drain_ms=$(sed -nE 's/^drain-timeout-ms = ([0-9]+)$/\1/p' "$TMP/print.dnnfuserd.service")
stop_s=$(unit_value dnnfuserd.service TimeoutStopSec | sed -E 's/s$//')
[ -n "$drain_ms" ] && [ -n "$stop_s" ] && [ $((stop_s * 1000)) -gt "$drain_ms" ] \
    && ok "TimeoutStopSec ${stop_s}s outlasts drain-timeout-ms $drain_ms" \
    || not_ok "TimeoutStopSec '${stop_s}' vs drain-timeout-ms '${drain_ms}'"

# The example config on its own, and every key in it known.
rc=0
timeout 10 "$DAEMON" --config "$SD/dnnfuserd.conf" --print-config >"$TMP/print.conf" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -qx 'bind = 127.0.0.1' "$TMP/print.conf" \
    && ok "systemd/dnnfuserd.conf parses (--print-config) and binds 127.0.0.1" \
    || not_ok "systemd/dnnfuserd.conf: exit $rc: $(head -3 "$TMP/print.conf")"

# The template's [Service] section is the single unit's but for the instance lines.
service_of() { sed -n '/^\[Service\]/,/^\[/p' "$SD/$1" | grep -Ev '^(#|$|ExecStart=|EnvironmentFile=)'; }
if d=$(diff <(service_of dnnfuserd.service) <(service_of dnnfuserd@.service)); then
    ok "the two units' [Service] settings agree (but ExecStart, EnvironmentFile)"
else
    not_ok "the units' [Service] settings differ: $(head -6 <<<"$d" | tr '\n' ' ')"
fi

finish systemd
