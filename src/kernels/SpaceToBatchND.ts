import {backend_util, SpaceToBatchND, SpaceToBatchNDAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {composite} from './composite_util.js';
import {padV2Config} from './PadV2.js';
import {reshapeConfig} from './Reshape.js';
import {transposeConfig} from './Transpose.js';
import type {NativeKernelConfig} from './types.js';

/** SpaceToBatchND as tfjs defines it: zero-pad the block dimensions, reshape, transpose, reshape. */
export const spaceToBatchNDConfig: NativeKernelConfig = {
  kernelName: SpaceToBatchND,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {blockShape, paddings} = attrs as unknown as SpaceToBatchNDAttrs;
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      throw new Error(`SpaceToBatchND: dtype '${x.dtype}' is not supported; supported: float32, int32, bool`);
    }
    const prod = util.sizeFromShape(blockShape);
    const fullPaddings: Array<[number, number]> = [[0, 0], ...(paddings as Array<[number, number]>)];
    for (let i = 1 + blockShape.length; i < x.shape.length; ++i) fullPaddings.push([0, 0]);
    return composite(backend, (steps) => {
      const padded = steps.run(padV2Config, {x}, {paddings: fullPaddings, constantValue: 0});
      const reshapedShape = backend_util.getReshaped(padded.shape, blockShape, prod, false);
      const perm = backend_util.getPermuted(reshapedShape.length, blockShape.length, false);
      const flatShape = backend_util.getReshapedPermuted(padded.shape, blockShape, prod, false);
      const reshaped = steps.run(reshapeConfig, {x: padded}, {shape: reshapedShape});
      const transposed = steps.run(transposeConfig, {x: reshaped}, {perm});
      return steps.run(reshapeConfig, {x: transposed}, {shape: flatShape});
    });
  },
};
