/* probkey.h - a mapping problem's identity for the daemon's caches (the decode loops' episodes,
 * answer.c's layer-by-layer baselines): its layers, hardware, batch and objective, copied and
 * compared byte for byte, so two separately parsed requests of the same problem match. */
#ifndef DNNFUSER_SERVER_PROBKEY_H
#define DNNFUSER_SERVER_PROBKEY_H

#include <stdint.h>

#include "dnnfuser/cost.h"

typedef struct {
    df_objective obj;
    int32_t batch, L;
    df_hw hw;
    df_layer *layers; /* [L] copy; NULL: the key is empty (matches nothing) */
} srv_probkey;

/* k <- net's problem under obj (k empty before). DF_OK, or DF_ENOMEM leaving k empty. */
int srv_probkey_set(srv_probkey *k, const df_net *net, df_objective obj);
/* 1 when net under obj is k's problem */
int srv_probkey_eq(const srv_probkey *k, const df_net *net, df_objective obj);
/* empties k (an empty key may be freed again) */
void srv_probkey_free(srv_probkey *k);

#endif
