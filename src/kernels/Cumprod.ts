import {Cumprod, CumprodAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {cumulative} from './cumulative_util.js';
import type {NativeKernelConfig} from './types.js';

/** Running product along `axis` (exclusive, reverse as tfjs defines them); int32 for int32 and bool. */
export const cumprodConfig: NativeKernelConfig = {
  kernelName: Cumprod,
  kernelFunc: ({inputs, backend, attrs}) => {
    const {axis, exclusive, reverse} = attrs as unknown as CumprodAttrs;
    return cumulative(Cumprod, backend, inputs.x as TensorInfo, axis, exclusive, reverse, (a, b) => a * b, 1);
  },
};
