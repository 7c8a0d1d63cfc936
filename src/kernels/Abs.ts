import {Abs} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** |x|. */
export const absConfig = unaryKernel(Abs);
