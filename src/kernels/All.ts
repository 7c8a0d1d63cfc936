import {All} from '@tensorflow/tfjs-core';

import {reduceKernel} from './reduce_util.js';

/** Logical AND over any axes; output in the input's dtype (bool for tf.all). */
export const allConfig = reduceKernel(All, {axisAttr: 'axis', outDtype: (x) => x});
