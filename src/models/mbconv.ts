// One MBConv block (inverted residual with squeeze-and-excitation) as one op.
//
// When the active backend registers a kernel named MBCONV_KERNEL ('EffnetMBConv'), mbconv() runs
// the whole block as that one kernel; otherwise it composes standard tfjs ops.
//
// Kernel contract (what a fused implementation receives from engine().runKernel):
//
// inputs (float32 tensors, batch norms already folded into the conv weights and biases):
//   x                [N, H, W, Cin]
//   expandKernel     [1, 1, Cin, Cexp]   only when attrs.hasExpand (expand ratio > 1)
//   expandBias       [Cexp]              only when attrs.hasExpand
//   depthwiseKernel  [k, k, Cexp, 1]
//   depthwiseBias    [Cexp]
//   seReduceKernel   [1, 1, Cexp, Cse]
//   seReduceBias     [Cse]
//   seExpandKernel   [1, 1, Cse, Cexp]
//   seExpandBias     [Cexp]
//   projectKernel    [1, 1, Cexp, Cout]
//   projectBias      [Cout]
// attrs:
//   kernelSize: k (odd); stride: 1 or 2
//   padding: 'same' | 'symmetric'   (the model's rule; informational)
//   pads: [top, bottom, left, right] of the depthwise conv for this input (already resolved from
//         padding, k, stride, H, W: use these, not the mode)
//   inChannels, expandedChannels, seChannels, outChannels: Cin, Cexp, Cse, Cout
//   hasExpand: boolean; residual: boolean (stride 1 and Cin == Cout)
//   activation: 'swish' (x * sigmoid(x)); gate: 'sigmoid'
// computation (the reference is mbconvComposite below):
//   e = hasExpand ? swish(conv1x1(x, expandKernel) + expandBias) : x
//   d = swish(depthwise(e, depthwiseKernel, stride, pads) + depthwiseBias)    [N, Ho, Wo, Cexp]
//   m = mean of d over H and W                                                [N, 1, 1, Cexp]
//   s = sigmoid(conv1x1(swish(conv1x1(m, seReduceKernel) + seReduceBias), seExpandKernel) + seExpandBias)
//   y = conv1x1(d * s, projectKernel) + projectBias   (+ x when residual)       [N, Ho, Wo, Cout]
//   Ho = floor((H + top + bottom - k) / stride) + 1, Wo likewise.
// output: y, float32 [N, Ho, Wo, Cout].
import * as tf from '@tensorflow/tfjs-core';

import {type ConvSpec, outputSize, padAmounts, tfPadding} from './layers.js';
import type {MBConvBlockSpec, PaddingMode} from './scaling.js';

/** Name of the fused MBConv kernel a backend may register. */
export const MBCONV_KERNEL = 'EffnetMBConv';

/** Folded weights of one block (see the kernel contract above for shapes). */
export interface MBConvWeights {
  expandKernel?: tf.Tensor4D;
  expandBias?: tf.Tensor1D;
  depthwiseKernel: tf.Tensor4D;
  depthwiseBias: tf.Tensor1D;
  seReduceKernel: tf.Tensor4D;
  seReduceBias: tf.Tensor1D;
  seExpandKernel: tf.Tensor4D;
  seExpandBias: tf.Tensor1D;
  projectKernel: tf.Tensor4D;
  projectBias: tf.Tensor1D;
}

/** A block's configuration; channel counts come from the weights. */
export interface MBConvConfig {
  kernelSize: number;
  stride: number;
  padding: PaddingMode;
  /** Add the input to the output. Default: stride 1 and Cin == Cout (the only case that allows it). */
  residual?: boolean;
}

/** Attributes passed to the fused kernel. */
export interface MBConvAttrs {
  kernelSize: number;
  stride: number;
  padding: PaddingMode;
  pads: [number, number, number, number];
  inChannels: number;
  expandedChannels: number;
  seChannels: number;
  outChannels: number;
  hasExpand: boolean;
  residual: boolean;
  activation: 'swish';
  gate: 'sigmoid';
}

/** The convolutions of one block, with canonical names under `blocks/{index}`. */
export interface MBConvLayers {
  expand?: ConvSpec;
  depthwise: ConvSpec;
  seReduce: ConvSpec;
  seExpand: ConvSpec;
  project: ConvSpec;
}

/** The block's convolutions: names, channels, kernels, batch norms and activations. */
export function mbconvLayers(block: MBConvBlockSpec, padding: PaddingMode): MBConvLayers {
  const p = `blocks/${block.index}`;
  const layers: MBConvLayers = {
    depthwise: {
      name: `${p}/depthwise/conv`,
      filters: block.expandedChannels,
      kernel: block.kernelSize,
      stride: block.stride,
      padding,
      depthwise: true,
      bn: {name: `${p}/depthwise/bn`},
      activation: 'swish',
    },
    seReduce: {name: `${p}/se/reduce`, filters: block.seChannels, kernel: 1, padding: 'valid', bias: true, activation: 'swish'},
    seExpand: {name: `${p}/se/expand`, filters: block.expandedChannels, kernel: 1, padding: 'valid', bias: true, activation: 'sigmoid'},
    project: {name: `${p}/project/conv`, filters: block.outChannels, kernel: 1, padding: 'valid', bn: {name: `${p}/project/bn`, ...(block.residual ? {endsResidualBranch: true} : {})}},
  };
  if (block.expandRatio !== 1) {
    layers.expand = {
      name: `${p}/expand/conv`,
      filters: block.expandedChannels,
      kernel: 1,
      padding: 'valid',
      bn: {name: `${p}/expand/bn`},
      activation: 'swish',
    };
  }
  return layers;
}

