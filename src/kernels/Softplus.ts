import {Softplus} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** log(1 + exp(x)) with tfjs-backend-cpu's thresholds. */
export const softplusConfig = unaryKernel(Softplus);
