/* bench_auto.c - the default solver auto against each solver (make bench): per zoo network and
 * setting (edge hardware, batch x budget), the wall time of df_answer_solve (solve + check before
 * reply; median of alternating runs: every round runs each solver once, in turn) and the quality
 * (the answer's objective / the exact optimum's, 1.000 = optimal). Then the fit of auto's predictor
 * of the exact solver's time, log t = C0 + CL log L + CR log R + CM log M (df_answer_exact_features),
 * by least squares over a wider grid (batch 1..64, budget 128 KiB..16 MiB), next to the built-in
 * coefficients, with R^2 and the spread of measured / predicted. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "dnnfuser/answer.h"
#include "dnnfuser/zoo.h"

#define ROUNDS 3
#define N_SOLVERS 5

static const char *const solver_names[N_SOLVERS] = {"auto", "exact", "transformer", "ga", "lbl"};
static const int32_t batches[] = {1, 8, 32};
static const char *const budgets[] = {"256KiB", "2MiB", "16MiB"};

static int request(const char *net, int32_t batch, const char *budget, const char *solver, df_request *r) {
    char body[512];
    snprintf(body, sizeof body,
             "{\"workload\":\"%s\",\"hardware\":\"edge\",\"budget\":\"%s\",\"batch\":%d,\"solver\":\"%s\"%s}", net,
             budget, batch, solver, strcmp(solver, "ga") == 0 ? ",\"ga\":{\"population\":32,\"generations\":40}" : "");
    json_error_t je;
    json_t *root = json_loads(body, 0, &je);
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_request_src src = {.root = root, .prefix = ""};
    df_fail f;
    int rc = df_request_parse(&src, &lim, r, &f);
    json_decref(root);
    return rc;
}

/* Solves the k x k system A x = b in place (Gauss-Jordan with partial pivoting). */
static void solve4(double A[4][4], double b[4], int k) {
    for (int i = 0; i < k; i++) {
        int p = i;
        for (int r = i + 1; r < k; r++)
            if (fabs(A[r][i]) > fabs(A[p][i])) p = r;
        for (int c = 0; c < k; c++) {
            double t = A[i][c];
            A[i][c] = A[p][c];
            A[p][c] = t;
        }
        double t = b[i];
        b[i] = b[p];
        b[p] = t;
        for (int r = 0; r < k; r++) {
            if (r == i || A[i][i] == 0) continue;
            double f = A[r][i] / A[i][i];
            for (int c = 0; c < k; c++) A[r][c] -= f * A[i][c];
            b[r] -= f * b[i];
        }
    }
    for (int i = 0; i < k; i++) b[i] = A[i][i] != 0 ? b[i] / A[i][i] : 0;
}

/* The exact solver's time over the fit grid, and the least-squares fit of the predictor. */
static void fit_predictor(void) {
    static const int32_t fb[] = {1, 2, 4, 8, 16, 32, 64};
    static const char *const fg[] = {"128KiB", "256KiB", "512KiB", "1MiB", "2MiB", "4MiB", "8MiB", "16MiB"};
    enum { MAXP = 512 };
    static double X[MAXP][4], y[MAXP];
    int n = 0;
    for (int32_t z = 0; z < df_zoo_count(); z++)
        for (size_t bi = 0; bi < sizeof fb / sizeof fb[0]; bi++)
            for (size_t gi = 0; gi < sizeof fg / sizeof fg[0] && n < MAXP; gi++) {
                df_request r;
                if (request(df_zoo_name(z), fb[bi], fg[gi], "exact", &r)) continue;
                double t[ROUNDS];
                for (int k = 0; k < ROUNDS; k++) {
                    df_mapping m;
                    df_mapping_init(&m, 16);
                    df_err e;
                    double t0 = now_s();
                    df_solve_exact(r.net, r.obj, &m, NULL, &e);
                    t[k] = (now_s() - t0) * 1e3;
                    df_mapping_free(&m);
                }
                df_exact_features x;
                df_answer_exact_features(r.net, &x);
                X[n][0] = 1;
                X[n][1] = log(x.layers);
                X[n][2] = log(x.reach);
                X[n][3] = log(x.micro_batches);
                y[n] = log(median(t, ROUNDS));
                n++;
                df_request_free(&r);
            }
    double A[4][4] = {{0}}, b[4] = {0};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 4; j++) {
            b[j] += X[i][j] * y[i];
            for (int k = 0; k < 4; k++) A[j][k] += X[i][j] * X[i][k];
        }
    solve4(A, b, 4);
    const double built[4] = {DF_ANSWER_FIT_C0, DF_ANSWER_FIT_CL, DF_ANSWER_FIT_CR, DF_ANSWER_FIT_CM};
    double mean = 0, ss[2] = {0}, st = 0, ratio[2][MAXP];
    for (int i = 0; i < n; i++) mean += y[i] / n;
    for (int i = 0; i < n; i++) {
        st += (y[i] - mean) * (y[i] - mean);
        for (int f = 0; f < 2; f++) {
            const double *c = f ? built : b;
            double p = c[0] + c[1] * X[i][1] + c[2] * X[i][2] + c[3] * X[i][3];
            ss[f] += (y[i] - p) * (y[i] - p);
            ratio[f][i] = exp(y[i] - p);
        }
    }
    printf("\nexact-time predictor log t[ms] = C0 + CL log L + CR log R + CM log M, %d settings (batch 1..64, budget "
           "128KiB..16MiB, median of %d runs):\n",
           n, ROUNDS);
    for (int f = 0; f < 2; f++) {
        const double *c = f ? built : b;
        double r2 = st > 0 ? 1 - ss[f] / st : 0;
        double p10 = pct(ratio[f], n, 0.1), p90 = pct(ratio[f], n, 0.9), lo = ratio[f][0], hi = ratio[f][n - 1];
        printf("  %-9s C0 %7.3f  CL %5.3f  CR %5.3f  CM %5.3f | R^2 %.3f | measured/predicted 10%%-90%% [%.2f, %.2f], "
               "all [%.2f, %.2f]\n",
               f ? "built in" : "this fit", c[0], c[1], c[2], c[3], r2, p10, p90, lo, hi);
    }
}

