import {Square} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** x * x. */
export const squareConfig = unaryKernel(Square);
