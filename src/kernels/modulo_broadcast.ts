// Operands that native entries read at (flat output index) % (operand size): a broadcast only where the
// operand's shape is a trailing part of the output's (size-1 dimensions before it). Others are broadcast
// to the output's shape first.
import {backend_util, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import {broadcastToConfig} from './BroadcastTo.js';

/** Whether `shape` broadcasts to `outShape` without enlarging it (NumPy's rules). */
export function fitsBroadcast(shape: readonly number[], outShape: readonly number[]): boolean {
  try {
    return util.arraysEqual(backend_util.assertAndGetBroadcastShape(outShape as number[], shape as number[]), outShape as number[]);
  } catch {
    return false;
  }
}

/**
 * Whether reading `shape` at (index into `outShape`) % size(shape) is its broadcast to `outShape`
 * (row-major): [3] or [1, 3] against [2, 3] yes, [2, 1] against [2, 3] no. `shape` must broadcast to
 * `outShape`.
 */
export function broadcastsByModulo(shape: readonly number[], outShape: readonly number[]): boolean {
  const lead = outShape.length - shape.length;
  let k = 0;
  while (k < shape.length && shape[k] === 1) k++;  // leading 1s repeat like missing dimensions
  return shape.slice(k).every((d, j) => d === outShape[lead + k + j]);
}

/** `x` broadcast to `shape` (a new tensor the caller disposes with disposeIntermediateTensorInfo). */
export function broadcastCopy(backend: NativeCpuBackend, x: TensorInfo, shape: number[]): TensorInfo {
  return broadcastToConfig.kernelFunc({inputs: {x}, backend, attrs: {shape}}) as TensorInfo;
}
