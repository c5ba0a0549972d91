/* hw.h - the accelerator: PE array, dataflow, global buffer (the on-chip budget), bandwidths,
 * clock, element size and per-access energies; named presets for curl users. */
#ifndef DNNFUSER_HW_H
#define DNNFUSER_HW_H

#include "dnnfuser/common.h"

typedef enum {
    DF_DATAFLOW_WS = 0, /* weight-stationary, K x C partitioned across cols x rows (NVDLA-like) */
    DF_DATAFLOW_OS,     /* output-stationary, output rows x cols (P x Q) partitioned (ShiDianNao-like) */
    DF_DATAFLOW_RS,     /* row-stationary (Eyeriss-like): filter rows x output rows */
    DF_DATAFLOW_COUNT
} df_dataflow;

/* Energy per access, in picojoules. mac is per multiply-accumulate; the others are per element
 * (one element = elem_bytes bytes) moved at that level. Defaults: see df_energy_default() in hw.c. */
typedef struct {
    double mac;   /* one MAC in the datapath */
    double rf;    /* PE register file / scratchpad access */
    double noc;   /* one element crossing the array network (buffer <-> PE) */
    double buf;   /* global buffer read or write */
    double dram;  /* DRAM read or write */
} df_energy;

typedef struct {
    char name[32];
    int32_t pe_rows, pe_cols;
    df_dataflow dataflow;
    int64_t buffer_bytes;   /* global buffer = the budget for fused activations and weights */
    double dram_bw;         /* bytes per cycle */
    double noc_bw;          /* bytes per cycle, global buffer <-> PE array */
    double clock_hz;
    int32_t elem_bytes;     /* 1 = int8, 2 = fp16/int16, 4 = fp32 */
    df_energy energy;
} df_hw;

#define DF_HW_MAX_PES (1 << 20)

/* Default energies for an element size and buffer size (sources cited in hw.c). */
df_energy df_energy_default(int32_t elem_bytes, int64_t buffer_bytes);

/* Presets: "edge", "mobile", "cloud", "eyeriss". */
int df_hw_preset(const char *name, df_hw *out, df_err *err);
int32_t df_hw_preset_count(void);
const char *df_hw_preset_name(int32_t i);

/* Range checks on every field; err->pointer is "/hardware/<field>". */
int df_hw_validate(const df_hw *hw, df_err *err);

const char *df_dataflow_name(df_dataflow d);
int df_dataflow_parse(const char *s, df_dataflow *out);
/* "32x32" -> rows 32, cols 32; "256" -> 16x16 only when a perfect square. */
int df_parse_pes(const char *s, int32_t *rows, int32_t *cols);

#endif
