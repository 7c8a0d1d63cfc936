import {type TensorInfo} from '@tensorflow/tfjs-core';

import {HEAD_KERNEL} from '../models/head.js';
import type {NativeKernelConfig} from './types.js';

const kernel = HEAD_KERNEL;

function fail(message: string): never {
  throw new Error(`${kernel}: ${message}`);
}

function tensor(inputs: Record<string, TensorInfo | undefined>, name: string, shape: number[]): TensorInfo {
  const t = inputs[name];
  if (t == null) fail(`missing input '${name}'; supported: x, convKernel, convBias, denseKernel, denseBias`);
  if (t.dtype !== 'float32') fail(`input '${name}' has dtype ${t.dtype}; supported: float32`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(`input '${name}' has shape [${t.shape}]; expected [${shape}]`);
  }
  return t;
}

function positiveInt(attrs: Record<string, unknown>, name: string): number {
  const v = attrs[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    fail(`attribute ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/**
 * EfficientNet's head (1x1 conv + bias + swish, global average pooling, dense + bias) in one native
 * call; the contract is documented in src/models/head.ts.
 */
export const effnetHeadConfig: NativeKernelConfig = {
  kernelName: kernel,
  kernelFunc: ({inputs, backend, attrs}) => {
    const a = (attrs ?? {}) as Record<string, unknown>;
    const ins = inputs as Record<string, TensorInfo | undefined>;
    const x = ins.x;
    if (x == null) fail(`missing input 'x'`);
    if (x.dtype !== 'float32') fail(`input 'x' has dtype ${x.dtype}; supported: float32`);
    if (x.shape.length !== 4) fail(`input 'x' must be rank 4 (NHWC), got shape [${x.shape}]`);
    const [batch, height, width, cin] = x.shape;
    if (height < 1 || width < 1) fail(`input 'x' has shape [${x.shape}]; supported: height and width >= 1`);
    if (a.activation !== undefined && a.activation !== 'swish') fail(`activation '${String(a.activation)}'; supported: swish`);
    const attrCin = positiveInt(a, 'inChannels');
    const chead = positiveInt(a, 'headChannels');
    const classes = positiveInt(a, 'numClasses');
    if (attrCin !== cin) fail(`inChannels ${attrCin} does not match x [${x.shape}]`);
    const weights: Record<string, TensorInfo> = {
      convKernel: tensor(ins, 'convKernel', [1, 1, cin, chead]),
      convBias: tensor(ins, 'convBias', [chead]),
      denseKernel: tensor(ins, 'denseKernel', [chead, classes]),
      denseBias: tensor(ins, 'denseBias', [classes]),
    };
    const out = backend.makeOutput([batch, classes], 'float32');
    if (batch === 0) return out;
    const options: Record<string, number> = {
      x: backend.bufferOf(x, kernel),
      out: backend.bufferOf(out, kernel),
      batch,
      height,
      width,
      inChannels: cin,
      headChannels: chead,
      numClasses: classes,
    };
    for (const [name, t] of Object.entries(weights)) options[name] = backend.bufferOf(t, kernel);
    try {
      backend.run('head', options);
    } catch (e) {
      backend.disposeIntermediateTensorInfo(out);
      throw e;
    }
    return out;
  },
};
