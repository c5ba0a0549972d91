/* main.c - entry point of the `dnnfuser` command: dispatches to the subcommands, answers --help and
 * --version, and is the only place that exits. */
#include "cli.h"

#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"map", cmd_map, "find the best layer-fusion mapping for a workload, hardware and budget"},
    {"eval", cmd_eval, "score a given mapping (JSON file) with the cost model"},
    {"zoo", cmd_zoo, "list the built-in networks, or show one"},
    {"layers", cmd_layers, "per-layer single-layer figures of the cost model"},
    {"sweep", cmd_sweep, "map over budgets and/or hardware points, CSV out"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: dnnfuser COMMAND [options]\n"
               "\n"
               "Layer fusion for DNN accelerators: which layers to fuse, and with which micro-batch, so a\n"
               "network runs fastest (or with least energy / DRAM traffic) within an on-chip memory budget.\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "  dnnfuser COMMAND --help   options of a command\n"
               "  dnnfuser --version        print the version\n"
               "\n"
               "example: dnnfuser map -w resnet50 --hw edge --buffer 512KiB --batch 8\n"
               "\n"
               "exit status: 0 ok; 1 infeasible: the budget is too small for some layer (map), or the\n"
               "evaluated mapping overflows it (eval); 2 bad input (usage, options, files); 3 the solver failed\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "dnnfuser: missing command (try 'dnnfuser --help')\n");
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("dnnfuser %s\n", DF_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0) {
            int rc = commands[i].run(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == 0) {
                fprintf(stderr, "dnnfuser: cannot write the output\n");
                rc = CLI_EXIT_USAGE;
            }
            return rc;
        }
    const char *names[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++) names[i] = commands[i].name;
    char dym[96];
    df_suggest_text(cmd, names, (int)N_COMMANDS, dym, sizeof dym);
    if (cmd[0] == '-')
        fprintf(stderr, "dnnfuser: unknown option '%s' (try 'dnnfuser --help')\n", cmd);
    else
        fprintf(stderr, "dnnfuser: unknown command '%s'%s (try 'dnnfuser --help')\n", cmd, dym);
    return CLI_EXIT_USAGE;
}
