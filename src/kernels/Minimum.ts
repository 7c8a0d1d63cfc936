import {Minimum} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** min(a, b) with broadcasting; NaN if either is NaN. */
export const minimumConfig = binaryKernel(Minimum);
