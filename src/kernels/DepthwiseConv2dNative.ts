import {backend_util, DepthwiseConv2dNative, DepthwiseConv2dNativeAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import type {NativeKernelConfig} from './types.js';
import {fitsBroadcast} from './modulo_broadcast.js';
import {checkWindowFits, runWindowEntry} from './window_options.js';

/** Attributes shared by DepthwiseConv2dNative and FusedDepthwiseConv2D. */
export interface DepthwiseAttrs {
  strides: [number, number] | number;
  pad: DepthwiseConv2dNativeAttrs['pad'];
  dataFormat?: string;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Checks that `t` is a float32 tensor of rank `rank`; errors name the kernel. */
export function expectFloat32(kernel: string, name: string, t: TensorInfo | undefined, rank?: number): TensorInfo {
  if (t == null) throw new Error(`${kernel}: missing input '${name}'`);
  if (t.dtype !== 'float32') {
    throw new Error(`${kernel}: input '${name}' has dtype ${t.dtype}; supported: float32`);
  }
  if (rank !== undefined && t.shape.length !== rank) {
    throw new Error(`${kernel}: input '${name}' must be rank ${rank}, got shape [${t.shape}]`);
  }
  return t;
}

/** How a bias or prelu operand broadcasts against the output (tfjs broadcasting). */
export interface BroadcastOperand {
  size: number;
  /** Element strides along [batch, outH, outW, channels] (0 where broadcast); absent for a scalar or per-channel vector. */
  strides?: number[];
}

/** Checks that `t` broadcasts to `outShape` (NHWC) and describes how. */
export function broadcastOperand(kernel: string, name: string, t: TensorInfo, outShape: number[]): BroadcastOperand {
  expectFloat32(kernel, name, t);
  if (!fitsBroadcast(t.shape, outShape)) {
    throw new Error(
      `${kernel}: '${name}' of shape [${t.shape}] does not broadcast to the output shape [${outShape}]; ` +
        `supported: shapes that broadcast to it (e.g. a scalar or [${outShape[3]}])`,
    );
  }
  const size = util.sizeFromShape(t.shape);
  const channels = outShape[3];
  const last = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
  if (size === 1 || (size === channels && last === channels)) return {size};
  const padded = [...new Array<number>(4 - t.shape.length).fill(1), ...t.shape];
  const strides = [0, 0, 0, 0];
  let stride = 1;
  for (let i = 3; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : stride;
    stride *= padded[i];
  }
  return {size, strides};
}

/** Validates inputs and attributes and computes the convolution geometry. */
export function depthwiseInfo(kernel: string, x: TensorInfo, filter: TensorInfo, attrs: DepthwiseAttrs): backend_util.Conv2DInfo {
  expectFloat32(kernel, 'x', x, 4);
  expectFloat32(kernel, 'filter', filter, 4);
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel}: dataFormat '${attrs.dataFormat}' is not supported; supported: NHWC`);
  }
  if (filter.shape[2] !== x.shape[3]) {
    throw new Error(
      `${kernel}: filter [${filter.shape}] has ${filter.shape[2]} input channels but x [${x.shape}] has ${x.shape[3]}`,
    );
  }
  const dilations = attrs.dilations ?? [1, 1];
  if (!backend_util.eitherStridesOrDilationsAreOne(attrs.strides, dilations)) {
    throw new Error(
      `${kernel}: either strides or dilations must be 1; got strides ${attrs.strides} and dilations ${dilations}`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return checkWindowFits(kernel, info, 'filter');
}

/** Runs the native depthwise convolution (`entry` is the addon entry) into a new output tensor. */
export function runDepthwise(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  extra: Record<string, number | number[]>,
): TensorInfo {
  return runWindowEntry(backend, kernel, entry, x, filter, info, {
    channels: info.inChannels,
    multiplier: info.outChannels / info.inChannels,
    ...extra,
  });
}

export const depthwiseConv2dNativeConfig: NativeKernelConfig = {
  kernelName: DepthwiseConv2dNative,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const info = depthwiseInfo(DepthwiseConv2dNative, x, filter, attrs as unknown as DepthwiseAttrs);
    return runDepthwise(backend, DepthwiseConv2dNative, 'depthwiseConv2d', x, filter, info, {});
  },
};
