/* cmd_sweep.c - `dnnfuser sweep`: design-space exploration of one workload over on-chip budgets
 * and/or hardware points, one CSV row per point (solver answer, layer-by-layer baseline, speedup;
 * infeasible points as feasible=0 rows with the bytes they need). Progress with ETA on stderr.
 * With --svg FILE, a budget sweep is also drawn (latency and energy against the budget): the
 * layer-by-layer baseline, the exact optimum (run as well when --solver is not exact), the --solver
 * answer, and the --compare solvers. */
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
    "      --solver SOLVER       exact, ga, lbl or transformer [exact]\n"
    "      --candidates K        transformer: decode K candidates, keep the best [1]\n"
    "      --weights FILE        transformer: weights file [the shipped weights]\n"
    "      --population N, --generations N, --seed N   ga knobs\n"
    "      --progress            progress and ETA on stderr even when it is not a terminal\n"
    "      --svg FILE            also draw the sweep (needs --budgets, one hardware point): latency and\n"
    "                            energy against the budget for layer-by-layer, the exact optimum (run\n"
    "                            as well when --solver is not exact) and the --solver answer;\n"
    "                            infeasible budgets are gaps. The CSV on stdout is unchanged\n"
    "      --compare SOLVERS     with --svg: more series, e.g. transformer or transformer,ga\n"
    "  -h, --help                show this help\n";

static const char csv_header[] =
    "workload,hw,dataflow,pes,budget_bytes,batch,objective,solver,feasible,groups,latency_cycles,energy_pj,"
    "dram_bytes,peak_buffer_bytes,lbl_latency_cycles,lbl_energy_pj,lbl_dram_bytes,speedup,solve_ms,need_bytes\n";

typedef struct {
    int64_t *v;
    int n, cap;
} budget_list;

static int push_budget(budget_list *b, int64_t v) {
    if (b->n >= MAX_POINTS) return cli_fail(CLI_EXIT_USAGE, "--budgets: more than %d points", MAX_POINTS);
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 16;
        int64_t *nv = realloc(b->v, (size_t)cap * sizeof *nv);
        if (!nv) return cli_fail(CLI_EXIT_USAGE, "out of memory");
        b->v = nv;
        b->cap = cap;
    }
    b->v[b->n++] = v;
    return 0;
}

static int parse_size_part(const char *s, size_t len, int64_t *out) {
    char buf[64];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return df_parse_size(buf, out) ? -1 : 0;
}

/* LO..HI[:STEPS] or a comma list of sizes. */
static int parse_budgets(const char *s, budget_list *b) {
    const char *dots = strstr(s, "..");
    if (!dots) {
        const char *p = s;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            int64_t v;
            if (parse_size_part(p, len, &v))
                return cli_fail(CLI_EXIT_USAGE, "--budgets: invalid size '%.*s' in '%s'", (int)len, p, s);
            int rc = push_budget(b, v);
            if (rc) return rc;
            if (!comma) return 0;
            p = comma + 1;
        }
    }
    const char *hi_s = dots + 2, *colon = strchr(hi_s, ':');
    int64_t lo, hi, steps = 0;
    if (parse_size_part(s, (size_t)(dots - s), &lo) ||
        parse_size_part(hi_s, colon ? (size_t)(colon - hi_s) : strlen(hi_s), &hi))
        return cli_fail(CLI_EXIT_USAGE, "--budgets: invalid range '%s' (use e.g. 64KiB..64MiB or 64KiB..64MiB:11)", s);
    if (colon && cli_parse_i64("--budgets steps", colon + 1, 1, MAX_POINTS, &steps)) return CLI_EXIT_USAGE;
    if (lo > hi) return cli_fail(CLI_EXIT_USAGE, "--budgets: range '%s' goes down (low end above high end)", s);
    int rc = 0;
    if (steps == 0) {
        int64_t v = lo;
        for (; v <= hi && !rc; v = v > hi / 2 ? hi + 1 : v * 2) rc = push_budget(b, v);
        if (!rc && b->v[b->n - 1] != hi) rc = push_budget(b, hi);
    } else if (steps == 1 || lo == hi) {
        rc = push_budget(b, lo);
    } else {
        double ratio = log((double)hi / (double)lo);
        for (int64_t i = 0; i < steps && !rc; i++) {
            int64_t v = i == steps - 1 ? hi : llround((double)lo * exp(ratio * (double)i / (double)(steps - 1)));
            if (b->n > 0 && v <= b->v[b->n - 1]) continue; /* too many steps for a narrow range */
            rc = push_budget(b, v);
        }
    }
    return rc;
}

