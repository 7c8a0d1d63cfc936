import {Ceil} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** ceil(x). */
export const ceilConfig = unaryKernel(Ceil);
