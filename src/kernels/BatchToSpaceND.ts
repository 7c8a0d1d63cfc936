import {backend_util, BatchToSpaceND, BatchToSpaceNDAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {composite} from './composite_util.js';
import {reshapeConfig} from './Reshape.js';
import {sliceConfig} from './Slice.js';
import {transposeConfig} from './Transpose.js';
import type {NativeKernelConfig} from './types.js';

/** BatchToSpaceND as tfjs defines it: reshape, transpose, reshape, then crop with a slice. */
export const batchToSpaceNDConfig: NativeKernelConfig = {
  kernelName: BatchToSpaceND,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {blockShape, crops} = attrs as unknown as BatchToSpaceNDAttrs;
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      throw new Error(`BatchToSpaceND: dtype '${x.dtype}' is not supported; supported: float32, int32, bool`);
    }
    const prod = blockShape.reduce((a, b) => a * b, 1);
    const reshapedShape = backend_util.getReshaped(x.shape, blockShape, prod);
    const perm = backend_util.getPermuted(reshapedShape.length, blockShape.length);
    const permutedShape = backend_util.getReshapedPermuted(x.shape, blockShape, prod);
    const begin = backend_util.getSliceBeginCoords(crops, blockShape.length);
    const size = backend_util.getSliceSize(permutedShape, crops, blockShape.length);
    return composite(backend, (steps) => {
      const reshaped = steps.run(reshapeConfig, {x}, {shape: reshapedShape});
      const transposed = steps.run(transposeConfig, {x: reshaped}, {perm});
      const flat = steps.run(reshapeConfig, {x: transposed}, {shape: permutedShape});
      return steps.run(sliceConfig, {x: flat}, {begin, size});
    });
  },
};
