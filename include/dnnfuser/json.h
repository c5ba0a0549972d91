/* json.h - JSON (jansson) reading and writing of workloads, hardware, mappings and metrics.
 * Readers are strict: unknown types, wrong JSON types, out-of-range numbers and missing required
 * fields are errors with a JSON pointer (prefix + field) in err->pointer. Readers never keep
 * references to the json_t they were given. */
#ifndef DNNFUSER_JSON_H
#define DNNFUSER_JSON_H

#include <jansson.h>
#include "dnnfuser/cost.h"

/* Workload: {"name": str?, "layers": [{"name","type","K","C","Y","X","R","S","stride","pad","groups","inputs"}]}
 * Defaults: R=S=1, stride=1, pad=0, groups=1 (C for dwconv), inputs=[previous] (or [-1] for layer 0),
 * Y=X=1 for fc, X=1 for matmul. The result is validated (df_workload_validate) before returning.
 * `prefix` is the pointer of the object within the request, e.g. "/workload" ("" at top level). */
int df_workload_from_json(const json_t *j, const char *prefix, int32_t max_layers, df_workload *out, df_err *err);
json_t *df_workload_to_json(const df_workload *w);

/* Hardware: a preset name string, or an object {"preset"?, "pes": "16x16" | "pe_rows"+"pe_cols",
 * "dataflow", "buffer": bytes | "512KiB", "dram_bw", "noc_bw", "clock_hz", "elem_bytes",
 * "energy_pj": {"mac","rf","noc","buf","dram"}}. Fields given override the preset (default "edge").
 * Energies not given are recomputed for the final elem_bytes and buffer. Validated before returning. */
int df_hw_from_json(const json_t *j, const char *prefix, df_hw *out, df_err *err);
json_t *df_hw_to_json(const df_hw *hw);

/* Mapping: {"groups": [{"first","last","micro_batch"}]}; structure is checked against n_layers/batch. */
int df_mapping_from_json(const json_t *j, const char *prefix, int32_t n_layers, int32_t batch, df_mapping *out,
                         df_err *err);
json_t *df_mapping_to_json(const df_mapping *m);

json_t *df_metrics_to_json(const df_metrics *m);
/* groups with per-group cost: [{"first","last","micro_batch","tile","overlap","first_name","last_name",
 * "footprint_bytes","weights_resident","latency_cycles","energy_pj","dram_bytes","tiles","recompute"}],
 * each group's figures from df_group_report_of */
json_t *df_groups_to_json(const df_net *net, const df_mapping *m, const df_group_cost *gc);

/* What an answer writes of group g beyond its fields as stored, the one derivation both answer
 * writers use (df_groups_to_json here, report/reply.c's text writer): the effective tile (rows x cols
 * clipped to the last layer's P x Q, the whole output when 0), the cost (gc when given, else
 * df_group_eval_tiled), the tile count and the recompute factor (MACs over the layers' own MACs, 1
 * when they have none). DF_EINVAL when g's layers are not a range of the network. */
typedef struct {
    int32_t rows, cols;
    df_group_cost cost;
    int64_t tiles;
    double recompute;
} df_group_report;
int df_group_report_of(const df_net *net, const df_group *g, const df_group_cost *gc, df_group_report *out);

/* "an object", "an array", "a string", "an integer", "a real number", "a boolean", "null": what a
 * JSON value is, in the words of every "must be X, got Y" message (CLI and daemon alike). */
const char *df_json_kind(const json_t *v);

/* Writes the JSON pointer base + "/" + key into buf (n bytes), the key escaped as RFC 6901 requires
 * ('~' -> "~0", '/' -> "~1"); base NULL is ""; a pointer longer than buf is truncated, always
 * terminated. The one writer of field pointers for every reader of request JSON. */
void df_json_pointer_key(char *buf, size_t n, const char *base, const char *key);

/* Size field: a JSON integer (bytes) or a string accepted by df_parse_size. */
int df_json_size(const json_t *v, const char *pointer, int64_t *out, df_err *err);

#endif
