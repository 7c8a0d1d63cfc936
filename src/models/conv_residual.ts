// A conv whose output is added to a residual before the activation: activation(conv(x) + bias +
// residual), the tail of a ResNet bottleneck. When the active backend registers a kernel named
// CONV_RESIDUAL_KERNEL ('EffnetConv2DResidual'), convResidual() runs it (the residual is added in
// the conv's epilogue, saving two passes over the output); elsewhere it composes fused conv2d,
// add and the activation.
//
// Kernel contract: inputs x [N, H, W, Cin], filter [kh, kw, Cin, Cout], bias (broadcastable to the
// output, optional), residual (exactly the output's shape); attrs strides, pad, dilations,
// activation ('linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid'); float32; NHWC.
import * as tf from '@tensorflow/tfjs-core';

export const CONV_RESIDUAL_KERNEL = 'EffnetConv2DResidual';

export type ConvResidualActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';

export interface ConvResidualArgs {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  bias?: tf.Tensor;
  residual: tf.Tensor4D;
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dilations?: number | [number, number];
  activation?: ConvResidualActivation;
}

/** Whether the active backend has the fused conv + residual kernel. */
export function hasConvResidual(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(CONV_RESIDUAL_KERNEL, backendName) != null;
}

let fusionEnabled = true;

/**
 * Enables (default) or disables the fused kernel: when disabled, convResidual() always composes
 * standard ops (benchmarks and tests compare both paths). Returns the previous setting.
 */
export function setConvResidualFusion(enabled: boolean): boolean {
  const previous = fusionEnabled;
  fusionEnabled = enabled;
  return previous;
}

/** activation(x) for the activations of the contract, with tfjs's ops. */
function activate(x: tf.Tensor, activation: ConvResidualActivation): tf.Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
  }
}

/** The composite: fused conv2d (bias), add, activation. */
export function convResidualComposite(args: ConvResidualArgs): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.fused.conv2d({
      x: args.x,
      filter: args.filter,
      strides: args.strides,
      pad: args.pad,
      dilations: args.dilations ?? 1,
      bias: args.bias,
    });
    return activate(tf.add(y, args.residual), args.activation ?? 'linear') as tf.Tensor4D;
  });
}

/** activation(conv(x, filter) + bias + residual): the backend's fused kernel when it has one. */
export function convResidual(args: ConvResidualArgs): tf.Tensor4D {
  if (!fusionEnabled || !hasConvResidual()) return convResidualComposite(args);
  const inputs: tf.NamedTensorMap = {x: args.x, filter: args.filter, residual: args.residual};
  if (args.bias != null) inputs.bias = args.bias;
  const attrs = {
    strides: args.strides,
    pad: args.pad,
    dilations: args.dilations ?? 1,
    activation: args.activation ?? 'linear',
  };
  return tf.engine().runKernel(CONV_RESIDUAL_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
