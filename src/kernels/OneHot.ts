import {OneHot, OneHotAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {checkDtype, runInto} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** OneHot: [...indices.shape, depth], onValue where the last coordinate equals the index. */
export const oneHotConfig: NativeKernelConfig = {
  kernelName: OneHot,
  kernelFunc: ({inputs, backend, attrs}) => {
    const indices = inputs.indices as TensorInfo;
    const {dtype, depth, onValue, offValue} = attrs as unknown as OneHotAttrs;
    if (indices.dtype !== 'int32') {
      throw new Error(`OneHot: indices have dtype '${indices.dtype}'; supported: int32`);
    }
    checkDtype(OneHot, dtype, false);
    if (!Number.isInteger(depth) || depth < 0) {
      throw new Error(`OneHot: depth ${depth} is not supported; supported: a non-negative integer`);
    }
    const outShape = [...indices.shape, depth];
    const out = backend.makeOutput(outShape, dtype);
    if (util.sizeFromShape(outShape) === 0) return out;
    return runInto(backend, 'oneHot', {
      indices: backend.bufferOf(indices, OneHot),
      out: backend.bufferOf(out, OneHot),
      dtype,
      count: util.sizeFromShape(indices.shape),
      depth,
      on: Number(onValue),
      off: Number(offValue),
    }, out);
  },
};
