#!/usr/bin/env python3
"""Summarize defines_results.csv as Markdown (dev-time tool): per workload and hardware, lbl, DeFiNES's
whole-tensor corner, the best point per overlap mode and overall by energy, and the study's solve times.
usage: summarize.py [defines_results.csv]"""
import csv
import sys
from collections import defaultdict


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/defines/defines_results.csv"
    rows = list(csv.DictReader(open(path)))
    groups = defaultdict(list)
    for r in rows:
        for k in ("energy_pj", "latency_cycles", "dram_bytes", "solve_seconds"):
            r[k] = float(r[k])
        r["cpu_seconds"] = float(r["cpu_seconds"]) if r["cpu_seconds"] else None
        groups[(r["workload"], r["hardware"])].append(r)
    for (wl, hw), rs in groups.items():
        lbl = next((r for r in rs if r["schedule"] == "lbl"), None)
        print(f"### {wl} on {hw} ({len(rs)} points)\n")
        print("| schedule | energy (uJ) | vs lbl | latency (Mcycles) | vs lbl | DRAM (MB) | vs lbl | wall s | CPU s |")
        print("|---|---|---|---|---|---|---|---|---|")
        def line(r, tag=""):
            def rel(k):
                return f"{r[k] / lbl[k]:.3f}x" if lbl else ""
            cpu = f"{r['cpu_seconds']:.0f}" if r["cpu_seconds"] is not None else "n/a"
            print(f"| {r['schedule']}{tag} | {r['energy_pj'] / 1e6:,.0f} | {rel('energy_pj')} | "
                  f"{r['latency_cycles'] / 1e6:.2f} | {rel('latency_cycles')} | {r['dram_bytes'] / 1e6:.2f} | "
                  f"{rel('dram_bytes')} | {r['solve_seconds']:.0f} | {cpu} |")
        for r in sorted(rs, key=lambda r: (r["mode"], -int(r["tilex"]) * int(r["tiley"]) if r["schedule"] != "lbl" else -1e18)):
            line(r)
        df = [r for r in rs if r["schedule"] != "lbl"]
        if not df:
            print("\nOnly lbl was run here.\n")
            continue
        be = min(df, key=lambda r: r["energy_pj"])
        bl = min(df, key=lambda r: r["latency_cycles"])
        bd = min(df, key=lambda r: r["dram_bytes"])
        wall = sum(r["solve_seconds"] for r in rs)
        cpus = [r["cpu_seconds"] for r in rs if r["cpu_seconds"] is not None]
        print(f"\nBest energy: {be['schedule']}; best latency: {bl['schedule']}; least DRAM: {bd['schedule']}. "
              f"Study: {wall:,.0f} s wall, {sum(cpus):,.0f} s CPU over {len(cpus)} points with CPU times; "
              f"per point {min(r['solve_seconds'] for r in rs):.0f}-{max(r['solve_seconds'] for r in rs):.0f} s wall"
              + (f", {min(cpus):.0f}-{max(cpus):.0f} s CPU" if cpus else "") + ".\n")


if __name__ == "__main__":
    main()
