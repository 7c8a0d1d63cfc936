import {Reverse, ReverseAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {normalizeAxis, reversePlan, runCopy, shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Reverse: a strided copy with negative strides along `dims`. */
export const reverseConfig: NativeKernelConfig = {
  kernelName: Reverse,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {dims} = attrs as unknown as ReverseAttrs;
    const rank = x.shape.length;
    if (rank === 0) return shareStorage(backend, x, []);
    // No dims means every dimension (util.parseAxisParam, as tfjs-backend-cpu).
    const list = dims == null ? util.parseAxisParam(null as never, x.shape) : typeof dims === 'number' ? [dims] : dims;
    const axes = list.map((d) => normalizeAxis(Reverse, d, rank, 'dim'));
    return runCopy(backend, Reverse, 'reverse', x, x.shape.slice(), reversePlan(x.shape, axes));
  },
};
