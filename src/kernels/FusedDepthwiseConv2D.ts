import {FusedDepthwiseConv2D, FusedDepthwiseConv2DAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {activationCode} from './activation.js';
import {channelOperandSize, DepthwiseAttrs, depthwiseInfo, runDepthwise} from './DepthwiseConv2dNative.js';
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
    const channels = info.outChannels;
    if (a.activation === 'prelu' && prelu == null) {
      throw new Error(`${kernel}: activation 'prelu' needs preluActivationWeights`);
    }
    const options: Record<string, number> = {activation, alpha: a.leakyreluAlpha ?? 0.2};
    if (bias != null) {
      options.biasSize = channelOperandSize(kernel, 'bias', bias, channels);
    }
    if (prelu != null && a.activation === 'prelu') {
      options.preluSize = channelOperandSize(kernel, 'preluActivationWeights', prelu, channels);
    }
    if (bias != null) options.bias = backend.bufferOf(bias, kernel);
    if (options.preluSize !== undefined) options.prelu = backend.bufferOf(prelu!, kernel);
    return runDepthwise(backend, kernel, 'fusedDepthwiseConv2d', x, filter, info, options);
  },
};
