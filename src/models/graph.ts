// Each model is written once, as a function over the small `Ops` interface below, and run two ways:
// - ShapeTracer walks it on shapes alone: weight specs (canonical names and shapes), parameter
//   counts and multiply-add counts come from this walk;
// - TensorOps runs it on tfjs tensors with batch-norm-folded weights (any tfjs backend).
// Because both run the same definition, counts, weight specs and the built model cannot drift.
import * as tf from '@tensorflow/tfjs-core';

import {type ConvSpec, type LayerPadding, outputSize, padAmounts, tfPadding} from './layers.js';
import {type ConvResidualActivation, convResidual} from './conv_residual.js';
import {head, headFusionActive} from './head.js';
import {type MBConvWeights, mbconv, mbconvLayers, swishActivation} from './mbconv.js';
import {stemMBConv, type StemConv} from './stem_mbconv.js';
import type {MBConvBlockSpec, PaddingMode} from './scaling.js';

/** Spatial size and channels of an activation (rank 2 activations have h = w = 1). */
export interface Dims {
  h: number;
  w: number;
  c: number;
}

/** The operations model definitions are written in (NHWC). */
export interface Ops<T> {
  dims(x: T): Dims;
  conv(x: T, spec: ConvSpec): T;
  /** One MBConv block (weights under `blocks/{block.index}`). */
  mbconv(x: T, block: MBConvBlockSpec, padding: PaddingMode): T;
  /**
   * Optional: mbconv(conv(x, stem), block, padding) in one step (EfficientNet's stem and first block:
   * the stem's output need not be stored); definitions fall back to the two without it.
   */
  stemMBConv?(x: T, stem: ConvSpec, block: MBConvBlockSpec, padding: PaddingMode): T;
  relu(x: T): T;
  add(a: T, b: T): T;
  /**
   * Optional: activation(conv(x) + residual) with `spec.activation` applied after the add (the
   * tail of a residual block) in one step; definitions fall back to conv, add and relu without it.
   */
  convResidual?(x: T, spec: ConvSpec, residual: T): T;
  /** Concatenation along channels. */
  concat(xs: T[]): T;
  pool(x: T, type: 'max' | 'avg', size: number, stride: number, padding: LayerPadding): T;
  /** Pads one zero row and column at the bottom/right and drops the first row and column. */
  shift(x: T): T;
  /** Global average over H and W: [N, C]. */
  globalAvgPool(x: T): T;
  /** Fully connected layer: weights `${name}/kernel` [in, units] and `${name}/bias` [units]. */
  dense(x: T, name: string, units: number): T;
  /**
   * Optional: dense(globalAvgPool(conv(x, spec)), name, units) in one step (EfficientNet's head:
   * the feature map need not be stored); definitions fall back to the three ops without it.
   */
  head?(x: T, spec: ConvSpec, name: string, units: number): T;
  /**
   * Optional: runs `fn` (one part of the model, such as a cell) and frees the intermediates it made,
   * keeping its result (`tf.tidy` for tensors). Definitions call it through `scoped`.
   */
  scope?(fn: () => T): T;
  /** Optional: frees `x`, a value the definition made and no longer reads (never the model's input). */
  release?(x: T): void;
}

/** `fn()` inside `g.scope` where the Ops have one. */
export function scoped<T>(g: Ops<T>, fn: () => T): T {
  return g.scope ? g.scope(fn) : fn();
}

/**
 * One step of a chain (a block): `fn(input)` in its own scope, then `input` released unless the step
 * handed it back. Only for an input the definition made and nothing reads after this step.
 */
export function chainStep<T>(g: Ops<T>, input: T, fn: (x: T) => T): T {
  const out = scoped(g, () => fn(input));
  if (g.release && out !== input) g.release(input);
  return out;
}

/** A model definition: maps the input image batch to the output. */
export type ModelGraph<C> = <T>(g: Ops<T>, x: T, config: C) => T;

/** What a weight is, for initialisation and folding. */
export type WeightRole = 'kernel' | 'depthwise_kernel' | 'bias' | 'gamma' | 'beta' | 'mean' | 'variance' | 'dense_kernel' | 'dense_bias';

