import {Elu} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** x >= 0 ? x : exp(x) - 1. */
export const eluConfig = unaryKernel(Elu);
