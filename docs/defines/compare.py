#!/usr/bin/env python3
"""compare.py - the side-by-side tables of COMPARISON.md from defines_results.csv (DeFiNES) and
ours_results.csv (dnnfuser, docs/defines/run_ours.sh). Dev-time only (make test never runs it); prints
markdown on stdout. Usage: /usr/bin/python3 docs/defines/compare.py [DEFINES.csv OURS.csv]"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0 + 1
        i = j + 1
    return r


def spearman(a, b):
    if len(a) < 3:
        return None
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else None


def f(x, d=0):
    return f"{x:,.{d}f}"


def main():
    dpath = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "defines_results.csv")
    opath = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "ours_results.csv")
    budget = sys.argv[3] if len(sys.argv) > 3 else "2097152"
    de, ours = load(dpath), [r for r in load(opath) if r["budget_bytes"] == budget]
    print(f"Our budget: {int(budget) / 2**20:g} MiB.\n")
    pairs = []
    for r in de:
        k = (r["workload"], r["hardware"])
        if k not in pairs:
            pairs.append(k)
    summary = []
    for wl, hw in pairs:
        drows = {r["schedule"]: r for r in de if (r["workload"], r["hardware"]) == (wl, hw)}
        orows = {r["schedule"]: r for r in ours if (r["workload"], r["hardware"]) == (wl, hw)}
        dl, ol = drows.get("lbl"), orows.get("lbl")
        print(f"### {wl} on {hw}\n")
        print("energy in uJ, latency in Mcycles, DRAM in MB; `/lbl` = the point over the same tool's lbl; "
              "DeFiNES time = CPU s of the point; ours = solve ms (map) or wall ms of the whole `dnnfuser eval` "
              "process (fixed points, marked e); `fits` = our footprint within the 2 MiB budget "
              "(no: needs the MiB shown, the figures are those of a buffer that held it)\n")
        print("| schedule | DeFiNES energy | ours | DeFiNES /lbl | ours /lbl | DeFiNES lat | ours | DeFiNES /lbl | ours /lbl "
              "| DeFiNES DRAM | ours | DeFiNES /lbl | ours /lbl | fits | DeFiNES s | ours ms | time ratio |")
        print("|---" * 17 + "|")
        scheds = ["lbl", "batch_exact", "df_exact_energy", "df_exact_latency"] + [s for s in drows if s.startswith("df(")]
        de_e, ou_e, de_d, ou_d, de_l, ou_l, fit = [], [], [], [], [], [], []
        for s in scheds:
            d, o = drows.get(s), orows.get(s)
            if not d and not o:
                continue
            cells = [s]
            for key, scale, dd in (("energy_pj", 1e6, 0), ("latency_cycles", 1e6, 2), ("dram_bytes", 1e6, 2)):
                dv = float(d[key]) / scale if d else None
                ov = float(o[key]) / scale if o else None
                dr = dv / (float(dl[key]) / scale) if d and dl else None
                orr = ov / (float(ol[key]) / scale) if o and ol else None
                cells += [f(dv, dd) if dv is not None else "", f(ov, dd) if ov is not None else "",
                          f"{dr:.3f}" if dr is not None else "", f"{orr:.3f}" if orr is not None else ""]
            fits = ""
            if o:
                fits = "yes" if o["feasible"] == "true" else f"no ({float(o['peak_buffer_bytes']) / 2**20:.1f})"
            cells.append(fits)
            dcpu = float(d["cpu_seconds"]) if d else None
            if o and o["solve_ms"]:
                oms, mark = float(o["solve_ms"]), ""
            elif o:
                oms, mark = float(o["wall_ms"]), " e"
            else:
                oms, mark = None, ""
            cells.append(f(dcpu, 1) if dcpu is not None else "")
            cells.append(f"{oms:g}{mark}" if oms is not None else "")
            cells.append(f"{dcpu * 1000 / oms:,.0f}x" if dcpu and oms else "")
            print("| " + " | ".join(cells) + " |")
            if d and o and s.startswith("df("):
                de_e.append(float(d["energy_pj"]))
                ou_e.append(float(o["energy_pj"]))
                de_d.append(float(d["dram_bytes"]))
                ou_d.append(float(o["dram_bytes"]))
                de_l.append(float(d["latency_cycles"]))
                ou_l.append(float(o["latency_cycles"]))
                fit.append(o["feasible"] == "true")
        print()
        study = sum(float(r["cpu_seconds"]) for r in drows.values() if r["cpu_seconds"])
        dfx = orows.get("df_exact_energy")
        best = min(drows.values(), key=lambda r: float(r["energy_pj"]))
        se, sd, sl = spearman(de_e, ou_e), spearman(de_d, ou_d), spearman(de_l, ou_l)
        sub = lambda v: [x for x, k in zip(v, fit) if k]
        fe, fd, fl = spearman(sub(de_e), sub(ou_e)), spearman(sub(de_d), sub(ou_d)), spearman(sub(de_l), sub(ou_l))
        line = (f"DeFiNES study: {len(drows)} points, {study:,.0f} CPU s; its least-energy point {best['schedule']} "
                f"{float(best['energy_pj']) / 1e6:,.0f} uJ. Ours: the exact depth-first optimum over every grouping, "
                f"tile candidate and mode in {float(dfx['solve_ms']):g} ms ({study * 1000 / float(dfx['solve_ms']):,.0f}x "
                f"less than the study, {float(best['cpu_seconds']) * 1000 / float(dfx['solve_ms']):,.0f}x less than "
                f"its one point), {float(dfx['energy_pj']) / 1e6:,.0f} uJ, mapping `{dfx['mapping']}`.")
        if se is not None:
            line += (f" Rank agreement (Spearman) over the {len(de_e)} fixed schedules: energy {se:.2f}, "
                     f"DRAM {sd:.2f}, latency {sl:.2f}")
            if fe is not None:
                line += (f"; over the {sum(fit)} that fit our budget: energy {fe:.2f}, DRAM {fd:.2f}, "
                         f"latency {fl:.2f}")
            line += "."
        print(line + "\n")
        summary.append((wl, hw, dl, ol, best, dfx, study, fe, fd, fl))
    print("### Summary\n")
    print("| workload | hardware | DeFiNES best-energy point /lbl (energy, DRAM) | ours df exact /lbl (energy, DRAM) "
          "| DeFiNES study CPU s | ours df exact ms | ratio | Spearman energy / DRAM / latency (points that fit) |")
    print("|---|---|---|---|---|---|---|---|")
    for wl, hw, dl, ol, best, dfx, study, se, sd, sl in summary:
        dr = (f"{float(best['energy_pj']) / float(dl['energy_pj']):.3f}, {float(best['dram_bytes']) / float(dl['dram_bytes']):.3f}"
              if dl else "no lbl")
        orr = f"{float(dfx['energy_pj']) / float(ol['energy_pj']):.3f}, {float(dfx['dram_bytes']) / float(ol['dram_bytes']):.3f}"
        sp = " / ".join(f"{x:.2f}" if x is not None else "-" for x in (se, sd, sl))
        print(f"| {wl} | {hw} | {best['schedule']}: {dr} | {orr} | {study:,.0f} | {float(dfx['solve_ms']):g} "
              f"| {study * 1000 / float(dfx['solve_ms']):,.0f}x | {sp} |")


if __name__ == "__main__":
    main()
