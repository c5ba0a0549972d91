/* bench_dfgain.c - the depth-first gain (issue 14 targets): for networks x on-chip budgets x
 * objectives at one batch, the exact optimum over the batch-only map-space and over the depth-first
 * space (df_solve_exact_in), their energy, DRAM and latency, and each solve's time (median of --reps
 * runs). Prints CSV (docs/dfgain/README.md has the table and the command). With --point it solves one
 * (workload, hardware, objective, space) and prints one CSV line, optionally writing the mapping as a
 * `dnnfuser eval` file (docs/defines/run_ours.sh). A solve longer than --cap seconds is cancelled and
 * reported as capped. Not a test: it asserts nothing, it measures. */
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "dnnfuser/answer.h"
#include "dnnfuser/json.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/tile.h"

static atomic_int g_cancel; /* set by SIGALRM: the --cap of one solve */

static void on_alarm(int sig) {
    (void)sig;
    atomic_store(&g_cancel, 1);
}

static void die(const char *what, const df_err *e) {
    fprintf(stderr, "bench_dfgain: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

/* hw: a preset name or a hardware JSON file; buffer (0: keep) goes through the library's reader, as
 * `dnnfuser map --buffer` does, so the buffer energy follows the budget when the file does not fix it. */
static void load_hw(const char *spec, int64_t buffer, df_hw *out) {
    json_t *j;
    json_error_t je;
    df_err e;
    if (strchr(spec, '/') || strstr(spec, ".json")) {
        j = json_load_file(spec, 0, &je);
        if (!j) {
            fprintf(stderr, "bench_dfgain: %s: %s\n", spec, je.text);
            exit(1);
        }
    } else {
        j = json_pack("{s:s}", "preset", spec);
    }
    if (buffer > 0) json_object_set_new(j, "buffer", json_integer(buffer));
    if (df_hw_from_json(j, "", out, &e)) die(spec, &e);
    json_decref(j);
}

static df_net *make_net(const char *wl, const char *hw_spec, int64_t buffer, int32_t batch) {
    df_workload w;
    df_hw hw;
    df_err e;
    df_net *n = NULL;
    if (df_resolve_workload_spec(wl, 0, DF_DEFAULT_MAX_LAYERS, &w, NULL, &e)) die(wl, &e);
    load_hw(hw_spec, buffer, &hw);
    if (df_net_init(&n, &w, &hw, batch, &e)) die(wl, &e);
    df_workload_free(&w);
    return n;
}

typedef struct {
    int status; /* 0 solved, 1 infeasible, 2 capped */
    df_metrics mt;
    double solve_s; /* median over reps */
    int64_t need;   /* infeasible: the smallest budget the solver names (df_err.need_bytes), or 0 */
    df_mapping map;
} result;

/* space: -1 lbl, else a df_space. */
static void solve(const df_net *n, df_objective obj, int space, int reps, double cap, result *r) {
    double t[64];
    if (reps > 64) reps = 64;
    df_mapping_init(&r->map, 64);
    r->status = 0;
    r->need = 0;
    for (int k = 0; k < reps; k++) {
        df_solve_stats st = {0};
        st.cancel = &g_cancel;
        atomic_store(&g_cancel, 0);
        if (cap > 0) alarm((unsigned)(cap + 0.999));
        df_err e;
        double t0 = now_s();
        int rc = space < 0 ? df_solve_lbl(n, obj, &r->map, &st, &e)
                           : df_solve_exact_in(n, obj, (df_space)space, &r->map, &st, &e);
        t[k] = now_s() - t0;
        alarm(0);
        if (rc == DF_EINFEASIBLE) {
            r->status = 1;
            r->solve_s = t[k];
            r->need = e.need_bytes;
            return;
        }
        if (rc == DF_ECANCELED) {
            r->status = 2;
            r->solve_s = t[k];
            return;
        }
        if (rc) die("solve", &e);
    }
    r->solve_s = median(t, reps);
    df_err e;
    if (df_mapping_eval(n, &r->map, &r->mt, NULL, &e)) die("eval", &e);
    if (!r->mt.feasible) r->status = 1;
}

/* "0-7:72x60/cache_all 8-9:whole" : the groups with their tiles, for the CSV. */
static void describe(const df_net *n, const df_mapping *m, char *buf, size_t len) {
    size_t u = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < m->n_groups && u + 48 < len; i++) {
        const df_group *g = &m->groups[i];
        if (df_group_is_whole(n, g))
            u += (size_t)snprintf(buf + u, len - u, "%s%d-%d:m%d", i ? " " : "", g->first, g->last, g->micro_batch);
        else
            u += (size_t)snprintf(buf + u, len - u, "%s%d-%d:%dx%d/%s", i ? " " : "", g->first, g->last, g->tile_rows,
                                  g->tile_cols, df_overlap_name((df_overlap)g->overlap));
    }
}

/* The mapping as a `dnnfuser eval` file (workload given with -w). */
static void write_mapping(const df_net *n, const df_mapping *m, df_objective obj, const char *path) {
    json_t *j = json_object();
    json_object_set_new(j, "hardware", df_hw_to_json(df_net_hw(n)));
    json_object_set_new(j, "batch", json_integer(df_net_batch(n)));
    json_object_set_new(j, "objective", json_string(df_objective_name(obj)));
    json_t *mj = df_mapping_to_json(m); /* {"groups": [...]} */
    json_object_set(j, "groups", json_object_get(mj, "groups"));
    json_decref(mj);
    if (json_dump_file(j, path, JSON_INDENT(1))) {
        fprintf(stderr, "bench_dfgain: cannot write %s\n", path);
        exit(1);
    }
    json_decref(j);
}

static const char *status_name(int s) { return s == 0 ? "ok" : s == 1 ? "infeasible" : "capped"; }

static int point(int argc, char **argv) {
    const char *wl = NULL, *hw = "edge", *space_s = "depth_first", *obj_s = "energy", *out = NULL;
    int64_t buffer = 0;
    int32_t batch = 1;
    int reps = 5;
    double cap = 600;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_dfgain: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "-w"))
            wl = v;
        else if (!strcmp(a, "--hw"))
            hw = v;
        else if (!strcmp(a, "--space"))
            space_s = v;
        else if (!strcmp(a, "--objective"))
            obj_s = v;
        else if (!strcmp(a, "--mapping"))
            out = v;
        else if (!strcmp(a, "--buffer")) {
            if (df_parse_size(v, &buffer)) {
                fprintf(stderr, "bad --buffer\n");
                return 2;
            }
        } else if (!strcmp(a, "--batch"))
            batch = atoi(v);
        else if (!strcmp(a, "--reps"))
            reps = atoi(v);
        else if (!strcmp(a, "--cap"))
            cap = atof(v);
        else {
            fprintf(stderr, "bench_dfgain: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    df_objective obj;
    df_space sp = DF_SPACE_BATCH;
    int space = -1;
    if (!wl || df_objective_parse(obj_s, &obj) || (strcmp(space_s, "lbl") && df_space_parse(space_s, &sp))) {
        fprintf(stderr, "usage: bench_dfgain --point -w WL [--hw HW] [--buffer B] [--batch N] [--objective OBJ]\n"
                        "       [--space lbl|batch|depth_first] [--reps N] [--cap S] [--mapping FILE]\n");
        return 2;
    }
    if (strcmp(space_s, "lbl")) space = (int)sp;
    df_net *n = make_net(wl, hw, buffer, batch);
    result r;
    solve(n, obj, space, reps < 1 ? 1 : reps, cap, &r);
    char desc[4096] = "";
    if (r.status == 0) describe(n, &r.map, desc, sizeof desc);
    printf("%s,%s,%s,%.6g,%.6g,%.6g,%.6g,%d,\"%s\"\n", space_s, obj_s, status_name(r.status),
           r.status ? 0 : r.mt.energy_pj, r.status ? 0 : r.mt.latency_cycles, r.status ? 0 : r.mt.dram_bytes, r.solve_s,
           r.status ? 0 : r.map.n_groups, desc);
    if (out && r.status == 0) write_mapping(n, &r.map, obj, out);
    df_mapping_free(&r.map);
    df_net_free(n);
    return 0;
}

/* Splits a comma list in place into at most max items. */
static int split(char *s, const char **out, int max) {
    int k = 0;
    for (char *t = strtok(s, ","); t && k < max; t = strtok(NULL, ",")) out[k++] = t;
    return k;
}

int main(int argc, char **argv) {
    signal(SIGALRM, on_alarm);
    if (argc > 1 && !strcmp(argv[1], "--point")) return point(argc, argv);
    char nets_s[256] = "fsrcnn,unet,resnet18_512,mobilenetv2_512";
    char budgets_s[256] = "64KiB,128KiB,256KiB,512KiB,1MiB";
    char objs_s[64] = "energy,dram";
    const char *hw = "edge";
    int32_t batch = 1;
    int reps = 5;
    double cap = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_dfgain: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--nets"))
            snprintf(nets_s, sizeof nets_s, "%s", v);
        else if (!strcmp(a, "--budgets"))
            snprintf(budgets_s, sizeof budgets_s, "%s", v);
        else if (!strcmp(a, "--objectives"))
            snprintf(objs_s, sizeof objs_s, "%s", v);
        else if (!strcmp(a, "--hw"))
            hw = v;
        else if (!strcmp(a, "--batch"))
            batch = atoi(v);
        else if (!strcmp(a, "--reps"))
            reps = atoi(v);
        else if (!strcmp(a, "--cap"))
            cap = atof(v);
        else {
            fprintf(stderr, "usage: bench_dfgain [--nets a,b] [--budgets 64KiB,...] [--objectives energy,dram]\n"
                            "       [--hw PRESET|FILE] [--batch N] [--reps N] [--cap S]\n"
                            "       bench_dfgain --point -w WL ... (see the source)\n");
            return 2;
        }
        i++;
    }
    const char *nets[16], *budgets[16], *objs[4];
    int nn = split(nets_s, nets, 16), nb = split(budgets_s, budgets, 16), no = split(objs_s, objs, 4);
    printf("network,hardware,budget_bytes,batch,objective,batch_status,batch_energy_pj,batch_dram_bytes,"
           "batch_latency_cycles,batch_solve_ms,df_status,df_energy_pj,df_dram_bytes,df_latency_cycles,df_solve_ms,"
           "energy_df_over_batch,dram_df_over_batch,df_groups,df_mapping,batch_need_bytes,df_need_bytes\n");
    for (int a = 0; a < nn; a++)
        for (int b = 0; b < nb; b++) {
            int64_t buffer;
            if (df_parse_size(budgets[b], &buffer)) {
                fprintf(stderr, "bad budget %s\n", budgets[b]);
                return 2;
            }
            df_net *n = make_net(nets[a], hw, buffer, batch);
            for (int o = 0; o < no; o++) {
                df_objective obj;
                if (df_objective_parse(objs[o], &obj)) {
                    fprintf(stderr, "bad objective %s\n", objs[o]);
                    return 2;
                }
                result rb, rd;
                solve(n, obj, DF_SPACE_BATCH, reps, cap, &rb);
                solve(n, obj, DF_SPACE_DEPTH_FIRST, reps, cap, &rd);
                char desc[4096] = "";
                if (rd.status == 0) describe(n, &rd.map, desc, sizeof desc);
                char er[32] = "", dr[32] = "";
                if (rb.status == 0 && rd.status == 0) {
                    snprintf(er, sizeof er, "%.4f", rd.mt.energy_pj / rb.mt.energy_pj);
                    snprintf(dr, sizeof dr, "%.4f", rd.mt.dram_bytes / rb.mt.dram_bytes);
                }
                printf("%s,%s,%lld,%d,%s,%s,%.6g,%.6g,%.6g,%.4g,%s,%.6g,%.6g,%.6g,%.4g,%s,%s,%d,\"%s\",%lld,%lld\n",
                       nets[a], hw, (long long)buffer, batch, objs[o], status_name(rb.status),
                       rb.status ? 0 : rb.mt.energy_pj, rb.status ? 0 : rb.mt.dram_bytes,
                       rb.status ? 0 : rb.mt.latency_cycles, rb.solve_s * 1e3, status_name(rd.status),
                       rd.status ? 0 : rd.mt.energy_pj, rd.status ? 0 : rd.mt.dram_bytes,
                       rd.status ? 0 : rd.mt.latency_cycles, rd.solve_s * 1e3, er, dr, rd.status ? 0 : rd.map.n_groups,
                       desc, (long long)rb.need, (long long)rd.need);
                fflush(stdout);
                df_mapping_free(&rb.map);
                df_mapping_free(&rd.map);
            }
            df_net_free(n);
        }
    return 0;
}
