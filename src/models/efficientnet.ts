// EfficientNet B0-B7 and any compound-scaled variant (Tan & Le, ICML 2019), NHWC, inference.
//
// Network: stem conv 3x3 stride 2 (round_filters(32)) + BN + swish; the MBConv blocks of
// efficientNetBlocks(config) (scaling.ts: B0's seven stages, widths by round_filters, depths by
// round_repeats); head conv 1x1 (round_filters(1280)) + BN + swish; then, with includeTop, global
// average pooling, dropout (an identity at inference) and the classifier. Without includeTop the
// output is the head's feature map [N, h, w, C]. predict returns logits (no softmax). Inputs are
// expected already normalised the way the weights were trained.
//
// Canonical weight names (loaders map TF/Keras, timm and torchvision checkpoints onto these; all
// convs are HWIO, depthwise kernels [k, k, C, 1]; BN tensors are gamma, beta, mean, variance):
//   stem/conv/kernel                      [3, 3, 3, C0]
//   stem/bn/{gamma,beta,mean,variance}    [C0]
//   per block i (0-based over all blocks, efficientNetBlocks order):
//   blocks/{i}/expand/conv/kernel         [1, 1, Cin, Cexp]    (absent when expand ratio is 1)
//   blocks/{i}/expand/bn/*                [Cexp]               (absent when expand ratio is 1)
//   blocks/{i}/depthwise/conv/kernel      [k, k, Cexp, 1]
//   blocks/{i}/depthwise/bn/*             [Cexp]
//   blocks/{i}/se/reduce/kernel           [1, 1, Cexp, Cse]    Cse = max(1, floor(Cin / 4))
//   blocks/{i}/se/reduce/bias             [Cse]
//   blocks/{i}/se/expand/kernel           [1, 1, Cse, Cexp]
//   blocks/{i}/se/expand/bias             [Cexp]
//   blocks/{i}/project/conv/kernel        [1, 1, Cexp, Cout]
//   blocks/{i}/project/bn/*               [Cout]
//   head/conv/kernel                      [1, 1, C_last, C_head]
//   head/bn/*                             [C_head]
//   classifier/kernel                     [C_head, numClasses]  (with includeTop)
//   classifier/bias                       [numClasses]          (with includeTop)
// efficientNetWeightSpec(config) lists them in this order.
import type * as tf from '@tensorflow/tfjs-core';

import {buildModel, chainStep, type Model, type ModelGraph, type Ops, randomWeights, scoped, traceGraph, type WeightSpec} from './graph.js';
import type {ConvSpec} from './layers.js';
import {
  B0_HEAD_CHANNELS,
  B0_STEM_CHANNELS,
  type EfficientNetConfig,
  efficientNetBlocks,
  roundFilters,
} from './scaling.js';

/** The EfficientNet definition, over any Ops implementation. */
export const efficientNetGraph: ModelGraph<EfficientNetConfig> = <T>(g: Ops<T>, x: T, config: EfficientNetConfig): T => {
  const padding = config.padding;
  const stem: ConvSpec = {
    name: 'stem/conv',
    filters: roundFilters(B0_STEM_CHANNELS, config.width),
    kernel: 3,
    stride: 2,
    padding,
    bn: {name: 'stem/bn'},
    activation: 'swish',
  };
  const blocks = efficientNetBlocks(config);
  // The stem and a first block without an expand conv in one step where the ops have it (the fused
  // EffnetStemMBConv kernel; src/models/stem_mbconv.ts): the stem's output is then never stored.
  const first = blocks[0];
  const together = g.stemMBConv != null && first != null && first.expandRatio === 1 && !first.residual;
  let h = together ? scoped(g, () => g.stemMBConv!(x, stem, first, padding)) : g.conv(x, stem);
  // Each block in its own scope, and its input freed once it has run (the stem's output and every
  // block's are made here): a pass then holds a block's intermediates at a time, not all of them.
  for (const block of together ? blocks.slice(1) : blocks) h = chainStep(g, h, (x) => g.mbconv(x, block, padding));
  const headConv: ConvSpec = {
    name: 'head/conv',
    filters: roundFilters(B0_HEAD_CHANNELS, config.width),
    kernel: 1,
    padding,
    bn: {name: 'head/bn'},
    activation: 'swish',
  };
  // Without the top the output is the head's feature map (class activation maps use it).
  if (!config.includeTop) return g.conv(h, headConv);
  // Dropout before the classifier is an identity at inference. The head conv, pooling and classifier
  // are one step where the ops have it (the fused EffnetHead kernel; src/models/head.ts).
  if (g.head) return g.head(h, headConv, 'classifier', config.numClasses);
  return g.dense(g.globalAvgPool(g.conv(h, headConv)), 'classifier', config.numClasses);
};

/** Canonical names and shapes of every weight (see the file header). */
export function efficientNetWeightSpec(config: EfficientNetConfig): WeightSpec[] {
  return traceGraph(efficientNetGraph, config, config.resolution).weights;
}

/** Seeded random canonical weights for tests and benchmarks (deterministic across runs and backends). */
export function randomEfficientNetWeights(config: EfficientNetConfig, seed = 0): Map<string, tf.Tensor> {
  return randomWeights(efficientNetWeightSpec(config), seed);
}

export type EfficientNet = Model<EfficientNetConfig>;

/**
 * Builds an EfficientNet from canonical weights (batch norms folded once, here). The model works
 * at any input size; config.resolution is the size it was designed for.
 */
export function buildEfficientNet(config: EfficientNetConfig, weights: Map<string, tf.Tensor>): EfficientNet {
  if (config.family !== 'efficientnet') throw new Error(`buildEfficientNet: config is for '${config.family as string}'`);
  return buildModel(efficientNetGraph, config, weights, `EfficientNet-${config.name}`);
}

export {compoundScale, efficientNetBlocks, efficientNetConfig, roundFilters, roundRepeats} from './scaling.js';
export type {CompoundScaled, EfficientNetConfig, EfficientNetOptions, MBConvBlockSpec} from './scaling.js';
