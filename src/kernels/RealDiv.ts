import {RealDiv} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a / b with broadcasting; dtype of a (tfjs ops send int32 division to FloorDiv). */
export const realDivConfig = binaryKernel(RealDiv);
