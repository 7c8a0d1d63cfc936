import {TensorInfo, ZerosLike} from '@tensorflow/tfjs-core';

import {fillTensor} from './Fill.js';
import {checkDtype} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** ZerosLike: zeros of x's shape and dtype (float32, int32, bool). */
export const zerosLikeConfig: NativeKernelConfig = {
  kernelName: ZerosLike,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    checkDtype(ZerosLike, x.dtype, false);
    return fillTensor(backend, ZerosLike, x.shape, 0, x.dtype);
  },
};
