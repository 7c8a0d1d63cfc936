import {SquaredDifference} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** (a - b)^2 with broadcasting. */
export const squaredDifferenceConfig = binaryKernel(SquaredDifference);
