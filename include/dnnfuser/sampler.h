/* sampler.h - random mapping requests (network, hardware, budget, batch, objective) for training the
 * transformer and for measuring it. The split is defined here, once:
 *   train        zoo networks resnet18, resnet50, mobilenetv2, vgg16, bert_base (random seq_len) and
 *                random synthetic networks; budgets log-uniform over [16 KiB, 64 MiB] outside the
 *                held-out band.
 *   heldout-net  mnasnet and efficientnet_b0 (never trained on), any budget.
 *   heldout-band the training networks with budgets inside [DF_BAND_LO, DF_BAND_HI) (never trained on).
 * Budgets below a request's minimum footprint are redrawn so every request is feasible. */
#ifndef DNNFUSER_SAMPLER_H
#define DNNFUSER_SAMPLER_H

#include "dnnfuser/cost.h"

#define DF_BUDGET_MIN (16LL << 10)
#define DF_BUDGET_MAX (64LL << 20)
#define DF_BAND_LO (768LL << 10)
#define DF_BAND_HI (1536LL << 10)

typedef enum { DF_SPLIT_TRAIN = 0, DF_SPLIT_HELDOUT_NET, DF_SPLIT_HELDOUT_BAND, DF_SPLIT_COUNT } df_split;

typedef struct {
    df_workload w;
    df_hw hw;
    int32_t batch;
    df_objective obj;
    char source[64]; /* e.g. "zoo:resnet50" or "synth:2" */
} df_request_sample;

/* Draws one feasible request of the split (deterministic for the rng state). max_layers bounds the
 * network size (the model's context). On success out->w must be freed with df_workload_free. */
int df_sample_request(df_rng *r, df_split split, int32_t max_layers, df_request_sample *out, df_err *err);
const char *df_split_name(df_split s);

#endif
