import {IsNan} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** x is NaN; bool output. */
export const isNanConfig = unaryKernel(IsNan, {outDtype: 'bool'});
