import {Relu6} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** min(max(0, x), 6); NaN propagates. */
export const relu6Config = unaryKernel(Relu6);
