#!/usr/bin/env python3
"""table.py - the markdown table of docs/dfgain/README.md from bench_dfgain's CSV (dev-time only;
make test never runs it). Per network and budget: energy of the best depth-first mapping over the best
batch-only one (both exact, objective energy), DRAM likewise (objective dram), and the solve times.
Usage: /usr/bin/python3 docs/dfgain/table.py docs/dfgain/dfgain_edge.csv"""
import csv
import sys


def kib(b):
    b = int(b)
    return f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB"


def cell(r, what):
    if r["batch_status"] != "ok" and r["df_status"] == "ok":
        need = int(r["batch_need_bytes"] or 0)
        return "df only" + (f" (batch needs {need / 1024:.1f} KiB)" if need else "")
    if r["df_status"] != "ok":
        need = int(r["df_need_bytes"] or 0)
        return r["df_status"] + (f" (needs {need / 1024:.1f} KiB)" if need else "")
    return f"{float(r[what]):.3f}x"


rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by[(r["network"], r["budget_bytes"], r["objective"])] = r
print("| network | budget | energy df/batch | DRAM df/batch | batch solve ms (energy, dram) "
      "| df solve ms (energy, dram) | df mapping (objective energy) |")
print("|---|---|---|---|---|---|---|")
seen = []
for r in rows:
    k = (r["network"], r["budget_bytes"])
    if k in seen:
        continue
    seen.append(k)
    e, d = by.get(k + ("energy",)), by.get(k + ("dram",))
    if not e or not d:
        continue
    m = e["df_mapping"] if e["df_status"] == "ok" else ""
    tiled = [g for g in m.split() if "/" in g]
    desc = (f"{e['df_groups']} groups, {len(tiled)} tiled: " + " ".join(tiled[:3]) + (" ..." if len(tiled) > 3 else "")) if m else ""
    print(f"| {k[0]} | {kib(k[1])} | {cell(e, 'energy_df_over_batch')} | {cell(d, 'dram_df_over_batch')} "
          f"| {float(e['batch_solve_ms']):.3g}, {float(d['batch_solve_ms']):.3g} "
          f"| {float(e['df_solve_ms']):.3g}, {float(d['df_solve_ms']):.3g} | {desc} |")
