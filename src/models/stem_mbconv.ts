// A model's stem conv and its first MBConv block as one op (EfficientNet: the first block has no
// expand conv, so its depthwise conv reads the stem's output directly).
//
// When the active backend registers a kernel named STEM_MBCONV_KERNEL ('EffnetStemMBConv'),
// stemMBConv() runs both as that one kernel, which computes the stem's output rows as the block's
// depthwise conv needs them and never writes the [N, H/2, W/2, C] stem output to memory (1.6 MB at
// B0's 224x224, 23 MB at B7's 600x600); otherwise it runs the stem conv and then mbconv().
//
// Kernel contract (what a fused implementation receives from engine().runKernel):
//
// inputs (float32 tensors, batch norms already folded into the conv weights and biases):
//   x            [N, Hs, Ws, Cs]        the image (the stem's input)
//   stemKernel   [ks, ks, Cs, Cin]
//   stemBias     [Cin]
//   and the block's weights as EffnetMBConv takes them (src/models/mbconv.ts), without an expand conv
// attrs: the block's attributes as EffnetMBConv takes them (hasExpand and residual false), and
//   stemKernelSize: ks; stemStride: the stem's stride (both directions)
//   stemPads: [top, bottom, left, right] of the stem conv for this image (resolved from its padding)
// computation:
//   x0 = swish(conv2d(x, stemKernel, stemStride, stemPads) + stemBias)   [N, Hin, Win, Cin]
//   y = the block (EffnetMBConv's computation) on x0
//   Hin = floor((Hs + top + bottom - ks) / stemStride) + 1, Win likewise.
// output: y, float32 [N, Ho, Wo, Cout].
import * as tf from '@tensorflow/tfjs-core';

import {type LayerPadding, outputSize, padAmounts, tfPadding} from './layers.js';
import {
  type MBConvConfig, type MBConvWeights, mbconv, mbconvAttrs, mbconvFusionEnabled, mbconvWeightInputs, swishActivation,
} from './mbconv.js';

/** Name of the fused stem-and-first-block kernel a backend may register. */
export const STEM_MBCONV_KERNEL = 'EffnetStemMBConv';

/** The stem conv: folded weights and its geometry (square kernel, one stride). */
export interface StemConv {
  kernel: tf.Tensor4D;  // [ks, ks, Cs, Cin]
  bias: tf.Tensor1D;    // [Cin]
  stride: number;
  padding: LayerPadding;
}

/** Whether the active backend has the fused stem-and-block kernel. */
export function hasFusedStemMBConv(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(STEM_MBCONV_KERNEL, backendName) != null;
}

function stemPads(x: tf.Tensor4D, stem: StemConv): [number, number, number, number] {
  return padAmounts(stem.padding, stem.kernel.shape[0], stem.stride, 1, x.shape[1], x.shape[2]);
}

/** swish(conv2d(x, stem) + bias) with standard tfjs ops, as a model's conv layer computes it. */
export function stemConvComposite(x: tf.Tensor4D, stem: StemConv): tf.Tensor4D {
  checkStem(x, stem);
  const k = stem.kernel.shape[0];
  const {activation, after} = swishActivation();
  const pad = tfPadding(stem.padding, k, stem.stride, 1, x.shape[1], x.shape[2]);
  const y = tf.fused.conv2d({x, filter: stem.kernel, strides: stem.stride, pad: pad as 'same', bias: stem.bias, activation});
  return after ? tf.tidy(() => tf.mul(y, tf.sigmoid(y))) : y;
}

/** Throws an Error naming what is wrong unless `stem` is a square conv over x's channels with a bias. */
function checkStem(x: tf.Tensor4D, stem: StemConv): void {
  const k = stem.kernel;
  if (x.rank !== 4) throw new Error(`stemMBConv: x must be rank 4 (NHWC), got shape [${x.shape}]`);
  if (k.rank !== 4 || k.shape[0] !== k.shape[1] || k.shape[2] !== x.shape[3]) {
    throw new Error(`stemMBConv: stem kernel [${k.shape}]; supported: square [k, k, ${x.shape[3]}, C] for x [${x.shape}]`);
  }
  if (stem.bias.rank !== 1 || stem.bias.shape[0] !== k.shape[3]) {
    throw new Error(`stemMBConv: stem bias [${stem.bias.shape}]; expected [${k.shape[3]}]`);
  }
  if (!Number.isInteger(stem.stride) || stem.stride < 1) throw new Error(`stemMBConv: stride ${stem.stride}; supported: positive integers`);
}

/**
 * Whether stemMBConv() runs one fused kernel for this stem and block: the backend has it, MBConv
 * fusion is on (setMBConvFusion), the block has no expand conv and no residual, and a row of the stem's
 * filter holds at most 48 inputs (kernel size x image channels).
 */
export function stemMBConvFusable(stem: StemConv, w: MBConvWeights, config: MBConvConfig): boolean {
  const [, kw, cs] = stem.kernel.shape;
  const residual = config.residual ?? false;
  return mbconvFusionEnabled() && hasFusedStemMBConv() && w.expandKernel == null && !residual && kw * cs <= 48;
}

/**
 * The stem conv (swish activation; a square kernel) and then one MBConv block: one fused kernel where
 * stemMBConvFusable, else the conv and mbconv() (fused or composed) one after the other.
 */
export function stemMBConv(x: tf.Tensor4D, stem: StemConv, w: MBConvWeights, config: MBConvConfig): tf.Tensor4D {
  checkStem(x, stem);
  if (!stemMBConvFusable(stem, w, config)) {
    return tf.tidy(() => mbconv(stemConvComposite(x, stem), w, config));
  }
  const pads = stemPads(x, stem);
  const k = stem.kernel.shape[0];
  const hin = outputSize(x.shape[1], k, stem.stride, 1, pads[0], pads[1]);
  const win = outputSize(x.shape[2], k, stem.stride, 1, pads[2], pads[3]);
  if (hin < 1 || win < 1) throw new Error(`stemMBConv: image ${x.shape[1]}x${x.shape[2]} is too small for a ${k}x${k} stem`);
  // The block's attributes for the stem's output (only its shape is read).
  const attrs = mbconvAttrs({rank: 4, shape: [x.shape[0], hin, win, stem.kernel.shape[3]]}, w, config);
  const inputs: tf.NamedTensorMap = {x, stemKernel: stem.kernel, stemBias: stem.bias, ...mbconvWeightInputs(w, attrs)};
  const allAttrs = {...attrs, stemKernelSize: k, stemStride: stem.stride, stemPads: pads};
  return tf.engine().runKernel(STEM_MBCONV_KERNEL, inputs, allAttrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
