import {Floor} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** floor(x). */
export const floorConfig = unaryKernel(Floor);
