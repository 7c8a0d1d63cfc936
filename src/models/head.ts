// EfficientNet's head (1x1 conv + BN + swish, global average pooling, classifier) as one op.
//
// When the active backend registers a kernel named HEAD_KERNEL ('EffnetHead'), head() runs the
// whole head as that one kernel, which never writes the [N, H, W, Chead] feature map to memory;
// otherwise it composes standard tfjs ops (headComposite). Models use it only for their logits:
// class activation maps and `includeTop: false` need the feature map itself, and take the conv.
//
// Kernel contract (what a fused implementation receives from engine().runKernel):
//
// inputs (float32 tensors, the head conv's batch norm already folded into its kernel and bias):
//   x            [N, H, W, Cin]
//   convKernel   [1, 1, Cin, Chead]
//   convBias     [Chead]
//   denseKernel  [Chead, numClasses]
//   denseBias    [numClasses]
// attrs:
//   inChannels, headChannels, numClasses: Cin, Chead, numClasses
//   activation: 'swish' (x * sigmoid(x))
// computation (the reference is headComposite below):
//   f = swish(conv1x1(x, convKernel) + convBias)     [N, H, W, Chead]   (need not be stored)
//   m = mean of f over H and W                       [N, Chead]
//   y = m * denseKernel + denseBias                  [N, numClasses]
// output: y, float32 [N, numClasses].
import * as tf from '@tensorflow/tfjs-core';

import {swishActivation} from './mbconv.js';

/** Name of the fused head kernel a backend may register. */
export const HEAD_KERNEL = 'EffnetHead';

/** Folded weights of the head (see the kernel contract above for shapes). */
export interface HeadWeights {
  convKernel: tf.Tensor4D;
  convBias: tf.Tensor1D;
  denseKernel: tf.Tensor2D;
  denseBias: tf.Tensor1D;
}

/** Attributes passed to the fused kernel. */
export interface HeadAttrs {
  inChannels: number;
  headChannels: number;
  numClasses: number;
  activation: 'swish';
}

function checkShape(what: string, t: tf.Tensor | undefined, shape: number[]): void {
  if (t == null) throw new Error(`head: ${what} is missing`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`head: ${what} has shape [${t.shape}], expected [${shape}]`);
  }
}

/** Validates the weights against x and resolves the kernel attributes. */
export function headAttrs(x: tf.Tensor4D, w: HeadWeights): HeadAttrs {
  if (x.rank !== 4) throw new Error(`head: x must be rank 4 (NHWC), got shape [${x.shape}]`);
  const cin = x.shape[3];
  const chead = w.convKernel?.shape[3] ?? 0;
  checkShape('convKernel', w.convKernel, [1, 1, cin, chead]);
  checkShape('convBias', w.convBias, [chead]);
  const classes = w.denseKernel?.shape[1] ?? 0;
  checkShape('denseKernel', w.denseKernel, [chead, classes]);
  checkShape('denseBias', w.denseBias, [classes]);
  return {inChannels: cin, headChannels: chead, numClasses: classes, activation: 'swish'};
}

/**
 * The head composed of standard tfjs ops (the reference for fused kernels, and what models run
 * without one): the 1x1 conv with swish fused where the backend implements it (backendFusesSwish),
 * the mean over H and W, and the dense layer with its bias fused.
 */
export function headComposite(x: tf.Tensor4D, w: HeadWeights): tf.Tensor2D {
  headAttrs(x, w);
  const {activation, after} = swishActivation();
  return tf.tidy(() => {
    let f = tf.fused.conv2d({x, filter: w.convKernel, strides: 1, pad: 'valid', bias: w.convBias, activation});
    if (after) f = tf.mul(f, tf.sigmoid(f));
    const m = tf.mean(f, [1, 2]) as tf.Tensor2D;
    return tf.fused.matMul({a: m, b: w.denseKernel, bias: w.denseBias}) as tf.Tensor2D;
  });
}

/** Whether the backend has the fused head kernel. */
export function hasFusedHead(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(HEAD_KERNEL, backendName) != null;
}

let fusionEnabled = true;

/**
 * Enables (default) or disables the fused kernel: when disabled, head() always composes standard
 * ops (benchmarks and tests compare both paths). Returns the previous setting.
 */
export function setHeadFusion(enabled: boolean): boolean {
  if (typeof enabled !== 'boolean') throw new Error(`setHeadFusion: expected a boolean, got ${String(enabled)}`);
  const previous = fusionEnabled;
  fusionEnabled = enabled;
  return previous;
}

/** Whether head() runs the fused kernel on the active backend now. */
export function headFusionActive(backendName: string = tf.getBackend()): boolean {
  return fusionEnabled && hasFusedHead(backendName);
}

/** The head: the backend's fused kernel when it has one (and fusion is enabled), else headComposite. */
export function head(x: tf.Tensor4D, w: HeadWeights): tf.Tensor2D {
  if (!headFusionActive()) return headComposite(x, w);
  const attrs = headAttrs(x, w);
  const inputs: tf.NamedTensorMap = {
    x,
    convKernel: w.convKernel,
    convBias: w.convBias,
    denseKernel: w.denseKernel,
    denseBias: w.denseBias,
  };
  return tf.engine().runKernel(HEAD_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
