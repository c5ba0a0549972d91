/* svgreply.c - format=svg for /v1/map and /v1/map/batch (see svgreply.h): the query parameter, the
 * check that a batch is a drawable budget sweep, and the pictures drawn from the answer structs. */
#include "svgreply.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/json.h"
#include "dnnfuser/svg.h"

#define MIDDOT " \xC2\xB7 "

int srv_svg_wanted(const char *format, srv_fail *f) {
    if (!format || strcmp(format, "json") == 0) return 0;
    if (strcmp(format, "svg") == 0) return 1;
    srv_fail_set(f, SRV_PROB_INVALID_REQUEST, NULL, "query parameter format must be json or svg, got \"%.40s\"",
                 format);
    return -1;
}

int srv_svg_batch_budgets(const json_t *root, int64_t **budgets, int32_t *n, srv_fail *f) {
    *budgets = NULL;
    *n = 0;
    const json_t *grid = json_object_get(root, "grid");
    if (json_object_get(root, "requests") || !json_is_object(grid))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/requests",
                            "format=svg draws a budget sweep: send base + grid with budgets, not a requests list");
    const json_t *bl = json_object_get(grid, "budgets"), *hl = json_object_get(grid, "hardware");
    if (!json_is_array(bl) || json_array_size(bl) == 0)
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/grid/budgets",
                            "format=svg draws a budget sweep: grid needs a non-empty budgets array");
    if (json_is_array(hl) && json_array_size(hl) > 1)
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/grid/hardware",
                            "format=svg draws one hardware point: grid hardware has %zu entries (send one sweep per "
                            "hardware, or format=json)",
                            json_array_size(hl));
    size_t nb = json_array_size(bl);
    int64_t *v = calloc(nb, sizeof *v);
    if (!v) return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < nb; i++) {
        df_err e;
        df_err_clear(&e);
        if (df_json_size(json_array_get(bl, i), "", &v[i], &e) != DF_OK) v[i] = 0;
    }
    *budgets = v;
    *n = (int32_t)nb;
    return 0;
}

/* "transformer", or "transformer (repaired)" when the answer took another path. */
static void solver_label(const df_answer *a, char *buf, size_t n) {
    const char *s = a->solver ? a->solver : "?", *p = a->path;
    if (p && strcmp(p, s) != 0)
        snprintf(buf, n, "%s (%s)", s, p);
    else
        snprintf(buf, n, "%s", s);
}

static int take(df_svg_buf *b, char **body, size_t *len, int rc, const df_err *e, srv_fail *f) {
    if (rc != DF_OK) {
        df_svg_buf_free(b);
        return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "drawing the picture failed: %s", e->msg);
    }
    *body = df_svg_buf_take(b, len);
    return 0;
}

int srv_svg_map(const srv_map_req *r, const df_answer *a, char **body, size_t *len, srv_fail *f) {
    *body = NULL;
    *len = 0;
    char label[96];
    solver_label(a, label, sizeof label);
    /* a map answer always has its layer-by-layer baseline (the budget was checked) */
    df_svg_map_opts o = {.net = r->net, .map = &a->map, .solver = label, .objective = r->obj, .baseline = &a->base_met};
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_err e;
    int rc = df_svg_map(&o, &b, &e);
    return take(&b, body, len, rc, &e, f);
}

static const char *elem_name(int32_t eb) { return eb == 1 ? "int8" : eb == 2 ? "fp16" : eb == 4 ? "fp32" : "?"; }

enum { S_LBL = 0, S_EXACT, S_SOLVER, S_MAX };

/* The solver of the batch: its first valid item's (all items share the base). */
static const srv_map_req *first_item(const srv_batch_req *b) {
    for (int32_t i = 0; i < b->n; i++)
        if (b->fails[i].kind == SRV_PROB_NONE) return &b->items[i];
    return NULL;
}

int srv_svg_want_optimum(const srv_batch_req *b) {
    const srv_map_req *first = first_item(b);
    return (first ? first->solver : DF_SOLVER_EXACT) != DF_SOLVER_EXACT;
}

