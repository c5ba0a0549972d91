#!/usr/bin/env bash
# stress_memory.sh - memory, deadlines and the HTTP threads under large batches (issue #17 rows 1, 2,
# 4, 5; short form in make test, SLOW_CLIENTS=300 for the long form in make stress):
#   1. slow readers: 40 clients POST a ResNet-50 x 256-budget grid (2.5 MB reply each) and read 1 KB
#      every 2 s, against --memory-budget 48MiB: RSS stays bounded (was 4.8 GB with 300 clients), the
#      ones past the budget get 503 + Retry-After, /healthz answers fast, the budget is back to 0 after.
#   2. one 4,096-layer x 256-budget grid: 422 limit-exceeded at once (--max-batch-layers), not 1.9 GB
#      and a 504 after 14 s.
#   3. two concurrent 4,096-layer grids whose every item fails validation, with the layer limit off and
#      a 3 s deadline: validated on the workers, so /healthz stays fast (was 3.9-9.8 s), /readyz stays 200
#      while busy, and both are answered 504 by about the deadline.
#   4. one queue bound for every solver: with the only worker held by a long job and queue-depth 4,
#      of 20 concurrent transformer maps with a 2 s deadline at most 4 + 2 are admitted (was 66 of 100:
#      decoded jobs went to libuv's unbounded queue), queue_depth reads at most 4, /readyz stays 200,
#      the admitted ones are answered 504 by ~2 s (was 8.2 s), and a job that waits says so in queue_ms.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"
SLOWREAD=${SLOWREAD:-$BUILD/stress/slowread}
CLIENTS=${SLOW_CLIENTS:-40}
export OPENBLAS_NUM_THREADS=1
if [ ! -x "$SLOWREAD" ]; then
    echo "stress_memory: $SLOWREAD not built (make $SLOWREAD)" >&2
    exit 1
fi

b=""
for i in $(seq 1 256); do b="$b\"$((64 + i * 4))KiB\","; done
printf '{"base":{"workload":"resnet50","batch":8,"hardware":"edge"},"grid":{"budgets":[%s]}}' "${b%,}" >"$TMP/r50.json"
L=""
for i in $(seq 1 4096); do L="$L{\"name\":\"c$i\",\"type\":\"conv\",\"K\":64,\"C\":64,\"Y\":28,\"X\":28,\"R\":3,\"S\":3,\"pad\":1},"; done
printf '{"base":{"workload":{"name":"deep","layers":[%s]},"batch":1,"hardware":"edge"},"grid":{"budgets":[%s]}}' \
    "${L%,}" "${b%,}" >"$TMP/deep.json"
b4=""
for i in $(seq 1 256); do b4="$b4\"${i}B\","; done
printf '{"base":{"workload":{"name":"deep","layers":[%s]},"batch":1,"hardware":"edge"},"grid":{"budgets":[%s]}}' \
    "${L%,}" "${b4%,}" >"$TMP/deepbad.json"
field() { sed -nE "s/.* $1=(-?[0-9]+).*/\1/p" <<<"$2"; }

# 1. slow readers against the memory budget
daemon_start m --per-ip-connections 0 --memory-budget 48MiB --deadline-ms 30000
out=$("$SLOWREAD" --port "${DPORT[m]}" --pid "${DPID[m]}" --body "$TMP/r50.json" --clients "$CLIENTS" \
    --read-bytes 1024 --read-ms 2000 --seconds 10 --after 2)
echo "# $out"
peak=$(field peak_rss_kib "$out")
n503=$(field status503 "$out")
n200=$(field status200 "$out")
[ "$peak" -lt 400000 ] && ok "slow readers: peak RSS $((peak / 1024)) MiB (bounded)" || not_ok "peak RSS $peak KiB"
[ "$n200" -ge 1 ] && ok "$n200 answered 200 within the budget" || not_ok "no 200 among $CLIENTS"
[ "$n503" -ge 1 ] && [ "$n503" -eq "$(field retry_after "$out")" ] && ok "$n503 past the budget: 503 + Retry-After" \
    || not_ok "503s: $n503, with Retry-After: $(field retry_after "$out")"
[ "$(field noanswer "$out")" -eq 0 ] && ok "every client got a status line" || not_ok "no answer: $(field noanswer "$out")"
[ "$(field healthz_max_ms "$out")" -lt 2000 ] && [ "$(field healthz_fail "$out")" -eq 0 ] \
    && ok "/healthz within $(field healthz_max_ms "$out") ms under the slow readers" || not_ok "/healthz: $out"
sleep 0.5
[ "$(metric m dnnfuser_memory_inflight_bytes)" -eq 0 ] && ok "the budget is back to 0 once they left" \
    || not_ok "memory in flight $(metric m dnnfuser_memory_inflight_bytes)"
[ "$(metric m dnnfuser_memory_refused_total)" -ge "$n503" ] && ok "refusals counted" || not_ok "memory_refused_total"

