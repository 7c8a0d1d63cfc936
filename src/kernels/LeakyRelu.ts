import {LeakyRelu, LeakyReluAttrs, NamedAttrMap} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** x < 0 ? alpha * x : x; float32 output for any input, as tfjs-backend-cpu. */
export const leakyReluConfig = unaryKernel(LeakyRelu, {
  outDtype: 'float32',
  params: (attrs: NamedAttrMap) => ({alpha: (attrs as unknown as LeakyReluAttrs).alpha}),
});
