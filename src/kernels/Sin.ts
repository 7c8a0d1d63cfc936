import {Sin} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** sin(x). */
export const sinConfig = unaryKernel(Sin);
