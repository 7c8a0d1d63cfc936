// ResNet-50/101/152 as torchvision defines them (v1.5: the stride of a downsampling bottleneck is
// on its 3x3 conv), NHWC, inference.
//
// Network: stem conv 7x7 stride 2 pad 3 (64) + BN + ReLU, max pool 3x3 stride 2 pad 1; four
// layers of bottlenecks (planes 64, 128, 256, 512; expansion 4) with [3,4,6,3], [3,4,23,3] or
// [3,8,36,3] blocks (blocks, stem channels and planes can be overridden for scaled-down nets);
// layers 2-4 start with stride 2; a block whose stride is not 1 or whose input channels differ
// from its output (the first of each layer) has a downsample (1x1 conv with the stride + BN);
// with includeTop, global average pooling and the classifier (logits). Without includeTop the
// output is layer 4's feature map.
//
// Canonical weight names (HWIO kernels; BN tensors gamma, beta, mean, variance):
//   stem/conv/kernel [7, 7, 3, 64], stem/bn/*
//   layers/{l}/{b}/conv1/kernel [1, 1, Cin, P], layers/{l}/{b}/bn1/*
//   layers/{l}/{b}/conv2/kernel [3, 3, P, P],   layers/{l}/{b}/bn2/*
//   layers/{l}/{b}/conv3/kernel [1, 1, P, 4P],  layers/{l}/{b}/bn3/*
//   layers/{l}/{b}/downsample/conv/kernel [1, 1, Cin, 4P], layers/{l}/{b}/downsample/bn/*  (b = 0 only)
//   classifier/kernel [2048, numClasses], classifier/bias [numClasses]
// l and b are 0-based (torchvision's layer{l+1}.{b}).
import type * as tf from '@tensorflow/tfjs-core';

import {buildModel, chainStep, type Model, type ModelGraph, type Ops, randomWeights, traceGraph, type WeightSpec} from './graph.js';
import type {PaddingMode} from './scaling.js';

export const RESNET_BLOCKS: Readonly<Record<ResNetDepth, readonly number[]>> = Object.freeze({
  50: Object.freeze([3, 4, 6, 3]),
  101: Object.freeze([3, 4, 23, 3]),
  152: Object.freeze([3, 8, 36, 3]),
});

export type ResNetDepth = 50 | 101 | 152;

export interface ResNetConfig {
  family: 'resnet';
  name: string;
  depth: ResNetDepth;
  /** Bottleneck blocks per layer. */
  blocks: number[];
  /** Stem conv channels (64). */
  stemChannels: number;
  /** Bottleneck width (planes) per layer (64, 128, 256, 512); outputs are 4x these. */
  widths: number[];
  /** Input size the model is designed for (224). */
  resolution: number;
  /** 'symmetric' (torchvision, default) or 'same' (TF's rule). */
  padding: PaddingMode;
  bnEpsilon: number;
  numClasses: number;
  includeTop: boolean;
}

export interface ResNetOptions {
  padding?: PaddingMode;
  /** Default 1e-5 (torchvision). */
  bnEpsilon?: number;
  /** Default 1000. */
  numClasses?: number;
  includeTop?: boolean;
  resolution?: number;
  /** Custom (e.g. scaled-down) networks: blocks per layer, stem channels, planes per layer. */
  blocks?: number[];
  stemChannels?: number;
  widths?: number[];
}

