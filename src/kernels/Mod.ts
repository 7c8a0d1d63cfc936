import {Mod} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a mod b with the sign of b, with broadcasting. */
export const modConfig = binaryKernel(Mod);