# 2. one huge grid: refused by the layer-items limit at once
t0=$(date +%s%N)
req m POST /v1/map/batch "@$TMP/deep.json"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$code" = 422 ] && has limit-exceeded && has '"pointer":"/grid"' && [ "$ms" -lt 3000 ] \
    && ok "4,096-layer x 256 grid: 422 limit-exceeded in $ms ms" || not_ok "huge grid: $code in $ms ms"
daemon_signal m TERM
daemon_wait m 30

# 3. validation off the HTTP threads, under the deadline
daemon_start v --per-ip-connections 0 --max-batch-layers 0 --deadline-ms 3000
"$SLOWREAD" --port "${DPORT[v]}" --pid "${DPID[v]}" --body "$TMP/deepbad.json" --clients 2 --seconds 15 --after 0 \
    >"$TMP/v.out" &
BGPIDS+=($!)
sleep 1
req v GET /readyz
ready=$code
wait "${BGPIDS[-1]}" || true
out=$(cat "$TMP/v.out")
echo "# $out"
[ "$ready" = 200 ] && ok "/readyz 200 while busy validating" || not_ok "/readyz $ready while busy"
[ "$(field healthz_max_ms "$out")" -lt 1000 ] && [ "$(field healthz_fail "$out")" -eq 0 ] \
    && ok "/healthz within $(field healthz_max_ms "$out") ms during two 4,096-layer validations" || not_ok "/healthz: $out"
[ "$(field status504 "$out")" -eq 2 ] && [ "$(field last_ms "$out")" -lt 5000 ] \
    && ok "both answered 504 by $(field last_ms "$out") ms for a 3 s deadline" || not_ok "deadline: $out"
daemon_signal v TERM
daemon_wait v 30
[ "$rc" -eq 0 ] && ok "exit 0 on SIGTERM" || not_ok "exit status $rc"

# 4. transformer jobs under the one bound
# a long job with a small body (parsed inline, so nothing overtakes it between stages): a GA at the
# work limit (population x generations = 2,000,000, about 5 s), stopped by its 4 s deadline
printf '{"workload":"resnet50","solver":"ga","ga":{"population":500,"generations":4000,"seed":1},"deadline_ms":4000}' \
    >"$TMP/long.json"
daemon_start t --workers 1 --queue-depth 4 --per-ip-connections 0
for _ in $(seq 1 100); do req t GET /readyz; [ "$code" = 200 ] && break; sleep 0.05; done
curl -s -o /dev/null --max-time 30 -H 'Content-Type: application/json' --data-binary "@$TMP/long.json" \
    "http://127.0.0.1:${DPORT[t]}/v1/map" &
BGPIDS+=($!)
sleep 0.5
TR='{"workload":"mobilenetv2","budget":"512KiB","batch":2,"solver":"transformer","deadline_ms":2000}'
pids=()
for i in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 20 -H 'Content-Type: application/json' -d "$TR" \
        "http://127.0.0.1:${DPORT[t]}/v1/map" >"$TMP/t.$i" &
    pids+=($!)
done
sleep 0.7
qd=$(metric t dnnfuser_queue_depth)
req t GET /readyz
ready=$code
wait "${pids[@]}" || true
n503=$(cat "$TMP"/t.* | grep -c '^503 ' || true)
n504=$(cat "$TMP"/t.* | grep -c '^504 ' || true)
slow=$(cat "$TMP"/t.* | awk '$1 == 504 && $2 > s {s = $2} END {print s + 0}')
echo "# 20 transformer maps, queue-depth 4, worker held: 503=$n503 504=$n504 slowest 504 ${slow} s, queue_depth $qd"
[ "$n503" -ge 14 ] && [ $((n503 + n504)) -eq 20 ] && ok "at most 6 of 20 admitted ($((20 - n503))), the rest 503" \
    || not_ok "admitted $((20 - n503)) of 20 with queue-depth 4 (503=$n503 504=$n504)"
[ "$qd" -ge 1 ] && [ "$qd" -le 4 ] && ok "queue_depth $qd while they wait (decoded ones count)" || not_ok "queue_depth $qd"
[ "$ready" = 200 ] && ok "/readyz 200 while merely busy" || not_ok "/readyz $ready while busy"
awk -v s="$slow" 'BEGIN {exit !(s < 3.5)}' && ok "a 2 s deadline answered 504 by ${slow} s" || not_ok "504 after $slow s"
# a transformer job that waits behind the long one is answered after it, with its wait in queue_ms
curl -s -o /dev/null --max-time 30 -H 'Content-Type: application/json' --data-binary "@$TMP/long.json" \
    "http://127.0.0.1:${DPORT[t]}/v1/map" &
BGPIDS+=($!)
sleep 0.5
req t POST /v1/map '{"workload":"mobilenetv2","budget":"512KiB","batch":2,"solver":"transformer","deadline_ms":20000}'
qms=$(sed -nE 's/.*"queue_ms":([0-9.]+).*/\1/p' "$TMP/body")
[ "$code" = 200 ] && awk -v q="${qms:-0}" 'BEGIN {exit !(q > 1000)}' && ok "timings.queue_ms $qms for a wait behind a long job (was under 0.1 ms)" \
    || not_ok "queue_ms ${qms:-?} (status $code)"
daemon_signal t TERM
daemon_wait t 30
finish stress-memory
