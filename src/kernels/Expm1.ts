import {Expm1} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** exp(x) - 1. */
export const expm1Config = unaryKernel(Expm1);
