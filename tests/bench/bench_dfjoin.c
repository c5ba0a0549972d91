/* bench_dfjoin.c - the depth-first join rule (features.h DF_JOIN_MARGIN, df_sched_join_ratio) against
 * the exact depth-first optimum (issue 18): on N sampled requests per split (the sampler's objective
 * mix, as dnnfuser-train draws them), replays the optimum of df_solve_exact_in through the schedule
 * and records df_sched_join_ratio at each of its joins (the optimum's group so far, closed best, vs
 * closing before the layer and starting it alone). A join with ratio > DF_JOIN_MARGIN would be refused
 * by the rule: the rule removes that optimum (dnnfuser-train could not label it). Prints the largest
 * ratio per split and objective, the refusals at DF_JOIN_MARGIN and at smaller margins, and checks
 * that the decode mask agrees with the ratio. Prints figures, asserts nothing.
 * Usage: bench_dfjoin [N per split (default 100)] [SEED (default 18)] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dnnfuser/features.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"

static const double margins[] = {1.25, 1.5, 2, 3, DF_JOIN_MARGIN};
enum { NM = sizeof margins / sizeof margins[0] };

typedef struct {
    int requests, joins, mask_mismatch;
    int refused_req[NM]; /* requests whose optimum has a join above the margin */
    double worst;
    char at[96];
} agg;

/* replays the optimum m of the request; returns its largest join ratio (-1: not replayable) */
static double replay(const df_episode *ep, const df_mapping *m, agg *a) {
    int32_t L = ep->L, *act = malloc((size_t)L * sizeof *act), *cl = malloc((size_t)L * sizeof *cl);
    double worst = -1;
    df_err e;
    if (!act || !cl || df_mapping_to_actions_df(ep, m, act, cl, &e)) goto out;
    df_sched s;
    df_sched_begin(&s);
    float x[DF_FEATURES];
    uint8_t mask[DF_ACTIONS];
    worst = 0;
    while (s.t < L) {
        int32_t t = s.t;
        df_sched_observe(ep, &s, x, mask);
        if (act[t] == 0) {
            double r = df_sched_join_ratio(ep, &s);
            a->joins++;
            if (r > worst) worst = r;
            a->mask_mismatch += mask[0] != (r <= ep->join_margin);
        } else if (t > 0 && df_sched_close(ep, &s, cl[t - 1])) {
            worst = -1;
            goto out;
        }
        /* the rule off for the replay itself: the ratio is what is measured */
        df_episode off = *ep;
        off.join_margin = INFINITY;
        if (df_sched_apply(&off, &s, act[t])) {
            worst = -1;
            goto out;
        }
    }
out:
    free(act);
    free(cl);
    return worst;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 18;
    printf("bench_dfjoin: %d requests per split, seed %llu, T 64; DF_JOIN_MARGIN %.2f\n", n, (unsigned long long)seed,
           DF_JOIN_MARGIN);
    for (int sp = 0; sp < DF_SPLIT_COUNT; sp++) {
        agg a[DF_OBJ_COUNT];
        memset(a, 0, sizeof a);
        df_rng r;
        df_rng_seed(&r, seed + 1000 * (uint64_t)sp);
        double t0 = now_s(), init_s = 0;
        int bad = 0;
        for (int i = 0; i < n; i++) {
            df_request_sample q;
            df_err e;
            if (df_sample_request(&r, (df_split)sp, 64, &q, &e)) continue;
            df_net *net;
            if (df_net_init(&net, &q.w, &q.hw, q.batch, &e)) {
                df_workload_free(&q.w);
                continue;
            }
            df_mapping ex;
            df_mapping_init(&ex, 16);
            df_episode ep;
            if (!df_solve_exact_in(net, q.obj, DF_SPACE_DEPTH_FIRST, &ex, NULL, &e)) {
                double ti = now_s();
                if (!df_episode_init_layout(&ep, net, q.obj, DF_LAYOUT_DEPTH_FIRST, &e)) {
                    init_s += now_s() - ti;
                    agg *g = &a[q.obj];
                    double w = replay(&ep, &ex, g);
                    if (w < 0) {
                        bad++;
                    } else {
                        g->requests++;
                        for (int k = 0; k < NM; k++) g->refused_req[k] += w > margins[k];
                        if (w > g->worst) {
                            g->worst = w;
                            snprintf(g->at, sizeof g->at, "%s batch %d, %lld KiB", q.source, (int)q.batch,
                                     (long long)(q.hw.buffer_bytes >> 10));
                        }
                    }
                    df_episode_free(&ep);
                }
            }
            df_mapping_free(&ex);
            df_net_free(net);
            df_workload_free(&q.w);
        }
        printf("%s: %.0f s, depth-first episode init %.1f ms per request, %d not replayable (not expressible, or a "
               "close refused by the close rule)\n",
               df_split_name((df_split)sp), now_s() - t0, 1e3 * init_s / (n > 0 ? n : 1), bad);
        for (int o = 0; o < DF_OBJ_COUNT; o++) {
            if (!a[o].requests) continue;
            printf("  %-8s %4d requests, %5d joins, largest ratio %.4f (%s); optima refused at margin",
                   df_objective_name(o), a[o].requests, a[o].joins, a[o].worst, a[o].at);
            for (int k = 0; k < NM; k++) printf(" %.2f: %d", margins[k], a[o].refused_req[k]);
            printf("; mask disagrees %d\n", a[o].mask_mismatch);
        }
        fflush(stdout);
    }
    return 0;
}
