import {MaxPool} from '@tensorflow/tfjs-core';

import {pool2d} from './pool_util.js';
import type {NativeKernelConfig} from './types.js';

/** Max pooling (NHWC); NaN inputs never win, as in tfjs's `pixel > max` comparison. */
export const maxPoolConfig: NativeKernelConfig = {
  kernelName: MaxPool,
  kernelFunc: (args) => pool2d(MaxPool, 'maxPool', args),
};
