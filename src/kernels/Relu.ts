import {Relu} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** max(0, x); NaN propagates. */
export const reluConfig = unaryKernel(Relu);