const swishSupport = new Map<string, boolean>();

/**
 * Whether the active backend's FusedConv2D and FusedDepthwiseConv2D kernels implement the
 * activation 'swish' (x * sigmoid(x); not one of tfjs's own fused activations, but the native
 * backends have it). Probed once per backend on a few values, negatives included; backends that
 * reject it or compute something else get the unfused x * sigmoid(x).
 */
export function backendFusesSwish(): boolean {
  const backendName = tf.getBackend();
  const known = swishSupport.get(backendName);
  if (known != null) return known;
  const values = [-8, -3, -0.5, 0, 0.5, 3, 8];
  const made: tf.Tensor[] = [];
  let ok = false;
  try {
    const x = tf.tensor4d(values, [1, 1, values.length, 1]);
    const one = tf.tensor4d([1], [1, 1, 1, 1]);
    made.push(x, one);
    const act = 'swish' as 'linear';
    const a = tf.fused.conv2d({x, filter: one, strides: 1, pad: 'valid', activation: act});
    made.push(a);
    const b = tf.fused.depthwiseConv2d({x, filter: one, strides: 1, pad: 'valid', activation: act});
    made.push(b);
    const expected = values.map((v) => v / (1 + Math.exp(-v)));
    const close = (got: ArrayLike<number>) => expected.every((e, i) => Math.abs(got[i] - e) <= 1e-5 * (1 + Math.abs(e)));
    ok = close(a.dataSync()) && close(b.dataSync());
  } catch {
    ok = false;
  } finally {
    tf.dispose(made);
  }
  swishSupport.set(backendName, ok);
  return ok;
}

function swish(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mul(x, tf.sigmoid(x));
}

/** The fused activation to request for a swish, and whether swish must still be applied after. */
export function swishActivation(): {activation: 'linear'; after: boolean} {
  const fused = backendFusesSwish();
  return {activation: (fused ? 'swish' : 'linear') as 'linear', after: !fused};
}

function checkShape(what: string, t: tf.Tensor | undefined, shape: number[]): void {
  if (t == null) throw new Error(`mbconv: ${what} is missing`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`mbconv: ${what} has shape [${t.shape}], expected [${shape}]`);
  }
}

/**
 * Validates weights against x (its rank and shape: the block's input, a tensor or where a fused kernel
 * computes it, only its shape) and the config and resolves the kernel attributes.
 */
export function mbconvAttrs(x: {rank: number; shape: tf.Tensor4D['shape']}, w: MBConvWeights, config: MBConvConfig): MBConvAttrs {
  if (x.rank !== 4) throw new Error(`mbconv: x must be rank 4 (NHWC), got shape [${x.shape}]`);
  const [, h, wd, cin] = x.shape;
  const k = config.kernelSize;
  if (!Number.isInteger(k) || k < 1) throw new Error(`mbconv: kernelSize must be a positive integer, got ${k}`);
  if (config.stride !== 1 && config.stride !== 2) throw new Error(`mbconv: stride ${config.stride}; supported: 1, 2`);
  if (config.padding !== 'same' && config.padding !== 'symmetric') {
    throw new Error(`mbconv: padding '${config.padding}'; supported: same, symmetric`);
  }
  const hasExpand = w.expandKernel != null;
  const cexp = hasExpand ? w.expandKernel!.shape[3] : cin;
  if (hasExpand) {
    checkShape('expandKernel', w.expandKernel, [1, 1, cin, cexp]);
    checkShape('expandBias', w.expandBias, [cexp]);
  } else if (w.expandBias != null) {
    throw new Error('mbconv: expandBias given without expandKernel');
  }
  checkShape('depthwiseKernel', w.depthwiseKernel, [k, k, cexp, 1]);
  checkShape('depthwiseBias', w.depthwiseBias, [cexp]);
  const cse = w.seReduceKernel?.shape[3] ?? 0;
  checkShape('seReduceKernel', w.seReduceKernel, [1, 1, cexp, cse]);
  checkShape('seReduceBias', w.seReduceBias, [cse]);
  checkShape('seExpandKernel', w.seExpandKernel, [1, 1, cse, cexp]);
  checkShape('seExpandBias', w.seExpandBias, [cexp]);
  const cout = w.projectKernel?.shape[3] ?? 0;
  checkShape('projectKernel', w.projectKernel, [1, 1, cexp, cout]);
  checkShape('projectBias', w.projectBias, [cout]);
  const canAdd = config.stride === 1 && cin === cout;
  const residual = config.residual ?? canAdd;
  if (residual && !canAdd) {
    throw new Error(`mbconv: residual needs stride 1 and Cin == Cout, got stride ${config.stride}, ${cin} -> ${cout}`);
  }
  const pads = padAmounts(config.padding, k, config.stride, 1, h, wd);
  if (outputSize(h, k, config.stride, 1, pads[0], pads[1]) < 1 || outputSize(wd, k, config.stride, 1, pads[2], pads[3]) < 1) {
    throw new Error(`mbconv: input ${h}x${wd} is too small for a ${k}x${k} kernel`);
  }
  return {
    kernelSize: k,
    stride: config.stride,
    padding: config.padding,
    pads,
    inChannels: cin,
    expandedChannels: cexp,
    seChannels: cse,
    outChannels: cout,
    hasExpand,
    residual,
    activation: 'swish',
    gate: 'sigmoid',
  };
}