int main(void) {
    df_mapper *mp = NULL;
    df_err e;
    if (df_mapper_load_embedded(&mp, 16, &e) != DF_OK) {
        fprintf(stderr, "bench_auto: weights: %s\n", e.msg);
        return 1;
    }
    printf("auto vs each solver: edge (16x16 ws, 16 B/cycle), objective latency; time = median of %d alternating\n"
           "runs of solve + check (ms); quality = latency / exact latency; ga: population 32, 40 generations\n\n",
           ROUNDS);
    printf("%-16s %5s %7s | %-22s", "network", "batch", "budget", "auto path");
    for (int s = 0; s < N_SOLVERS; s++) printf(" | %-11s %6s", solver_names[s], "q");
    printf("\n");
    int auto_worse = 0, rows = 0;
    double auto_t = 0, exact_t = 0, trans_t = 0;
    for (int32_t z = 0; z < df_zoo_count(); z++)
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++)
            for (size_t gi = 0; gi < sizeof budgets / sizeof budgets[0]; gi++) {
                df_request r[N_SOLVERS];
                int ok = 1;
                for (int s = 0; s < N_SOLVERS; s++)
                    if (request(df_zoo_name(z), batches[bi], budgets[gi], solver_names[s], &r[s])) {
                        ok = 0;
                        for (int k = 0; k < s; k++) df_request_free(&r[k]);
                        break;
                    }
                if (!ok) continue; /* the budget cannot hold some layer alone */
                double t[N_SOLVERS][ROUNDS], q[N_SOLVERS] = {0}, vexact = 0;
                char path[64] = "";
                for (int k = 0; k < ROUNDS; k++)
                    for (int s = 0; s < N_SOLVERS; s++) {
                        df_answer a;
                        df_fail f;
                        double t0 = now_s();
                        int rc = df_answer_solve(&r[s], mp, NULL, &a, &f);
                        t[s][k] = (now_s() - t0) * 1e3;
                        if (rc) {
                            fprintf(stderr, "bench_auto: %s: %s\n", solver_names[s], f.detail);
                            return 1;
                        }
                        double v = df_objective_value(r[s].obj, &a.met);
                        if (s == 1) vexact = v;
                        q[s] = v;
                        if (s == 0) snprintf(path, sizeof path, "%s", a.path);
                        df_answer_free(&a);
                    }
                double med[N_SOLVERS];
                for (int s = 0; s < N_SOLVERS; s++) med[s] = median(t[s], ROUNDS);
                printf("%-16s %5d %7s | %-22s", df_zoo_name(z), batches[bi], budgets[gi], path);
                for (int s = 0; s < N_SOLVERS; s++) printf(" | %8.3f ms %6.3f", med[s], q[s] / vexact);
                printf("\n");
                if (q[0] > vexact * (1 + 1e-9)) auto_worse++;
                rows++;
                auto_t += med[0];
                exact_t += med[1];
                trans_t += med[2];
                for (int s = 0; s < N_SOLVERS; s++) df_request_free(&r[s]);
            }
    printf("\n%d settings: total median time auto %.1f ms, exact %.1f ms, transformer %.1f ms; auto above the optimum "
           "in %d\n",
           rows, auto_t, exact_t, trans_t, auto_worse);
    fit_predictor();
    df_mapper_free(mp);
    return 0;
}
