import {Reverse, ReverseAttrs, TensorInfo} from '@tensorflow/tfjs-core';

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
    const list = typeof dims === 'number' ? [dims] : (dims as number[]);
    const axes = list.map((d) => normalizeAxis(Reverse, d, rank, 'dim'));
    return runCopy(backend, Reverse, 'reverse', x, x.shape.slice(), reversePlan(x.shape, axes));
  },
};
