import {Cumsum, CumsumAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {cumulative} from './cumulative_util.js';
import type {NativeKernelConfig} from './types.js';

/** Running sum along `axis` (exclusive, reverse as tfjs defines them); int32 for int32 and bool. */
export const cumsumConfig: NativeKernelConfig = {
  kernelName: Cumsum,
  kernelFunc: ({inputs, backend, attrs}) => {
    const {axis, exclusive, reverse} = attrs as unknown as CumsumAttrs;
    return cumulative(Cumsum, backend, inputs.x as TensorInfo, axis, exclusive, reverse, (a, b) => a + b, 0);
  },
};
