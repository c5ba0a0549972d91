/* cmd_map.c - `dnnfuser map`: find the fusion mapping of a workload on a hardware point and budget,
 * and report it next to the layer-by-layer baseline (human table or --json). The options become the
 * API's request, answered by the library exactly as POST /v1/map answers it (dnnfuser/answer.h):
 * solved, checked before reply, and --json prints the API's JSON. */
#include "cli.h"

#include <stdlib.h>

static const char usage[] =
    "usage: dnnfuser map -w NAME|FILE [options]\n"
    "\n"
    "Finds which layers to fuse, and with which micro-batch, for the workload on the hardware and\n"
    "on-chip budget, and compares the answer with layer-by-layer execution. Every answer is checked\n"
    "before it is printed: re-scored by the cost model, repaired or replaced by the exact solver's\n"
    "when it is worse than layer-by-layer (the report says which path answered).\n"
    "\n"
    "  -w, --workload NAME|FILE  zoo network (see 'dnnfuser zoo'), a workload JSON or an ONNX file\n"
    "      --hw PRESET|FILE      hardware preset (edge, mobile, cloud, eyeriss) or JSON file [edge]\n"
    "      --buffer SIZE         on-chip budget in bytes or binary units: 524288, 512KiB = 512K = 512KB,\n"
    "                            4MiB [the hardware's buffer]\n"
    "      --pes RxC             PE array, e.g. 32x32\n"
    "      --dataflow ws|os|rs   dataflow of the PE array\n"
    "      --bw BYTES            DRAM bandwidth in bytes per cycle\n"
    "      --batch N             batch size [1]\n"
    "      --seq-len N           tokens per sample (bert_base) [128]\n"
    "      --objective OBJ       latency, energy, edp or dram [latency]\n"
    "      --solver SOLVER       auto, exact, ga, lbl or transformer [auto: exact when its predicted\n"
    "                            time is small, else the transformer plus the check]\n"
    "      --candidates K        transformer, auto: decode K candidates (1..16), keep the best [1]\n"
    "      --space SPACE         batch (groups x micro-batch) or depth_first (also a spatial tile and\n"
    "                            an overlap mode per group; exact, ga, auto -> exact; the transformer\n"
    "                            decodes the space of its weights, the other one is solved exactly) [batch]\n"
    "      --seed N              transformer, auto: sampling seed [derived from the request];\n"
    "                            ga: random seed [1]\n"
    "      --weights FILE        transformer, auto: weights file [the shipped weights]\n"
    "      --population N        ga: individuals per generation [64]\n"
    "      --generations N       ga: generations [200]\n"
    "      --json                print the answer as the API's JSON (POST /v1/map's reply)\n"
    "      --svg FILE            also write a picture of the mapping: fusion groups as bands with their\n"
    "                            micro-batch, the bytes live on chip per layer against the budget line,\n"
    "                            the gain over layer-by-layer in the title (open it in a browser)\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 answered, 1 the budget is too small for some layer, 2 bad input, 3 the solver failed.\n";

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
    double t0 = cli_now_ms();
    df_workload w;
    int zoo = 0;
    if ((rc = cli_load_workload(o.workload, o.seq_len, &w, &zoo))) return rc;
    df_request req;
    rc = cli_request(&o, &w, zoo, &req);
    df_workload_free(&w);
    if (rc) return rc;
    df_solver eff = df_request_effective_solver(&req, 1, NULL, 0);
    if (o.weights && req.solver != DF_SOLVER_TRANSFORMER && req.solver != DF_SOLVER_AUTO) {
        rc = cli_fail(CLI_EXIT_USAGE, "--weights applies to the transformer (and auto), not to --solver %s",
                      df_request_solver_name(req.solver));
        df_request_free(&req);
        return rc;
    }
    df_mapper *mp = NULL;
    if ((rc = cli_load_mapper(&o, eff == DF_SOLVER_TRANSFORMER, &mp))) {
        df_request_free(&req);
        return rc;
    }
    df_answer a;
    df_fail f;
    if (df_answer_solve(&req, mp, NULL, &a, &f)) {
        rc = cli_fail_answer(&f);
        df_mapper_free(mp);
        df_request_free(&req);
        return rc;
    }
    if (o.json) {
        json_t *j = df_answer_json(&req, &a, 0, cli_now_ms() - t0);
        char *text = df_answer_dumps(j, 1);
        json_decref(j);
        if (!text)
            rc = cli_fail(CLI_EXIT_FAILED, "out of memory building the JSON answer");
        else
            printf("%s\n", text);
        free(text);
    }
    /* the human report (and the picture) read the answer through the printer's view */
    cli_solution sol, base;
    cli_solution_init(&sol);
    cli_solution_init(&base);
    df_err e;
    if (!rc && (!o.json || o.svg)) {
        if (cli_score(req.net, &a.map, &sol, &e) || (a.have_base && cli_score(req.net, &a.base, &base, &e))) {
            rc = cli_fail(CLI_EXIT_FAILED, "scoring the answer: %s", e.msg);
        } else {
            sol.ms = a.solve_ms;
            sol.stats = a.stats;
            cli_report r = {.net = req.net,
                            .workload_ref = NULL,
                            .solver = df_request_solver_name(req.solver),
                            .objective = req.obj,
                            .sol = &sol,
                            .base = &base,
                            .path = a.path,
                            .note = a.note[0] ? a.note : NULL};
            if (!o.json) cli_print_report(stdout, &r);
            if (o.svg) rc = cli_write_map_svg(o.svg, &r);
        }
    }
    cli_solution_free(&sol);
    cli_solution_free(&base);
    df_answer_free(&a);
    df_mapper_free(mp);
    df_request_free(&req);
    return rc;
}