/* One CSV field, quoted when needed. */
static void csv_str(const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

typedef char hw_label[32];

/* The --svg series: which solver each one shows, and its values per point (NaN = infeasible). */
typedef struct {
    int n;
    df_solver solver[DF_SVG_MAX_SERIES];
    char name[DF_SVG_MAX_SERIES][48];
    double *lat[DF_SVG_MAX_SERIES];   /* [points] seconds */
    double *en[DF_SVG_MAX_SERIES];    /* [points] pJ */
} sweep_series;

typedef struct {
    const cli_opts *o;
    const df_workload *w;
    df_mapper *mp;      /* --solver transformer or --compare transformer */
    sweep_series *svg;  /* --svg: filled per point (NULL without --svg) */
    double t0;
    int tty;   /* stderr is a terminal: progress redraws one line */
    int show;  /* progress is on */
} sweep_ctx;

/* The --svg values of one feasible point: every series from the answers at hand, solving the ones
 * that are not (the exact optimum, --compare solvers). Returns 0 or an exit status. */
static int svg_point(const sweep_ctx *c, const df_net *net, int idx, const cli_solution *sol, const cli_solution *base) {
    const cli_opts *o = c->o;
    sweep_series *ss = c->svg;
    for (int s = 0; s < ss->n; s++) {
        const cli_solution *use = NULL;
        cli_solution extra;
        cli_solution_init(&extra);
        df_solver sv = ss->solver[s];
        if (sv == DF_SOLVER_LBL) use = base;
        else if (sv == o->solver) use = sol;
        else {
            df_err e;
            if (cli_solve(net, sv, o->objective, &o->ga, c->mp, o->candidates, &extra, &e)) {
                cli_solution_free(&extra);
                if (e.code == DF_EINFEASIBLE) continue;
                return cli_fail_err(df_solver_name(sv), &e);
            }
            use = &extra;
        }
        if (use->ok && use->met.feasible) {
            ss->lat[s][idx] = use->met.latency_s;
            ss->en[s][idx] = use->met.energy_pj;
        }
        cli_solution_free(&extra);
    }
    return 0;
}

/* Runs one point and prints its row. Returns 0 or an exit status. */
static int run_point(const sweep_ctx *c, int idx, const df_hw *hw, const char *label) {
    const cli_opts *o = c->o;
    df_net *net = NULL;
    df_err e;
    if (df_net_init(&net, c->w, hw, o->batch, &e)) return cli_fail_err(NULL, &e);
    cli_solution sol, base;
    cli_solution_init(&sol);
    cli_solution_init(&base);
    int rc = 0;
    int64_t need = 0;
    int feasible = df_net_check_budget(net, &e) == DF_OK;
    if (!feasible && e.code != DF_EINFEASIBLE) {
        rc = cli_fail_err(NULL, &e);
        goto out;
    }
    if (!feasible) need = e.need_bytes;
    if (feasible && cli_solve(net, o->solver, o->objective, &o->ga, c->mp, o->candidates, &sol, &e)) {
        if (e.code != DF_EINFEASIBLE) {
            rc = cli_fail_err(df_solver_name(o->solver), &e);
            goto out;
        }
        feasible = 0;
        need = e.need_bytes;
    }
    if (feasible) {
        int brc = o->solver == DF_SOLVER_LBL ? cli_score(net, &sol.map, &base, &e)
                                             : cli_solve(net, DF_SOLVER_LBL, o->objective, NULL, NULL, 0, &base, &e);
        if (brc) {
            rc = cli_fail_err("layer-by-layer baseline", &e);
            goto out;
        }
    }

    if (c->show && c->tty) { /* the row may share the terminal: wipe the progress line first */
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    csv_str(c->w->name);
    putchar(',');
    csv_str(label);
    printf(",%s,%dx%d,%lld,%d,%s,%s,%d,", df_dataflow_name(hw->dataflow), hw->pe_rows, hw->pe_cols,
           (long long)hw->buffer_bytes, o->batch, df_objective_name(o->objective), df_solver_name(o->solver), feasible);
    if (feasible) {
        const df_metrics *m = &sol.met, *b = &base.met;
        printf("%d,%.0f,%.1f,%.0f,%lld,%.0f,%.1f,%.0f,%.4f,%.3f,\n", sol.map.n_groups, m->latency_cycles, m->energy_pj,
               m->dram_bytes, (long long)m->peak_bytes, b->latency_cycles, b->energy_pj, b->dram_bytes,
               m->latency_cycles > 0 ? b->latency_cycles / m->latency_cycles : 0.0, sol.ms);
    } else {
        printf("0,,,,,,,,,,%lld\n", (long long)need);
    }
    fflush(stdout);
    if (feasible && c->svg) rc = svg_point(c, net, idx, &sol, &base);
out:
    cli_solution_free(&sol);
    cli_solution_free(&base);
    df_net_free(net);
    return rc;
}

static void progress(const sweep_ctx *c, int i, int n, const df_hw *hw, const char *label) {
    double el = (cli_now_ms() - c->t0) / 1e3;
    char b[32], eta[32];
    if (i == n) {
        fprintf(stderr, "%s[%d/%d] %s done in %.1fs\n", c->tty ? "\r\033[K" : "", n, n, c->w->name, el);
        fflush(stderr);
        return;
    }
    if (i == 0) snprintf(eta, sizeof eta, "?");
    else snprintf(eta, sizeof eta, "%.1fs", el / i * (n - i));
    fprintf(stderr, "%s[%d/%d] %s on %s %s %dx%d, %s budget, elapsed %.1fs, ETA %s%s", c->tty ? "\r\033[K" : "", i, n,
            c->w->name, label, df_dataflow_name(hw->dataflow), hw->pe_rows, hw->pe_cols,
            df_format_size(hw->buffer_bytes, b, sizeof b), el, eta, c->tty ? "" : "\n");
    fflush(stderr);
}

/* The name a point goes by in the CSV: its preset, or its position in --hw-points. */
static void point_label(const json_t *base, const char *fallback, size_t idx, int numbered, hw_label out) {
    const json_t *p = json_is_object(base) ? json_object_get(base, "preset") : base;
    if (json_is_string(p)) snprintf(out, sizeof(hw_label), "%s", json_string_value(p));
    else if (numbered) snprintf(out, sizeof(hw_label), "point%zu", idx);
    else snprintf(out, sizeof(hw_label), "%s", fallback);
}

/* The hardware points: --hw-points entries (each at every budget, if any) or --hw at every budget. */
static int build_points(const cli_opts *o, const budget_list *b, df_hw **out, hw_label **labels_out, int *n_out) {
    json_t *doc = NULL;
    const json_t *base = NULL;
    const char *prefix = "", *where = "--hw";
    int rc;
    if (o->hw_points) {
        doc = cli_load_json(o->hw_points);
        if (!doc) return CLI_EXIT_USAGE;
        if (!json_is_array(doc) || json_array_size(doc) == 0) {
            json_decref(doc);
            return cli_fail(CLI_EXIT_USAGE, "%s: expected a non-empty JSON array of hardware objects", o->hw_points);
        }
        where = o->hw_points;
    } else if ((rc = cli_hw_spec(o->hw, &doc, &base, &prefix))) {
        return rc;
    } else if (!json_is_string(doc)) {
        where = o->hw;
    }
    size_t nh = o->hw_points ? json_array_size(doc) : 1;
    size_t nb = b->n > 0 ? (size_t)b->n : 1;
    if (nh * nb > MAX_POINTS) {
        json_decref(doc);
        return cli_fail(CLI_EXIT_USAGE, "sweep: %zu points, the limit is %d", nh * nb, MAX_POINTS);
    }
    df_hw *pts = calloc(nh * nb, sizeof *pts);
    hw_label *labels = calloc(nh * nb, sizeof *labels);
    if (!pts || !labels) {
        free(pts);
        free(labels);
        json_decref(doc);
        return cli_fail(CLI_EXIT_USAGE, "out of memory");
    }
    rc = 0;
    for (size_t h = 0; h < nh && !rc; h++) {
        char ptr[32];
        const json_t *hb = base;
        const char *pf = prefix;
        if (o->hw_points) {
            snprintf(ptr, sizeof ptr, "/%zu", h);
            hb = json_array_get(doc, h);
            pf = ptr;
        }
        for (size_t k = 0; k < nb && !rc; k++) {
            rc = cli_hw_from_base(hb, where, pf, o, b->n > 0 ? b->v[k] : 0, &pts[h * nb + k]);
            point_label(hb, "custom", h, o->hw_points != NULL, labels[h * nb + k]);
        }
    }
    json_decref(doc);
    if (rc) {
        free(pts);
        free(labels);
        return rc;
    }
    *out = pts;
    *labels_out = labels;
    *n_out = (int)(nh * nb);
    return 0;
}

static void series_free(sweep_series *ss) {
    for (int s = 0; s < ss->n; s++) {
        free(ss->lat[s]);
        free(ss->en[s]);
    }
    ss->n = 0;
}

static void series_add(sweep_series *ss, df_solver sv, const char *name) {
    for (int s = 0; s < ss->n; s++)
        if (ss->solver[s] == sv) return;
    if (ss->n == DF_SVG_MAX_SERIES) return;
    ss->solver[ss->n] = sv;
    snprintf(ss->name[ss->n], sizeof ss->name[0], "%s", name);
    ss->n++;
}

static void series_label(const cli_opts *o, df_solver sv, char *buf, size_t n) {
    switch (sv) {
    case DF_SOLVER_LBL: snprintf(buf, n, "layer-by-layer"); break;
    case DF_SOLVER_EXACT: snprintf(buf, n, "optimum (exact)"); break;
    case DF_SOLVER_TRANSFORMER:
        if (o->candidates > 1) snprintf(buf, n, "transformer (best of %d)", o->candidates);
        else snprintf(buf, n, "transformer");
        break;
    default: snprintf(buf, n, "%s", df_solver_name(sv)); break;
    }
}

/* Layer-by-layer, the exact optimum, then the --solver answer and the --compare solvers (transformer
 * before ga). Values start as NaN (no point). */
static int series_init(const cli_opts *o, int n_points, sweep_series *ss) {
    memset(ss, 0, sizeof *ss);
    char name[48];
    /* a fixed order, so a solver keeps its colour from one picture to the next */
    static const df_solver order[] = {DF_SOLVER_LBL, DF_SOLVER_EXACT, DF_SOLVER_TRANSFORMER, DF_SOLVER_GA};
    unsigned want = 1u << DF_SOLVER_LBL | 1u << DF_SOLVER_EXACT | 1u << o->solver | o->compare;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(want & (1u << order[i]))) continue;
        series_label(o, order[i], name, sizeof name);
        series_add(ss, order[i], name);
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
static int write_sweep_svg(const cli_opts *o, const df_workload *w, const df_hw *pts, int n, sweep_series *ss) {
    int64_t *budgets = malloc((size_t)n * sizeof *budgets);
    if (!budgets) return cli_fail(CLI_EXIT_USAGE, "out of memory");
    for (int i = 0; i < n; i++) budgets[i] = pts[i].buffer_bytes;
    df_svg_series ser[DF_SVG_MAX_SERIES];
    for (int s = 0; s < ss->n; s++) ser[s] = (df_svg_series){ss->name[s], ss->lat[s], ss->en[s]};
    char title[160], hws[256], sub[400];
    snprintf(title, sizeof title, "%s: latency and energy against the on-chip budget", w->name);
    cli_hw_summary(&pts[0], hws, sizeof hws);
    snprintf(sub, sizeof sub, "%s \xC2\xB7 batch %d \xC2\xB7 objective %s \xC2\xB7 %d budget%s", hws, o->batch,
             df_objective_name(o->objective), n, n == 1 ? "" : "s");
    df_svg_sweep_opts so = {.title = title, .subtitle = sub, .n_points = n, .budgets = budgets, .n_series = ss->n,
                            .series = ser};
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_err e;
    int rc = df_svg_sweep(&so, &b, &e) != DF_OK ? cli_fail_err("--svg", &e) : cli_write_svg(o->svg, &b);
    df_svg_buf_free(&b);
    free(budgets);
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
    if (!o.budgets && !o.hw_points) return cli_fail(CLI_EXIT_USAGE, "sweep: give --budgets LIST and/or --hw-points FILE");
    if (o.budgets && o.have_buffer) return cli_fail(CLI_EXIT_USAGE, "sweep: use either --buffer or --budgets, not both");
    if (o.svg && (!o.budgets || o.hw_points))
        return cli_fail(CLI_EXIT_USAGE, "sweep: --svg draws a budget sweep: give --budgets with one hardware (--hw), not --hw-points");
    if (o.compare && !o.svg) return cli_fail(CLI_EXIT_USAGE, "sweep: --compare adds series to the --svg picture; give --svg FILE");

    budget_list b = {0};
    if (o.budgets && (rc = parse_budgets(o.budgets, &b))) {
        free(b.v);
        return rc;
    }
    df_hw *pts = NULL;
    hw_label *labels = NULL;
    int n = 0;
    rc = build_points(&o, &b, &pts, &labels, &n);
    free(b.v);
    if (rc) return rc;
    df_workload w;
    if ((rc = cli_load_workload(o.workload, o.seq_len, &w, NULL))) {
        free(pts);
        free(labels);
        return rc;
    }
    sweep_ctx c = {.o = &o, .w = &w, .t0 = cli_now_ms(), .tty = isatty(STDERR_FILENO)};
    c.show = c.tty || o.progress;
    if ((rc = cli_load_mapper(&o, &c.mp))) {
        df_workload_free(&w);
        free(pts);
        free(labels);
        return rc;
    }
    sweep_series ss;
    if (o.svg && (rc = series_init(&o, n, &ss))) {
        df_mapper_free(c.mp);
        df_workload_free(&w);
        free(pts);
        free(labels);
        return rc;
    }
    if (o.svg) c.svg = &ss;
    fputs(csv_header, stdout);
    for (int i = 0; i < n && !rc; i++) {
        if (c.show) progress(&c, i, n, &pts[i], labels[i]);
        rc = run_point(&c, i, &pts[i], labels[i]);
    }
    if (c.show && !rc) progress(&c, n, n, &pts[n - 1], labels[n - 1]);
    if (o.svg) {
        if (!rc) rc = write_sweep_svg(&o, &w, pts, n, &ss);
        series_free(&ss);
    }
    df_mapper_free(c.mp);
    df_workload_free(&w);
    free(pts);
    free(labels);
    return rc;
}
