import {Min} from '@tensorflow/tfjs-core';

import {reduceKernel} from './reduce_util.js';

/** Minimum over any axes; NaN if any element is NaN. */
export const minConfig = reduceKernel(Min, {axisAttr: 'axis', outDtype: (x) => x});
