import {Cast, CastAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {NUMERIC_DTYPES, runInto, shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/**
 * Cast between float32, int32 and bool (any direction) with tfjs's typed-array semantics:
 * float32 -> int32 truncates (and wraps like Int32Array), anything -> bool is x != 0, and
 * int32 -> float32 rounds to the nearest float32 (tfjs-backend-cpu keeps the int32 values under a
 * float32 dtype instead, so integers beyond 2^24 read back exactly there). Same dtype shares storage.
 */
export const castConfig: NativeKernelConfig = {
  kernelName: Cast,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {dtype} = attrs as unknown as CastAttrs;
    if (!NUMERIC_DTYPES.includes(x.dtype) || !NUMERIC_DTYPES.includes(dtype)) {
      throw new Error(`Cast: cannot cast '${x.dtype}' to '${dtype}'; supported: float32, int32, bool in any direction`);
    }
    if (dtype === x.dtype) return shareStorage(backend, x, x.shape.slice());
    const out = backend.makeOutput(x.shape.slice(), dtype);
    const size = util.sizeFromShape(x.shape);
    if (size === 0) return out;
    return runInto(backend, 'cast', {x: backend.bufferOf(x, Cast), out: backend.bufferOf(out, Cast), from: x.dtype, to: dtype, size}, out);
  },
};