/**
 * The block composed of standard tfjs ops (the reference for fused kernels). Swish is fused into
 * the convs on backends that implement it (backendFusesSwish), else applied as x * sigmoid(x).
 */
export function mbconvComposite(x: tf.Tensor4D, w: MBConvWeights, config: MBConvConfig): tf.Tensor4D {
  const attrs = mbconvAttrs(x, w, config);
  const {activation, after} = swishActivation();
  const act = (t: tf.Tensor4D) => (after ? swish(t) : t);
  return tf.tidy(() => {
    let h = x;
    if (attrs.hasExpand) {
      h = act(tf.fused.conv2d({x: h, filter: w.expandKernel!, strides: 1, pad: 'valid', bias: w.expandBias, activation}));
    }
    const pad = tfPadding(attrs.padding, attrs.kernelSize, attrs.stride, 1, x.shape[1], x.shape[2]);
    h = act(
      tf.fused.depthwiseConv2d({
        x: h,
        filter: w.depthwiseKernel,
        strides: attrs.stride,
        // tfjs's depthwise ops accept explicit padding; the fused op's typing omits it.
        pad: pad as 'same',
        bias: w.depthwiseBias,
        activation,
      }),
    );
    let s = tf.mean(h, [1, 2], true) as tf.Tensor4D;
    s = act(tf.fused.conv2d({x: s, filter: w.seReduceKernel, strides: 1, pad: 'valid', bias: w.seReduceBias, activation}));
    s = tf.fused.conv2d({x: s, filter: w.seExpandKernel, strides: 1, pad: 'valid', bias: w.seExpandBias, activation: 'sigmoid'});
    h = tf.mul(h, s);
    let y = tf.fused.conv2d({x: h, filter: w.projectKernel, strides: 1, pad: 'valid', bias: w.projectBias});
    if (attrs.residual) y = tf.add(y, x);
    return y;
  });
}

/** Whether the active backend has the fused block kernel. */
export function hasFusedMBConv(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(MBCONV_KERNEL, backendName) != null;
}

let fusionEnabled = true;

/** Whether mbconv() uses a backend's fused kernel when there is one (setMBConvFusion). */
export function mbconvFusionEnabled(): boolean {
  return fusionEnabled;
}

/**
 * Enables (default) or disables the fused kernel: when disabled, mbconv() always composes
 * standard ops (benchmarks compare both paths). Returns the previous setting.
 */
export function setMBConvFusion(enabled: boolean): boolean {
  const previous = fusionEnabled;
  fusionEnabled = enabled;
  return previous;
}

/**
 * One MBConv block: the backend's fused kernel when it has one (and fusion is enabled), else
 * mbconvComposite. `w` holds batch-norm-folded weights.
 */
export function mbconv(x: tf.Tensor4D, w: MBConvWeights, config: MBConvConfig): tf.Tensor4D {
  if (!fusionEnabled || !hasFusedMBConv()) return mbconvComposite(x, w, config);
  const attrs = mbconvAttrs(x, w, config);
  const inputs: tf.NamedTensorMap = {x, ...mbconvWeightInputs(w, attrs)};
  return tf.engine().runKernel(MBCONV_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** The block's weights as the fused kernel's inputs (the expand conv's only when attrs.hasExpand). */
export function mbconvWeightInputs(w: MBConvWeights, attrs: MBConvAttrs): tf.NamedTensorMap {
  const inputs: tf.NamedTensorMap = {
    depthwiseKernel: w.depthwiseKernel,
    depthwiseBias: w.depthwiseBias,
    seReduceKernel: w.seReduceKernel,
    seReduceBias: w.seReduceBias,
    seExpandKernel: w.seExpandKernel,
    seExpandBias: w.seExpandBias,
    projectKernel: w.projectKernel,
    projectBias: w.projectBias,
  };
  if (attrs.hasExpand) {
    inputs.expandKernel = w.expandKernel!;
    inputs.expandBias = w.expandBias!;
  }
  return inputs;
}
