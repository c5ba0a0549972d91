/* mkweights.c - writes the small weights files seeding tests/fuzz/corpus/fuzz_weights/ (the shipped
 * file is 3.3 MB, too big to mutate usefully). Each seed is one flag byte (see fuzz_weights.c) and a
 * valid image: a model the mapper accepts (F = DF_FEATURES, A = DF_ACTIONS, d 8, 1 block, 2 heads,
 * context 8) and a minimal one (F 2, A 2, d 2) that only the loader accepts.
 * Usage: build/fuzz/mkweights DIR   (make fuzz-seeds) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/features.h"
#include "dnnfuser/weights.h"

static int write_seed(const char *dir, const char *name, df_gpt_config cfg, uint8_t flag, const char *text) {
    df_gpt m;
    df_err e;
    if (df_gpt_init(&m, &cfg, 7, &e)) {
        fprintf(stderr, "mkweights: %s\n", e.msg);
        return 1;
    }
    df_feature_norm norm;
    df_feature_norm_init(&norm, cfg.F, &e);
    df_train_meta meta = {.dataset_seed = 1, .steps = 2};
    snprintf(meta.text, sizeof meta.text, "%s", text);
    uint8_t *buf;
    size_t len;
    int rc = df_weights_serialize(&m, &norm, &meta, &buf, &len, &e);
    df_gpt_free(&m);
    df_feature_norm_free(&norm);
    if (rc) {
        fprintf(stderr, "mkweights: %s\n", e.msg);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&flag, 1, 1, f) != 1 || fwrite(buf, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "mkweights: cannot write %s\n", path);
        free(buf);
        return 1;
    }
    printf("%s: %zu bytes\n", path, len + 1);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: mkweights DIR\n");
        return 2;
    }
    int bad = 0;
    bad |= write_seed(argv[1], "mapper_model", (df_gpt_config){DF_FEATURES, DF_ACTIONS, 8, 1, 2, 8}, 0,
                      "seed: tiny mapper");
    bad |= write_seed(argv[1], "mapper_model_fixsum", (df_gpt_config){DF_FEATURES, DF_ACTIONS, 8, 1, 2, 8}, 1, "");
    bad |= write_seed(argv[1], "minimal_model", (df_gpt_config){2, 2, 2, 1, 1, 2}, 1, "m\xc3\xa9ta");
    return bad;
}
