/* fuzz_workload.c - libFuzzer target for workload JSON (src/core/json.c df_workload_from_json and
 * src/core/workload.c validation), and for what the daemon then does with any workload it accepted:
 * bind it to hardware (df_net_init, per-layer figures), the budget check, the transformer's
 * per-layer features with a greedy masked schedule (src/model/features.c), layer-by-layer solving and
 * mapping evaluation. Invariants: the writer's output reads back into the same workload; derived
 * output sizes are positive; a greedy masked schedule never dead-ends once the budget check passed
 * and its mapping is feasible; nothing leaks. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dnnfuser/features.h"
#include "dnnfuser/json.h"
#include "dnnfuser/solve.h"
#include "fuzz_util.h"

static df_hw hw_edge, hw_cloud;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    json_object_seed(1);
    FUZZ_CHECK(df_hw_preset("edge", &hw_edge, NULL) == DF_OK);
    FUZZ_CHECK(df_hw_preset("cloud", &hw_cloud, NULL) == DF_OK);
    return 0;
}

/* Binds w and walks everything downstream of a bound net. */
static void exercise_net(const df_workload *w, const df_hw *hw, int32_t batch) {
    df_net *net = NULL;
    df_err e;
    if (df_net_init(&net, w, hw, batch, &e) != DF_OK) return;
    for (int32_t i = 0; i < df_net_layers(net); i++) {
        const df_layer_figures *lf = df_net_layer_figures(net, i);
        FUZZ_CHECK(lf != NULL && lf->compute_cycles >= 0 && !isnan(lf->utilization));
    }
    if (df_net_check_budget(net, &e) == DF_OK) {
        df_episode ep;
        if (df_episode_init(&ep, net, DF_OBJ_LATENCY, &e) == DF_OK) {
            int32_t *actions = calloc((size_t)ep.L, sizeof *actions);
            FUZZ_CHECK(actions != NULL);
            df_sched s;
            df_sched_begin(&s);
            float x[DF_FEATURES];
            uint8_t mask[DF_ACTIONS];
            while (s.t < ep.L) {
                df_sched_observe(&ep, &s, x, mask);
                /* greedy: fuse when allowed, else the largest allowed micro-batch slot */
                int a = -1;
                for (int k = 0; k < DF_ACTIONS && a < 0; k++)
                    if (mask[k]) a = k;
                FUZZ_CHECK(a >= 0); /* masked decoding never dead-ends after the budget check */
                actions[s.t] = a;
                FUZZ_CHECK(df_sched_apply(&ep, &s, a) == DF_OK);
            }
            df_mapping m;
            if (df_mapping_init(&m, 4) == DF_OK) {
                if (df_sched_actions_to_mapping(&ep, actions, &m, &e) == DF_OK) {
                    df_metrics met;
                    FUZZ_CHECK(df_mapping_eval(net, &m, &met, NULL, &e) == DF_OK);
                    FUZZ_CHECK(met.feasible);
                }
                df_mapping_free(&m);
            }
            free(actions);
            df_episode_free(&ep);
        }
        df_mapping lbl; /* solve.h: the output mapping must be initialised (it is overwritten) */
        FUZZ_CHECK(df_mapping_init(&lbl, 4) == DF_OK);
        if (df_solve_lbl(net, DF_OBJ_ENERGY, &lbl, NULL, &e) == DF_OK) {
            df_metrics met;
            df_group_cost *gc = calloc((size_t)lbl.n_groups, sizeof *gc);
            FUZZ_CHECK(gc != NULL);
            FUZZ_CHECK(df_mapping_eval(net, &lbl, &met, gc, &e) == DF_OK && met.feasible);
            json_t *g = df_groups_to_json(net, &lbl, gc);
            json_t *mj = df_metrics_to_json(&met);
            FUZZ_CHECK(g != NULL && mj != NULL);
            json_decref(g);
            json_decref(mj);
            free(gc);
        }
        df_mapping_free(&lbl);
    }
    df_net_free(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!j) return 0;
    df_workload w;
    df_err e;
    if (df_workload_from_json(j, "/workload", 4096, &w, &e) != DF_OK) {
        FUZZ_CHECK(e.code != DF_OK && e.msg[0] != '\0');
        FUZZ_CHECK(w.layers == NULL && w.n_layers == 0);
        json_decref(j);
        return 0;
    }
    json_decref(j);
    FUZZ_CHECK(w.n_layers >= 1);
    for (int32_t i = 0; i < w.n_layers; i++) FUZZ_CHECK(w.layers[i].P >= 1 && w.layers[i].Q >= 1);
    (void)df_workload_macs(&w);

    /* round trip: the writer's output reads back into the same layers */
    json_t *out = df_workload_to_json(&w);
    FUZZ_CHECK(out != NULL);
    df_workload w2;
    FUZZ_CHECK(df_workload_from_json(out, "", 4096, &w2, &e) == DF_OK);
    FUZZ_CHECK(w2.n_layers == w.n_layers && strcmp(w2.name, w.name) == 0);
    FUZZ_CHECK(memcmp(w2.layers, w.layers, (size_t)w.n_layers * sizeof *w.layers) == 0);
    df_workload_free(&w2);
    json_decref(out);

    /* a validated workload must bind and score without UB on any hardware and batch */
    exercise_net(&w, &hw_edge, 1);
    exercise_net(&w, &hw_cloud, (int32_t)(size % 64) + 2);
    df_workload_free(&w);
    return 0;
}
