#!/usr/bin/env python3
"""make_corpus.py - dev-time generator of the seed corpora in tests/fuzz/corpus/<target>/ (the
outputs are committed; the tests never run this). Sources: examples/*.json, the zoo workloads and
real mappings from the CLI (build/dnnfuser), the request bodies of tests/integration/test_daemon.sh,
and hand-written invalid and adversarial inputs. The weights seeds come from `make fuzz-seeds`.
Usage: make && python3 tests/fuzz/make_corpus.py"""
import glob
import json
import os
import subprocess

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLI = os.path.join(ROOT, "build", "dnnfuser")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def cli_json(*args):
    return json.loads(subprocess.run([CLI, *args], check=True, capture_output=True).stdout)


# ---- workloads ----------------------------------------------------------------------------------
for p in sorted(glob.glob(os.path.join(ROOT, "examples", "*.json"))):
    with open(p) as f:
        obj = json.load(f)
    if "layers" in obj:
        write("fuzz_workload", "example_" + os.path.basename(p), compact(obj))
for name in ["resnet18", "resnet50", "mobilenetv2", "mnasnet", "vgg16", "efficientnet_b0"]:
    write("fuzz_workload", "zoo_" + name + ".json", compact(cli_json("zoo", name, "--json")))
write("fuzz_workload", "zoo_bert_base_seq8.json", compact(cli_json("zoo", "bert_base", "--json", "--seq-len", "8")))
bad_workloads = {
    "neg_dim.json": '{"layers":[{"type":"conv","K":-4,"C":3,"Y":8,"X":8}]}',
    "zero_dim.json": '{"layers":[{"type":"conv","K":0,"C":3,"Y":8,"X":8}]}',
    "huge_dims.json": '{"layers":[{"type":"conv","K":16777216,"C":16777216,"Y":16777216,"X":16777216,"R":3}]}',
    "int64_max.json": '{"layers":[{"type":"fc","K":9223372036854775807,"C":1}]}',
    "float_dim.json": '{"layers":[{"type":"fc","K":1e308,"C":2.5}]}',
    "forward_ref.json": '{"layers":[{"type":"fc","K":4,"C":4,"inputs":[1]},{"type":"fc","K":4,"C":4,"inputs":[0]}]}',
    "self_ref.json": '{"layers":[{"type":"add","K":4,"C":4,"Y":1,"X":1,"inputs":[0,0]}]}',
    "concat_mismatch.json": '{"layers":[{"type":"conv","K":8,"C":3,"Y":8,"X":8},{"type":"conv","K":8,"C":3,"Y":8,"X":8,"inputs":[-1]},'
                            '{"type":"concat","K":17,"C":17,"Y":8,"X":8,"inputs":[0,1]}]}',
    "matmul_two.json": '{"layers":[{"type":"matmul","K":64,"C":64,"Y":8},{"type":"matmul","K":8,"C":64,"Y":8,"groups":8,"inputs":[0,0]}]}',
    "dwconv.json": '{"layers":[{"type":"dwconv","K":32,"C":32,"Y":16,"X":16,"R":3,"pad":1,"stride":2}]}',
    "big_pad.json": '{"layers":[{"type":"pool","K":4,"C":4,"Y":2,"X":2,"R":3,"pad":65536}]}',
    "stride_huge.json": '{"layers":[{"type":"conv","K":4,"C":4,"Y":2,"X":2,"R":1,"stride":1024}]}',
    "nine_inputs.json": '{"layers":[{"type":"add","K":1,"C":1,"Y":1,"X":1,"inputs":[-1,-1,-1,-1,-1,-1,-1,-1,-1]}]}',
    "unknown_key.json": '{"layers":[{"type":"fc","K":4,"C":4,"kernal":3}],"nam":"x"}',
    "name_nul.json": '{"name":"a\\u0000b","layers":[{"type":"fc","K":4,"C":4,"name":"\\u0000"}]}',
    "empty_layers.json": '{"layers":[]}',
    "not_object.json": '[{"type":"fc","K":4,"C":4}]',
    "deep.json": "[" * 3000 + "]" * 3000,
}
for n, s in bad_workloads.items():
    write("fuzz_workload", "bad_" + n, s)

