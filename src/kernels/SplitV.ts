import {backend_util, SplitV, SplitVAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {normalizeAxis, runCopy, slicePlan} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** SplitV (tf.split): consecutive slices along `axis`. */
export const splitVConfig: NativeKernelConfig = {
  kernelName: SplitV,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {numOrSizeSplits, axis} = attrs as unknown as SplitVAttrs;
    const rank = x.shape.length;
    const $axis = normalizeAxis(SplitV, axis, rank);
    let sizes: number[];
    try {
      const splits = Array.isArray(numOrSizeSplits) ? numOrSizeSplits.slice() : numOrSizeSplits;
      sizes = backend_util.prepareSplitSize(x, splits, $axis);
    } catch (e) {
      throw new Error(`SplitV: ${(e as Error).message}`);
    }
    if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new Error(`SplitV: split sizes [${sizes}] must be non-negative integers summing to ${x.shape[$axis]}`);
    }
    const begin = new Array<number>(rank).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[$axis] = s;
      const out = runCopy(backend, SplitV, 'splitV', x, size, slicePlan(x.shape, begin, size));
      begin[$axis] += s;
      return out;
    });
  },
};
