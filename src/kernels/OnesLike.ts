import {OnesLike, TensorInfo} from '@tensorflow/tfjs-core';

import {fillTensor} from './Fill.js';
import {checkDtype} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** OnesLike: ones of x's shape and dtype (float32, int32, bool). */
export const onesLikeConfig: NativeKernelConfig = {
  kernelName: OnesLike,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    checkDtype(OnesLike, x.dtype, false);
    return fillTensor(backend, OnesLike, x.shape, 1, x.dtype);
  },
};
