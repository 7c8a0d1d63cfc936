import {ExpandDims, ExpandDimsAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** ExpandDims: a new dimension of size 1; shares the input's storage (no copy). */
export const expandDimsConfig: NativeKernelConfig = {
  kernelName: ExpandDims,
  kernelFunc: ({inputs, backend, attrs}) => {
    const input = inputs.input as TensorInfo;
    const {dim} = attrs as unknown as ExpandDimsAttrs;
    const rank = input.shape.length;
    if (!Number.isInteger(dim) || dim < -(rank + 1) || dim > rank) {
      throw new Error(`ExpandDims: dim ${dim} is out of range for a tensor of rank ${rank}; supported: [${-(rank + 1)}, ${rank}]`);
    }
    const shape = input.shape.slice();
    shape.splice(dim < 0 ? rank + dim + 1 : dim, 0, 1);
    return shareStorage(backend, input, shape);
  },
};
