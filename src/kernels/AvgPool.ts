import {AvgPool} from '@tensorflow/tfjs-core';

import {pool2d} from './pool_util.js';
import type {NativeKernelConfig} from './types.js';

/** Average pooling (NHWC); divides by the number of valid (non-padding) elements, as tfjs does. */
export const avgPoolConfig: NativeKernelConfig = {
  kernelName: AvgPool,
  kernelFunc: (args) => pool2d(AvgPool, 'avgPool', args),
};
