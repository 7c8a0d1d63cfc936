import {Prod} from '@tensorflow/tfjs-core';

import {reduceKernel, sumDtype} from './reduce_util.js';

/** Product over any axes (keepDims); int32 output for int32 and bool inputs. */
export const prodConfig = reduceKernel(Prod, {axisAttr: 'axis', outDtype: sumDtype});
