import {Maximum} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** max(a, b) with broadcasting; NaN if either is NaN. */
export const maximumConfig = binaryKernel(Maximum);
