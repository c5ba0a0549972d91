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

void cli_solution_init(cli_solution *s) {
    memset(s, 0, sizeof *s);
}

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

int cli_solve(const df_net *net, df_solver solver, df_objective obj, const df_ga_params *ga,
              cli_solution *out, df_err *err) {
    cli_solution_free(out);
    df_err_clear(err);
    if (df_mapping_init(&out->map, 16)) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    double t0 = cli_now_ms();
    int rc;
    switch (solver) {
    case DF_SOLVER_EXACT: rc = df_solve_exact(net, obj, &out->map, &out->stats, err); break;
    case DF_SOLVER_LBL: rc = df_solve_lbl(net, obj, &out->map, &out->stats, err); break;
    case DF_SOLVER_GA: {
        df_ga_params def;
        if (!ga) df_ga_params_default(&def);
        rc = df_solve_ga(net, obj, ga ? ga : &def, &out->map, &out->stats, err);
        break;
    }
    default:
        rc = df_err_set(err, DF_EINVAL, "/solver", "solver '%s' is not available yet (use exact, ga or lbl)",
                        df_solver_name(solver));
        break;
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
