import {Reshape, ReshapeAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/** Reshape returns the input's storage with a new shape (one more reference, no copy). */
export const reshapeConfig: NativeKernelConfig = {
  kernelName: Reshape,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {shape} = attrs as unknown as ReshapeAttrs;
    const size = util.sizeFromShape(x.shape);
    const newShape = util.inferFromImplicitShape(shape, size);
    const newSize = util.sizeFromShape(newShape);
    if (newSize !== size) {
      throw new Error(
        `Reshape: cannot reshape a tensor of shape [${x.shape}] (${size} elements) to [${shape}] (${newSize} elements)`,
      );
    }
    backend.incRef(x.dataId);
    return {dataId: x.dataId, shape: newShape, dtype: x.dtype};
  },
};