/** One weight tensor of a model: canonical name and shape. */
export interface WeightSpec {
  name: string;
  shape: number[];
  role: WeightRole;
  /**
   * The gamma of a batch norm that ends a residual branch (an MBConv block's projection when the block
   * adds its input, a ResNet bottleneck's bn3). Only seeded random weights read it: they draw it small,
   * see randomWeightValues.
   */
  residualBranchEnd?: boolean;
}

/** One conv or dense layer met during the shape walk. */
export type LayerRecord =
  | {kind: 'conv'; spec: ConvSpec; inChannels: number; inH: number; inW: number; outH: number; outW: number; multiplyAdds: number}
  | {kind: 'dense'; name: string; inFeatures: number; units: number; multiplyAdds: number};

/** Activation shape during the shape walk (batch 1). */
export interface TraceValue extends Dims {
  rank: 2 | 4;
}

/** Runs a model definition on shapes: records layers, weights, parameters and multiply-adds. */
export class ShapeTracer implements Ops<TraceValue> {
  readonly layers: LayerRecord[] = [];
  readonly weights: WeightSpec[] = [];
  /** Trainable parameters: kernels, biases, batch-norm gamma and beta (not the running statistics). */
  params = 0;
  /** Multiply-adds of convs and dense layers for one image. */
  multiplyAdds = 0;
  private readonly bnChannels = new Map<string, number>();

  dims(x: TraceValue): Dims {
    return {h: x.h, w: x.w, c: x.c};
  }

  private addWeight(name: string, shape: number[], role: WeightRole, trainable = true): WeightSpec {
    const spec: WeightSpec = {name, shape, role};
    this.weights.push(spec);
    if (trainable) this.params += shape.reduce((a, b) => a * b, 1);
    return spec;
  }

  conv(x: TraceValue, spec: ConvSpec): TraceValue {
    if (x.rank !== 4) throw new Error(`${spec.name}: conv input must be rank 4`);
    const stride = spec.stride ?? 1;
    const dilation = spec.dilation ?? 1;
    const [t, b, l, r] = padAmounts(spec.padding, spec.kernel, stride, dilation, x.h, x.w);
    const outH = outputSize(x.h, spec.kernel, stride, dilation, t, b);
    const outW = outputSize(x.w, spec.kernel, stride, dilation, l, r);
    if (outH < 1 || outW < 1) throw new Error(`${spec.name}: input ${x.h}x${x.w} is too small for a ${spec.kernel}x${spec.kernel} kernel`);
    const k2 = spec.kernel * spec.kernel;
    let macs: number;
    if (spec.depthwise) {
      if (spec.filters !== x.c) throw new Error(`${spec.name}: depthwise conv of ${x.c} channels to ${spec.filters}`);
      this.addWeight(`${spec.name}/kernel`, [spec.kernel, spec.kernel, x.c, 1], 'depthwise_kernel');
      macs = outH * outW * k2 * x.c;
    } else {
      this.addWeight(`${spec.name}/kernel`, [spec.kernel, spec.kernel, x.c, spec.filters], 'kernel');
      macs = outH * outW * k2 * x.c * spec.filters;
    }
    if (spec.bias) this.addWeight(`${spec.name}/bias`, [spec.filters], 'bias');
    if (spec.bn) {
      const channels = spec.bn.channels ?? spec.filters;
      const offset = spec.bn.offset ?? 0;
      if (offset < 0 || offset + spec.filters > channels) {
        throw new Error(`${spec.name}: batch norm ${spec.bn.name} slice ${offset}+${spec.filters} exceeds ${channels}`);
      }
      const seen = this.bnChannels.get(spec.bn.name);
      if (seen == null) {
        this.bnChannels.set(spec.bn.name, channels);
        const gamma = this.addWeight(`${spec.bn.name}/gamma`, [channels], 'gamma');
        if (spec.bn.endsResidualBranch) gamma.residualBranchEnd = true;
        this.addWeight(`${spec.bn.name}/beta`, [channels], 'beta');
        this.addWeight(`${spec.bn.name}/mean`, [channels], 'mean', false);
        this.addWeight(`${spec.bn.name}/variance`, [channels], 'variance', false);
      } else if (seen !== channels) {
        throw new Error(`batch norm ${spec.bn.name} used with ${seen} and ${channels} channels`);
      }
    }
    this.multiplyAdds += macs;
    this.layers.push({kind: 'conv', spec, inChannels: x.c, inH: x.h, inW: x.w, outH, outW, multiplyAdds: macs});
    return {rank: 4, h: outH, w: outW, c: spec.filters};
  }

