#!/usr/bin/env python3
"""sweep_client.py - sweeps the on-chip budget for one network against a running dnnfuserd and
prints a table and the knee of the curve. Python 3 standard library only (urllib, json).

One POST /v1/map/batch with a base request and a grid over budgets does the whole sweep; each
budget comes back as a map reply (or a problem object when the budget is too small). --svg FILE
also asks for the same sweep as a picture (?format=svg).

    ./build/dnnfuserd &
    python3 examples/sweep_client.py                       # resnet50, edge, batch 8, 32 KiB..32 MiB
    python3 examples/sweep_client.py --workload mobilenetv2 --hardware mobile --solver exact --svg sweep.svg

The equivalent curl lines are in README.md ("Daemon").
"""
import argparse
import json
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
        sys.exit("sweep_client: %s -> HTTP %d: %s" % (url, e.code, msg))
    except urllib.error.URLError as e:
        sys.exit("sweep_client: cannot reach %s: %s (is dnnfuserd running?)" % (url, e.reason))


def doubling(lo_kib, hi_kib):
    """Budgets lo, 2 lo, 4 lo, ... up to hi, as size strings the daemon accepts."""
    out, v = [], lo_kib
    while v <= hi_kib:
        out.append("%dMiB" % (v // 1024) if v % 1024 == 0 else "%dKiB" % v)
        v *= 2
    return out


def main():
    ap = argparse.ArgumentParser(description="Budget sweep against dnnfuserd: table and knee.")
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="daemon base URL [%(default)s]")
    ap.add_argument("--workload", default="resnet50", help="zoo network [%(default)s]")
    ap.add_argument("--hardware", default="edge", help="hardware preset [%(default)s]")
    ap.add_argument("--batch", type=int, default=8, help="batch size [%(default)s]")
    ap.add_argument("--objective", default="latency", help="latency, energy, edp or dram [%(default)s]")
    ap.add_argument("--solver", default=None, help="exact, ga, lbl or transformer [the daemon's default]")
    ap.add_argument("--budgets", default=None,
                    help="comma list of sizes, e.g. 64KiB,1MiB [32KiB, 64KiB, ... 32MiB]")
    ap.add_argument("--within", type=float, default=5.0, metavar="PCT",
                    help="knee: smallest budget within PCT%% of the best latency [%(default)s]")
    ap.add_argument("--svg", metavar="FILE", help="also save the sweep picture (?format=svg)")
    a = ap.parse_args()

    budgets = a.budgets.split(",") if a.budgets else doubling(32, 32 * 1024)
    base = {"workload": a.workload, "hardware": a.hardware, "batch": a.batch, "objective": a.objective}
    if a.solver:
        base["solver"] = a.solver
    body = {"base": base, "grid": {"budgets": budgets}}
    reply = json.loads(post(a.url + "/v1/map/batch", body))

    rows = []
    print("%10s  %8s  %6s  %12s  %11s  %10s  %8s  %s" %
          ("budget", "feasible", "groups", "latency_ms", "energy_mJ", "DRAM_MB", "speedup", "path"))
    for item in sorted(reply["results"], key=lambda r: r["index"]):
        budget = budgets[item["index"]]
        if "metrics" not in item:  # a problem object: e.g. the budget cannot hold some layer alone
            print("%10s  %8s  %s" % (budget, "no", item.get("detail", item.get("title"))))
            continue
        m, gain = item["metrics"], item.get("gain") or {}
        lat_ms = m["latency_s"] * 1e3
        rows.append((item["hardware"]["buffer"], budget, lat_ms))
        print("%10s  %8s  %6d  %12.3f  %11.3f  %10.3f  %7.3fx  %s" %
              (budget, "yes" if item["feasible"] else "NO", len(item["groups"]), lat_ms, m["energy_pj"] / 1e9,
               m["dram_bytes"] / 1e6, gain.get("latency_x") or 0.0, item["path"]))

    if rows:
        # The knee: the smallest budget whose latency is within --within percent (default 5%) of the
        # best latency of the whole sweep (best = the lowest latency at any budget tried). Past it,
        # more on-chip memory buys less than that.
        best = min(r[2] for r in rows)
        knee = min((r for r in rows if r[2] <= best * (1 + a.within / 100)), key=lambda r: r[0])
        print("\nbest latency %.3f ms; knee (smallest budget within %g%% of it): %s at %.3f ms"
              % (best, a.within, knee[1], knee[2]))
    else:
        print("\nno budget gave a mapping")

    if a.svg:
        svg = post(a.url + "/v1/map/batch?format=svg", body)
        with open(a.svg, "wb") as f:
            f.write(svg)
        print("picture: %s" % a.svg)


if __name__ == "__main__":
    main()
