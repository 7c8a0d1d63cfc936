import {Pow} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a ** b with broadcasting (Math.pow semantics). */
export const powConfig = binaryKernel(Pow);
