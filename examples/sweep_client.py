#!/usr/bin/env python3
"""sweep_client.py - sweeps the on-chip budget for one network against a running dnnfuserd and
prints a table and the knee of the curve. Python 3 standard library only (urllib, json).

One POST /v1/map/batch with a base request and a grid over budgets does the whole sweep; each
budget comes back as a map reply (or a problem object when the budget is too small). --svg FILE
also asks for the same sweep as a picture (?format=svg). The workload is a zoo name, a workload
JSON file or an ONNX model file (sent as base64 in "onnx"). Exit status: 0 when at least one budget
gave a mapping, 1 when none did (each distinct error is printed once), 2 on a bad request.

    ./build/dnnfuserd &
    python3 examples/sweep_client.py                       # resnet50, edge, batch 8, 32 KiB..32 MiB
    python3 examples/sweep_client.py --workload mobilenetv2 --hardware mobile --solver exact --svg sweep.svg
    python3 examples/sweep_client.py --workload tests/fixtures/onnx/resnet18.onnx --budgets 256KiB,1MiB,4MiB

The equivalent curl lines are in README.md ("Daemon").
"""
import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request


def post(url, body, accept_svg=False):
    """POST body as JSON; returns the reply bytes, or exits with the problem detail."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.read()
    except urllib.error.HTTPError as e:
        try:
            problem = json.loads(e.read())
            msg = "%s: %s (at %s)" % (problem.get("title"), problem.get("detail"), problem.get("pointer", "-"))
        except ValueError:
            msg = str(e)
        print("sweep_client: %s -> HTTP %d: %s" % (url, e.code, msg), file=sys.stderr)
        sys.exit(2)
    except urllib.error.URLError as e:
        sys.exit("sweep_client: cannot reach %s: %s (is dnnfuserd running?)" % (url, e.reason))


def doubling(lo_kib, hi_kib):
    """Budgets lo, 2 lo, 4 lo, ... up to hi, as size strings the daemon accepts."""
    out, v = [], lo_kib
    while v <= hi_kib:
        out.append("%dMiB" % (v // 1024) if v % 1024 == 0 else "%dKiB" % v)
        v *= 2
    return out


def workload_fields(spec):
    """The request's workload fields for a zoo name, a workload JSON file or an ONNX model file."""
    if not os.path.isfile(spec):
        return {"workload": spec}
    with open(spec, "rb") as f:
        data = f.read()
    if data.lstrip()[:1] in (b"{", b"["):
        doc = json.loads(data)
        return {"workload": doc.get("workload", doc) if isinstance(doc, dict) and "layers" not in doc else doc}
    return {"onnx": base64.b64encode(data).decode()}


def main():
    ap = argparse.ArgumentParser(description="Budget sweep against dnnfuserd: table and knee.")
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="daemon base URL [%(default)s]")
    ap.add_argument("--workload", default="resnet50",
                    help="zoo network, workload JSON file or ONNX model file [%(default)s]")
    ap.add_argument("--hardware", default="edge", help="hardware preset [%(default)s]")
    ap.add_argument("--batch", type=int, default=8, help="batch size [%(default)s]")
    ap.add_argument("--objective", default="latency", help="latency, energy, edp or dram [%(default)s]")
    ap.add_argument("--solver", default=None, help="auto, exact, ga, lbl or transformer [the daemon's default: auto]")
    ap.add_argument("--budgets", default=None,
                    help="comma list of sizes, e.g. 64KiB,1MiB [32KiB, 64KiB, ... 32MiB]")
    ap.add_argument("--gain", type=float, default=90.0, metavar="PCT",
                    help="knee: smallest budget from which every larger one has PCT%% of the sweep's latency "
                         "gain (the SVG's knee) [%(default)s]")
    ap.add_argument("--svg", metavar="FILE", help="also save the sweep picture (?format=svg)")
    a = ap.parse_args()

    budgets = a.budgets.split(",") if a.budgets else doubling(32, 32 * 1024)
    base = dict(workload_fields(a.workload), hardware=a.hardware, batch=a.batch, objective=a.objective)
    if a.solver:
        base["solver"] = a.solver
    body = {"base": base, "grid": {"budgets": budgets}}
    reply = json.loads(post(a.url + "/v1/map/batch", body))

    rows, errors = [], []
    print("%10s  %8s  %6s  %12s  %11s  %10s  %8s  %s" %
          ("budget", "feasible", "groups", "latency_ms", "energy_mJ", "DRAM_MB", "speedup", "path"))
    for item in sorted(reply["results"], key=lambda r: r["index"]):
        budget = budgets[item["index"]]
        if "metrics" not in item:  # a problem object: e.g. the budget cannot hold some layer alone
            # one error per cause (problem type, layer, bytes needed), not per budget
            key = (item.get("type"), item.get("layer"), item.get("need_bytes"), item.get("pointer", "").split("/")[1:2])
            if key not in [k for k, _, _ in errors]:
                errors.append((key, item.get("detail", item.get("title")), []))
            n = [k for k, _, _ in errors].index(key)
            errors[n][2].append(budget)
            print("%10s  %8s  (error %d below)" % (budget, "no", n + 1))
            continue
        m, gain = item["metrics"], item.get("gain") or {}
        lat_ms = m["latency_s"] * 1e3
        rows.append((item["hardware"]["buffer"], budget, lat_ms))
        print("%10s  %8s  %6d  %12.3f  %11.3f  %10.3f  %7.3fx  %s" %
              (budget, "yes" if item["feasible"] else "NO", len(item["groups"]), lat_ms, m["energy_pj"] / 1e9,
               m["dram_bytes"] / 1e6, gain.get("latency_x") or 0.0, item["path"]))

    if rows:
        # The knee, defined as the SVG picture's (df_svg_knee in src/report/svg.c): the smallest budget from
        # which every larger budget has at least --gain percent (default 90%) of the sweep's latency gain
        # (worst - best); none when the latency moves by less than 0.5% over the sweep.
        best, worst = min(r[2] for r in rows), max(r[2] for r in rows)
        near = best + (1 - a.gain / 100) * (worst - best)
        knee = None
        if len(rows) >= 3 and worst > best * 1.005:
            for r in sorted(rows, key=lambda r: r[0]):
                if r[2] <= near and all(q[2] <= near for q in rows if q[0] > r[0]):
                    knee = r
                    break
        if knee:
            print("\nbest latency %.3f ms; knee (%g%% of the sweep's gain from here on): %s at %.3f ms"
                  % (best, a.gain, knee[1], knee[2]))
        else:
            print("\nbest latency %.3f ms; no knee (the latency moves by less than 0.5%% over the sweep)" % best)
    for i, (_, detail, where) in enumerate(errors):
        print("error %d (%s): %s" % (i + 1, ", ".join(where), detail), file=sys.stderr if not rows else sys.stdout)
    if not rows:
        print("sweep_client: no budget gave a mapping", file=sys.stderr)
        sys.exit(1)

    if a.svg:
        svg = post(a.url + "/v1/map/batch?format=svg", body)
        with open(a.svg, "wb") as f:
            f.write(svg)
        print("picture: %s" % a.svg)


if __name__ == "__main__":
    main()
