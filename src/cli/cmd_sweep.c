/* cmd_sweep.c - `dnnfuser sweep`: design-space exploration of one workload over on-chip budgets
 * and/or hardware points, one CSV row per point (solver answer, layer-by-layer baseline, speedup;
 * infeasible points as feasible=0 rows with the bytes they need). Progress with ETA on stderr.
 * The sweep is the API's /v1/map/batch grid (base + budgets x hardware), expanded and answered by the
 * library like the daemon's: each point checked before reply, and a point never worse than a smaller
 * budget of its hardware row (that answer is a candidate; path "carried").
 * With --svg FILE, a budget sweep is also drawn (latency and energy against the budget): the
 * layer-by-layer baseline, the exact optimum (run as well when --solver is not exact), the --solver
 * answer, and the --compare solvers; with --space depth_first the optimum is the depth-first one and
 * the batch-only optimum is drawn too (the depth-first gain at each budget). A depth-first answer's
 * tiles are in the last CSV columns. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_POINTS 100000

static const char usage[] =
    "usage: dnnfuser sweep -w NAME|FILE (--budgets LIST | --hw-points FILE.json) [options]\n"
    "\n"
    "Maps the workload at every point and prints one CSV row per point on stdout.\n"
    "\n"
    "  -w, --workload NAME|FILE  zoo network, workload JSON or ONNX file\n"
    "      --budgets LIST        LO..HI (doubling), LO..HI:STEPS (log-spaced, both ends included),\n"
    "                            or a comma list, e.g. 64KiB..64MiB:11 or 128KiB,512KiB,2MiB\n"
    "      --hw-points FILE      JSON array of hardware objects (or preset names); with --budgets,\n"
    "                            every point is run at every budget\n"
    "      --hw PRESET|FILE      base hardware for --budgets [edge]\n"
    "      --buffer SIZE         fixed budget for every hardware point\n"
    "      --pes RxC, --dataflow ws|os|rs, --bw BYTES   override every point\n"
    "      --batch N             batch size [1]\n"
    "      --seq-len N           tokens per sample (bert_base) [128]\n"
    "      --objective OBJ       latency, energy, edp or dram [latency]\n"
    "      --solver SOLVER       auto, exact, ga, lbl or transformer [auto: exact when its predicted\n"
    "                            time is small, else the transformer plus the check]\n"
    "      --candidates K        transformer, auto: decode K candidates (1..16), keep the best [1]\n"
    "      --weights FILE        transformer, auto: weights file [the shipped weights]\n"
    "      --seed N              transformer, auto: sampling seed [derived from each point]; ga: seed\n"
    "      --population N, --generations N   ga knobs\n"
    "      --progress            progress and ETA on stderr even when it is not a terminal\n"
    "      --svg FILE            also draw the sweep (needs --budgets, one hardware point): latency and\n"
    "                            energy against the budget for layer-by-layer, the exact optimum (run\n"
    "                            as well when --solver is not exact) and the --solver answer;\n"
    "                            infeasible budgets are gaps. The CSV on stdout is unchanged\n"
    "      --compare SOLVERS     with --svg: more series, e.g. transformer or transformer,ga\n"
    "      --space SPACE         batch or depth_first: also a spatial tile and overlap per group (exact,\n"
    "                            ga, auto -> exact); --svg then also draws the batch-only optimum [batch]\n"
    "  -h, --help                show this help\n"
    "\n"
    "Every point is checked before reply like a map answer, and a point is never worse than a smaller\n"
    "budget of the same hardware (that answer is a candidate; path 'carried'). The last columns: the\n"
    "map-space, the tiled groups, the recompute factor (MACs done / layer MACs) and each tiled group as\n"
    "FIRST-LAST:ROWSxCOLS:OVERLAP, space-separated.\n"
    "Exit status: 0 done (too-small budgets are feasible=0 rows), 2 bad input, 3 the solver failed.\n";

static const char csv_header[] =
    "workload,hw,dataflow,pes,budget_bytes,batch,objective,solver,feasible,groups,latency_cycles,energy_pj,"
    "dram_bytes,peak_buffer_bytes,lbl_latency_cycles,lbl_energy_pj,lbl_dram_bytes,speedup,solve_ms,need_bytes,path,"
    "space,tiled_groups,recompute,tiles\n";

/* One CSV field, quoted when needed. */
static void csv_str(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

typedef char hw_label[32];

/* The --svg series: which solver each one shows over which map-space, and its values per point
 * (NaN = infeasible). */
typedef struct {
    int n;
    df_solver solver[DF_SVG_MAX_SERIES];
    df_space space[DF_SVG_MAX_SERIES];
    char name[DF_SVG_MAX_SERIES][48];
    double *lat[DF_SVG_MAX_SERIES]; /* [points] seconds */
    double *en[DF_SVG_MAX_SERIES];  /* [points] pJ */
} sweep_series;

typedef struct {
    const cli_opts *o;
    const df_workload *w;
    df_mapper *mp;     /* loaded when some point (or --compare) needs the transformer */
    sweep_series *svg; /* --svg: filled per point (NULL without --svg) */
    double t0;
    int tty;  /* stderr is a terminal: progress redraws one line */
    int show; /* progress is on */
} sweep_ctx;

/* The --svg values of one answered point: the answer's own series, layer-by-layer from its baseline,
 * solving the others (the exact optimum, --compare solvers). Returns 0 or an exit status. */
static int svg_point(const sweep_ctx *c, const df_request *r, int idx, const df_answer *a) {
    const cli_opts *o = c->o;
    sweep_series *ss = c->svg;
    for (int s = 0; s < ss->n; s++) {
        df_solver sv = ss->solver[s];
        const df_metrics *m = NULL;
        cli_solution extra;
        cli_solution_init(&extra);
        if (sv == DF_SOLVER_LBL)
            m = &a->base_met;
        else if ((int)sv == o->solver && ss->space[s] == r->space)
            m = &a->met;
        else {
            df_err e;
            if (cli_solve_in(r->net, sv, ss->space[s], r->obj, &r->ga, c->mp, r->candidates, &extra, &e)) {
                cli_solution_free(&extra);
                if (e.code == DF_EINFEASIBLE) continue;
                return cli_fail_err(df_solver_name(sv), &e);
            }
            m = &extra.met;
        }
        if (m->feasible) {
            ss->lat[s][idx] = m->latency_s;
            ss->en[s][idx] = m->energy_pj;
        }
        cli_solution_free(&extra);
    }
    return 0;
}

/* The depth-first columns of an answer: tiled groups, recompute factor (MACs done / layer MACs, the
 * cost model's group figures) and each tiled group as FIRST-LAST:ROWSxCOLS:OVERLAP (the effective
 * tile of its last output), space-separated. */
static void csv_tiles(FILE *f, const df_workload *w, const df_answer *a) {
    int tiled = 0;
    double macs = 0, layer_macs = 0;
    for (int32_t g = 0; g < a->map.n_groups; g++) {
        tiled += (int64_t)a->gc[g].tiles_y * a->gc[g].tiles_x > 1;
        macs += a->gc[g].macs;
        layer_macs += a->gc[g].layer_macs;
    }
    fprintf(f, ",%d,%.4f,", tiled, layer_macs > 0 ? macs / layer_macs : 1.0);
    int first = 1;
    for (int32_t g = 0; g < a->map.n_groups; g++) {
        const df_group *gr = &a->map.groups[g];
        if ((int64_t)a->gc[g].tiles_y * a->gc[g].tiles_x <= 1) continue;
        const df_layer *l = &w->layers[gr->last];
        fprintf(f, "%s%d-%d:%dx%d:%s", first ? "" : " ", gr->first, gr->last,
                gr->tile_rows > 0 && gr->tile_rows < l->P ? gr->tile_rows : l->P,
                gr->tile_cols > 0 && gr->tile_cols < l->Q ? gr->tile_cols : l->Q,
                df_overlap_name((df_overlap)gr->overlap));
        first = 0;
    }
}

/* The CSV row of item i (malloc'ed, with its newline): the answer, or a feasible=0 row with the bytes
 * the point needs. */
static char *csv_row(const sweep_ctx *c, const df_hw *hw, const char *label, const df_answer *a, int64_t need) {
    const cli_opts *o = c->o;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    csv_str(f, c->w->name);
    fputc(',', f);
    csv_str(f, label);
    fprintf(f, ",%s,%dx%d,%lld,%d,%s,%s,%d,", df_dataflow_name(hw->dataflow), hw->pe_rows, hw->pe_cols,
            (long long)hw->buffer_bytes, o->batch, df_objective_name(o->objective), df_request_solver_name(o->solver),
            a != NULL);
    if (a && !a->have_base) { /* depth-first, only tiles fit: no layer-by-layer columns */
        const df_metrics *m = &a->met;
        fprintf(f, "%d,%.0f,%.1f,%.0f,%lld,,,,,%.3f,,%s,%s", a->map.n_groups, m->latency_cycles, m->energy_pj,
                m->dram_bytes, (long long)m->peak_bytes, a->solve_ms, a->path, df_space_name(o->space));
        csv_tiles(f, c->w, a);
        fputc('\n', f);
    } else if (a) {
        const df_metrics *m = &a->met, *b = &a->base_met;
        fprintf(f, "%d,%.0f,%.1f,%.0f,%lld,%.0f,%.1f,%.0f,%.4f,%.3f,,%s,%s", a->map.n_groups, m->latency_cycles,
                m->energy_pj, m->dram_bytes, (long long)m->peak_bytes, b->latency_cycles, b->energy_pj, b->dram_bytes,
                m->latency_cycles > 0 ? b->latency_cycles / m->latency_cycles : 0.0, a->solve_ms, a->path,
                df_space_name(o->space));
        csv_tiles(f, c->w, a);
        fputc('\n', f);
    } else {
        fprintf(f, "0,,,,,,,,,,%lld,,%s,,,\n", (long long)need, df_space_name(o->space));
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void progress(const sweep_ctx *c, int i, int n, const df_hw *hw, const char *label) {
    double el = (cli_now_ms() - c->t0) / 1e3;
    char b[32], eta[32];
    if (i == n) {
        fprintf(stderr, "%s[%d/%d] %s done in %.1fs\n", c->tty ? "\r\033[K" : "", n, n, c->w->name, el);
        fflush(stderr);
        return;
    }
    if (i == 0)
        snprintf(eta, sizeof eta, "?");
    else
        snprintf(eta, sizeof eta, "%.1fs", el / i * (n - i));
    fprintf(stderr, "%s[%d/%d] %s on %s %s %dx%d, %s budget, elapsed %.1fs, ETA %s%s", c->tty ? "\r\033[K" : "", i, n,
            c->w->name, label, df_dataflow_name(hw->dataflow), hw->pe_rows, hw->pe_cols,
            df_format_size(hw->buffer_bytes, b, sizeof b), el, eta, c->tty ? "" : "\n");
    fflush(stderr);
}

/* The name a point goes by in the CSV: its preset, or its position in --hw-points. */
static void point_label(const json_t *base, const char *fallback, size_t idx, int numbered, hw_label out) {
    const json_t *p = json_is_object(base) ? json_object_get(base, "preset") : base;
    if (json_is_string(p))
        snprintf(out, sizeof(hw_label), "%s", json_string_value(p));
    else if (numbered)
        snprintf(out, sizeof(hw_label), "point%zu", idx);
    else
        snprintf(out, sizeof(hw_label), "%s", fallback);
}

/* The sweep as the API's grid request: {"base": the options' request, "grid": {budgets, hardware}};
 * labels[i] names item i's hardware. Returns 0 or an exit status. */
static int grid_json(const cli_opts *o, json_t **out, hw_label **labels, int *n_items) {
    json_t *base = NULL, *grid = json_object(), *doc = NULL;
    int rc = cli_request_json(o, &base);
    if (rc) {
        json_decref(grid);
        return rc;
    }
    size_t nb = 0, nh = 1;
    if (o->budgets) {
        int64_t *v;
        int32_t n;
        df_err e;
        if (df_budgets_parse(o->budgets, MAX_POINTS, &v, &n, &e)) {
            json_decref(base);
            json_decref(grid);
            return cli_fail(CLI_EXIT_USAGE, "--budgets: %s", e.msg);
        }
        json_t *bl = json_array();
        for (int32_t i = 0; i < n; i++) json_array_append_new(bl, json_integer(v[i]));
        free(v);
        json_object_set_new(grid, "budgets", bl);
        nb = (size_t)n;
    }
    if (o->hw_points) {
        doc = cli_load_json(o->hw_points);
        if (!doc || !json_is_array(doc) || json_array_size(doc) == 0) {
            json_decref(base);
            json_decref(grid);
            rc = doc ? cli_fail(CLI_EXIT_USAGE, "%s: expected a non-empty JSON array of hardware objects", o->hw_points)
                     : CLI_EXIT_USAGE;
            json_decref(doc);
            return rc;
        }
        nh = json_array_size(doc);
        json_t *hl = json_array();
        for (size_t h = 0; h < nh; h++) json_array_append_new(hl, cli_hw_overridden(json_array_get(doc, h), o));
        json_object_set_new(grid, "hardware", hl);
    }
    size_t n = nh * (nb ? nb : 1);
    if (n > MAX_POINTS) {
        json_decref(base);
        json_decref(grid);
        json_decref(doc);
        return cli_fail(CLI_EXIT_USAGE, "sweep: %zu points, the limit is %d", n, MAX_POINTS);
    }
    *labels = calloc(n, sizeof **labels);
    *out = json_pack("{s:o, s:o}", "base", base, "grid", grid);
    if (!*labels || !*out) {
        free(*labels);
        json_decref(*out);
        json_decref(doc);
        return cli_fail(CLI_EXIT_USAGE, "out of memory");
    }
    const json_t *hb = json_object_get(base, "hardware");
    for (size_t i = 0; i < n; i++) {
        size_t h = i / (nb ? nb : 1);
        if (doc)
            point_label(json_array_get(doc, h), "custom", h, 1, (*labels)[i]);
        else
            point_label(hb, "custom", 0, 0, (*labels)[i]);
    }
    json_decref(doc);
    *n_items = (int)n;
    return 0;
}

static void series_free(sweep_series *ss) {
    for (int s = 0; s < ss->n; s++) {
        free(ss->lat[s]);
        free(ss->en[s]);
    }
    ss->n = 0;
}

static void series_add(sweep_series *ss, df_solver sv, df_space sp, const char *name) {
    for (int s = 0; s < ss->n; s++)
        if (ss->solver[s] == sv && ss->space[s] == sp) return;
    if (ss->n == DF_SVG_MAX_SERIES) return;
    ss->solver[ss->n] = sv;
    ss->space[ss->n] = sp;
    snprintf(ss->name[ss->n], sizeof ss->name[0], "%s", name);
    ss->n++;
}

static void series_label(const cli_opts *o, df_solver sv, df_space sp, char *buf, size_t n) {
    int df = sp == DF_SPACE_DEPTH_FIRST;
    switch (sv) {
    case DF_SOLVER_LBL: snprintf(buf, n, "layer-by-layer"); break;
    case DF_SOLVER_EXACT:
        if (o->space == DF_SPACE_DEPTH_FIRST)
            snprintf(buf, n, df ? "optimum (exact, depth-first)" : "batch-only optimum (exact)");
        else
            snprintf(buf, n, "optimum (exact)");
        break;
    case DF_SOLVER_TRANSFORMER:
        if (o->candidates > 1)
            snprintf(buf, n, "transformer (best of %d)", o->candidates);
        else
            snprintf(buf, n, "transformer");
        break;
    default: snprintf(buf, n, "%s%s", df_request_solver_name((int)sv), df ? " (depth-first)" : ""); break;
    }
}

/* Layer-by-layer, the exact optimum (over --space; with depth_first the batch-only optimum after it),
 * then the --solver answer and the --compare solvers (transformer before ga; exact and ga over
 * --space, the transformer over batch: cli_solve_in refuses depth-first weights there). Values start
 * as NaN (no point). */
static int series_init(const cli_opts *o, int n_points, sweep_series *ss) {
    memset(ss, 0, sizeof *ss);
    char name[48];
    /* a fixed order, so a solver keeps its colour from one picture to the next */
    static const df_solver order[] = {DF_SOLVER_LBL, DF_SOLVER_EXACT, (df_solver)DF_SOLVER_AUTO, DF_SOLVER_TRANSFORMER,
                                      DF_SOLVER_GA};
    unsigned want = 1u << DF_SOLVER_LBL | 1u << DF_SOLVER_EXACT | 1u << o->solver | o->compare;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(want & (1u << order[i]))) continue;
        df_space sp = order[i] == DF_SOLVER_LBL || order[i] == DF_SOLVER_TRANSFORMER ? DF_SPACE_BATCH : o->space;
        series_label(o, order[i], sp, name, sizeof name);
        series_add(ss, order[i], sp, name);
        if (order[i] == DF_SOLVER_EXACT && sp == DF_SPACE_DEPTH_FIRST) { /* the depth-first gain */
            series_label(o, order[i], DF_SPACE_BATCH, name, sizeof name);
            series_add(ss, order[i], DF_SPACE_BATCH, name);
        }
    }
    for (int s = 0; s < ss->n; s++) {
        ss->lat[s] = malloc((size_t)n_points * sizeof(double));
        ss->en[s] = malloc((size_t)n_points * sizeof(double));
        if (!ss->lat[s] || !ss->en[s]) {
            series_free(ss);
            return cli_fail(CLI_EXIT_USAGE, "out of memory");
        }
        for (int i = 0; i < n_points; i++) ss->lat[s][i] = ss->en[s][i] = NAN;
    }
    return 0;
}

/* Draws the collected series into o->svg. */
static int write_sweep_svg(const cli_opts *o, const df_workload *w, const df_batch_request *br, int n,
                           sweep_series *ss) {
    int64_t *budgets = malloc((size_t)n * sizeof *budgets);
    if (!budgets) return cli_fail(CLI_EXIT_USAGE, "out of memory");
    for (int i = 0; i < n; i++) budgets[i] = br->items[i].hw.buffer_bytes;
    const df_hw *pts = &br->items[0].hw;
    df_svg_series ser[DF_SVG_MAX_SERIES];
    for (int s = 0; s < ss->n; s++) ser[s] = (df_svg_series){ss->name[s], ss->lat[s], ss->en[s]};
    char title[160], hws[256], sub[400];
    snprintf(title, sizeof title, "%s: latency and energy against the on-chip budget", w->name);
    cli_hw_summary(&pts[0], hws, sizeof hws);
    snprintf(sub, sizeof sub, "%s \xC2\xB7 batch %d \xC2\xB7 objective %s \xC2\xB7 %d budget%s%s", hws, o->batch,
             df_objective_name(o->objective), n, n == 1 ? "" : "s",
             o->space == DF_SPACE_DEPTH_FIRST ? " \xC2\xB7 depth-first space" : "");
    df_svg_sweep_opts so = {
        .title = title, .subtitle = sub, .n_points = n, .budgets = budgets, .n_series = ss->n, .series = ser};
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_err e;
    int rc = df_svg_sweep(&so, &b, &e) != DF_OK ? cli_fail_err("--svg", &e) : cli_write_svg(o->svg, &b);
    df_svg_buf_free(&b);
    free(budgets);
    return rc;
}

/* Solves item i of the sweep (carrying the answer of the next smaller budget of its row) and keeps
 * its CSV row. Returns 0 or an exit status. */
static int run_point(sweep_ctx *c, const df_batch_request *br, int32_t i, df_mapping *keep, char **row,
                     const char *label) {
    const df_fail *pf = &br->fails[i];
    if (pf->kind == DF_FAIL_BUDGET) { /* a point too small: its row says how much it needs */
        *row = csv_row(c, &br->items[i].hw, label, NULL, pf->need_bytes);
        return *row ? 0 : cli_fail(CLI_EXIT_FAILED, "out of memory");
    }
    if (pf->kind != DF_FAIL_NONE) return cli_fail_answer(pf);
    const df_request *r = &br->items[i];
    if (!c->mp && df_request_effective_solver(r, 1, NULL, 0) == DF_SOLVER_TRANSFORMER) {
        int rc = cli_load_mapper(c->o, 1, &c->mp);
        if (rc) return rc;
    }
    df_answer a;
    df_fail f;
    if (df_answer_solve(r, c->mp, NULL, &a, &f)) {
        if (f.kind != DF_FAIL_BUDGET) return cli_fail_answer(&f);
        *row = csv_row(c, &r->hw, label, NULL, f.need_bytes);
        return *row ? 0 : cli_fail(CLI_EXIT_FAILED, "out of memory");
    }
    int32_t from = br->carry[i];
    if (from >= 0 && keep[from].n_groups > 0) df_answer_offer(r, &keep[from], br->items[from].hw.buffer_bytes, &a);
    if (df_mapping_copy(&keep[i], &a.map) != DF_OK) keep[i].n_groups = 0;
    int rc = 0;
    *row = csv_row(c, &r->hw, label, &a, 0);
    if (!*row) rc = cli_fail(CLI_EXIT_FAILED, "out of memory");
    if (!rc && c->svg) rc = svg_point(c, r, i, &a);
    df_answer_free(&a);
    return rc;
}

int cmd_sweep(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse(argc, argv,
                       CLI_O_WORKLOAD | CLI_O_HWSET | CLI_O_BATCH | CLI_O_SEQ_LEN | CLI_O_OBJECTIVE | CLI_O_SOLVER |
                           CLI_O_GA | CLI_O_BUDGETS | CLI_O_HW_POINTS | CLI_O_PROGRESS | CLI_O_SVG | CLI_O_COMPARE,
                       &o);
    if (rc) return rc;
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (o.n_pos > 0) return cli_fail(CLI_EXIT_USAGE, "sweep: unexpected argument '%s'", o.pos[0]);
    if (!o.workload) return cli_fail(CLI_EXIT_USAGE, "sweep: missing -w NAME|FILE (see 'dnnfuser sweep --help')");
    if (!o.budgets && !o.hw_points)
        return cli_fail(CLI_EXIT_USAGE, "sweep: give --budgets LIST and/or --hw-points FILE");
    if (o.budgets && o.have_buffer)
        return cli_fail(CLI_EXIT_USAGE, "sweep: use either --buffer or --budgets, not both");
    if (o.svg && (!o.budgets || o.hw_points))
        return cli_fail(CLI_EXIT_USAGE,
                        "sweep: --svg draws a budget sweep: give --budgets with one hardware (--hw), not --hw-points");
    if (o.compare && !o.svg)
        return cli_fail(CLI_EXIT_USAGE, "sweep: --compare adds series to the --svg picture; give --svg FILE");

    json_t *root = NULL;
    hw_label *labels = NULL;
    int n = 0;
    if ((rc = grid_json(&o, &root, &labels, &n))) return rc;
    df_workload w;
    int zoo = 0;
    if ((rc = cli_load_workload(o.workload, o.seq_len, &w, &zoo))) {
        json_decref(root);
        free(labels);
        return rc;
    }
    df_request_limits lim;
    df_request_limits_default(&lim);
    lim.max_batch_items = MAX_POINTS;
    df_request_src bs = {.workload = &w, .workload_zoo = zoo};
    df_batch_request br;
    df_fail f;
    rc = df_batch_request_parse(root, &lim, &bs, &br, &f);
    json_decref(root);
    if (rc) {
        rc = cli_fail_answer(&f);
        df_workload_free(&w);
        free(labels);
        return rc;
    }
    sweep_ctx c = {.o = &o, .w = &w, .t0 = cli_now_ms(), .tty = isatty(STDERR_FILENO)};
    c.show = c.tty || o.progress;
    sweep_series ss;
    df_mapping *keep = calloc((size_t)n, sizeof *keep);
    char **rows = calloc((size_t)n, sizeof *rows);
    if (!keep || !rows) rc = cli_fail(CLI_EXIT_FAILED, "out of memory");
    for (int i = 0; !rc && i < n; i++)
        if (df_mapping_init(&keep[i], 8) != DF_OK) rc = cli_fail(CLI_EXIT_FAILED, "out of memory");
    if (!rc) rc = cli_load_mapper(&o, 0, &c.mp); /* --compare transformer */
    int have_svg = 0;
    if (!rc && o.svg && !(rc = series_init(&o, n, &ss))) {
        c.svg = &ss;
        have_svg = 1;
    }
    for (int k = 0; k < n && !rc; k++) {
        int32_t i = br.order[k];
        if (c.show) progress(&c, k, n, &br.items[i].hw, labels[i]);
        rc = run_point(&c, &br, i, keep, &rows[i], labels[i]);
    }
    if (c.show && !rc) progress(&c, n, n, &br.items[br.order[n - 1]].hw, labels[br.order[n - 1]]);
    if (!rc) {
        fputs(csv_header, stdout);
        for (int i = 0; i < n; i++) fputs(rows[i], stdout);
    }
    if (have_svg) {
        if (!rc) rc = write_sweep_svg(&o, &w, &br, n, &ss);
        series_free(&ss);
    }
    for (int i = 0; keep && i < n; i++) df_mapping_free(&keep[i]);
    for (int i = 0; rows && i < n; i++) free(rows[i]);
    free(keep);
    free(rows);
    df_mapper_free(c.mp);
    df_batch_request_free(&br);
    df_workload_free(&w);
    free(labels);
    return rc;
}
