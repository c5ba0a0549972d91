/* run.c - runs one solver (or scores a given mapping) and keeps the answer together with its
 * metrics, per-group costs and wall time; the same path serves map, eval and sweep. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void cli_solution_init(cli_solution *s) { memset(s, 0, sizeof *s); }

void cli_solution_free(cli_solution *s) {
    if (!s) return;
    df_mapping_free(&s->map);
    free(s->gc);
    memset(s, 0, sizeof *s);
}

/* Scores s->map into s->met and s->gc. */
static int score(const df_net *net, cli_solution *s, df_err *err) {
    free(s->gc);
    s->gc = calloc((size_t)(s->map.n_groups > 0 ? s->map.n_groups : 1), sizeof *s->gc);
    if (!s->gc) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    int rc = df_mapping_eval(net, &s->map, &s->met, s->gc, err);
    if (rc == DF_OK) s->ok = 1;
    return rc;
}

int cli_solve(const df_net *net, df_solver solver, df_objective obj, const df_ga_params *ga, df_mapper *mp,
              int32_t candidates, cli_solution *out, df_err *err) {
    return cli_solve_in(net, solver, DF_SPACE_BATCH, obj, ga, mp, candidates, out, err);
}

int cli_solve_in(const df_net *net, df_solver solver, df_space space, df_objective obj, const df_ga_params *ga,
                 df_mapper *mp, int32_t candidates, cli_solution *out, df_err *err) {
    cli_solution_free(out);
    df_err_clear(err);
    if (df_mapping_init(&out->map, 16)) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    double t0 = cli_now_ms();
    int rc;
    switch (solver) {
    case DF_SOLVER_EXACT: rc = df_solve_exact_in(net, obj, space, &out->map, &out->stats, err); break;
    case DF_SOLVER_LBL: rc = df_solve_lbl(net, obj, &out->map, &out->stats, err); break;
    case DF_SOLVER_GA: {
        df_ga_params def;
        if (!ga) df_ga_params_default(&def);
        rc = df_solve_ga_in(net, obj, space, ga ? ga : &def, &out->map, &out->stats, err);
        break;
    }
    case DF_SOLVER_TRANSFORMER: /* never a mapping outside `space` (df_answer_layout_covers) */
        if (!mp)
            rc = df_err_set(err, DF_EINVAL, "/solver", "the transformer is not loaded");
        else if (!df_answer_layout_covers(df_mapper_layout(mp), space))
            rc = df_err_set(err, DF_EUNSUPPORTED, NULL, "the transformer weights decode the %s space, not %s",
                            space == DF_SPACE_BATCH ? "depth_first" : "batch", df_space_name(space));
        else
            rc = df_solve_transformer(mp, net, obj, candidates > 0 ? candidates : 1, &out->map, &out->stats, err);
        break;
    default: rc = df_err_set(err, DF_EINVAL, "/solver", "unknown solver"); break;
    }
    out->ms = cli_now_ms() - t0;
    if (rc) return rc;
    return score(net, out, err);
}

int cli_score(const df_net *net, const df_mapping *map, cli_solution *out, df_err *err) {
    cli_solution_free(out);
    df_err_clear(err);
    if (df_mapping_init(&out->map, map->n_groups) || df_mapping_copy(&out->map, map))
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    double t0 = cli_now_ms();
    int rc = score(net, out, err);
    out->ms = cli_now_ms() - t0;
    return rc;
}

int cli_load_mapper(const cli_opts *o, int need, df_mapper **out) {
    *out = NULL;
    if (!need && !(o->compare & (1u << DF_SOLVER_TRANSFORMER))) return 0;
    df_err e;
    int32_t k = o->candidates > 0 ? o->candidates : 1;
    int rc = o->weights ? df_mapper_load(out, o->weights, k, &e) : df_mapper_load_embedded(out, k, &e);
    if (rc) return cli_fail(CLI_EXIT_USAGE, "%s: %s", o->weights ? o->weights : "shipped weights", e.msg);
    return 0;
}
