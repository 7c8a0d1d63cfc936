import {Sigmoid} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** 1 / (1 + exp(-x)). */
export const sigmoidConfig = unaryKernel(Sigmoid);
