// AmoebaNet-B as GPipe trained it (Huang et al., 2019: N=18, F=512, 480x480, 1001 classes), after
// the architecture of tensorflow/tpu models/official/amoeba_net (model_specs.py, network_utils.py,
// model_builder.py), NHWC, inference. Convs have no bias; every batch norm has gamma and beta.
//
// Network: stem conv 3x3 stride 2 VALID (stemFilters) + BN; `numStemCells` reduction cells with
// F/4, F/2 filters; then `numCells` normal cells (N = numCells in all, not per stack) with
// reduction cells inserted before cells floor(N*k/(R+1)) (k = 1..R, R = numReductionLayers), the
// filters doubling at each; final ReLU, global average pooling, dropout (identity at inference),
// classifier (logits). Without includeTop the output is the last cell's output after the ReLU.
// The auxiliary head exists only in training and is not built. Convs and pools use TF's SAME
// padding except the stem conv.
//
// A cell with F filters (F = floor(numFilters * scaling)) gets the previous output `net` and the
// one before, `prev`:
//   prev: none -> net itself (the raw input, first stem cell); spatial size differs from net ->
//         ReLU + factorized reduction to F; channels differ from F -> ReLU + 1x1 conv + BN
//         (prev_1x1, prev_bn); else unchanged.
//   hidden states: h0 = BN(1x1(ReLU(net))) (1x1, beginning_bn), h1 = prev.
//   five combinations: h_{2+i} = op_{2i}(h[idx_{2i}]) + op_{2i+1}(h[idx_{2i+1}]); ops on h0/h1
//   use the cell's stride, others stride 1.
//   output: the states marked unused, brought to the last state's size and channels by a
//   factorized reduction (no ReLU) where needed, concatenated along channels.
// Ops (each ends with drop path, an identity at inference):
//   separable_KxK_n: n x (ReLU, depthwise KxK (stride on the first), pointwise 1x1 to F, BN)
//   dil_2_separable_5x5_2: parsed by the reference as separable_5x5_2 (no dilation is applied)
//   3x3: ReLU, 1x1 to F/4 + BN, ReLU, 3x3 (stride) + BN, ReLU, 1x1 to F + BN
//     (without the bottleneck when F/4 < 1)
//   1x1 / none: ReLU, 1x1 (stride) + BN when strided, '1x1', or the channels differ from F;
//     otherwise the identity
//   max_pool_KxK / avg_pool_KxK: pool (stride, SAME; the average excludes padding), then
//     1x1 + BN (no ReLU) when the channels differ from F
//   factorized reduction to C, stride 2: [1x1(subsample(x)), 1x1(subsample(shift(x)))] each to
//     C/2, concatenated, one BN; stride 1: 1x1 + BN. subsample keeps every second row and column
//     from the first, shift pads one zero row/column at the bottom/right and drops the first.
//
// Canonical weight names (TF scope names, kernels HWIO, depthwise [k, k, C, 1]; BN tensors gamma,
// beta, mean, variance):
//   stem/conv/kernel, stem/bn/*
//   {cell}/prev_1x1/kernel, {cell}/prev_bn/*            {cell}/path1_conv/kernel,
//   {cell}/path2_conv/kernel, {cell}/final_path_bn/*     {cell}/1x1/kernel, {cell}/beginning_bn/*
//   {cell}/comb_iter_{i}/{left,right}/ + op weights:
//     separable_{k}x{k}_{j}/depthwise/kernel, separable_{k}x{k}_{j}/pointwise/kernel, bn_sep_{k}x{k}_{j}/*
//     pre_1x1/kernel, pre_bn/*, 3x3/kernel, bn/*, post_1x1/kernel, post_bn/*
//     1x1/kernel, bn_1/*
//   {cell}/cell_output/reduction_{j}/{path1_conv,path2_conv}/kernel, .../final_path_bn/*
//     (or .../path_conv/kernel, .../path_bn/* for stride 1)
//   classifier/kernel [C, numClasses], classifier/bias
// with {cell} = cell_stem_{s}, reduction_cell_{r}, cell_{n}.
import type * as tf from '@tensorflow/tfjs-core';

import {buildModel, type Model, type ModelGraph, type Ops, randomWeights, scoped, traceGraph, type WeightSpec} from './graph.js';

/** A cell's genotype: ten ops, the hidden state each reads, and which states are used. */
export interface CellGenotype {
  operations: readonly string[];
  hiddenStateIndices: readonly number[];
  usedHiddenStates: readonly number[];
}

