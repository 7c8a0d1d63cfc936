import {Sqrt} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** sqrt(x). */
export const sqrtConfig = unaryKernel(Sqrt);
