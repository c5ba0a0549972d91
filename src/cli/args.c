/* args.c - command-line option parsing shared by every subcommand (getopt_long over one option
 * table, filtered to what the subcommand accepts), strict number parsing and the one-line error
 * printers. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_HW = 256,
    OPT_BUFFER,
    OPT_PES,
    OPT_DATAFLOW,
    OPT_BW,
    OPT_BATCH,
    OPT_SEQ_LEN,
    OPT_OBJECTIVE,
    OPT_SOLVER,
    OPT_CANDIDATES,
    OPT_WEIGHTS,
    OPT_POPULATION,
    OPT_GENERATIONS,
    OPT_SEED,
    OPT_JSON,
    OPT_BUDGETS,
    OPT_HW_POINTS,
    OPT_PROGRESS,
    OPT_SVG,
    OPT_COMPARE,
    OPT_SPACE,
};

typedef struct {
    struct option opt;
    unsigned mask; /* 0: always accepted */
} opt_entry;

static const opt_entry all_opts[] = {
    {{"workload", required_argument, NULL, 'w'}, CLI_O_WORKLOAD},
    {{"hw", required_argument, NULL, OPT_HW}, CLI_O_HW},
    {{"buffer", required_argument, NULL, OPT_BUFFER}, CLI_O_BUFFER},
    {{"pes", required_argument, NULL, OPT_PES}, CLI_O_PES},
    {{"dataflow", required_argument, NULL, OPT_DATAFLOW}, CLI_O_DATAFLOW},
    {{"bw", required_argument, NULL, OPT_BW}, CLI_O_BW},
    {{"batch", required_argument, NULL, OPT_BATCH}, CLI_O_BATCH},
    {{"seq-len", required_argument, NULL, OPT_SEQ_LEN}, CLI_O_SEQ_LEN},
    {{"objective", required_argument, NULL, OPT_OBJECTIVE}, CLI_O_OBJECTIVE},
    {{"solver", required_argument, NULL, OPT_SOLVER}, CLI_O_SOLVER},
    {{"candidates", required_argument, NULL, OPT_CANDIDATES}, CLI_O_SOLVER},
    {{"space", required_argument, NULL, OPT_SPACE}, CLI_O_SOLVER},
    {{"weights", required_argument, NULL, OPT_WEIGHTS}, CLI_O_SOLVER},
    {{"population", required_argument, NULL, OPT_POPULATION}, CLI_O_GA},
    {{"generations", required_argument, NULL, OPT_GENERATIONS}, CLI_O_GA},
    {{"seed", required_argument, NULL, OPT_SEED}, CLI_O_GA},
    {{"json", no_argument, NULL, OPT_JSON}, CLI_O_JSON},
    {{"budgets", required_argument, NULL, OPT_BUDGETS}, CLI_O_BUDGETS},
    {{"hw-points", required_argument, NULL, OPT_HW_POINTS}, CLI_O_HW_POINTS},
    {{"progress", no_argument, NULL, OPT_PROGRESS}, CLI_O_PROGRESS},
    {{"svg", required_argument, NULL, OPT_SVG}, CLI_O_SVG},
    {{"compare", required_argument, NULL, OPT_COMPARE}, CLI_O_COMPARE},
    {{"help", no_argument, NULL, 'h'}, 0},
};
#define N_OPTS (sizeof all_opts / sizeof all_opts[0])

int cli_fail(int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "dnnfuser: %s\n", msg);
    return code;
}

int cli_fail_err(const char *ctx, const df_err *err) {
    const char *msg = err && err->msg[0] ? err->msg : df_status_name(err ? err->code : DF_EINVAL);
    char buf[sizeof err->pointer] = "";
    const char *ptr = err ? df_err_pointer(err, buf, sizeof buf) : buf;
    /* a library error about a request field names the option that set it; a document position stays one */
    const char *flag = err && err->field != DF_FIELD_NONE ? cli_flag_of(ptr) : NULL;
    if (flag) return cli_fail(CLI_EXIT_USAGE, "%s%s%s: %s", ctx ? ctx : "", ctx ? ": " : "", flag, msg);
    if (ptr[0]) return cli_fail(CLI_EXIT_USAGE, "%s%s%s (at %s)", ctx ? ctx : "", ctx ? ": " : "", msg, ptr);
    return cli_fail(CLI_EXIT_USAGE, "%s%s%s", ctx ? ctx : "", ctx ? ": " : "", msg);
}

