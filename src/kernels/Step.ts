import {NamedAttrMap, Step, StepAttrs} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** x > 0 ? 1 : alpha; NaN stays NaN. */
export const stepConfig = unaryKernel(Step, {
  params: (attrs: NamedAttrMap) => ({alpha: (attrs as unknown as StepAttrs).alpha ?? 0}),
});
