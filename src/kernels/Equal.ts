import {Equal} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a == b with broadcasting; bool output. */
export const equalConfig = binaryKernel(Equal, 'bool');