# ---- request bodies (map, evaluate, batch) ---------------------------------------------------------
tiny = json.load(open(os.path.join(ROOT, "examples", "tiny_workload.json")))
reqs = {
    "map_r50.json": '{"workload":"resnet50","hardware":"edge","budget":"512KiB","batch":4,"solver":"exact"}',
    "map_small.json": '{"workload":"resnet18","budget":"256KiB","batch":2}',
    "map_custom.json": compact({"workload": tiny, "hardware": {"preset": "cloud", "pes": "32x16", "dataflow": "rs",
                                "buffer": "1MiB", "dram_bw": 16.5, "energy_pj": {"mac": 0.5}}, "budget": 65536,
                                "objective": "edp", "solver": "lbl", "deadline_ms": 100, "candidates": 2}),
    "map_ga.json": '{"workload":"mobilenetv2","solver":"ga","ga":{"population":4,"generations":2,"seed":3},"budget":262144}',
    "map_bert.json": '{"workload":"bert_base","seq_len":8,"budget":"1MiB","batch":2,"solver":"transformer"}',
    "map_bad_type.json": '{"workload":"resnet18","batch":"four"}',
    "map_unknown.json": '{"workload":"resnet18","budjet":1}',
    "map_small_budget.json": '{"workload":"resnet50","budget":"4KiB"}',
    "map_nan.json": '{"workload":"resnet18","deadline_ms":1e999,"budget":"NaNKiB"}',
    "map_neg.json": '{"workload":{"layers":[{"type":"conv","K":8,"C":3,"Y":8,"X":8},{"type":"conv","K":-4,"C":8,"Y":8,"X":8}]}}',
    "map_huge_num.json": '{"workload":"resnet18","batch":123456789012345678901234567890,"budget":1e30}',
    "map_hw_mars.json": '{"workload":"resnet18","hardware":"mars"}',
    "map_pes.json": '{"workload":"resnet18","hardware":{"pes":1048577,"elem_bytes":4,"clock_hz":-1}}',
    "truncated.json": '{"workload": "resnet18",',
    "array.json": "[1,2]",
    "deep.json": "[" * 2000,
    "eval_r18.json": compact({"workload": "resnet18", "budget": "2MiB", "batch": 2,
                              "groups": [{"first": 0, "last": 30, "micro_batch": 1}]}),
    "eval_infeasible.json": compact({"workload": "resnet18", "budget": "64KiB", "batch": 8,
                                     "groups": [{"first": 0, "last": 30, "micro_batch": 8}]}),
    "eval_tiny.json": compact({"workload": tiny, "batch": 3, "groups": [{"first": 0, "last": 1, "micro_batch": 2},
                                                                         {"first": 2, "last": 3, "micro_batch": 3}]}),
    "eval_gap.json": '{"workload":"resnet18","groups":[{"first":0,"last":0,"micro_batch":1}]}',
    "batch_items.json": '{"requests":[{"workload":"resnet18"},{"workload":"resnet18","batch":"two"},{"workload":"mnasnet","budget":"1MiB"}]}',
    "batch_grid.json": '{"base":{"workload":"resnet18","batch":2},"grid":{"budgets":["256KiB","1MiB"],"hardware":["edge","cloud"]}}',
    "batch_both.json": '{"requests":[],"base":{},"grid":{}}',
    "batch_grid_big.json": '{"base":{"workload":"resnet18"},"grid":{"budgets":[1,2,3,4,5,6,7,8,9],"hardware":["a","b","c"]}}',
}
for n, s in reqs.items():
    write("fuzz_request", n, s)

# ---- mappings: byte 0 = workload | batch << 2 | budget << 4 | objective << 6 (fuzz_mapping.c) ------
BATCHES = [1, 2, 5, 8]
BUDGETS = ["48KiB", "256KiB", "1MiB", "8MiB"]


def groups_only(groups):
    return [{"first": g["first"], "last": g["last"], "micro_batch": g["micro_batch"]} for g in groups]


tiny_path = os.path.join(ROOT, "examples", "tiny_workload.json")
for wi, w in [(0, tiny_path), (1, "resnet18"), (2, "mobilenetv2")]:
    for bi, bu in [(1, 2), (3, 3), (0, 1)]:
        for solver in ["exact", "lbl"]:
            try:
                ans = cli_json("map", "-w", w, "--buffer", BUDGETS[bu], "--batch", str(BATCHES[bi]), "--solver", solver, "--json")
            except subprocess.CalledProcessError:
                continue
            head = bytes([wi | bi << 2 | bu << 4])
            name = "%s_b%d_%s_%s" % (os.path.basename(w).split(".")[0], BATCHES[bi], BUDGETS[bu], solver)
            write("fuzz_mapping", name + ".json", head + compact({"groups": groups_only(ans["groups"])}).encode())
            if solver == "exact":  # the answer with its read-only figures, as a client may send it back
                write("fuzz_mapping", name + "_full.json", head + compact({"groups": ans["groups"]}).encode())
# the block DAG (workload 3): one group, and one per layer
write("fuzz_mapping", "block_one_group.json", bytes([3 | 1 << 2 | 3 << 4]) + b'{"groups":[{"first":0,"last":4,"micro_batch":2}]}')
write("fuzz_mapping", "block_per_layer.json", bytes([3 | 3 << 4]) +
      compact({"groups": [{"first": i, "last": i, "micro_batch": 1} for i in range(5)]}).encode())
bad_maps = {
    "overlap.json": '{"groups":[{"first":0,"last":2,"micro_batch":1},{"first":1,"last":3,"micro_batch":1}]}',
    "gap.json": '{"groups":[{"first":0,"last":0,"micro_batch":1},{"first":2,"last":3,"micro_batch":1}]}',
    "mb_zero.json": '{"groups":[{"first":0,"last":3,"micro_batch":0}]}',
    "mb_big.json": '{"groups":[{"first":0,"last":3,"micro_batch":2147483647}]}',
    "neg.json": '{"groups":[{"first":-1,"last":3,"micro_batch":1}]}',
    "huge.json": '{"groups":[{"first":0,"last":9223372036854775807,"micro_batch":1}]}',
    "extra_key.json": '{"groups":[{"first":0,"last":3,"micro_batch":1,"colour":1}],"x":1}',
    "empty.json": '{"groups":[]}',
}
for n, s in bad_maps.items():
    write("fuzz_mapping", "bad_" + n, bytes([1 << 2]) + s.encode())
# ---- ONNX (protobuf ModelProto): tiny malformed ones; run_fuzz.sh adds tests/fixtures/onnx/*.onnx -------
write("fuzz_onnx", "empty_graph", b"\x3a\x00")
write("fuzz_onnx", "graph_one_empty_node", b"\x08\x07\x3a\x04\x0a\x02\x1a\x00")
write("fuzz_onnx", "overlong_varint", b"\x08" + b"\xff" * 10 + b"\x01")
write("fuzz_onnx", "graph_length_4G", b"\x3a\xff\xff\xff\xff\x0f")
print("corpus written to", OUT)
