import {FloorDiv} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** floor(a / b) with broadcasting; int32 output as tfjs-backend-cpu. */
export const floorDivConfig = binaryKernel(FloorDiv, 'int32');
