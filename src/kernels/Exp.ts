import {Exp} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** exp(x); float32 output for any input, as tfjs-backend-cpu. */
export const expConfig = unaryKernel(Exp, {outDtype: 'float32'});
