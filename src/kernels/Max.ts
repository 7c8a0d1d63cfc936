import {Max} from '@tensorflow/tfjs-core';

import {reduceKernel} from './reduce_util.js';

/** Maximum over any axes (attribute reductionIndices); NaN if any element is NaN. */
export const maxConfig = reduceKernel(Max, {axisAttr: 'reductionIndices', outDtype: (x) => x});
