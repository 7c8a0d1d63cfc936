import {Neg} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** -x. */
export const negConfig = unaryKernel(Neg);
