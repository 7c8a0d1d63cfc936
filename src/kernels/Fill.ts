import {DataType, Fill, FillAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import {checkDtype, runInto} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** A new tensor of `shape` whose elements are all `value` (stored as tfjs's typed arrays store it). */
export function fillTensor(
  backend: NativeCpuBackend,
  kernel: string,
  shape: number[],
  value: number | string | boolean,
  dtype: DataType,
): TensorInfo {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${kernel}: shape [${shape}] is not a list of non-negative integers`);
  }
  checkDtype(kernel, dtype, true);
  const size = util.sizeFromShape(shape);
  if (dtype === 'string') {
    return backend.makeTensorInfo(shape.slice(), 'string', new Array<string>(size).fill(String(value)));
  }
  if (typeof value === 'string') {
    throw new Error(`${kernel}: value '${value}' is a string but dtype is '${dtype}'`);
  }
  const out = backend.makeOutput(shape.slice(), dtype);
  if (size === 0 || Object.is(Number(value), 0)) return out;  // new buffers are zero-filled (+0 in every dtype)
  return runInto(backend, 'fill', {out: backend.bufferOf(out, kernel), dtype, size, value: Number(value)}, out);
}

/** Fill: shape, value, dtype (inferred from the value when absent, as tfjs does). */
export const fillConfig: NativeKernelConfig = {
  kernelName: Fill,
  kernelFunc: ({backend, attrs}) => {
    const {shape, value, dtype} = attrs as unknown as FillAttrs;
    return fillTensor(backend, Fill, shape, value, dtype || util.inferDtype(value));
  },
};