/** AmoebaNet-B's normal cell (model_specs.py, 'amoeba_net_b'). */
export const AMOEBANET_B_NORMAL: CellGenotype = Object.freeze({
  operations: Object.freeze(['1x1', 'max_pool_3x3', 'none', 'separable_3x3_2', '1x1', 'separable_3x3_2', '1x1', 'none', 'avg_pool_3x3', '1x1']),
  hiddenStateIndices: Object.freeze([1, 1, 1, 0, 1, 0, 2, 2, 1, 5]),
  usedHiddenStates: Object.freeze([0, 1, 1, 0, 0, 1, 0]),
});

/** AmoebaNet-B's reduction cell. */
export const AMOEBANET_B_REDUCTION: CellGenotype = Object.freeze({
  operations: Object.freeze([
    'max_pool_2x2', 'max_pool_3x3', 'none', '3x3', 'dil_2_separable_5x5_2', 'max_pool_3x3', 'none', 'separable_3x3_2', 'avg_pool_3x3', '1x1',
  ]),
  hiddenStateIndices: Object.freeze([0, 0, 2, 1, 2, 2, 3, 1, 4, 3]),
  usedHiddenStates: Object.freeze([1, 1, 1, 1, 1, 0, 0]),
});

export interface AmoebaNetConfig {
  family: 'amoebanet';
  name: string;
  /** N: normal cells in all (GPipe's AmoebaNet-B(18, 512): 18). */
  numCells: number;
  /** F: filters of the first normal cells (512). */
  numFilters: number;
  /** Stem conv filters (32). */
  stemFilters: number;
  /** Reduction cells between the stacks of normal cells (2). */
  numReductionLayers: number;
  /** Reduction cells in the stem (2). */
  numStemCells: number;
  normalCell: CellGenotype;
  reductionCell: CellGenotype;
  /** Input size the model is designed for (480). */
  resolution: number;
  /** Default 1e-3 (the reference's hparams). */
  bnEpsilon: number;
  /** Default 1001 (ImageNet with a background class). */
  numClasses: number;
  includeTop: boolean;
}

export interface AmoebaNetOptions {
  numCells?: number;
  numFilters?: number;
  stemFilters?: number;
  numReductionLayers?: number;
  numStemCells?: number;
  resolution?: number;
  bnEpsilon?: number;
  numClasses?: number;
  includeTop?: boolean;
}

/** AmoebaNet-B configuration; defaults are GPipe's (N=18, F=512, 480x480, 1001 classes). */
export function amoebaNetConfig(options: AmoebaNetOptions = {}): AmoebaNetConfig {
  const config: AmoebaNetConfig = {
    family: 'amoebanet',
    name: '',
    numCells: options.numCells ?? 18,
    numFilters: options.numFilters ?? 512,
    stemFilters: options.stemFilters ?? 32,
    numReductionLayers: options.numReductionLayers ?? 2,
    numStemCells: options.numStemCells ?? 2,
    normalCell: AMOEBANET_B_NORMAL,
    reductionCell: AMOEBANET_B_REDUCTION,
    resolution: options.resolution ?? 480,
    bnEpsilon: options.bnEpsilon ?? 1e-3,
    numClasses: options.numClasses ?? 1001,
    includeTop: options.includeTop ?? true,
  };
  for (const key of ['numCells', 'numFilters', 'stemFilters', 'numClasses', 'resolution'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new Error(`amoebaNetConfig: ${key} must be a positive integer, got ${config[key]}`);
    }
  }
  for (const key of ['numReductionLayers', 'numStemCells'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 0) {
      throw new Error(`amoebaNetConfig: ${key} must be a non-negative integer, got ${config[key]}`);
    }
  }
  config.name = `amoebanet-b(${config.numCells}, ${config.numFilters})`;
  return config;
}

/** Cells before which a reduction cell goes (network_utils.calc_reduction_layers). */
export function reductionLayers(numCells: number, numReductionLayers: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= numReductionLayers; k++) out.push(Math.trunc((k / (numReductionLayers + 1)) * numCells));
  return out;
}

