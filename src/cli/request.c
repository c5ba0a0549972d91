/* request.c - the command line's options as the API's request object (what a curl user would POST
 * to /v1/map), read by the same library parser as the daemon's, and the library's failures printed
 * with the option that caused them. */
#include "cli.h"

#include <string.h>

/* Sets key to v (stolen) in obj; returns 0 or -1 on allocation failure. */
static int put(json_t *obj, const char *key, json_t *v) { return v ? json_object_set_new(obj, key, v) : -1; }

/* The hardware member: the preset name as given, or an object with the --pes/--dataflow/--bw
 * overrides on top of the preset or file (cli_hw_overridden). Returns 0 or an exit status. */
static int hardware_json(const cli_opts *o, json_t **out) {
    json_t *doc;
    const json_t *base;
    const char *prefix;
    int rc = cli_hw_spec(o->hw ? o->hw : "edge", &doc, &base, &prefix);
    if (rc) return rc;
    json_t *h = cli_hw_overridden(base, o);
    json_decref(doc);
    if (!h) return cli_fail(CLI_EXIT_USAGE, "out of memory");
    *out = h;
    return 0;
}

int cli_request_json(const cli_opts *o, json_t **out) {
    *out = NULL;
    json_t *r = json_object(), *h = NULL;
    if (!r) return cli_fail(CLI_EXIT_USAGE, "out of memory");
    int rc = hardware_json(o, &h);
    if (rc) {
        json_decref(r);
        return rc;
    }
    int bad = put(r, "hardware", h);
    if (o->have_buffer) bad |= put(r, "budget", json_integer(o->buffer));
    bad |= put(r, "batch", json_integer(o->batch));
    bad |= put(r, "objective", json_string(df_objective_name(o->objective)));
    if (o->seq_len) bad |= put(r, "seq_len", json_integer(o->seq_len));
    if (o->have_solver) bad |= put(r, "solver", json_string(df_request_solver_name(o->solver)));
    if (o->have_candidates) bad |= put(r, "candidates", json_integer(o->candidates));
    if (o->have_space) bad |= put(r, "space", json_string(df_space_name(o->space)));
    /* --seed seeds the ga, or the transformer's sampling */
    if (o->have_seed && o->solver != DF_SOLVER_GA) bad |= put(r, "seed", json_integer((json_int_t)o->ga.seed));
    if (o->have_ga || (o->have_seed && o->solver == DF_SOLVER_GA))
        bad |= put(r, "ga",
                   json_pack("{s:i, s:i, s:I}", "population", (int)o->ga.population, "generations",
                             (int)o->ga.generations, "seed", (json_int_t)o->ga.seed));
    if (bad) {
        json_decref(r);
        return cli_fail(CLI_EXIT_USAGE, "out of memory");
    }
    *out = r;
    return 0;
}

int cli_request(const cli_opts *o, const df_workload *w, int zoo, df_request *out) {
    json_t *root;
    int rc = cli_request_json(o, &root);
    if (rc) return rc;
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_request_src src = {.root = root, .prefix = "", .workload = w, .workload_zoo = zoo};
    df_fail f;
    rc = df_request_parse(&src, &lim, out, &f);
    json_decref(root);
    return rc ? cli_fail_answer(&f) : 0;
}

const char *cli_flag_of(const char *pointer) {
    static const struct {
        const char *ptr, *flag;
    } map[] = {
        {"/budget", "--buffer"},
        {"/hardware/pes", "--pes"},
        {"/hardware/dataflow", "--dataflow"},
        {"/hardware/dram_bw", "--bw"},
        {"/hardware", "--hw"},
        {"/batch", "--batch"},
        {"/objective", "--objective"},
        {"/seq_len", "--seq-len"},
        {"/solver", "--solver"},
        {"/space", "--space"},
        {"/candidates", "--candidates"},
        {"/seed", "--seed"},
        {"/ga/population", "--population"},
        {"/ga/generations", "--generations"},
        {"/ga", "--population/--generations/--seed"},
        {"/workload", "-w"},
    };
    for (size_t i = 0; pointer && i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i].ptr);
        if (strncmp(pointer, map[i].ptr, n) == 0 && (pointer[n] == '\0' || pointer[n] == '/')) return map[i].flag;
    }
    return NULL;
}

int cli_fail_answer(const df_fail *f) {
    int code = f->kind == DF_FAIL_BUDGET                                    ? CLI_EXIT_INFEASIBLE
               : f->kind == DF_FAIL_INTERNAL || f->kind == DF_FAIL_DEADLINE ? CLI_EXIT_FAILED
                                                                            : CLI_EXIT_USAGE;
    const char *flag = cli_flag_of(f->pointer);
    if (flag && f->kind != DF_FAIL_BUDGET) return cli_fail(code, "%s: %s", flag, f->detail);
    if (f->pointer[0] && !flag) return cli_fail(code, "%s (at %s)", f->detail, f->pointer);
    return cli_fail(code, "%s", f->detail);
}
