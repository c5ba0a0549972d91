/* cmd_eval.c - `dnnfuser eval MAPPING.json`: score a given mapping with the cost model and report
 * it like `map` does. Exit 1 when the mapping overflows the budget (naming the group and layer),
 * 2 when the file is malformed. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: dnnfuser eval [-w NAME|FILE] [--json] [--svg FILE] MAPPING.json\n"
    "\n"
    "Scores a given mapping with the cost model. The file holds one object:\n"
    "  {\"workload\": NAME | {workload object}, \"hardware\": PRESET | {hardware object},\n"
    "   \"batch\": N, \"budget\"?: SIZE, \"objective\"?: OBJ, \"seq_len\"?: N,\n"
    "   \"groups\": [{\"first\": I, \"last\": J, \"micro_batch\": M,\n"
    "               \"tile\"?: {\"rows\": R, \"cols\": C}, \"overlap\"?: MODE}, ...]}\n"
    "A group's tile (default the whole tensor) cuts its last layer's output into R x C tiles run one by\n"
    "one through the group (depth-first fusion); MODE recompute | cache_rows | cache_all handles halos.\n"
    "A `dnnfuser map --json` answer (the API's reply) is such a file: its workload is a summary\n"
    "{\"name\", \"layers\", \"macs\"}, found in the zoo by name; for a workload file give it with -w.\n"
    "\n"
    "  -w, --workload NAME|FILE  the workload, in place of the file's\n"
    "      --objective OBJ   objective for the layer-by-layer comparison [the file's, else latency]\n"
    "      --json            print the API's answer: the JSON POST /v1/evaluate replies for the same request\n"
    "      --svg FILE        also write a picture of the mapping (bars over the budget in red)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 feasible, 1 the mapping overflows the budget, 2 bad input.\n";

/* Optional integer member in [lo, hi]; returns 0 or 2 (message printed). */
static int opt_int(const char *path, const json_t *doc, const char *key, int64_t lo, int64_t hi, int64_t *out) {
    const json_t *v = json_object_get(doc, key);
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return cli_fail(CLI_EXIT_USAGE, "%s: \"%s\" must be an integer in [%lld, %lld] (at /%s)", path, key,
                        (long long)lo, (long long)hi, key);
    *out = json_integer_value(v);
    return 0;
}

/* The workload: -w, or the member: a zoo name (or a file path) string, a workload object, or the
 * summary {"name", "layers", "macs"} of a map answer (a zoo network, checked against the summary). */
static int eval_workload(const char *path, const json_t *doc, const char *given, int32_t seq_len, df_workload *w,
                         int *zoo) {
    const json_t *wj = json_object_get(doc, "workload");
    *zoo = 0;
    if (given) return cli_load_workload(given, seq_len, w, zoo);
    if (json_is_string(wj)) return cli_load_workload(json_string_value(wj), seq_len, w, zoo);
    if (json_is_object(wj) && json_is_integer(json_object_get(wj, "layers")) &&
        json_is_string(json_object_get(wj, "name"))) {
        const char *name = json_string_value(json_object_get(wj, "name"));
        df_err e;
        if (df_resolve_zoo(name, seq_len, NULL, 0, w, &e) != DF_OK)
            return cli_fail(CLI_EXIT_USAGE,
                            "%s: the workload '%s' is a summary and not a zoo network: give it with -w FILE", path,
                            name);
        const json_t *mj = json_object_get(wj, "macs");
        if (json_integer_value(json_object_get(wj, "layers")) != w->n_layers ||
            (json_is_integer(mj) && json_integer_value(mj) != df_workload_macs(w))) {
            df_workload_free(w);
            return cli_fail(CLI_EXIT_USAGE,
                            "%s: the workload summary '%s' does not match the zoo network (another "
                            "seq_len?): give it with -w",
                            path, name);
        }
        *zoo = 1;
        return 0;
    }
    if (!json_is_object(wj))
        return cli_fail(CLI_EXIT_USAGE, "%s: \"workload\" must be a zoo name or a workload object (at /workload)",
                        path);
    df_err e;
    if (df_workload_from_json(wj, "/workload", DF_DEFAULT_MAX_LAYERS, w, &e)) return cli_fail_err(path, &e);
    return 0;
}

/* --json: the API's /v1/evaluate reply, made by the library from the request the daemon would get:
 * the file's fields, with the workload as this command resolved it (-w or a map answer's summary:
 * the zoo name, or the workload object) and the objective of --objective. */
