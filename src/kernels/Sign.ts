import {Sign} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** -1, 0 or 1 (0 for NaN, as tfjs-backend-cpu). */
export const signConfig = unaryKernel(Sign);
