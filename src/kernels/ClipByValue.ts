import {ClipByValue, ClipByValueAttrs, NamedAttrMap} from '@tensorflow/tfjs-core';

import {unaryKernel} from './binary_util.js';

/** x > clipValueMax ? clipValueMax : (x < clipValueMin ? clipValueMin : x); NaN propagates. */
export const clipByValueConfig = unaryKernel(ClipByValue, {
  params: (attrs: NamedAttrMap) => {
    const {clipValueMin, clipValueMax} = attrs as unknown as ClipByValueAttrs;
    return {alpha: clipValueMin, beta: clipValueMax};
  },
});
