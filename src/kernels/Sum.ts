import {Sum} from '@tensorflow/tfjs-core';

import {reduceKernel, sumDtype} from './reduce_util.js';

/** Sum over any axes (keepDims); int32 output for int32 and bool inputs. */
export const sumConfig = reduceKernel(Sum, {axisAttr: 'axis', outDtype: sumDtype});
