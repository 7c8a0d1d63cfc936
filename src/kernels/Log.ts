import {Log} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** log(x). */
export const logConfig = unaryKernel(Log);
