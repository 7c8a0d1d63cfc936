import {slice_util, StridedSlice, StridedSliceAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {runCopy, shareStorage, stridedPlan} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/**
 * StridedSlice: tfjs-core's slice_util.sliceInfo resolves the masks to dense begin/end/strides
 * (as tfjs-backend-cpu does); the result is one strided copy over the dense processing shape.
 * Degenerate ranges (begin past end) give empty results, also where tfjs-backend-cpu's fast paths
 * throw, and shrink axes combine with non-unit strides elsewhere.
 */
export const stridedSliceConfig: NativeKernelConfig = {
  kernelName: StridedSlice,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask} =
      attrs as unknown as StridedSliceAttrs;
    let info: slice_util.SliceInfo;
    try {
      info = slice_util.sliceInfo(x.shape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
    } catch (e) {
      throw new Error(`StridedSlice: ${(e as Error).message}`);
    }
    const {finalShape, isIdentity} = info;
    if (isIdentity) return shareStorage(backend, x, finalShape);
    // The dense processing shape: ceil((end - begin) / stride) per dimension, 0 when degenerate.
    const dense = x.shape.map((_, k) => {
      const interval = info.end[k] - info.begin[k];
      const stride = info.strides[k];
      if (interval === 0 || interval < 0 !== stride < 0) return 0;
      return Math.trunc(interval / stride) + (interval % stride !== 0 ? 1 : 0);
    });
    if (util.sizeFromShape(dense) !== util.sizeFromShape(finalShape)) {
      throw new Error(
        `StridedSlice: cannot resolve begin [${begin}], end [${end}], strides [${strides}] on shape [${x.shape}]`,
      );
    }
    const plan = stridedPlan(x.shape, info.begin, info.strides, dense);
    return runCopy(backend, StridedSlice, 'stridedSlice', x, finalShape, plan);
  },
};
