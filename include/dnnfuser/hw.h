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
    double mac;  /* one MAC in the datapath */
    double rf;   /* PE register file / scratchpad access */
    double noc;  /* one element crossing the array network (buffer <-> PE) */
    double buf;  /* global buffer read or write */
    double dram; /* DRAM read or write */
    double stat; /* clock and static energy per cycle of the whole chip ("static" in JSON); 0 = none */
} df_energy;

typedef struct {
    char name[32];
    int32_t pe_rows, pe_cols;
    df_dataflow dataflow;
    int64_t buffer_bytes; /* global buffer = the budget for fused activations and weights */
    double dram_bw;       /* bytes per cycle */
    double noc_bw;        /* bytes per cycle, global buffer <-> PE array (shared by all data types) */
    /* Optional separate delivery networks, bytes per cycle (Eyeriss has one each for filters, ifmaps
     * and psums into the array and one out; noc_bw_out is the width of each of the two psum networks,
     * read-back in and write-out in parallel); 0 = the type shares noc_bw with the others. */
    double noc_bw_w, noc_bw_in, noc_bw_out;
    double noc_hops; /* cycles of delivery latency per transfer (MAESTRO: hops x 1 cycle) */
    double clock_hz;
    int32_t elem_bytes; /* 1 = int8, 2 = fp16/int16, 4 = fp32 */
    int32_t tech_nm;    /* technology of the default energies: 45 or 65 */
    /* PE scratchpad entries used by the row-stationary pass tiling (filter weights, ifmap values,
     * psums per PE); 0 = Eyeriss's 224 / 12 / 24 (JSSC 2017 Table I). */
    int32_t rf_w, rf_in, rf_out;
    df_energy energy;
} df_hw;

#define DF_HW_MAX_PES (1 << 20)

/* Default energies for an element size and buffer size at 45 nm (sources cited in hw.c). */
df_energy df_energy_default(int32_t elem_bytes, int64_t buffer_bytes);
/* Default energies for hw's technology (tech_nm), element size and buffer size. */
df_energy df_hw_energy_default(const df_hw *hw);

/* Presets: "edge", "mobile", "cloud", "eyeriss". */
int df_hw_preset(const char *name, df_hw *out, df_err *err);
int32_t df_hw_preset_count(void);
const char *df_hw_preset_name(int32_t i);

/* Range checks on every field, bounded so that no metric can overflow (docs/COST_MODEL.md, "Hardware
 * fields"). An error names the field by id: err->field = DF_FIELD_HARDWARE and err->sub its path in the
 * hardware object ("pe_rows", "energy_pj/mac"); err->pointer stays "" (the JSON reader, which knows where
 * the object sits, turns it into its pointer). */
int df_hw_validate(const df_hw *hw, df_err *err);

const char *df_dataflow_name(df_dataflow d);
int df_dataflow_parse(const char *s, df_dataflow *out);
/* "32x32" -> rows 32, cols 32; "256" -> 16x16 only when a perfect square. */
int df_parse_pes(const char *s, int32_t *rows, int32_t *cols);

#endif
