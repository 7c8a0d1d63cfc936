import {NotEqual} from '@tensorflow/tfjs-core';

import {binaryKernel} from './binary_util.js';

/** a != b with broadcasting; bool output. */
export const notEqualConfig = binaryKernel(NotEqual, 'bool');
