import {FusedDepthwiseConv2D, FusedDepthwiseConv2DAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {activationCode} from './activation.js';
import {broadcastOperand, DepthwiseAttrs, depthwiseInfo, runDepthwise} from './DepthwiseConv2dNative.js';
import type {NativeKernelConfig} from './types.js';

/** Depthwise convolution + bias + activation (incl. prelu and leakyrelu) in one native pass. */
export const fusedDepthwiseConv2DConfig: NativeKernelConfig = {
  kernelName: FusedDepthwiseConv2D,
  kernelFunc: ({inputs, backend, attrs}) => {
    const kernel = FusedDepthwiseConv2D;
    const x = inputs.x as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const bias = inputs.bias as TensorInfo | undefined;
    const prelu = inputs.preluActivationWeights as TensorInfo | undefined;
    const a = attrs as unknown as FusedDepthwiseConv2DAttrs;
    const info = depthwiseInfo(kernel, x, filter, a as unknown as DepthwiseAttrs);
    const activation = activationCode(kernel, a.activation);
    if (a.activation === 'prelu' && prelu == null) {
      throw new Error(`${kernel}: activation 'prelu' needs preluActivationWeights`);
    }
    const options: Record<string, number | number[]> = {activation, alpha: a.leakyreluAlpha ?? 0.2};
    if (bias != null) {
      const b = broadcastOperand(kernel, 'bias', bias, info.outShape);
      options.bias = backend.bufferOf(bias, kernel);
      options.biasSize = b.size;
      if (b.strides) options.biasStrides = b.strides;
    }
    if (prelu != null && a.activation === 'prelu') {
      const p = broadcastOperand(kernel, 'preluActivationWeights', prelu, info.outShape);
      options.prelu = backend.bufferOf(prelu, kernel);
      options.preluSize = p.size;
      if (p.strides) options.preluStrides = p.strides;
    }
    return runDepthwise(backend, kernel, 'fusedDepthwiseConv2d', x, filter, info, options);
  },
};
