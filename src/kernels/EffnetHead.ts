import {type TensorInfo} from '@tensorflow/tfjs-core';

import {HEAD_KERNEL} from '../models/head.js';
import {fail, floatInput, type FusedInputs, nhwcInput, positiveInt, runFused} from './fused_util.js';
import type {NativeKernelConfig} from './types.js';

const kernel = HEAD_KERNEL;
const SUPPORTED_INPUTS = '; supported: x, convKernel, convBias, denseKernel, denseBias';

/**
 * EfficientNet's head (1x1 conv + bias + swish, global average pooling, dense + bias) in one native
 * call; the contract is documented in src/models/head.ts.
 */
export const effnetHeadConfig: NativeKernelConfig = {
  kernelName: kernel,
  kernelFunc: ({inputs, backend, attrs}) => {
    const a = (attrs ?? {}) as Record<string, unknown>;
    const ins = inputs as FusedInputs;
    const x = nhwcInput(kernel, ins);
    const [batch, height, width, cin] = x.shape;
    if (height < 1 || width < 1) fail(kernel, `input 'x' has shape [${x.shape}]; supported: height and width >= 1`);
    if (a.activation !== undefined && a.activation !== 'swish') fail(kernel, `activation '${String(a.activation)}'; supported: swish`);
    const attrCin = positiveInt(kernel, a, 'inChannels');
    const chead = positiveInt(kernel, a, 'headChannels');
    const classes = positiveInt(kernel, a, 'numClasses');
    if (attrCin !== cin) fail(kernel, `inChannels ${attrCin} does not match x [${x.shape}]`);
    const weight = (name: string, shape: number[]): TensorInfo => floatInput(kernel, ins, name, shape, SUPPORTED_INPUTS);
    const weights: Record<string, TensorInfo> = {
      convKernel: weight('convKernel', [1, 1, cin, chead]),
      convBias: weight('convBias', [chead]),
      denseKernel: weight('denseKernel', [chead, classes]),
      denseBias: weight('denseBias', [classes]),
    };
    const out = backend.makeOutput([batch, classes], 'float32');
    if (batch === 0) return out;
    const options = {batch, height, width, inChannels: cin, headChannels: chead, numClasses: classes};
    return runFused(backend, kernel, 'head', x, out, options, weights);
  },
};
