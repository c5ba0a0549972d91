#!/usr/bin/env python3
"""Evaluate ONE DeFiNES schedule point and print one CSV row (dev-time tool, never run by make test).

Owns: driving an external DeFiNES checkout (KULeuven-MICAS/DeFiNES, passed with --defines) through its own
stage pipeline for one (workload, accelerator, tile, overlap mode) and reducing its per-layer results to
totals: energy (pJ), latency (cycles, sum over layers of DeFiNES's latency_total1, as its artifact plots do),
DRAM traffic (bytes: element moves at the DRAM level times their precision, plus DRAM legs of the
data-copy actions of the caching modes), the wall-clock solve time of the point and its CPU time
(the machine may be shared: CPU time is the load-independent figure).
Nothing from DeFiNES is copied here; it is imported from the checkout at run time.

Usage: defines_point.py --defines DIR --hw NAME --wl NAME --tilex X --tiley Y --mode {1,2,3} [--lpf N]
  mode 1 = fully recompute, 2 = H-cached V-recompute, 3 = fully cached (DeFiNES main.py --dfmode digits).
  lbl (layer-by-layer) = a tile equal to the whole output feature map (one tile, nothing to overlap).
Output (stdout, one line, no header):
  workload,hardware,schedule,energy_pj,latency_cycles,dram_bytes,solve_seconds,cpu_seconds,lpf,tilex,tiley,mode,stack_cuts
"""
import argparse
import logging
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--defines", required=True, help="path of a DeFiNES checkout")
    p.add_argument("--hw", required=True, help="accelerator module under inputs/HW, e.g. Meta_prototype_DF")
    p.add_argument("--wl", required=True, help="workload module, e.g. workload_fsrcnn")
    p.add_argument("--wl-dir", default=None,
                   help="folder under inputs/WL holding the workload (default: --hw without a _DF suffix)")
    p.add_argument("--tilex", type=int, required=True)
    p.add_argument("--tiley", type=int, required=True)
    p.add_argument("--mode", choices=("1", "2", "3"), required=True)
    p.add_argument("--lpf", type=int, default=6, help="DeFiNES loma_lpf_limit (its artifact: 8; its main.py: 6)")
    p.add_argument("--label", default=None, help="schedule label (default: df(X,Y,modename))")
    p.add_argument("--breakdown", action="store_true", help="also print DRAM bytes per layer/operand on stderr")
    p.add_argument("--each-layer-alone", action="store_true",
                   help="lbl by construction: evaluate every layer as a one-layer workload (its inputs read from "
                        "DRAM, its output written to DRAM, whole-tensor tile) and sum; tile/mode are ignored")
    p.add_argument("--cut-every-layer", action="store_true",
                   help="make every layer its own stack (feature maps between stacks go through DRAM); with a "
                        "whole-tensor tile this is strict layer-by-layer, dnnfuser's lbl")
    return p.parse_args()


MODES = {"1": (False, False, "recompute"), "2": (True, False, "cache_rows"), "3": (True, True, "cache_all")}


def dram_bytes(results, dram_name="dram", breakdown=None):
    """Bytes moved to/from the memory level named dram_name, over all layers and tiles.
    breakdown, if a dict, receives bytes per (layer, operand, direction)."""
    from classes.depthfirst.data_copy_layer import DataCopyLayer
    bits = 0
    for total, (_cuts, per_tile) in results:
        for (cme, _info), repeat in per_tile:
            if isinstance(total, DataCopyLayer):
                for act in cme.data_copy_actions:
                    # data_amount is in bits. Like DeFiNES's own copy energy (DataCopyAction.calc_energy_and_
                    # latency), walk the chain hop by hop until the destination: each hop is one read at the
                    # sender and one write at the receiver; a copy whose source is its destination moves nothing.
                    legs = 0
                    chain = act.data_copy_mem_chain
                    for i, (mem, _port) in enumerate(chain[:-1]):
                        if mem == act.data_dest_mem:
                            break
                        legs += (mem.name == dram_name) + (chain[i + 1][0].name == dram_name)
                    bits += act.data_amount * legs * repeat
                    if breakdown is not None and legs:
                        key = (str(total.id), "copy", "")
                        breakdown[key] = breakdown.get(key, 0) + act.data_amount * legs * repeat / 8
                continue
            core = cme.accelerator.get_core(cme.layer.core_allocation)
            for op, levels in cme.mapping.unit_mem_data_movement.items():
                mem_op = cme.layer.memory_operand_links[op]
                if core.get_memory_hierarchy_dict()[mem_op][len(levels) - 1].name != dram_name:
                    continue
                top = levels[-1]
                n, pr = top.data_elem_move_count, top.data_precision
                for d in ("rd_out_to_low", "wr_in_by_low", "rd_out_to_high", "wr_in_by_high"):
                    b = getattr(n, d) * getattr(pr, d) * repeat
                    bits += b
                    if breakdown is not None and b:
                        key = (str(cme.layer.id), op, d)
                        breakdown[key] = breakdown.get(key, 0) + b / 8
    return bits / 8