int cli_parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = s && *s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || errno || *end || v < lo || v > hi)
        return cli_fail(CLI_EXIT_USAGE, "%s: expected an integer in [%" PRId64 ", %" PRId64 "], got '%s'", opt, lo, hi,
                        s ? s : "");
    *out = v;
    return 0;
}

static int parse_i32(const char *opt, const char *s, int32_t lo, int32_t hi, int32_t *out) {
    int64_t v;
    int rc = cli_parse_i64(opt, s, lo, hi, &v);
    if (!rc) *out = (int32_t)v;
    return rc;
}

/* One option's value into o. Returns 0 or an exit status. */
static int apply(int c, const char *arg, cli_opts *o) {
    switch (c) {
    case 'w': o->workload = arg; return 0;
    case OPT_HW: o->hw = arg; return 0;
    case OPT_BUFFER:
        if (df_parse_size(arg, &o->buffer))
            return cli_fail(CLI_EXIT_USAGE, "--buffer: invalid size '%s' (use bytes or e.g. 512KiB, 4MiB)", arg);
        o->have_buffer = 1;
        return 0;
    case OPT_PES:
        if (df_parse_pes(arg, &o->pe_rows, &o->pe_cols))
            return cli_fail(CLI_EXIT_USAGE, "--pes: invalid PE array '%s' (use ROWSxCOLS, e.g. 32x32)", arg);
        o->have_pes = 1;
        return 0;
    case OPT_DATAFLOW:
        if (df_dataflow_parse(arg, &o->dataflow))
            return cli_fail(CLI_EXIT_USAGE, "--dataflow: unknown dataflow '%s' (use ws, os or rs)", arg);
        o->have_dataflow = 1;
        return 0;
    case OPT_BW: {
        char *end = NULL;
        errno = 0;
        double v = *arg ? strtod(arg, &end) : 0;
        if (!*arg || errno || *end || !isfinite(v) || v <= 0 || v > 1e9)
            return cli_fail(CLI_EXIT_USAGE, "--bw: expected DRAM bytes per cycle > 0, got '%s'", arg);
        o->dram_bw = v;
        o->have_bw = 1;
        return 0;
    }
    case OPT_BATCH: o->have_batch = 1; return parse_i32("--batch", arg, 1, DF_MAX_BATCH, &o->batch);
    case OPT_SEQ_LEN: return parse_i32("--seq-len", arg, 1, 1 << 16, &o->seq_len);
    case OPT_OBJECTIVE:
        if (df_objective_parse(arg, &o->objective))
            return cli_fail(CLI_EXIT_USAGE, "--objective: unknown objective '%s' (use latency, energy, edp or dram)",
                            arg);
        o->have_objective = 1;
        return 0;
    case OPT_SPACE:
        if (df_space_parse(arg, &o->space))
            return cli_fail(CLI_EXIT_USAGE, "--space: unknown map-space '%s' (use batch or depth_first)", arg);
        o->have_space = 1;
        return 0;
    case OPT_SOLVER: {
        static const char *const names[] = {"auto", "exact", "ga", "lbl", "transformer"};
        char dym[96];
        if (df_request_solver_parse(arg, &o->solver))
            return cli_fail(CLI_EXIT_USAGE, "--solver: unknown solver '%s'%s (use auto, exact, ga, lbl or transformer)",
                            arg, df_suggest_text(arg, names, 5, dym, sizeof dym));
        o->have_solver = 1;
        return 0;
    }
    case OPT_CANDIDATES:
        o->have_candidates = 1;
        return parse_i32("--candidates", arg, 1, DF_MAX_CANDIDATES, &o->candidates);
    case OPT_WEIGHTS: o->weights = arg; return 0;
    case OPT_POPULATION: o->have_ga = 1; return parse_i32("--population", arg, 2, 1000000, &o->ga.population);
    case OPT_GENERATIONS: o->have_ga = 1; return parse_i32("--generations", arg, 1, 100000000, &o->ga.generations);
    case OPT_SEED: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = (*arg && *arg != '-') ? strtoull(arg, &end, 10) : 0;
        if (!*arg || *arg == '-' || errno || *end)
            return cli_fail(CLI_EXIT_USAGE, "--seed: expected an unsigned integer, got '%s'", arg);
        o->ga.seed = (uint64_t)v;
        o->have_seed = 1;
        return 0;
    }
    case OPT_JSON: o->json = 1; return 0;
    case OPT_BUDGETS: o->budgets = arg; return 0;
    case OPT_HW_POINTS: o->hw_points = arg; return 0;
    case OPT_PROGRESS: o->progress = 1; return 0;
    case OPT_SVG:
        if (!*arg || strcmp(arg, "-") == 0)
            return cli_fail(CLI_EXIT_USAGE, "--svg: give a file name (stdout carries the %s)",
                            strcmp(o->cmd, "sweep") == 0 ? "CSV" : "report");
        o->svg = arg;
        return 0;
    case OPT_COMPARE: {
        /* a comma list of solvers */
        const char *p = arg;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char name[32];
            df_solver sv;
            if (len == 0 || len >= sizeof name)
                return cli_fail(CLI_EXIT_USAGE,
                                "--compare: expected solver names, e.g. transformer or transformer,ga; got '%s'", arg);
            memcpy(name, p, len);
            name[len] = '\0';
            if (df_solver_parse(name, &sv))
                return cli_fail(CLI_EXIT_USAGE, "--compare: unknown solver '%s' (use exact, ga, lbl or transformer)",
                                name);
            o->compare |= 1u << sv;
            if (!comma) return 0;
            p = comma + 1;
        }
    }
    case 'h': o->help = 1; return 0;
    default: return cli_fail(CLI_EXIT_USAGE, "%s: unexpected option", o->cmd);
    }
}

