import {ArgMin} from '@tensorflow/tfjs-core';

import {argReduceKernel} from './reduce_util.js';

/** Index of the first minimum along one axis; int32 output. */
export const argMinConfig = argReduceKernel(ArgMin);