def implied_input(layer):
    """(IX, IY) the layer reads: (O-1)*stride + (F-1)*dilation + 1 from its equation_relations."""
    import re
    d = layer["loop_dim_size"]
    st = {"x": (1, 1), "y": (1, 1)}
    for rel in layer.get("equation_relations", []):
        m = re.fullmatch(r"\s*i([xy])\s*=\s*(\d+)\s*\*\s*o[xy]\s*\+\s*(\d+)\s*\*\s*f[xy]\s*", rel)
        if m:
            st[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    ix = (d["OX"] - 1) * st["x"][0] + (d.get("FX", 1) - 1) * st["x"][1] + 1
    iy = (d["OY"] - 1) * st["y"][0] + (d.get("FY", 1) - 1) * st["y"][1] + 1
    return ix, iy


def one_layer_workloads(wl):
    """One DeFiNES workload dict per computing layer: an input node shaped as what the layer reads, and the
    layer with every activation operand sourced from it (an add reads both operands from DRAM)."""
    import copy
    out = []
    for lid, layer in wl.items():
        if layer["equation"] == "input":
            continue
        layer = copy.deepcopy(layer)
        ix, iy = implied_input(layer)
        d = layer["loop_dim_size"]
        ch = d.get("C", d.get("G"))
        first = next(v for v in wl.values() if v["equation"] == "input")
        inp = {"equation": "input", "loop_dim_size": {"B": 1, "K": ch, "OY": iy, "OX": ix},
               "precision": 8, "core_allocation": first["core_allocation"],
               "memory_operand_links": first["memory_operand_links"]}
        layer["operand_source"] = {op: ([-1] if src else []) for op, src in layer["operand_source"].items()}
        for op, mapping in layer.get("operand_source_dimension_mapping", {}).items():
            for dim in ("C", "G"):
                if dim in mapping:
                    mapping[dim] = "K"  # the input node's channel loop
        out.append((lid, {-1: inp, lid: layer}))
    return out


def fixed_cuts_stage(cuts_of):
    """A DeFiNES stage that cuts the stacks after the layer ids cuts_of(workload) returns, in place of its
    DfStackCutIfWeightsOverflowStage (same yield shape: (cme, (cuts, extra)))."""
    from classes.stages.Stage import Stage

    class FixedCutsStage(Stage):
        def __init__(self, list_of_callables, *, accelerator, workload, **kwargs):
            super().__init__(list_of_callables, **kwargs)
            self.accelerator, self.workload = accelerator, workload

        def run(self):
            cuts = cuts_of(self.workload)
            sub = self.list_of_callables[0](self.list_of_callables[1:], accelerator=self.accelerator,
                                            workload=self.workload, df_stack_cuts=cuts, **self.kwargs)
            for cme, extra in sub.run():
                yield cme, (cuts, extra)
    return FixedCutsStage


def main():
    a = parse_args()
    root = os.path.abspath(a.defines)
    sys.path.insert(0, root)
    os.chdir(root)  # DeFiNES resolves its inputs.* modules relative to its checkout
    logging.basicConfig(level=logging.WARNING)
    logging.disable(logging.INFO)  # its modules force DEBUG on their own loggers; keep only warnings
    from classes.stages import (MainStage, WorkloadAndAcceleratorParserStage, DfStackCutIfWeightsOverflowStage,
                                DepthFirstStage, SpatialMappingConversionStage, RemoveExtraInfoStage,
                                MinimalEnergyStage, LomaStage, ZigZagCostModelStage)
    wl_dir = a.wl_dir or (a.hw[:-3] if a.hw.endswith("_DF") else a.hw)
    hcache, vcache, modename = MODES[a.mode]
    label = a.label or f"df({a.tilex},{a.tiley},{modename})"
    t0, c0 = time.monotonic(), time.process_time()
    if a.each_layer_alone:
        import importlib
        from classes.stages.Stage import Stage
        from classes.stages.MainInputParserStages import parse_accelerator_from_path
        from classes.workload.dnn_workload import DNNWorkload

        class GivenWorkloadStage(Stage):
            """Like DeFiNES's parser stage, but with a workload dict given in memory."""
            def __init__(self, list_of_callables, *, accelerator_path, workload_dict, **kwargs):
                super().__init__(list_of_callables, **kwargs)
                self.accelerator_path, self.workload_dict = accelerator_path, workload_dict

            def run(self):
                sub = self.list_of_callables[0](self.list_of_callables[1:],
                                                accelerator=parse_accelerator_from_path(self.accelerator_path),
                                                workload=DNNWorkload(self.workload_dict), **self.kwargs)
                yield from sub.run()

        wl = importlib.import_module(f"inputs.WL.{wl_dir}.{a.wl}").workload
        results = []
        for lid, one in one_layer_workloads(wl):
            results += MainStage([
                GivenWorkloadStage, fixed_cuts_stage(lambda w: []), DepthFirstStage,
                SpatialMappingConversionStage, RemoveExtraInfoStage, MinimalEnergyStage, LomaStage,
                ZigZagCostModelStage],
                accelerator_path=f"inputs.HW.{a.hw}", workload_dict=one, loma_lpf_limit=a.lpf,
                df_tilesize_x=100000, df_tilesize_y=100000,
                df_horizontal_caching=False, df_vertical_caching=False).run()
        report(a, results, time.monotonic() - t0, time.process_time() - c0, label if a.label else "lbl")
        return
    cut_stage = DfStackCutIfWeightsOverflowStage
    if a.cut_every_layer:
        from classes.workload.layer_node import InputLayerNode
        cut_stage = fixed_cuts_stage(
            lambda w: [n.id for n in w.topological_sort() if not isinstance(n, InputLayerNode)])
    results = MainStage([
        WorkloadAndAcceleratorParserStage, cut_stage, DepthFirstStage,
        SpatialMappingConversionStage, RemoveExtraInfoStage, MinimalEnergyStage, LomaStage, ZigZagCostModelStage],
        accelerator_path=f"inputs.HW.{a.hw}", workload_path=f"inputs.WL.{wl_dir}.{a.wl}",
        loma_lpf_limit=a.lpf, df_tilesize_x=a.tilex, df_tilesize_y=a.tiley,
        df_horizontal_caching=hcache, df_vertical_caching=vcache).run()
    report(a, results, time.monotonic() - t0, time.process_time() - c0, label)


def report(a, results, secs, cpu, label):
    energy = sum(t.energy_total for t, _ in results)
    latency = sum(t.latency_total1 for t, _ in results)
    cuts = results[0][1][0] if results else []
    wl = a.wl.replace("workload_", "")
    if a.breakdown:
        bd = {}
        dram_bytes(results, breakdown=bd)
        for (lid, op, d), b in sorted(bd.items()):
            print(f"dram layer {lid} {op} {d}: {b:.0f} bytes", file=sys.stderr)
    print(f"{wl},{a.hw},\"{label}\",{energy:.6g},{latency:.0f},{dram_bytes(results):.0f},{secs:.1f},{cpu:.1f},"
          f"{a.lpf},{a.tilex},{a.tiley},{a.mode},\"{' '.join(str(c) for c in cuts)}\"")


if __name__ == "__main__":
    main()