function factorizedReduction<T>(g: Ops<T>, x: T, filters: number, stride: number, scope: string): T {
  if (stride === 1) {
    return g.conv(x, {name: `${scope}/path_conv`, filters, kernel: 1, padding: 'same', bn: {name: `${scope}/path_bn`}});
  }
  if (filters % 2 !== 0) throw new Error(`${scope}: factorized reduction needs an even number of filters, got ${filters}`);
  const half = filters / 2;
  const bn = `${scope}/final_path_bn`;
  // A 1x1 conv with stride 2 reads every second pixel from the first: the reference's 1x1 average
  // pool with stride 2 followed by a 1x1 conv.
  const path1 = g.conv(x, {name: `${scope}/path1_conv`, filters: half, kernel: 1, stride, padding: 'valid', bn: {name: bn, channels: filters, offset: 0}});
  const path2 = g.conv(g.shift(x), {
    name: `${scope}/path2_conv`,
    filters: half,
    kernel: 1,
    stride,
    padding: 'valid',
    bn: {name: bn, channels: filters, offset: half},
  });
  return g.concat([path1, path2]);
}

function parseSeparable(op: string): {kernel: number; layers: number} {
  // 'separable_3x3_2' -> 3x3, 2 layers; 'dil_2_separable_5x5_2' -> 5x5, 2 layers (as the reference).
  const m = /(\d)x(\d)(?:_(\d+))?$/.exec(op);
  if (m == null || m[1] !== m[2]) throw new Error(`AmoebaNet: unsupported operation '${op}'`);
  return {kernel: Number(m[1]), layers: m[3] ? Number(m[3]) : 1};
}

function applyOperation<T>(g: Ops<T>, x: T, op: string, cellStride: number, fromInput: boolean, filters: number, scope: string): T {
  const stride = cellStride > 1 && !fromInput ? 1 : cellStride;
  const inChannels = g.dims(x).c;
  if (op.includes('separable')) {
    const {kernel, layers} = parseSeparable(op);
    let h = x;
    let s = stride;
    for (let j = 1; j <= layers; j++) {
      const name = `${scope}/separable_${kernel}x${kernel}_${j}`;
      h = g.relu(h);
      h = g.conv(h, {name: `${name}/depthwise`, filters: g.dims(h).c, kernel, stride: s, padding: 'same', depthwise: true});
      h = g.conv(h, {name: `${name}/pointwise`, filters, kernel: 1, padding: 'same', bn: {name: `${scope}/bn_sep_${kernel}x${kernel}_${j}`}});
      s = 1;
    }
    return h;
  }
  if (op === '3x3') {
    const reduced = Math.trunc(filters / 4);
    if (reduced < 1) {
      return g.conv(g.relu(x), {name: `${scope}/3x3`, filters, kernel: 3, stride, padding: 'same', bn: {name: `${scope}/bn`}});
    }
    let h = g.conv(g.relu(x), {name: `${scope}/pre_1x1`, filters: reduced, kernel: 1, padding: 'same', bn: {name: `${scope}/pre_bn`}});
    h = g.conv(g.relu(h), {name: `${scope}/3x3`, filters: reduced, kernel: 3, stride, padding: 'same', bn: {name: `${scope}/bn`}});
    return g.conv(g.relu(h), {name: `${scope}/post_1x1`, filters, kernel: 1, padding: 'same', bn: {name: `${scope}/post_bn`}});
  }
  if (op === 'none' || op === '1x1') {
    if (stride > 1 || op === '1x1' || inChannels !== filters) {
      return g.conv(g.relu(x), {name: `${scope}/1x1`, filters, kernel: 1, stride, padding: 'same', bn: {name: `${scope}/bn_1`}});
    }
    return x;
  }
  const pool = /^(max|avg)_pool_(\d)x(\d)$/.exec(op);
  if (pool != null && pool[2] === pool[3]) {
    let h = g.pool(x, pool[1] as 'max' | 'avg', Number(pool[2]), stride, 'same');
    if (inChannels !== filters) {
      h = g.conv(h, {name: `${scope}/1x1`, filters, kernel: 1, padding: 'same', bn: {name: `${scope}/bn_1`}});
    }
    return h;
  }
  throw new Error(`AmoebaNet: unsupported operation '${op}'`);
}

