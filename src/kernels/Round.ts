import {Round} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** Round half to even (tfjs's banker's rounding). */
export const roundConfig = unaryKernel(Round);