  mbconv(x: TraceValue, block: MBConvBlockSpec, padding: PaddingMode): TraceValue {
    if (x.c !== block.inChannels) throw new Error(`blocks/${block.index}: input has ${x.c} channels, expected ${block.inChannels}`);
    const layers = mbconvLayers(block, padding);
    let h = layers.expand ? this.conv(x, layers.expand) : x;
    h = this.conv(h, layers.depthwise);
    let s: TraceValue = {rank: 4, h: 1, w: 1, c: h.c};
    s = this.conv(s, layers.seReduce);
    s = this.conv(s, layers.seExpand);
    const y = this.conv(h, layers.project);
    if (block.residual && (y.h !== x.h || y.w !== x.w || y.c !== x.c)) {
      throw new Error(`blocks/${block.index}: residual between different shapes`);
    }
    return y;
  }

  relu(x: TraceValue): TraceValue {
    return x;
  }

  add(a: TraceValue, b: TraceValue): TraceValue {
    if (a.h !== b.h || a.w !== b.w || a.c !== b.c || a.rank !== b.rank) {
      throw new Error(`add of different shapes: ${a.h}x${a.w}x${a.c} and ${b.h}x${b.w}x${b.c}`);
    }
    return a;
  }

  concat(xs: TraceValue[]): TraceValue {
    const [first] = xs;
    for (const x of xs) {
      if (x.h !== first.h || x.w !== first.w) throw new Error(`concat of different sizes: ${x.h}x${x.w} and ${first.h}x${first.w}`);
    }
    return {rank: 4, h: first.h, w: first.w, c: xs.reduce((a, x) => a + x.c, 0)};
  }

  pool(x: TraceValue, _type: 'max' | 'avg', size: number, stride: number, padding: LayerPadding): TraceValue {
    const [t, b, l, r] = padAmounts(padding, size, stride, 1, x.h, x.w);
    return {rank: 4, h: outputSize(x.h, size, stride, 1, t, b), w: outputSize(x.w, size, stride, 1, l, r), c: x.c};
  }

  shift(x: TraceValue): TraceValue {
    return x;
  }

  globalAvgPool(x: TraceValue): TraceValue {
    return {rank: 2, h: 1, w: 1, c: x.c};
  }

  dense(x: TraceValue, name: string, units: number): TraceValue {
    if (x.rank !== 2) throw new Error(`${name}: dense input must be rank 2`);
    this.addWeight(`${name}/kernel`, [x.c, units], 'dense_kernel');
    this.addWeight(`${name}/bias`, [units], 'dense_bias');
    const macs = x.c * units;
    this.multiplyAdds += macs;
    this.layers.push({kind: 'dense', name, inFeatures: x.c, units, multiplyAdds: macs});
    return {rank: 2, h: 1, w: 1, c: units};
  }
}

/** Result of walking a model on shapes. */
export interface Trace {
  layers: LayerRecord[];
  weights: WeightSpec[];
  params: number;
  multiplyAdds: number;
  /** Output shape for batch 1. */
  outputShape: number[];
}

/** Walks `graph` for one h x w image with 3 channels. */
export function traceGraph<C>(graph: ModelGraph<C>, config: C, h: number, w = h): Trace {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new Error(`input size must be positive integers, got ${h}x${w}`);
  const tracer = new ShapeTracer();
  const out = graph(tracer, {rank: 4, h, w, c: 3}, config);
  return {
    layers: tracer.layers,
    weights: tracer.weights,
    params: tracer.params,
    multiplyAdds: tracer.multiplyAdds,
    outputShape: out.rank === 2 ? [1, out.c] : [1, out.h, out.w, out.c],
  };
}

