#!/usr/bin/env python3
"""defaults.py - the cost model against MAESTRO run with MAESTRO's OWN default settings and dataflow
templates (not the mapping files of compare.sh): its shipped hardware file data/hw/accelerator_1.m
(256 PEs, NoC 1000 elements/cycle, off-chip 50 elements/cycle, L1 100, L2 3000), the flags of its
run_example.sh (everything else at MAESTRO's defaults), and its ResNet-50 templates
data/mapping/Resnet50_{kcp_ws,yxp_os,rs}.m. Writes docs/maestro/defaults.csv and prints a summary.

Usage (development time only; MAESTRO is built outside this repository, nothing of it is committed):
  make && python3 tools/maestro/defaults.py --maestro-dir /path/to/maestro-checkout

Each MAESTRO layer runs alone (a crash loses one row, not the file). Our side: the same layer shape
(MAESTRO has no padding: pad 0, the given input size) as a one-layer workload, `dnnfuser map --solver
lbl --batch 1` on {"pes": "16x16", dataflow, NoC 1000 B/cycle, DRAM 50 B/cycle, 1-byte elements (so
bytes = MAESTRO's elements), 1 GiB buffer (MAESTRO does not enforce its L1/L2 sizes; it only warns),
noc_hops 1}; ours_array is the same with DRAM at 1e6 B/cycle (MAESTRO's runtime does not include the
off-chip bandwidth either)."""
import argparse, csv, json, os, re, statistics, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--maestro-dir", required=True, help="a built MAESTRO checkout (contains ./maestro, data/)")
ap.add_argument("--dnnfuser", default="build/dnnfuser")
ap.add_argument("--out", default="docs/maestro/defaults.csv")
a = ap.parse_args()
MD = os.path.abspath(a.maestro_dir)
TEMPLATES = [("Resnet50_kcp_ws.m", "ws"), ("Resnet50_yxp_os.m", "os"), ("Resnet50_rs.m", "rs")]


def layers_of(path):
    """(name, text of the block, dims) for every Layer block of a MAESTRO mapping file."""
    txt = open(path).read()
    out, i = [], 0
    for m in re.finditer(r"Layer\s+(\S+)\s*\{", txt):
        if m.start() < i:
            continue
        depth, j = 0, m.end() - 1
        while True:
            depth += {"{": 1, "}": -1}.get(txt[j], 0)
            j += 1
            if depth == 0:
                break
        block = txt[m.start():j]
        i = j
        d = dict((k, int(v)) for k, v in re.findall(r"\b([KCRSYXN])\s*:\s*(\d+)", block.split("Dataflow")[0]))
        st = re.search(r"Stride\s*\{\s*X:\s*(\d+),\s*Y:\s*(\d+)", block)
        d["stride"] = int(st.group(2)) if st else 1
        d["type"] = re.search(r"Type:\s*(\w+)", block).group(1)
        out.append((m.group(1), block, d))
    return out


