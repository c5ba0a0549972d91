/* sampler.c - random feasible mapping requests per split (see sampler.h): the training data
 * distribution of the transformer and the held-out sets its quality is measured on. */
#include "dnnfuser/sampler.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dnnfuser/synth.h"
#include "dnnfuser/zoo.h"

static const char *const train_zoo[] = {"resnet18", "resnet50", "mobilenetv2", "vgg16", "bert_base"};
static const char *const heldout_zoo[] = {"mnasnet", "efficientnet_b0"};

const char *df_split_name(df_split s) {
    static const char *const n[DF_SPLIT_COUNT] = {"train", "heldout-net", "heldout-band"};
    return (s >= 0 && s < DF_SPLIT_COUNT) ? n[s] : "?";
}

static double log_uniform(df_rng *r, double lo, double hi) {
    return exp(log(lo) + df_rng_uniform(r) * (log(hi) - log(lo)));
}

static int in_band(int64_t b) { return b >= DF_BAND_LO && b < DF_BAND_HI; }

static void random_hw(df_rng *r, df_hw *hw) {
    static const int32_t dims[] = {8, 12, 14, 16, 16, 32, 32, 64, 128};
    df_hw_preset("edge", hw, NULL);
    snprintf(hw->name, sizeof hw->name, "sampled");
    hw->pe_rows = dims[df_rng_range(r, 9)];
    hw->pe_cols = df_rng_range(r, 3) ? hw->pe_rows : dims[df_rng_range(r, 9)];
    hw->dataflow = (df_dataflow)df_rng_range(r, DF_DATAFLOW_COUNT);
    hw->dram_bw = round(log_uniform(r, 2, 512));
    hw->noc_bw = hw->dram_bw * pow(2, df_rng_range(r, 5));
    hw->elem_bytes = df_rng_range(r, 2) ? 1 : 2;
    hw->clock_hz = 1e9;
}

int df_sample_request(df_rng *r, df_split split, int32_t max_layers, df_request_sample *out, df_err *err) {
    static const int32_t batches[] = {1, 1, 2, 4, 8, 8, 16, 32, 64, 3, 12};
    df_err_clear(err);
    memset(out, 0, sizeof *out);
    for (int attempt = 0; attempt < 100; attempt++) {
        int rc;
        if (split == DF_SPLIT_HELDOUT_NET || df_rng_range(r, 2)) {
            const char *name =
                split == DF_SPLIT_HELDOUT_NET ? heldout_zoo[df_rng_range(r, 2)] : train_zoo[df_rng_range(r, 5)];
            df_zoo_opts o = {.seq_len = 32 << df_rng_range(r, 4)};
            rc = df_zoo_build(name, &o, &out->w, err);
            snprintf(out->source, sizeof out->source, "zoo:%s", name);
        } else {
            int kind = df_rng_range(r, 4);
            rc = df_synth_network(r, kind, max_layers, &out->w, err);
            snprintf(out->source, sizeof out->source, "synth:%d", kind);
        }
        if (rc) return rc;
        if (max_layers > 0 && out->w.n_layers > max_layers) {
            df_workload_free(&out->w);
            continue;
        }
        random_hw(r, &out->hw);
        df_energy e = df_energy_default(out->hw.elem_bytes, DF_BUDGET_MAX);
        out->batch = batches[df_rng_range(r, 11)];
        int u = df_rng_range(r, 20);
        out->obj = u < 9 ? DF_OBJ_LATENCY : u < 15 ? DF_OBJ_ENERGY : u < 18 ? DF_OBJ_EDP : DF_OBJ_DRAM;
        /* minimum feasible budget of this request */
        out->hw.buffer_bytes = 1;
        out->hw.energy = e;
        df_net *n;
        if ((rc = df_net_init(&n, &out->w, &out->hw, out->batch, err))) {
            df_workload_free(&out->w);
            return rc;
        }
        df_err need;
        df_net_check_budget(n, &need);
        df_net_free(n);
        for (int k = 0; k < 50; k++) {
            int64_t b = split == DF_SPLIT_HELDOUT_BAND
                            ? (int64_t)log_uniform(r, (double)DF_BAND_LO, (double)DF_BAND_HI - 1)
                            : (int64_t)log_uniform(r, (double)DF_BUDGET_MIN, (double)DF_BUDGET_MAX);
            if (b < need.need_bytes) continue;
            if (split == DF_SPLIT_TRAIN && in_band(b)) continue;
            out->hw.buffer_bytes = b;
            out->hw.energy = df_energy_default(out->hw.elem_bytes, b);
            return DF_OK;
        }
        df_workload_free(&out->w);
    }
    return df_err_set(err, DF_ELIMIT, NULL, "could not draw a feasible %s request", df_split_name(split));
}
