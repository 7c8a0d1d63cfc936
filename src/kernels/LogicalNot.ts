import {LogicalNot} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** !x; bool output. */
export const logicalNotConfig = unaryKernel(LogicalNot, {outDtype: 'bool'});
