/* dataset.h - teacher trajectories for the transformer: requests drawn by the sampler, solved by the
 * exact solver, replayed through the schedule to record (features, mask, teacher action) per layer.
 * Sequences are packed: rows of all sequences back to back, off[i]..off[i+1] for sequence i.
 *
 * Depth-first space (DF_SPACE_DEPTH_FIRST, labelled in DF_LAYOUT_DEPTH_FIRST, features.h): the exact
 * solver's depth-first answer, and per row also the close decision its token makes. A token that
 * starts a group (t > 0) first closes the group ending at t-1 (cmask/ctarget of row t); the last token
 * also closes the final group (emask/etarget of its sequence). Rows that close nothing have ctarget -1
 * and an all-zero cmask. A close target is a slot of DF_CLOSE_SLOTS: 0 = whole, 1+i = the i-th of
 * df_tile_options(last). */
#ifndef DNNFUSER_TRAIN_DATASET_H
#define DNNFUSER_TRAIN_DATASET_H

#include "dnnfuser/features.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"

/* what the teacher chose, summed over sequences */
typedef struct {
    int64_t groups;                    /* groups in the teacher's answers */
    int64_t tiled;                     /* of them not whole (depth-first) */
    int64_t by_mode[DF_OVERLAP_COUNT]; /* tiled groups per overlap mode */
    int64_t rounded;                   /* groups whose micro-batch has no slot (labelled at the slot below) */
} df_teacher_stats;

typedef struct {
    int32_t n;        /* sequences */
    int64_t rows;     /* total layers over all sequences */
    int64_t *off;     /* [n + 1] */
    float *x;         /* [rows, DF_FEATURES] raw features */
    uint8_t *mask;    /* [rows, DF_ACTIONS] */
    int32_t *target;  /* [rows] teacher action */
    double solve_s;   /* exact-solver seconds spent */
    int layout;       /* df_action_layout of the labels */
    uint8_t *cmask;   /* depth-first: [rows, DF_CLOSE_SLOTS] (NULL in the batch layout) */
    int32_t *ctarget; /* depth-first: [rows] */
    uint8_t *emask;   /* depth-first: [n, DF_CLOSE_SLOTS] */
    int32_t *etarget; /* depth-first: [n] */
    df_teacher_stats st;
} df_dataset;

/* One labelled sequence (the fields of one sequence of df_dataset; c* and e* only in the depth-first
 * layout). */
typedef struct {
    int32_t len;
    float *x;
    uint8_t *mask;
    int32_t *target;
    uint8_t *cmask;
    int32_t *ctarget;
    uint8_t emask[DF_CLOSE_SLOTS];
    int32_t etarget;
    df_teacher_stats st;
} df_teacher_seq;

/* Labels the teacher mapping `teacher` of ep's network in ep's layout: encodes it as actions (and close
 * slots), replays them through the schedule and records features, masks and targets. DF_EINVAL if the
 * mapping is not expressible or a teacher decision is masked. out is allocated (df_teacher_seq_free). */
int df_teacher_label(const df_episode *ep, const df_mapping *teacher, df_teacher_seq *out, df_err *err);
void df_teacher_seq_free(df_teacher_seq *s);
/* The mapping a labelled sequence encodes (the decoder of df_teacher_label): target[L], and in the
 * depth-first layout ctarget[L] and etarget (ignored in the batch layout). */
int df_teacher_decode(const df_episode *ep, const int32_t *target, const int32_t *ctarget, int32_t etarget,
                      df_mapping *out, df_err *err);

/* Generates n sequences of the split with `threads` worker threads. Sample i depends only on
 * (seed, i), so the result is identical for any thread count. progress (nullable) is called from the
 * calling thread about once a second with the number of finished samples. */
int df_dataset_generate(df_dataset *ds, df_split split, int32_t n, uint64_t seed, int32_t max_layers, int threads,
                        void (*progress)(int32_t done, int32_t total, void *ctx), void *ctx, df_err *err);
/* The same over a map-space: DF_SPACE_BATCH labels df_solve_exact's answers in DF_LAYOUT_BATCH (what
 * df_dataset_generate does), DF_SPACE_DEPTH_FIRST df_solve_exact_in's depth-first answers in
 * DF_LAYOUT_DEPTH_FIRST. */
int df_dataset_generate_in(df_dataset *ds, df_split split, df_space space, int32_t n, uint64_t seed, int32_t max_layers,
                           int threads, void (*progress)(int32_t done, int32_t total, void *ctx), void *ctx,
                           df_err *err);
void df_dataset_free(df_dataset *ds);

/* One training batch of up to B sequences padded to the longest (Tb rows each, row b*Tb + t), what
 * df_gpt_forward (batch layout) or df_gpt_forward_heads (depth-first: action head, then close head)
 * takes. Padding rows have target -1 and an all-allowed mask. */
typedef struct {
    size_t B, T;     /* capacity: sequences, rows per sequence */
    float *x;        /* (B, T, DF_FEATURES) */
    int32_t *tg;     /* (B, T) action targets */
    uint8_t *mk;     /* (B, T, DF_ACTIONS) */
    int32_t *pick;   /* (B) the data set's sequences laid out, set by the caller */
    int32_t n_close; /* depth-first: close decisions laid out */
    int32_t *crow;   /* (2 B T) row b*Tb + t whose close logits make each decision */
    int32_t *ctg;    /* (2 B T) its target slot */
    uint8_t *cmk;    /* (2 B T, DF_CLOSE_SLOTS) its mask, the decoder's close mask */
} df_batch;

/* DF_ENOMEM if the buffers cannot be allocated (bb is then safe to df_batch_free). */
int df_batch_alloc(df_batch *bb, size_t B, size_t T, df_err *err);
void df_batch_free(df_batch *bb);
/* Lays out sequences pick[0..nb) of ds (nb <= B, each at most T rows); in the depth-first layout also
 * their close decisions, in row order: a row's (a start at t > 0 closes the group ending at t-1,
 * cmask/ctarget) and, after a sequence's rows, its final close on its last row (emask/etarget), so
 * one decision per teacher group. Returns Tb, the longest picked sequence. */
int32_t df_batch_fill(df_batch *bb, const df_dataset *ds, size_t nb);
/* Per-feature mean and standard deviation over all rows (std floored at 1e-3). */
void df_dataset_stats(const df_dataset *ds, float *mean, float *std);

#endif
