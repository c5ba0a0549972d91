/* probkey.c - a mapping problem's identity for the daemon's caches (see probkey.h). */
#include "probkey.h"

#include <stdlib.h>
#include <string.h>

int srv_probkey_set(srv_probkey *k, const df_net *net, df_objective obj) {
    const df_workload *w = df_net_workload(net);
    memset(k, 0, sizeof *k);
    k->layers = malloc((size_t)(w->n_layers > 0 ? w->n_layers : 1) * sizeof *k->layers);
    if (!k->layers) return DF_ENOMEM;
    memcpy(k->layers, w->layers, (size_t)w->n_layers * sizeof *k->layers);
    k->hw = *df_net_hw(net);
    k->obj = obj;
    k->L = w->n_layers;
    k->batch = df_net_batch(net);
    return DF_OK;
}

int srv_probkey_eq(const srv_probkey *k, const df_net *net, df_objective obj) {
    const df_workload *w = df_net_workload(net);
    return k->layers && k->obj == obj && k->L == w->n_layers && k->batch == df_net_batch(net) &&
           memcmp(&k->hw, df_net_hw(net), sizeof k->hw) == 0 &&
           memcmp(k->layers, w->layers, (size_t)k->L * sizeof *k->layers) == 0;
}

void srv_probkey_free(srv_probkey *k) {
    free(k->layers);
    memset(k, 0, sizeof *k);
}
