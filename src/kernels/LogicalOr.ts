import {LogicalOr} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a || b with broadcasting; bool output. */
export const logicalOrConfig = binaryKernel(LogicalOr, 'bool');
