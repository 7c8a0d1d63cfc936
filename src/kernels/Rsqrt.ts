import {Rsqrt} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** 1 / sqrt(x). */
export const rsqrtConfig = unaryKernel(Rsqrt);
