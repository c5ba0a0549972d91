/* cli.h - shared declarations of the dnnfuser command line: parsed options, the request they make
 * (the API's request object, answered by the same library layer as the daemon: dnnfuser/answer.h),
 * loading of workloads and hardware, and the human reports.
 *
 * Error convention: every function that can fail prints exactly one line "dnnfuser: ..." to stderr
 * and returns the exit status the command should end with (CLI_EXIT_*); 0 means success. Only
 * main() exits. */
#ifndef DNNFUSER_CLI_H
#define DNNFUSER_CLI_H

#include <stdio.h>
#include <jansson.h>

#include "dnnfuser/common.h"
#include "dnnfuser/workload.h"
#include "dnnfuser/zoo.h"
#include "dnnfuser/hw.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/json.h"
#include "dnnfuser/svg.h"
#include "dnnfuser/answer.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_INFEASIBLE 1 /* the budget is too small / the evaluated mapping overflows it */
#define CLI_EXIT_USAGE 2      /* bad input: options, files, values */
#define CLI_EXIT_FAILED 3     /* the solver failed (out of memory, internal error) */

/* ---- args.c: options shared by the subcommands ------------------------------------------------- */

/* One bit per option; each command passes the set it accepts, the others are "unknown option". */
enum {
    CLI_O_WORKLOAD = 1u << 0,
    CLI_O_HW = 1u << 1,
    CLI_O_BUFFER = 1u << 2,
    CLI_O_PES = 1u << 3,
    CLI_O_DATAFLOW = 1u << 4,
    CLI_O_BW = 1u << 5,
    CLI_O_BATCH = 1u << 6,
    CLI_O_SEQ_LEN = 1u << 7,
    CLI_O_OBJECTIVE = 1u << 8,
    CLI_O_SOLVER = 1u << 9,
    CLI_O_GA = 1u << 10, /* --population --generations --seed */
    CLI_O_JSON = 1u << 11,
    CLI_O_BUDGETS = 1u << 12,
    CLI_O_HW_POINTS = 1u << 13,
    CLI_O_PROGRESS = 1u << 14,
    CLI_O_SVG = 1u << 15,
    CLI_O_COMPARE = 1u << 16,
};
/* The hardware options a command takes together. */
#define CLI_O_HWSET (CLI_O_HW | CLI_O_BUFFER | CLI_O_PES | CLI_O_DATAFLOW | CLI_O_BW)

typedef struct {
    const char *cmd;      /* subcommand name, for messages */
    const char *workload; /* -w NAME|FILE */
    const char *hw;       /* --hw PRESET|FILE (default "edge") */
    int have_buffer;
    int64_t buffer; /* --buffer: overrides the hardware's buffer_bytes */
    int have_pes;
    int32_t pe_rows, pe_cols; /* --pes RxC */
    int have_dataflow;
    df_dataflow dataflow; /* --dataflow */
    int have_bw;
    double dram_bw; /* --bw bytes/cycle */
    int have_batch;
    int32_t batch;   /* --batch (default 1) */
    int32_t seq_len; /* --seq-len (bert_base), 0 = default */
    int have_objective;
    df_objective objective; /* --objective (default latency) */
    int solver;             /* --solver: a df_solver or DF_SOLVER_AUTO (the default) */
    int have_solver, have_candidates, have_ga, have_seed, have_space;
    df_space space;        /* --space: batch (default) or depth_first */
    df_ga_params ga;       /* --population --generations --seed */
    int32_t candidates;    /* --candidates: transformer best-of-k (default 1) */
    const char *weights;   /* --weights FILE (default: the shipped weights linked in) */
    int json;              /* --json */
    int progress;          /* --progress */
    const char *svg;       /* --svg FILE: also write a picture (map, eval: the mapping; sweep: the curves) */
    unsigned compare;      /* --compare SOLVER[,SOLVER]: bit (1u << df_solver) per extra sweep series */
    const char *budgets;   /* --budgets */
    const char *hw_points; /* --hw-points FILE */
    int help;              /* -h / --help */
    int n_pos;             /* positional arguments left after the options */
    char **pos;
} cli_opts;

/* Parses argv (argv[0] is the subcommand) accepting the options in `allowed`. Returns 0 or an exit
 * status after printing one error line. */
int cli_parse(int argc, char **argv, unsigned allowed, cli_opts *o);

/* Prints "dnnfuser: <message>" and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "dnnfuser: <ctx>: <err->msg> (at <pointer>)" and returns CLI_EXIT_USAGE. ctx may be NULL. */
int cli_fail_err(const char *ctx, const df_err *err);
/* Strict integer parsing for option values: whole string, within [lo, hi]. */
int cli_parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out);

/* ---- load.c: workloads, hardware, JSON files -------------------------------------------------- */

/* Reads a JSON file; on error prints "dnnfuser: FILE:LINE:COL: reason" and returns NULL. */
json_t *cli_load_json(const char *path);
/* Zoo name, or a workload JSON file ({"layers": ...} or {"workload": {...}}). *zoo (nullable) is set
 * to 1 for a zoo network. Returns 0 or 2 (message printed); *out is initialised only on 0. */
int cli_load_workload(const char *spec, int32_t seq_len, df_workload *out, int *zoo);
/* Builds the hardware from a base (a preset name string, or a hardware object; NULL = "edge"), with
 * the command-line overrides of o (--buffer --pes --dataflow --bw) applied on top. `where` names the
 * source in messages (a file name, "--hw"), prefix is the JSON pointer of base. Returns 0 or 2. */