def maestro_runtime(tmp, hw, block):
    with open(os.path.join(tmp, "one.m"), "w") as f:
        f.write("Network one {\n" + block + "\n}\n")
    csvf = os.path.join(tmp, "one.csv")
    if os.path.exists(csvf):
        os.remove(csvf)
    r = subprocess.run([os.path.join(MD, "maestro"), "--HW_file=" + hw,
                        "--Mapping_file=one.m", "--print_res=true", "--print_res_csv_file=true",
                        "--print_log_file=false"], cwd=tmp, capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not os.path.exists(csvf):
        return None, "maestro exit %d" % r.returncode
    rows = list(csv.reader(open(csvf)))
    hdr = [h.strip() for h in rows[0]]
    return (float(rows[1][hdr.index("Runtime (Cycles)")]), float(rows[1][hdr.index("Avg number of utilized PEs")])), ""


def ours(tmp, d, df, dram_bw):
    w = {"name": "one", "layers": [{"name": "l", "type": "conv", "K": d["K"], "C": d["C"], "Y": d["Y"], "X": d["X"],
                                    "R": d["R"], "S": d["S"], "stride": d["stride"], "pad": 0}]}
    h = {"pes": "16x16", "dataflow": df, "buffer": "1GiB", "dram_bw": dram_bw, "noc_bw": 1000, "noc_hops": 1,
         "elem_bytes": 1, "clock_hz": 1e9}
    json.dump(w, open(os.path.join(tmp, "w.json"), "w"))
    json.dump(h, open(os.path.join(tmp, "h.json"), "w"))
    res = json.loads(subprocess.run([a.dnnfuser, "map", "-w", os.path.join(tmp, "w.json"), "--hw",
                                     os.path.join(tmp, "h.json"), "--batch", "1", "--solver", "lbl", "--json"],
                                    check=True, capture_output=True, text=True).stdout)
    fig = json.loads(subprocess.run([a.dnnfuser, "layers", "-w", os.path.join(tmp, "w.json"), "--hw",
                                     os.path.join(tmp, "h.json"), "--json"], check=True, capture_output=True,
                                    text=True).stdout)[0]
    return res["groups"][0]["latency_cycles"], fig["compute_cycles"]


rows = []
with tempfile.TemporaryDirectory() as tmp:
    hw_a = os.path.join(MD, "data/hw/accelerator_1.m")
    hw_b = os.path.join(tmp, "no_offchip.m")  # the same file without its off-chip bandwidth line
    with open(hw_b, "w") as f:
        f.writelines(l for l in open(hw_a) if not l.startswith("offchip_bw_cstr"))
    for tf, df in TEMPLATES:
        for name, block, d in layers_of(os.path.join(MD, "data/mapping", tf)):
            if d["type"] != "CONV":
                continue
            ma, note = maestro_runtime(tmp, hw_a, block)
            mb, _ = maestro_runtime(tmp, hw_b, block)
            pes = "" if mb is None else mb[1]
            ma, mb = (None if ma is None else ma[0]), (None if mb is None else mb[0])
            lat, comp = ours(tmp, d, df, 50)
            arr, _ = ours(tmp, d, df, 1e6)
            rows.append([tf, df, name, d["K"], d["C"], d["Y"], d["X"], d["R"], d["S"], d["stride"],
                         "" if ma is None else int(ma), "" if mb is None else int(mb), int(comp), round(arr, 1),
                         round(lat, 1), "" if ma is None else round(lat / ma, 4), "" if mb is None else round(arr / mb, 4),
                         pes, note or "-"])
with open(a.out, "w", newline="") as f:
    f.write("# generated by tools/maestro/defaults.py: MAESTRO (its data/hw/accelerator_1.m, its run_example.sh flags,\n"
            "# its ResNet-50 templates) vs dnnfuser (16x16, NoC 1000, DRAM 50 or 1e6, 1-byte elements, noc_hops 1)\n")
    w = csv.writer(f)
    w.writerow(["template", "dataflow", "layer", "K", "C", "Y", "X", "R", "S", "stride", "maestro_runtime",
                "maestro_runtime_no_offchip", "ours_compute", "ours_array", "ours_latency_dram50", "ratio_shipped",
                "ratio_no_offchip", "maestro_avg_pes", "note"])
    w.writerows(rows)
for tf, df in TEMPLATES:
    rr = [r for r in rows if r[0] == tf]
    print("%s (%s): %d conv layers, %d MAESTRO failures" % (tf, df, len(rr), sum(1 for r in rr if r[10] == "")))
    for label, pick in (("all", lambda r: True), ("1x1", lambda r: r[7] == 1), ("RxR>1", lambda r: r[7] > 1)):
        for col, mcol, what in ((15, 10, "shipped hw: ours (DRAM 50)/MAESTRO"), (16, 11, "no off-chip: ours array/MAESTRO")):
            sel = [r for r in rr if pick(r) and r[col] != ""]
            if sel:
                rat = [r[col] for r in sel]
                ocol = 14 if col == 15 else 13
                print("  %-6s %-36s median %.3f [%.3f, %.3f], sum ratio %.3f (%d rows)" % (label, what,
                      statistics.median(rat), min(rat), max(rat), sum(r[ocol] for r in sel) / sum(r[mcol] for r in sel),
                      len(sel)))
