import {Cos} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** cos(x). */
export const cosConfig = unaryKernel(Cos);