/** A conv's or dense layer's weights after batch-norm folding. */
export interface FoldedLayer {
  kernel: tf.Tensor;
  bias: tf.Tensor | null;
}

function readWeight(weights: Map<string, tf.Tensor>, spec: WeightSpec): Float32Array {
  const t = weights.get(spec.name);
  if (t == null) throw new Error(`weight '${spec.name}' is missing`);
  if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
    throw new Error(`weight '${spec.name}' has shape [${t.shape}], expected [${spec.shape}]`);
  }
  if (t.dtype !== 'float32') throw new Error(`weight '${spec.name}' has dtype ${t.dtype}, expected float32`);
  return t.dataSync() as Float32Array;
}

/** Checks that `weights` holds every tensor of `specs` with the right shape. */
export function checkWeights(specs: WeightSpec[], weights: Map<string, tf.Tensor>): void {
  const missing = specs.filter((s) => !weights.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    const list = missing.slice(0, 8).join(', ') + (missing.length > 8 ? `, ... (${missing.length} in all)` : '');
    throw new Error(`missing weights: ${list}`);
  }
  for (const s of specs) {
    const t = weights.get(s.name)!;
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new Error(`weight '${s.name}' has shape [${t.shape}], expected [${s.shape}]`);
    }
  }
}

/**
 * Folds every batch norm into the conv before it (computed in double precision on the host, so
 * every backend gets the same folded values): kernel * gamma / sqrt(variance + eps) per output
 * channel, bias = beta - mean * gamma / sqrt(variance + eps) (+ conv bias * the same scale).
 * Returns new tensors on the active backend, keyed by layer name.
 */
export function foldWeights(trace: Trace, weights: Map<string, tf.Tensor>, bnEpsilon: number): Map<string, FoldedLayer> {
  checkWeights(trace.weights, weights);
  const byName = new Map(trace.weights.map((s) => [s.name, s]));
  const folded = new Map<string, FoldedLayer>();
  for (const layer of trace.layers) {
    if (layer.kind === 'dense') {
      const kernel = readWeight(weights, byName.get(`${layer.name}/kernel`)!);
      const bias = readWeight(weights, byName.get(`${layer.name}/bias`)!);
      folded.set(layer.name, {
        kernel: tf.tensor2d(kernel.slice(), [layer.inFeatures, layer.units]),
        bias: tf.tensor1d(bias.slice()),
      });
      continue;
    }
    const spec = layer.spec;
    if (folded.has(spec.name)) continue;
    const kSpec = byName.get(`${spec.name}/kernel`)!;
    const kernel = readWeight(weights, kSpec);
    const convBias = spec.bias ? readWeight(weights, byName.get(`${spec.name}/bias`)!) : null;
    const cout = spec.filters;
    let outKernel: Float32Array;
    let outBias: Float32Array | null = null;
    if (spec.bn) {
      const bn = spec.bn.name;
      const offset = spec.bn.offset ?? 0;
      const gamma = readWeight(weights, byName.get(`${bn}/gamma`)!);
      const beta = readWeight(weights, byName.get(`${bn}/beta`)!);
      const mean = readWeight(weights, byName.get(`${bn}/mean`)!);
      const variance = readWeight(weights, byName.get(`${bn}/variance`)!);
      const scale = new Float64Array(cout);
      outBias = new Float32Array(cout);
      for (let c = 0; c < cout; c++) {
        const j = offset + c;
        scale[c] = gamma[j] / Math.sqrt(variance[j] + bnEpsilon);
        outBias[c] = beta[j] + ((convBias ? convBias[c] : 0) - mean[j]) * scale[c];
      }
      outKernel = new Float32Array(kernel.length);
      // HWIO: the output channel is the fastest axis; depthwise [k, k, C, 1] likewise.
      for (let i = 0; i < kernel.length; i++) outKernel[i] = kernel[i] * scale[i % cout];
    } else {
      outKernel = kernel.slice();
      outBias = convBias ? convBias.slice() : null;
    }
    folded.set(spec.name, {
      kernel: tf.tensor4d(outKernel, kSpec.shape as [number, number, number, number]),
      bias: outBias ? tf.tensor1d(outBias) : null,
    });
  }
  return folded;
}

