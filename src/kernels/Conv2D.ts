import {backend_util, Conv2D, Conv2DAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import type {NativeKernelConfig} from './types.js';
import {fitsBroadcast} from './modulo_broadcast.js';
import {checkWindowFits, runWindowEntry} from './window_options.js';

/** Throws `<kernel>: <what> has dtype '<d>'; supported: float32` for non-float32 operands. */
export function requireFloat32(kernel: string, what: string, t: TensorInfo): void {
  if (t.dtype !== 'float32') {
    throw new Error(`${kernel}: ${what} has dtype '${t.dtype}'; supported: float32`);
  }
}

/** Options of a fused epilogue (bias, activation, prelu slopes) for the native conv/matmul entries. */
export function epilogueOptions(
  backend: NativeCpuBackend,
  kernel: string,
  outShape: number[],
  bias: TensorInfo | undefined,
  prelu: TensorInfo | undefined,
  activation: number,
  activationName: string | undefined,
  leakyreluAlpha: number | undefined,
): Record<string, unknown> {
  const options: Record<string, unknown> = {activation, leakyreluAlpha: leakyreluAlpha ?? 0.2};
  const operand = (what: string, t: TensorInfo): void => {
    requireFloat32(kernel, what, t);
    if (!fitsBroadcast(t.shape, outShape)) {
      throw new Error(
        `${kernel}: ${what} of shape [${t.shape}] does not broadcast to the output shape [${outShape}]; ` +
          'supported: shapes that broadcast to the output without enlarging it',
      );
    }
  };
  if (bias != null) {
    operand('bias', bias);
    options.bias = backend.bufferOf(bias, kernel);
    options.biasShape = bias.shape;
  }
  if (activationName === 'prelu') {
    if (prelu == null) throw new Error(`${kernel}: activation 'prelu' needs preluActivationWeights`);
    operand('preluActivationWeights', prelu);
    options.prelu = backend.bufferOf(prelu, kernel);
    options.preluShape = prelu.shape;
  }
  return options;
}

export interface Conv2DKernelAttrs {
  strides: [number, number] | number;
  pad: Conv2DAttrs['pad'];
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Shape checks and output shape of Conv2D / FusedConv2D (NHWC only). */
export function conv2DInfo(kernel: string, x: TensorInfo, filter: TensorInfo, attrs: Conv2DKernelAttrs): backend_util.Conv2DInfo {
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    throw new Error(`${kernel}: dataFormat '${dataFormat}' is not supported; supported: NHWC`);
  }
  requireFloat32(kernel, 'x', x);
  requireFloat32(kernel, 'filter', filter);
  if (x.shape.length !== 4) throw new Error(`${kernel}: x must be rank 4 (NHWC), got shape [${x.shape}]`);
  if (filter.shape.length !== 4) {
    throw new Error(`${kernel}: filter must be rank 4 [height, width, inChannels, outChannels], got [${filter.shape}]`);
  }
  if (x.shape[3] !== filter.shape[2]) {
    throw new Error(
      `${kernel}: x has ${x.shape[3]} channels but the filter expects ${filter.shape[2]} (filter shape ` +
        `[${filter.shape}]); supported: x channels == filter.shape[2]`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return checkWindowFits(kernel, info, 'filter');
}

/** Runs the native conv2d entry; `extra` carries the fused epilogue options. */
export function runConv2D(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  extra: Record<string, unknown> = {},
): TensorInfo {
  return runWindowEntry(backend, kernel, entry, x, filter, info, {inC: info.inChannels, outC: info.outChannels, ...extra});
}

/** 2-D convolution, NHWC, on the native GEMM engine. */
export const conv2DConfig: NativeKernelConfig = {
  kernelName: Conv2D,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const info = conv2DInfo(Conv2D, x, filter, attrs as unknown as Conv2DKernelAttrs);
    return runConv2D(backend, Conv2D, 'conv2d', x, filter, info);
  },
};