int cli_parse(int argc, char **argv, unsigned allowed, cli_opts *o) {
    memset(o, 0, sizeof *o);
    o->cmd = argv[0];
    o->hw = "edge";
    o->batch = 1;
    o->objective = DF_OBJ_LATENCY;
    o->solver = DF_SOLVER_AUTO;
    o->candidates = 1;
    df_ga_params_default(&o->ga);

    struct option longopts[N_OPTS + 1];
    size_t n = 0;
    for (size_t i = 0; i < N_OPTS; i++)
        if (!all_opts[i].mask || (all_opts[i].mask & allowed)) longopts[n++] = all_opts[i].opt;
    memset(&longopts[n], 0, sizeof longopts[n]);
    const char *shortopts = (allowed & CLI_O_WORKLOAD) ? ":w:h" : ":h";

    opterr = 0;
    optind = 0; /* GNU: full re-initialisation of getopt's scanner */
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const char *seen = (optind > 0 && optind <= argc) ? argv[optind - 1] : "?";
        if (c == ':') {
            if (optopt > 0 && optopt < 256)
                return cli_fail(CLI_EXIT_USAGE, "%s: option '-%c' needs a value", o->cmd, optopt);
            return cli_fail(CLI_EXIT_USAGE, "%s: option '%s' needs a value", o->cmd, seen);
        }
        if (c == '?') {
            if (optopt > 0 && optopt < 256)
                return cli_fail(CLI_EXIT_USAGE, "%s: unknown option '-%c' (see 'dnnfuser %s --help')", o->cmd, optopt,
                                o->cmd);
            if (optopt >= 256) /* a flag given a value, e.g. --json=1 */
                return cli_fail(CLI_EXIT_USAGE, "%s: option '%s' takes no value", o->cmd, seen);
            {
                const char *names[N_OPTS];
                int k = 0;
                for (size_t i = 0; i < n; i++) names[k++] = longopts[i].name;
                const char *word = seen;
                while (*word == '-') word++;
                char bare[64];
                snprintf(bare, sizeof bare, "%.*s", (int)strcspn(word, "="), word);
                const char *dym = df_suggest(bare, names, k);
                if (dym)
                    return cli_fail(CLI_EXIT_USAGE,
                                    "%s: unknown option '%s' (did you mean '--%s'? see 'dnnfuser %s --help')", o->cmd,
                                    seen, dym, o->cmd);
            }
            return cli_fail(CLI_EXIT_USAGE, "%s: unknown option '%s' (see 'dnnfuser %s --help')", o->cmd, seen, o->cmd);
        }
        int rc = apply(c, optarg, o);
        if (rc) return rc;
    }
    o->n_pos = argc - optind;
    o->pos = argv + optind;
    return 0;
}