function cell<T>(
  g: Ops<T>,
  genotype: CellGenotype,
  scope: string,
  net: T,
  prevLayer: T | null,
  filters: number,
  stride: number,
): T {
  let prev: T;
  if (prevLayer == null) {
    prev = net;
  } else {
    const p = g.dims(prevLayer);
    const c = g.dims(net);
    if (p.h !== c.h || p.w !== c.w) {
      prev = factorizedReduction(g, g.relu(prevLayer), filters, 2, scope);
    } else if (p.c !== filters) {
      prev = g.conv(g.relu(prevLayer), {name: `${scope}/prev_1x1`, filters, kernel: 1, padding: 'same', bn: {name: `${scope}/prev_bn`}});
    } else {
      prev = prevLayer;
    }
  }
  const states: T[] = [
    g.conv(g.relu(net), {name: `${scope}/1x1`, filters, kernel: 1, padding: 'same', bn: {name: `${scope}/beginning_bn`}}),
    prev,
  ];
  const {operations: ops, hiddenStateIndices: idx, usedHiddenStates: used} = genotype;
  for (let i = 0; i < 5; i++) {
    const [l, r] = [idx[2 * i], idx[2 * i + 1]];
    const left = applyOperation(g, states[l], ops[2 * i], stride, l < 2, filters, `${scope}/comb_iter_${i}/left`);
    const right = applyOperation(g, states[r], ops[2 * i + 1], stride, r < 2, filters, `${scope}/comb_iter_${i}/right`);
    states.push(g.add(left, right));
  }
  const last = g.dims(states[states.length - 1]);
  const outputs: T[] = [];
  states.forEach((state, j) => {
    if (used[j]) return;
    const d = g.dims(state);
    const spatial = d.h !== last.h || d.w !== last.w;
    outputs.push(
      spatial || d.c !== last.c ? factorizedReduction(g, state, last.c, spatial ? 2 : 1, `${scope}/cell_output/reduction_${j}`) : state,
    );
  });
  return g.concat(outputs);
}

/** The AmoebaNet definition, over any Ops implementation. */
export const amoebaNetGraph: ModelGraph<AmoebaNetConfig> = <T>(g: Ops<T>, x: T, config: AmoebaNetConfig): T => {
  let net = g.conv(x, {name: 'stem/conv', filters: config.stemFilters, kernel: 3, stride: 2, padding: 'valid', bn: {name: 'stem/bn'}});
  const outputs: (T | null)[] = [null, net];
  // Each cell in its own scope, and a cell's output freed once the two cells that read it have run:
  // at 480x480 the intermediates of a whole pass are gigabytes.
  const addCell = (genotype: CellGenotype, scope: string, filters: number, stride: number) => {
    const prev = outputs[outputs.length - 2];
    const input = net;
    net = scoped(g, () => cell(g, genotype, scope, input, prev, filters, stride));
    outputs.push(net);
    const done = outputs[outputs.length - 3];
    // (A cell whose output is one of its states unchanged may hand its input back: never free a live one.)
    if (done != null && done !== net && done !== outputs[outputs.length - 2] && g.release) g.release(done);
  };
  let scaling = 1 / 2 ** config.numStemCells;
  for (let s = 0; s < config.numStemCells; s++) {
    addCell(config.reductionCell, `cell_stem_${s}`, Math.trunc(config.numFilters * scaling), 2);
    scaling *= 2;
  }
  const reductions = reductionLayers(config.numCells, config.numReductionLayers);
  scaling = 1;
  for (let c = 0; c < config.numCells; c++) {
    const r = reductions.indexOf(c);
    if (r >= 0) {
      scaling *= 2;
      addCell(config.reductionCell, `reduction_cell_${r}`, Math.trunc(config.numFilters * scaling), 2);
    }
    addCell(config.normalCell, `cell_${c}`, Math.trunc(config.numFilters * scaling), 1);
  }
  net = g.relu(net);
  if (!config.includeTop) return net;
  return g.dense(g.globalAvgPool(net), 'classifier', config.numClasses);
};

/** Canonical names and shapes of every weight (see the file header). */
export function amoebaNetWeightSpec(config: AmoebaNetConfig): WeightSpec[] {
  return traceGraph(amoebaNetGraph, config, config.resolution).weights;
}

/** Seeded random canonical weights (deterministic across runs and backends). */
export function randomAmoebaNetWeights(config: AmoebaNetConfig, seed = 0): Map<string, tf.Tensor> {
  return randomWeights(amoebaNetWeightSpec(config), seed);
}

export type AmoebaNet = Model<AmoebaNetConfig>;

/** Builds an AmoebaNet from canonical weights (batch norms folded once, here). */
export function buildAmoebaNet(config: AmoebaNetConfig, weights: Map<string, tf.Tensor>): AmoebaNet {
  if (config.family !== 'amoebanet') throw new Error(`buildAmoebaNet: config is for '${config.family as string}'`);
  return buildModel(amoebaNetGraph, config, weights, `AmoebaNet-B`);
}
