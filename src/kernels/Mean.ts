import {Mean} from '@tensorflow/tfjs-core';

import {reduceKernel} from './reduce_util.js';

/** Mean over any axes (keepDims); float32 output. */
export const meanConfig = reduceKernel(Mean, {axisAttr: 'axis', outDtype: () => 'float32'});
