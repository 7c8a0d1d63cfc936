import {Log1p} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** log(1 + x). */
export const log1pConfig = unaryKernel(Log1p);