static int eval_json(const json_t *doc, const char *given, const df_workload *w, int zoo, df_objective obj) {
    static const char *const keep[] = {"hardware", "budget", "batch", "seq_len", "groups", NULL};
    json_t *req = json_object();
    if (!req) return cli_fail(CLI_EXIT_FAILED, "out of memory");
    for (int i = 0; keep[i]; i++) {
        json_t *v = json_object_get(doc, keep[i]);
        if (v) json_object_set(req, keep[i], v);
    }
    const json_t *wj = json_object_get(doc, "workload");
    json_t *wv;
    if (zoo) /* by name, as the daemon would be asked */
        wv = json_string(given                ? given
                         : json_is_string(wj) ? json_string_value(wj)
                                              : json_string_value(json_object_get(wj, "name")));
    else if (!given && json_is_object(wj))
        wv = json_incref((json_t *)wj);
    else /* a workload or ONNX file: its layers */
        wv = df_workload_to_json(w);
    json_object_set_new(req, "workload", wv);
    json_object_set_new(req, "objective", json_string(df_objective_name(obj)));
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_eval_request ev;
    df_fail f;
    if (df_eval_request_parse(req, &lim, &ev, &f)) {
        json_decref(req);
        return cli_fail_answer(&f);
    }
    json_decref(req);
    json_t *j = df_eval_json(&ev, &f);
    df_eval_request_free(&ev);
    if (!j) return cli_fail_answer(&f);
    char *text = df_answer_dumps(j, 1);
    json_decref(j);
    if (!text) return cli_fail(CLI_EXIT_FAILED, "out of memory building the JSON answer");
    printf("%s\n", text);
    free(text);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse(argc, argv, CLI_O_WORKLOAD | CLI_O_JSON | CLI_O_OBJECTIVE | CLI_O_SVG, &o);
    if (rc) return rc;
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (o.n_pos != 1)
        return cli_fail(CLI_EXIT_USAGE, "eval: expected one MAPPING.json argument (see 'dnnfuser eval --help')");
    const char *path = o.pos[0];
    json_t *doc = cli_load_json(path);
    if (!doc) return CLI_EXIT_USAGE;
    df_workload w;
    int have_w = 0, zoo = 0;
    df_net *net = NULL;
    df_mapping map = {0};
    cli_solution sol, base;
    cli_solution_init(&sol);
    cli_solution_init(&base);
    json_t *ref = NULL;
    df_err e;
    df_err_clear(&e);

    if (!json_is_object(doc)) {
        rc = cli_fail(CLI_EXIT_USAGE,
                      "%s: expected a JSON object with \"workload\", \"hardware\", \"batch\" and \"groups\"", path);
        goto out;
    }
    int64_t batch = 1, seq_len = 0, budget = 0;
    if ((rc = opt_int(path, doc, "batch", 1, DF_MAX_BATCH, &batch))) goto out;
    if ((rc = opt_int(path, doc, "seq_len", 1, 1 << 16, &seq_len))) goto out;
    const json_t *bj = json_object_get(doc, "budget");
    if (bj && df_json_size(bj, "/budget", &budget, &e)) {
        rc = cli_fail_err(path, &e);
        goto out;
    }
    df_objective obj = DF_OBJ_LATENCY;
    const json_t *oj = json_object_get(doc, "objective");
    if (oj && (!json_is_string(oj) || df_objective_parse(json_string_value(oj), &obj))) {
        rc = cli_fail(CLI_EXIT_USAGE, "%s: \"objective\" must be latency, energy, edp or dram (at /objective)", path);
        goto out;
    }
    if (o.have_objective) obj = o.objective;
    if (!json_object_get(doc, "groups")) {
        rc = cli_fail(CLI_EXIT_USAGE, "%s: missing \"groups\" (at /groups)", path);
        goto out;
    }

    if ((rc = eval_workload(path, doc, o.workload, (int32_t)seq_len, &w, &zoo))) goto out;
    have_w = 1;
    df_hw hw;
    if ((rc = cli_hw_from_base(json_object_get(doc, "hardware"), path, "/hardware", NULL, budget, &hw))) goto out;
    if ((rc = cli_make_net(&w, &hw, (int32_t)batch, 0, &net, NULL))) goto out;
    /* the mapping reader is strict about keys: give it just the groups (pointers stay /groups/...) */
    json_t *mj = json_pack("{s:O}", "groups", json_object_get(doc, "groups"));
    if (!mj) {
        rc = cli_fail(CLI_EXIT_USAGE, "out of memory");
        goto out;
    }
    int mrc = df_mapping_from_json(mj, "", w.n_layers, (int32_t)batch, &map, &e);
    json_decref(mj);
    if (mrc) {
        rc = cli_fail_err(path, &e);
        goto out;
    }
    if (cli_score(net, &map, &sol, &e)) {
        rc = cli_fail_err(path, &e);
        goto out;
    }
    /* The baseline needs the budget to fit every layer alone; without it there is no comparison. */
    if (cli_solve(net, DF_SOLVER_LBL, obj, NULL, NULL, 0, &base, &e)) cli_solution_free(&base);

    ref = cli_workload_ref(&w, zoo, (int32_t)seq_len);
    cli_report r = {.net = net, .workload_ref = ref, .solver = "eval", .objective = obj, .sol = &sol, .base = &base};
    if (o.json) {
        if ((rc = eval_json(doc, o.workload, &w, zoo, obj))) goto out;
    } else {
        cli_print_report(stdout, &r);
    }
    if (o.svg && (rc = cli_write_map_svg(o.svg, &r))) goto out;
    char why[768];
    if (!sol.met.feasible && cli_overflow_text(net, &sol.map, sol.gc, why, sizeof why)) {
        fflush(stdout);
        rc = cli_fail(CLI_EXIT_INFEASIBLE, "infeasible mapping: %s", why);
    }
out:
    json_decref(ref);
    cli_solution_free(&sol);
    cli_solution_free(&base);
    df_mapping_free(&map);
    df_net_free(net);
    if (have_w) df_workload_free(&w);
    json_decref(doc);
    return rc;
}
