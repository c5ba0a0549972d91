/* synth.h - random realistic networks for training and property tests: ResNet-like (basic and
 * bottleneck residual stages), MobileNet-like (inverted residuals, optional squeeze-excite),
 * VGG-like chains, and transformer encoders. Deterministic for a seed. */
#ifndef DNNFUSER_SYNTH_H
#define DNNFUSER_SYNTH_H

#include "dnnfuser/workload.h"

typedef enum { DF_SYNTH_RESNET = 0, DF_SYNTH_MOBILE, DF_SYNTH_VGG, DF_SYNTH_TRANSFORMER, DF_SYNTH_KINDS } df_synth_kind;

/* Builds a network of the given kind (or a random kind when kind < 0) into an uninitialised *out,
 * validated. max_layers bounds the size (the generator shrinks until it fits). */
int df_synth_network(df_rng *r, int kind, int32_t max_layers, df_workload *out, df_err *err);

#endif
