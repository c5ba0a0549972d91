/* cmd_zoo.c - `dnnfuser zoo [NAME]`: list the built-in networks, or show one network's layers
 * (as a table, or with --json as the workload JSON the other commands accept). */
#include "cli.h"

static const char usage[] = "usage: dnnfuser zoo [NAME] [--json] [--seq-len N]\n"
                            "\n"
                            "Without NAME lists the built-in networks (name, layers, GMACs per sample, description);\n"
                            "with NAME shows its layers; --json prints the list, or the workload JSON of NAME.\n"
                            "\n"
                            "      --seq-len N   tokens per sample for bert_base [128]\n"
                            "      --json        JSON output\n"
                            "  -h, --help        show this help\n";

static int list(int json) {
    json_t *arr = json ? json_array() : NULL;
    if (json && !arr) return cli_fail(CLI_EXIT_USAGE, "out of memory");
    if (!json) printf("%-20s %7s %9s  %s\n", "name", "layers", "GMACs", "description");
    for (int32_t i = 0; i < df_zoo_count(); i++) {
        df_workload w;
        df_err e;
        if (df_zoo_build(df_zoo_name(i), NULL, &w, &e)) {
            json_decref(arr);
            return cli_fail_err(df_zoo_name(i), &e);
        }
        int64_t macs = df_workload_macs(&w);
        if (json) {
            json_array_append_new(arr, json_pack("{s:s,s:i,s:I,s:s}", "name", df_zoo_name(i), "layers", (int)w.n_layers,
                                                 "macs", (json_int_t)macs, "description",
                                                 df_zoo_description(i) ? df_zoo_description(i) : ""));
        } else {
            printf("%-20s %7d %9.3f  %s\n", df_zoo_name(i), w.n_layers, (double)macs / 1e9,
                   df_zoo_description(i) ? df_zoo_description(i) : "");
        }
        df_workload_free(&w);
    }
    int rc = 0;
    if (json) {
        rc = cli_print_json(stdout, arr);
        json_decref(arr);
    }
    return rc;
}

static void print_inputs(const df_layer *l) {
    for (int j = 0; j < l->n_inputs; j++) printf("%s%d", j ? "," : "", l->inputs[j]);
    putchar('\n');
}

static int show(const char *name, int32_t seq_len, int json) {
    df_workload w;
    if (cli_load_workload(name, seq_len, &w, NULL)) return CLI_EXIT_USAGE;
    int rc = 0;
    if (json) {
        json_t *j = df_workload_to_json(&w);
        rc = cli_print_json(stdout, j);
        json_decref(j);
    } else {
        printf("%s: %d layers, %.3f GMAC/sample\n\n", w.name, w.n_layers, (double)df_workload_macs(&w) / 1e9);
        printf("%5s  %-28s %-7s %5s %5s %4s %4s %2s %2s %2s %2s %5s %4s %4s %13s  %s\n", "index", "name", "type", "K",
               "C", "Y", "X", "R", "S", "st", "pd", "grp", "P", "Q", "MACs", "inputs");
        for (int32_t i = 0; i < w.n_layers; i++) {
            const df_layer *l = &w.layers[i];
            printf("%5d  %-28s %-7s %5d %5d %4d %4d %2d %2d %2d %2d %5d %4d %4d %13lld  ", i, l->name,
                   df_layer_type_name(l->type), l->K, l->C, l->Y, l->X, l->R, l->S, l->stride, l->pad, l->groups, l->P,
                   l->Q, (long long)df_layer_macs(l));
            print_inputs(l);
        }
    }
    df_workload_free(&w);
    return rc;
}

int cmd_zoo(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse(argc, argv, CLI_O_JSON | CLI_O_SEQ_LEN, &o);
    if (rc) return rc;
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (o.n_pos > 1) return cli_fail(CLI_EXIT_USAGE, "zoo: unexpected argument '%s'", o.pos[1]);
    if (o.n_pos == 0) return list(o.json);
    return show(o.pos[0], o.seq_len, o.json);
}
