import {Any} from '@tensorflow/tfjs-core';

import {reduceKernel} from './reduce_util.js';

/** Logical OR over any axes; output in the input's dtype (bool for tf.any). */
export const anyConfig = reduceKernel(Any, {axisAttr: 'axis', outDtype: (x) => x});