function applySwish(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** Runs a model definition on tfjs tensors with folded weights. */
export class TensorOps implements Ops<tf.Tensor> {
  private readonly blockWeights = new Map<number, MBConvWeights>();

  constructor(private readonly folded: Map<string, FoldedLayer>) {}

  private layer(name: string): FoldedLayer {
    const l = this.folded.get(name);
    if (l == null) throw new Error(`no weights for layer '${name}'`);
    return l;
  }

  dims(x: tf.Tensor): Dims {
    return x.rank === 2 ? {h: 1, w: 1, c: x.shape[1]!} : {h: x.shape[1]!, w: x.shape[2]!, c: x.shape[3]!};
  }

  scope(fn: () => tf.Tensor): tf.Tensor {
    return tf.tidy(fn);
  }

  release(x: tf.Tensor): void {
    x.dispose();
  }

  conv(x: tf.Tensor, spec: ConvSpec): tf.Tensor {
    const {kernel, bias} = this.layer(spec.name);
    const stride = spec.stride ?? 1;
    const dilation = spec.dilation ?? 1;
    const x4 = x as tf.Tensor4D;
    const pad = tfPadding(spec.padding, spec.kernel, stride, dilation, x4.shape[1], x4.shape[2]);
    const act = spec.activation ?? 'linear';
    const swish = act === 'swish' ? swishActivation() : null;
    const fusedAct = act === 'relu' || act === 'sigmoid' ? act : (swish?.activation ?? 'linear');
    const args = {
      x: x4,
      filter: kernel as tf.Tensor4D,
      strides: stride,
      pad: pad as 'same',
      dilations: dilation,
      bias: bias ?? undefined,
      activation: fusedAct as 'linear',
    };
    const y = spec.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
    return swish?.after ? applySwish(y) : y;
  }

  convResidual(x: tf.Tensor, spec: ConvSpec, residual: tf.Tensor): tf.Tensor {
    const act = spec.activation ?? 'linear';
    if (spec.depthwise || (act !== 'linear' && act !== 'relu')) {
      throw new Error(`${spec.name}: convResidual supports regular convs with linear or relu activation`);
    }
    const {kernel, bias} = this.layer(spec.name);
    const stride = spec.stride ?? 1;
    const dilation = spec.dilation ?? 1;
    const x4 = x as tf.Tensor4D;
    const pad = tfPadding(spec.padding, spec.kernel, stride, dilation, x4.shape[1], x4.shape[2]);
    return convResidual({
      x: x4,
      filter: kernel as tf.Tensor4D,
      bias: bias ?? undefined,
      residual: residual as tf.Tensor4D,
      strides: stride,
      pad: pad as 'same',
      dilations: dilation,
      activation: act as ConvResidualActivation,
    });
  }

  /**
   * stemMBConv (src/models/stem_mbconv.ts: the backend's fused stem-and-block kernel where it can run
   * them) for a regular stem conv with batch norm (or bias) and swish; conv and mbconv otherwise.
   */
  stemMBConv(x: tf.Tensor, spec: ConvSpec, block: MBConvBlockSpec, padding: PaddingMode): tf.Tensor {
    const {kernel, bias} = this.layer(spec.name);
    const fusable = !spec.depthwise && spec.activation === 'swish' && (spec.dilation ?? 1) === 1 && bias != null;
    if (!fusable) return tf.tidy(() => this.mbconv(this.conv(x, spec), block, padding));
    const stem: StemConv = {kernel: kernel as tf.Tensor4D, bias: bias as tf.Tensor1D, stride: spec.stride ?? 1, padding: spec.padding};
    const w = this.blockWeightsOf(block, padding);
    return stemMBConv(x as tf.Tensor4D, stem, w, {kernelSize: block.kernelSize, stride: block.stride, padding, residual: block.residual});
  }

  private blockWeightsOf(block: MBConvBlockSpec, padding: PaddingMode): MBConvWeights {
    let w = this.blockWeights.get(block.index);
    if (w == null) {
      const layers = mbconvLayers(block, padding);
      const get = (spec: ConvSpec) => {
        const l = this.layer(spec.name);
        return [l.kernel as tf.Tensor4D, l.bias as tf.Tensor1D] as const;
      };
      const [depthwiseKernel, depthwiseBias] = get(layers.depthwise);
      const [seReduceKernel, seReduceBias] = get(layers.seReduce);
      const [seExpandKernel, seExpandBias] = get(layers.seExpand);
      const [projectKernel, projectBias] = get(layers.project);
      w = {depthwiseKernel, depthwiseBias, seReduceKernel, seReduceBias, seExpandKernel, seExpandBias, projectKernel, projectBias};
      if (layers.expand) [w.expandKernel, w.expandBias] = get(layers.expand);
      this.blockWeights.set(block.index, w);
    }
    return w;
  }

  mbconv(x: tf.Tensor, block: MBConvBlockSpec, padding: PaddingMode): tf.Tensor {
    const w = this.blockWeightsOf(block, padding);
    return mbconv(x as tf.Tensor4D, w, {kernelSize: block.kernelSize, stride: block.stride, padding, residual: block.residual});
  }

  relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  concat(xs: tf.Tensor[]): tf.Tensor {
    return xs.length === 1 ? xs[0] : tf.concat(xs, 3);
  }

  pool(x: tf.Tensor, type: 'max' | 'avg', size: number, stride: number, padding: LayerPadding): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    const pad = tfPadding(padding, size, stride, 1, x4.shape[1], x4.shape[2]);
    return type === 'max' ? tf.maxPool(x4, size, stride, pad) : tf.avgPool(x4, size, stride, pad);
  }

  shift(x: tf.Tensor): tf.Tensor {
    const padded = tf.pad(x as tf.Tensor4D, [[0, 0], [0, 1], [0, 1], [0, 0]]);
    return tf.slice(padded, [0, 1, 1, 0], x.shape as number[]);
  }

  globalAvgPool(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2]);
  }

  dense(x: tf.Tensor, name: string, _units: number): tf.Tensor {
    const {kernel, bias} = this.layer(name);
    return tf.fused.matMul({a: x as tf.Tensor2D, b: kernel as tf.Tensor2D, bias: bias ?? undefined});
  }

  /**
   * The backend's fused head kernel (src/models/head.ts) for a 1x1 stride-1 conv with batch norm
   * (or bias) and swish when the backend has it; conv, globalAvgPool and dense otherwise.
   */
  head(x: tf.Tensor, spec: ConvSpec, name: string, units: number): tf.Tensor {
    const conv = this.layer(spec.name);
    const dense = this.layer(name);
    const fusable =
      x.rank === 4 && spec.kernel === 1 && (spec.stride ?? 1) === 1 && !spec.depthwise && spec.activation === 'swish' &&
      conv.bias != null && dense.bias != null && dense.kernel.rank === 2 &&
      padAmounts(spec.padding, 1, 1, spec.dilation ?? 1, x.shape[1]!, x.shape[2]!).every((p) => p === 0);
    if (!fusable || !headFusionActive()) return this.dense(this.globalAvgPool(this.conv(x, spec)), name, units);
    return head(x as tf.Tensor4D, {
      convKernel: conv.kernel as tf.Tensor4D,
      convBias: conv.bias as tf.Tensor1D,
      denseKernel: dense.kernel as tf.Tensor2D,
      denseBias: dense.bias as tf.Tensor1D,
    });
  }
}

