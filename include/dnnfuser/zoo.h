/* zoo.h - the built-in model zoo: exact layer shapes of the reference definitions (torchvision for
 * the CNNs and ViT-B/16 at 224x224, the original BERT-base encoder, GPT-2 small and a LLaMA-7B block at
 * prefill or one decode step; for spatial fusion ResNet-18 and MobileNetV2 at 512x512, FSRCNN x2 at
 * 960x540 and DeFiNES's FSRCNN, a U-Net at 512x512, the YOLOv5s backbone at 640x640), residual and
 * branch edges included. */
#ifndef DNNFUSER_ZOO_H
#define DNNFUSER_ZOO_H

#include "dnnfuser/workload.h"

typedef struct {
    int32_t seq_len; /* bert_base, gpt2_small, llama7b_block: tokens per sample; *_decode: KV cache
                          length (default 128 when 0) */
} df_zoo_opts;

int32_t df_zoo_count(void);
const char *df_zoo_name(int32_t i);        /* "resnet18", "resnet50", "mobilenetv2", "mnasnet",
                                                "vgg16", "efficientnet_b0", "bert_base", "vit_b_16",
                                                "gpt2_small", "gpt2_small_decode", "llama7b_block",
                                                "llama7b_block_decode", "resnet18_512", "mobilenetv2_512",
                                                "fsrcnn", "fsrcnn_defines", "unet", "yolov5s_backbone" */
const char *df_zoo_description(int32_t i); /* one line: source definition and input size */
/* Builds and validates the named network into an uninitialised *out. opts may be NULL.
 * Unknown name: DF_ENOTFOUND with the list of known names in err->msg. */
int df_zoo_build(const char *name, const df_zoo_opts *opts, df_workload *out, df_err *err);

#endif
