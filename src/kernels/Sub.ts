import {Sub} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a - b with broadcasting; dtype of a. */
export const subConfig = binaryKernel(Sub);
