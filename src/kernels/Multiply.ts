import {Multiply} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a * b with broadcasting; dtype of a. */
export const multiplyConfig = binaryKernel(Multiply);
