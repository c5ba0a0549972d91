/* cmd_layers.c - `dnnfuser layers`: per-layer single-layer figures of the cost model for one sample
 * (compute cycles, utilization, buffer<->array traffic), as a table or a JSON array whose keys a
 * MAESTRO comparison script reads. */
#include "cli.h"

static const char usage[] =
    "usage: dnnfuser layers -w NAME|FILE [--hw PRESET|FILE] [--pes RxC] [--dataflow ws|os|rs] [--json]\n"
    "\n"
    "Prints what the cost model computes for each layer alone, for one sample: MACs, compute cycles\n"
    "on the PE array, utilization and buffer<->array element transfers (weights, inputs, outputs).\n"
    "\n"
    "  -w, --workload NAME|FILE  zoo network, workload JSON or ONNX file\n"
    "      --hw PRESET|FILE      hardware preset or JSON file [edge]\n"
    "      --buffer SIZE         on-chip budget (does not change these figures)\n"
    "      --pes RxC             PE array, e.g. 32x32\n"
    "      --dataflow ws|os|rs   dataflow\n"
    "      --bw BYTES            DRAM bandwidth in bytes per cycle\n"
    "      --seq-len N           tokens per sample (bert_base) [128]\n"
    "      --json                JSON array, one object per layer\n"
    "  -h, --help                show this help\n";

static json_t *layer_json(int32_t i, const df_layer *l, const df_layer_figures *f) {
    return json_pack("{s:i,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:I,s:f,s:f,s:f,s:f,s:f}", "index",
                     (int)i, "name", l->name, "type", df_layer_type_name(l->type), "K", (int)l->K, "C", (int)l->C, "Y",
                     (int)l->Y, "X", (int)l->X, "R", (int)l->R, "S", (int)l->S, "stride", (int)l->stride, "pad",
                     (int)l->pad, "groups", (int)l->groups, "P", (int)l->P, "Q", (int)l->Q, "macs", (json_int_t)f->macs,
                     "compute_cycles", f->compute_cycles, "utilization", f->utilization, "noc_w", f->noc_w, "noc_in",
                     f->noc_in, "noc_out", f->noc_out);
}

int cmd_layers(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse(argc, argv, CLI_O_WORKLOAD | CLI_O_HWSET | CLI_O_SEQ_LEN | CLI_O_JSON, &o);
    if (rc) return rc;
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (o.n_pos > 0) return cli_fail(CLI_EXIT_USAGE, "layers: unexpected argument '%s'", o.pos[0]);
    if (!o.workload) return cli_fail(CLI_EXIT_USAGE, "layers: missing -w NAME|FILE (see 'dnnfuser layers --help')");
    df_hw hw;
    if ((rc = cli_load_hw(&o, &hw))) return rc;
    df_workload w;
    if ((rc = cli_load_workload(o.workload, o.seq_len, &w, NULL))) return rc;
    df_net *net = NULL;
    if ((rc = cli_make_net(&w, &hw, 1, 0, &net, NULL))) {
        df_workload_free(&w);
        return rc;
    }
    if (o.json) {
        json_t *arr = json_array();
        int bad = !arr;
        for (int32_t i = 0; i < w.n_layers && !bad; i++)
            bad = json_array_append_new(arr, layer_json(i, &w.layers[i], df_net_layer_figures(net, i))) != 0;
        rc = bad ? cli_fail(CLI_EXIT_USAGE, "out of memory") : cli_print_json(stdout, arr);
        json_decref(arr);
    } else {
        char hws[256];
        cli_hw_summary(&hw, hws, sizeof hws);
        printf("%s: %d layers | %s\n\n", w.name, w.n_layers, hws);
        printf("%5s  %-28s %-7s %5s %5s %4s %4s %2s %2s %2s %4s %4s %13s %12s %6s %12s %12s %12s\n", "index", "name",
               "type", "K", "C", "Y", "X", "R", "S", "st", "P", "Q", "MACs", "cycles", "util", "noc_w", "noc_in",
               "noc_out");
        double macs = 0, cyc = 0;
        for (int32_t i = 0; i < w.n_layers; i++) {
            const df_layer *l = &w.layers[i];
            const df_layer_figures *f = df_net_layer_figures(net, i);
            printf("%5d  %-28s %-7s %5d %5d %4d %4d %2d %2d %2d %4d %4d %13.0f %12.0f %5.1f%% %12.0f %12.0f %12.0f\n",
                   i, l->name, df_layer_type_name(l->type), l->K, l->C, l->Y, l->X, l->R, l->S, l->stride, l->P, l->Q,
                   f->macs, f->compute_cycles, f->utilization * 100, f->noc_w, f->noc_in, f->noc_out);
            macs += f->macs;
            cyc += f->compute_cycles;
        }
        printf("\ntotal: %.0f MACs, %.0f compute cycles, %.1f%% utilization\n", macs, cyc,
               cyc > 0 ? 100.0 * macs / (cyc * hw.pe_rows * hw.pe_cols) : 0.0);
    }
    df_net_free(net);
    df_workload_free(&w);
    return rc;
}