/** A ResNet configuration: depth 50, 101 or 152. */
export function resNetConfig(depth: ResNetDepth | string = 152, options: ResNetOptions = {}): ResNetConfig {
  const d = typeof depth === 'string' ? Number(/^(?:resnet[-_]?)?(\d+)$/i.exec(depth.trim())?.[1]) : depth;
  if (d !== 50 && d !== 101 && d !== 152) {
    throw new Error(`resNetConfig: depth ${depth} is not supported; supported: 50, 101, 152`);
  }
  const numClasses = options.numClasses ?? 1000;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`resNetConfig: numClasses must be a positive integer, got ${numClasses}`);
  }
  const padding = options.padding ?? 'symmetric';
  if (padding !== 'same' && padding !== 'symmetric') {
    throw new Error(`resNetConfig: padding '${padding}' is not supported; supported: same, symmetric`);
  }
  const blocks = options.blocks ?? [...RESNET_BLOCKS[d]];
  const widths = options.widths ?? [64, 128, 256, 512];
  const stemChannels = options.stemChannels ?? 64;
  const positive = (v: number) => Number.isInteger(v) && v >= 1;
  if (blocks.length !== widths.length || !blocks.every(positive) || !widths.every(positive) || !positive(stemChannels)) {
    throw new Error(
      `resNetConfig: blocks [${blocks}], widths [${widths}] and stemChannels ${stemChannels} must be positive integers, one width per layer`,
    );
  }
  return {
    family: 'resnet',
    name: `resnet${d}`,
    depth: d,
    blocks,
    stemChannels,
    widths,
    resolution: options.resolution ?? 224,
    padding,
    bnEpsilon: options.bnEpsilon ?? 1e-5,
    numClasses,
    includeTop: options.includeTop ?? true,
  };
}

const EXPANSION = 4;

/** The ResNet definition, over any Ops implementation. */
export const resNetGraph: ModelGraph<ResNetConfig> = <T>(g: Ops<T>, x: T, config: ResNetConfig): T => {
  const padding = config.padding;
  let h = g.conv(x, {name: 'stem/conv', filters: config.stemChannels, kernel: 7, stride: 2, padding, bn: {name: 'stem/bn'}, activation: 'relu'});
  h = g.pool(h, 'max', 3, 2, padding);
  config.blocks.forEach((count, l) => {
    const planes = config.widths[l];
    for (let b = 0; b < count; b++) {
      const p = `layers/${l}/${b}`;
      const stride = b === 0 && l > 0 ? 2 : 1;
      // Each block in its own scope, and its input (made here: the stem's pool or a block's output)
      // freed once it has run, so a pass holds one block's intermediates at a time.
      h = chainStep(g, h, (input) => {
        let out = g.conv(input, {name: `${p}/conv1`, filters: planes, kernel: 1, padding, bn: {name: `${p}/bn1`}, activation: 'relu'});
        out = g.conv(out, {name: `${p}/conv2`, filters: planes, kernel: 3, stride, padding, bn: {name: `${p}/bn2`}, activation: 'relu'});
        const conv3 = {name: `${p}/conv3`, filters: planes * EXPANSION, kernel: 1, padding, bn: {name: `${p}/bn3`, endsResidualBranch: true}};
        const shortcut = () =>
          stride !== 1 || g.dims(input).c !== planes * EXPANSION
            ? g.conv(input, {name: `${p}/downsample/conv`, filters: planes * EXPANSION, kernel: 1, stride, padding, bn: {name: `${p}/downsample/bn`}})
            : input;
        if (g.convResidual) {
          // conv3 + BN + shortcut + ReLU in one step (the add happens in the conv's epilogue).
          return g.convResidual(out, {...conv3, activation: 'relu'}, shortcut());
        }
        out = g.conv(out, conv3);
        return g.relu(g.add(out, shortcut()));
      });
    }
  });
  if (!config.includeTop) return h;
  return g.dense(g.globalAvgPool(h), 'classifier', config.numClasses);
};

/** Canonical names and shapes of every weight (see the file header). */
export function resNetWeightSpec(config: ResNetConfig): WeightSpec[] {
  return traceGraph(resNetGraph, config, config.resolution).weights;
}

/** Seeded random canonical weights (deterministic across runs and backends). */
export function randomResNetWeights(config: ResNetConfig, seed = 0): Map<string, tf.Tensor> {
  return randomWeights(resNetWeightSpec(config), seed);
}

export type ResNet = Model<ResNetConfig>;

/** Builds a ResNet from canonical weights (batch norms folded once, here). */
export function buildResNet(config: ResNetConfig, weights: Map<string, tf.Tensor>): ResNet {
  if (config.family !== 'resnet') throw new Error(`buildResNet: config is for '${config.family as string}'`);
  return buildModel(resNetGraph, config, weights, `ResNet-${config.depth}`);
}
