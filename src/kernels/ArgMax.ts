import {ArgMax} from '@tensorflow/tfjs-core';

import {argReduceKernel} from './reduce_util.js';

/** Index of the first maximum along one axis; int32 output. */
export const argMaxConfig = argReduceKernel(ArgMax);
