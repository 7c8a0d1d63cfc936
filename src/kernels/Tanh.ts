import {Tanh} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** tanh(x). */
export const tanhConfig = unaryKernel(Tanh);