/** A built model: folded weights on the active backend and a forward pass. */
export interface Model<C> {
  readonly config: C;
  /** Runs the model on an NHWC float32 batch (or one HWC image); returns logits or features. */
  predict(x: tf.Tensor): tf.Tensor;
  /** Frees the folded weights. */
  dispose(): void;
  /** Number of weight tensors the model holds. */
  readonly numTensors: number;
}

/**
 * Builds a model from canonical weights: checks them against the definition's weight spec, folds
 * the batch norms once, and returns predict/dispose. The caller keeps ownership of `weights`.
 */
export function buildModel<C extends {bnEpsilon: number; resolution: number}>(
  graph: ModelGraph<C>,
  config: C,
  weights: Map<string, tf.Tensor>,
  label: string,
): Model<C> {
  let folded: Map<string, FoldedLayer> | null;
  try {
    folded = foldWeights(traceGraph(graph, config, config.resolution), weights, config.bnEpsilon);
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
  const ops = new TensorOps(folded);
  const numTensors = [...folded.values()].reduce((n, l) => n + (l.bias ? 2 : 1), 0);
  return {
    config,
    numTensors,
    predict(x: tf.Tensor): tf.Tensor {
      if (folded == null) throw new Error(`${label}: the model was disposed`);
      if (x.rank !== 3 && x.rank !== 4) throw new Error(`${label}: input must be NHWC (rank 4) or HWC, got shape [${x.shape}]`);
      const c = x.shape[x.rank - 1];
      if (c !== 3) throw new Error(`${label}: input must have 3 channels, got shape [${x.shape}]`);
      if (x.dtype !== 'float32') throw new Error(`${label}: input must be float32, got ${x.dtype}`);
      return tf.tidy(() => {
        const batch = x.rank === 3 ? tf.expandDims(x, 0) : x;
        const y = graph(ops, batch, config);
        return x.rank === 3 ? tf.squeeze(y, [0]) : y;
      });
    },
    dispose(): void {
      if (folded == null) return;
      for (const l of folded.values()) {
        l.kernel.dispose();
        l.bias?.dispose();
      }
      folded = null;
    },
  };
}

// ---- seeded random weights ----

/** FNV-1a hash of a string, mixed with a seed. */
function hashName(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: uniform floats in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic values for one weight (depends only on its name, shape, role and the seed, so
 * the same on every run and backend): He-uniform kernels (std sqrt(2 / fan_in)), dense kernels
 * uniform in +-1/sqrt(fan_in), biases and BN beta/mean uniform in +-0.1, gamma in [0.8, 1.2] (in
 * [0.1, 0.3] where it ends a residual branch), variance in [0.5, 1.5].
 *
 * Why the small gammas: untrained batch norms do not normalise, so with gamma ~1 every residual block
 * doubles the variance of its input. B7's 48 residual blocks then gave logits of ~1e7 and a network so
 * sensitive that a one-ulp change of one input pixel moved its logits by 50x their size (measured), so
 * no two correct implementations agreed; ResNet-152's 50 gave non-finite logits for some seeds. Gammas
 * of ~0.2 keep deep random networks' activations of order one, as trained batch norms do.
 */
export function randomWeightValues(spec: WeightSpec, seed: number): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const rand = mulberry32(hashName(spec.name, seed));
  const out = new Float32Array(size);
  const uniform = (lo: number, hi: number) => {
    for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * rand();
  };
  switch (spec.role) {
    case 'kernel':
    case 'depthwise_kernel': {
      const [kh, kw, cin] = spec.shape;
      const fanIn = spec.role === 'depthwise_kernel' ? kh * kw : kh * kw * cin;
      // He-uniform: std sqrt(2 / fan_in), one draw per value.
      const bound = Math.sqrt(6 / fanIn);
      uniform(-bound, bound);
      break;
    }
    case 'dense_kernel': {
      const bound = 1 / Math.sqrt(spec.shape[0]);
      uniform(-bound, bound);
      break;
    }
    case 'gamma':
      if (spec.residualBranchEnd) uniform(0.1, 0.3);
      else uniform(0.8, 1.2);
      break;
    case 'variance':
      uniform(0.5, 1.5);
      break;
    default:
      uniform(-0.1, 0.1);
  }
  return out;
}

/** Seeded random tensors for every weight of `specs`, on the active backend. */
export function randomWeights(specs: WeightSpec[], seed: number): Map<string, tf.Tensor> {
  const map = new Map<string, tf.Tensor>();
  for (const s of specs) map.set(s.name, tf.tensor(randomWeightValues(s, seed), s.shape, 'float32'));
  return map;
}
