import {Erf} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** erf(x) by tfjs's Abramowitz-Stegun approximation. */
export const erfConfig = unaryKernel(Erf);
