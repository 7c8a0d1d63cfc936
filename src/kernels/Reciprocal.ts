import {Reciprocal} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** 1 / x. */
export const reciprocalConfig = unaryKernel(Reciprocal);