int cli_hw_from_base(const json_t *base, const char *where, const char *prefix, const cli_opts *o,
                     int64_t budget_override, df_hw *out);
/* base (a preset name or a hardware object) with the --pes/--dataflow/--bw overrides of o on top: base
 * itself (a new reference) when there are none, else a new object. NULL when out of memory. */
json_t *cli_hw_overridden(const json_t *base, const cli_opts *o);
/* Resolves a --hw spec: a preset name becomes a JSON string, a file its parsed document (*doc owns
 * the result, *base points into it, *prefix is its JSON pointer). Returns 0 or 2. */
int cli_hw_spec(const char *spec, json_t **doc, const json_t **base, const char **prefix);
/* --hw PRESET|FILE plus overrides. Returns 0 or 2. */
int cli_load_hw(const cli_opts *o, df_hw *out);
/* df_net_init plus df_net_check_budget (skipped when check_budget is 0). On a too-small budget
 * prints the layer and bytes and returns 2; need (nullable) receives err.need_bytes. */
int cli_make_net(const df_workload *w, const df_hw *hw, int32_t batch, int check_budget, df_net **net, int64_t *need);
/* What the JSON report says about the workload: its zoo name, or the full object for a file. */
json_t *cli_workload_ref(const df_workload *w, int zoo, int32_t seq_len);

/* ---- request.c: the options as the API's request, answered by the library ---------------------- */

/* The request object of the options (hardware, budget, batch, objective, seq_len, solver, candidates,
 * seed, ga) without the workload: exactly what a curl user would POST. *out is a new reference.
 * Returns 0 or an exit status (message printed). */
int cli_request_json(const cli_opts *o, json_t **out);
/* The request of the options for the resolved workload w (zoo: a zoo network): parsed and checked by
 * the library like a POST /v1/map body. Returns 0 or an exit status (message printed). */
int cli_request(const cli_opts *o, const df_workload *w, int zoo, df_request *out);
/* Prints a library failure ("dnnfuser: detail (--flag)") and returns its exit status: 1 for a budget
 * too small, 3 for a solver failure, 2 otherwise. */
int cli_fail_answer(const df_fail *f);
/* The JSON pointer of a request field as the option that set it ("/budget" -> "--buffer"). */
const char *cli_flag_of(const char *pointer);

/* ---- run.c: solving and scoring --------------------------------------------------------------- */

typedef struct {
    df_mapping map;
    df_metrics met;
    df_group_cost *gc; /* [map.n_groups] */
    df_solve_stats stats;
    double ms; /* wall time of the solver (or the evaluation) */
    int ok;    /* 1 when map/met/gc hold an answer */
} cli_solution;

void cli_solution_init(cli_solution *s);
void cli_solution_free(cli_solution *s);
/* Runs the solver and scores its answer. mp (the transformer, NULL for the other solvers) decodes
 * `candidates` candidates. Returns a df status (err filled) - never prints. */
int cli_solve(const df_net *net, df_solver solver, df_objective obj, const df_ga_params *ga, df_mapper *mp,
              int32_t candidates, cli_solution *out, df_err *err);
/* The same over a map-space (cli_solve: DF_SPACE_BATCH); exact and ga search it, the others ignore it. */
int cli_solve_in(const df_net *net, df_solver solver, df_space space, df_objective obj, const df_ga_params *ga,
                 df_mapper *mp, int32_t candidates, cli_solution *out, df_err *err);
/* Loads the transformer (--weights FILE or the linked-in weights) when need is nonzero, or for
 * --compare transformer; *out stays NULL otherwise. Returns 0 or 2 after printing the reason. */
int cli_load_mapper(const cli_opts *o, int need, df_mapper **out);
/* Scores a given mapping (copied into out). Returns a df status (err filled). */
int cli_score(const df_net *net, const df_mapping *map, cli_solution *out, df_err *err);
double cli_now_ms(void);

/* ---- print.c: human tables and the JSON report ------------------------------------------------ */

typedef struct {
    const df_net *net;
    json_t *workload_ref; /* borrowed: cli_workload_ref() */
    const char *solver;   /* solver name ("eval" for a given mapping) */
    df_objective objective;
    const cli_solution *sol;
    const cli_solution *base; /* layer-by-layer; base->ok == 0 when unavailable */
    const char *path;         /* which path answered (map), NULL for eval */
    const char *note;         /* why (nullable) */
} cli_report;

void cli_print_report(FILE *f, const cli_report *r);
/* json_dumpf with the project's formatting and a final newline. Returns 0 or 2 (message printed). */
int cli_print_json(FILE *f, const json_t *j);
/* "16x16 ws, 512 KiB, 16 B/cycle DRAM, 1.00 GHz, int8" */
void cli_hw_summary(const df_hw *hw, char *buf, size_t n);
/* Where an infeasible mapping overflows: "group 3 (layers a..b, micro-batch 8) needs X at layer
 * 7 (name), budget Y". Returns 0 when every group fits. */
int cli_overflow_text(const df_net *net, const df_mapping *map, const df_group_cost *gc, char *buf, size_t n);

/* ---- svgfile.c: pictures ------------------------------------------------------------------------ */

/* Renders the mapping of r (solver answer, or an evaluated mapping, against its baseline) into the
 * file path. Returns 0 or 2. */
int cli_write_map_svg(const char *path, const cli_report *r);
/* Writes b's text to path ("-" is not accepted: stdout carries the table or CSV). Returns 0 or 2. */
int cli_write_svg(const char *path, const df_svg_buf *b);

/* ---- the subcommands (cmd_*.c) ---------------------------------------------------------------- */

int cmd_map(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_zoo(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
