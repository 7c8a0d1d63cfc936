import {Greater} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a > b with broadcasting; bool output. */
export const greaterConfig = binaryKernel(Greater, 'bool');