int srv_svg_batch(const srv_batch_req *b, const int64_t *budgets, int32_t n_budgets, const df_sweep_point *pts,
                  char **body, size_t *len, srv_fail *f) {
    *body = NULL;
    *len = 0;
    int32_t n = b->n;
    const srv_map_req *first = first_item(b);
    int solver = first ? first->solver : DF_SOLVER_EXACT;
    int n_series = solver == DF_SOLVER_EXACT || solver == DF_SOLVER_LBL ? 2 : 3;
    /* the points: the items whose budget parsed, in item order (the renderer sorts by budget) */
    double *vals = malloc((size_t)(n > 0 ? n : 1) * 2 * S_MAX * sizeof *vals);
    int64_t *bud = malloc((size_t)(n > 0 ? n : 1) * sizeof *bud);
    int32_t *slot = malloc((size_t)(n > 0 ? n : 1) * sizeof *slot);
    if (!vals || !bud || !slot) {
        free(vals);
        free(bud);
        free(slot);
        return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    }
    for (int32_t i = 0; i < n * 2 * S_MAX; i++) vals[i] = NAN;
    int32_t np = 0;
    for (int32_t i = 0; i < n; i++) {
        int64_t bi = i < n_budgets ? budgets[i] : 0;
        slot[i] = bi > 0 ? np : -1;
        if (bi > 0) bud[np++] = bi;
    }
#define LAT(s, k) vals[((s)*2) * n + (k)]
#define EN(s, k) vals[((s)*2 + 1) * n + (k)]
    /* paths other than the solver's own (e.g. exact-fallback), counted for the note */
    int other_paths = 0, failed = 0, answered = 0;
    char other[48] = "";
    for (int32_t idx = 0; idx < n; idx++) {
        const df_sweep_point *p = &pts[idx];
        if (!p->answered || slot[idx] < 0) continue;
        int32_t k = slot[idx];
        answered++;
        if (p->lbl.feasible) {
            LAT(S_LBL, k) = p->lbl.latency_s;
            EN(S_LBL, k) = p->lbl.energy_pj;
        }
        int s_answer = solver == DF_SOLVER_EXACT ? S_EXACT : solver == DF_SOLVER_LBL ? -1 : S_SOLVER;
        if (s_answer >= 0 && p->answer.feasible) {
            LAT(s_answer, k) = p->answer.latency_s;
            EN(s_answer, k) = p->answer.energy_pj;
        }
        const char *path = p->path;
        int auto_own = solver == DF_SOLVER_AUTO && (strcmp(path, "exact") == 0 || strcmp(path, "transformer") == 0);
        int own = path[0] && (strcmp(path, df_request_solver_name(solver)) == 0 || auto_own);
        if (path[0] && !own) {
            other_paths++;
            snprintf(other, sizeof other, "%s", path);
        }
        if (solver != DF_SOLVER_EXACT && p->have_optimum) { /* the optimum for the same request */
            LAT(S_EXACT, k) = p->optimum.latency_s;
            EN(S_EXACT, k) = p->optimum.energy_pj;
        }
    }
    failed = n - answered;

    df_svg_series ser[S_MAX];
    char sname[48];
    snprintf(sname, sizeof sname, "%s", df_request_solver_name(solver));
    ser[S_LBL] = (df_svg_series){"layer-by-layer", &LAT(S_LBL, 0), &EN(S_LBL, 0)};
    /* the optimum over the request's map-space (df_sweep_point_of solves it there) */
    int depth_first = first && first->space == DF_SPACE_DEPTH_FIRST;
    ser[S_EXACT] = (df_svg_series){depth_first ? "optimum (exact, depth-first)" : "optimum (exact)", &LAT(S_EXACT, 0),
                                   &EN(S_EXACT, 0)};
    ser[S_SOLVER] = (df_svg_series){sname, &LAT(S_SOLVER, 0), &EN(S_SOLVER, 0)};
    char title[160], sub[400], note[200];
    snprintf(title, sizeof title, "%s: latency and energy against the on-chip budget", first ? first->w.name : "sweep");
    if (first) {
        const df_hw *hw = df_net_hw(first->net);
        snprintf(sub, sizeof sub,
                 "%s: %dx%d PEs %s, %g B/cycle DRAM, %.2f GHz, %s" MIDDOT "batch %d" MIDDOT "objective %s" MIDDOT
                 "%d budget%s" MIDDOT "solver %s%s",
                 hw->name, hw->pe_rows, hw->pe_cols, df_dataflow_name(hw->dataflow), hw->dram_bw, hw->clock_hz / 1e9,
                 elem_name(hw->elem_bytes), first->batch, df_objective_name(first->obj), np, np == 1 ? "" : "s",
                 df_request_solver_name(solver), depth_first ? MIDDOT "depth-first space" : "");
    } else {
        snprintf(sub, sizeof sub, "no budget of the grid could be mapped");
    }
    size_t nl = 0;
    note[0] = '\0';
    if (other_paths)
        nl += (size_t)snprintf(note, sizeof note, "%d of the %s answers came by another path (e.g. %s)", other_paths,
                               df_request_solver_name(solver), other);
    if (failed && nl < sizeof note)
        snprintf(note + nl, sizeof note - nl, "%s%d budget%s failed (see format=json for why)", nl ? MIDDOT : "",
                 failed, failed == 1 ? "" : "s");
    df_svg_sweep_opts o = {.title = title,
                           .subtitle = sub,
                           .note = note[0] ? note : NULL,
                           .n_points = np,
                           .budgets = bud,
                           .n_series = n_series,
                           .series = ser};
    df_svg_buf sb;
    df_svg_buf_init(&sb);
    df_err e;
    df_err_clear(&e);
    int rc = np > 0 ? df_svg_sweep(&o, &sb, &e) : df_err_set(&e, DF_EINVAL, NULL, "no budget of the grid parsed");
#undef LAT
#undef EN
    free(vals);
    free(bud);
    free(slot);
    if (rc == DF_EINVAL && np == 0) {
        df_svg_buf_free(&sb);
        return srv_fail_set(f, SRV_PROB_INVALID_PARAMETER, "/grid/budgets", "format=svg: %s", e.msg);
    }
    return take(&sb, body, len, rc, &e, f);
}
