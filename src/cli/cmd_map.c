/* cmd_map.c - `dnnfuser map`: find the fusion mapping of a workload on a hardware point and budget,
 * and report it next to the layer-by-layer baseline (human table or --json). */
#include "cli.h"

#include <stdlib.h>

static const char usage[] =
    "usage: dnnfuser map -w NAME|FILE [options]\n"
    "\n"
    "Finds which layers to fuse, and with which micro-batch, for the workload on the hardware and\n"
    "on-chip budget, and compares the answer with layer-by-layer execution.\n"
    "\n"
    "  -w, --workload NAME|FILE  zoo network (see 'dnnfuser zoo'), a workload JSON or an ONNX file\n"
    "      --hw PRESET|FILE      hardware preset (edge, mobile, cloud, eyeriss) or JSON file [edge]\n"
    "      --buffer SIZE         on-chip budget, e.g. 524288, 512KiB, 4MiB [the hardware's buffer]\n"
    "      --pes RxC             PE array, e.g. 32x32\n"
    "      --dataflow ws|os|rs   dataflow of the PE array\n"
    "      --bw BYTES            DRAM bandwidth in bytes per cycle\n"
    "      --batch N             batch size [1]\n"
    "      --seq-len N           tokens per sample (bert_base) [128]\n"
    "      --objective OBJ       latency, energy, edp or dram [latency]\n"
    "      --solver SOLVER       exact, ga, lbl or transformer [exact]\n"
    "      --candidates K        transformer: decode K candidates, keep the best [1]\n"
    "      --weights FILE        transformer: weights file [the shipped weights]\n"
    "      --population N        ga: individuals per generation [64]\n"
    "      --generations N       ga: generations [200]\n"
    "      --seed N              ga: random seed [1]\n"
    "      --json                print the answer as one JSON object\n"
    "      --svg FILE            also write a picture of the mapping: fusion groups as bands with their\n"
    "                            micro-batch, the bytes live on chip per layer against the budget line,\n"
    "                            the gain over layer-by-layer in the title (open it in a browser)\n"
    "  -h, --help                show this help\n";

int cmd_map(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse(argc, argv,
                       CLI_O_WORKLOAD | CLI_O_HWSET | CLI_O_BATCH | CLI_O_SEQ_LEN | CLI_O_OBJECTIVE | CLI_O_SOLVER |
                           CLI_O_GA | CLI_O_JSON | CLI_O_SVG,
                       &o);
    if (rc) return rc;
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (o.n_pos > 0) return cli_fail(CLI_EXIT_USAGE, "map: unexpected argument '%s'", o.pos[0]);
    if (!o.workload) return cli_fail(CLI_EXIT_USAGE, "map: missing -w NAME|FILE (see 'dnnfuser map --help')");

    df_hw hw;
    if ((rc = cli_load_hw(&o, &hw))) return rc;
    df_workload w;
    int zoo = 0;
    if ((rc = cli_load_workload(o.workload, o.seq_len, &w, &zoo))) return rc;
    df_net *net = NULL;
    rc = cli_make_net(&w, &hw, o.batch, 1, &net, NULL);
    if (rc) {
        df_workload_free(&w);
        return rc;
    }

    cli_solution sol, base;
    cli_solution_init(&sol);
    cli_solution_init(&base);
    df_err e;
    df_mapper *mp = NULL;
    if ((rc = cli_load_mapper(&o, &mp))) goto out;
    if (cli_solve(net, o.solver, o.objective, &o.ga, mp, o.candidates, &sol, &e)) {
        rc = cli_fail_err(df_solver_name(o.solver), &e);
        goto out;
    }
    if (o.solver == DF_SOLVER_LBL) {
        base.ok = 0; /* the answer is its own baseline: score it again for a separate copy */
        if (cli_score(net, &sol.map, &base, &e)) {
            rc = cli_fail_err("lbl", &e);
            goto out;
        }
        base.ms = sol.ms;
    } else if (cli_solve(net, DF_SOLVER_LBL, o.objective, NULL, NULL, 0, &base, &e)) {
        rc = cli_fail_err("layer-by-layer baseline", &e);
        goto out;
    }

    json_t *ref = cli_workload_ref(&w, zoo, o.seq_len);
    cli_report r = {.net = net, .workload_ref = ref, .solver = df_solver_name(o.solver), .objective = o.objective,
                    .sol = &sol, .base = &base};
    if (o.json) {
        json_t *j = cli_report_json(&r);
        rc = cli_print_json(stdout, j);
        json_decref(j);
    } else {
        cli_print_report(stdout, &r);
    }
    if (!rc && o.svg) rc = cli_write_map_svg(o.svg, &r);
    json_decref(ref);
out:
    cli_solution_free(&sol);
    cli_solution_free(&base);
    df_mapper_free(mp);
    df_net_free(net);
    df_workload_free(&w);
    return rc;
}
