/* bench_netinit.c - prints the time df_net_init takes to bind a network to hardware (the per-layer
 * pass plans of the cost model), which the daemon pays on every request: ResNet-50 and VGG-16 on the
 * `cloud` preset with each dataflow (rs searches PE-set placements, splits and tiles per layer) and on
 * `eyeriss`. Medians of samples taken in alternation across the configurations; bounded to a few
 * seconds. Not a test: it asserts nothing, it measures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/zoo.h"

typedef struct {
    const char *net, *preset;
    df_dataflow df;
    int32_t batch;
    df_workload w;
    df_hw hw;
} config;

int main(void) {
    config cf[] = {
        {.net = "resnet50", .preset = "cloud", .df = DF_DATAFLOW_RS, .batch = 8},
        {.net = "resnet50", .preset = "cloud", .df = DF_DATAFLOW_WS, .batch = 8},
        {.net = "resnet50", .preset = "cloud", .df = DF_DATAFLOW_OS, .batch = 8},
        {.net = "vgg16", .preset = "cloud", .df = DF_DATAFLOW_RS, .batch = 8},
        {.net = "bert_base", .preset = "cloud", .df = DF_DATAFLOW_RS, .batch = 8},
        {.net = "resnet50", .preset = "eyeriss", .df = DF_DATAFLOW_RS, .batch = 4},
    };
    enum { NCF = sizeof cf / sizeof cf[0], SAMPLES = 15, REPS = 20 };
    df_err e;
    for (int c = 0; c < NCF; c++) {
        if (df_zoo_build(cf[c].net, NULL, &cf[c].w, &e) || df_hw_preset(cf[c].preset, &cf[c].hw, &e)) {
            fprintf(stderr, "bench: %s\n", e.msg);
            return 1;
        }
        cf[c].hw.dataflow = cf[c].df;
    }
    double t[NCF][SAMPLES];
    for (int s = 0; s < SAMPLES; s++)
        for (int c = 0; c < NCF; c++) { /* alternate the configurations within every sample */
            double t0 = now_s();
            for (int r = 0; r < REPS; r++) {
                df_net *n;
                if (df_net_init(&n, &cf[c].w, &cf[c].hw, cf[c].batch, &e)) {
                    fprintf(stderr, "bench: %s\n", e.msg);
                    return 1;
                }
                df_net_free(n);
            }
            t[c][s] = (now_s() - t0) / REPS;
        }
    for (int c = 0; c < NCF; c++) {
        printf("df_net_init: %s (%d layers) on %s, %s, batch %d: %.1f us (median of %d x %d)\n", cf[c].net,
               cf[c].w.n_layers, cf[c].preset, df_dataflow_name(cf[c].df), cf[c].batch, median(t[c], SAMPLES) * 1e6,
               SAMPLES, REPS);
        df_workload_free(&cf[c].w);
    }
    return 0;
}
