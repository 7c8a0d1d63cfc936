import {TensorInfo, Unpack, UnpackAttrs} from '@tensorflow/tfjs-core';

import {normalizeAxis, runCopy, slicePlan} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Unpack (tf.unstack): one output per index along `axis`, each a slice copy. */
export const unpackConfig: NativeKernelConfig = {
  kernelName: Unpack,
  kernelFunc: ({inputs, backend, attrs}) => {
    const value = inputs.value as TensorInfo;
    const {axis} = attrs as unknown as UnpackAttrs;
    const rank = value.shape.length;
    const $axis = normalizeAxis(Unpack, axis, rank);
    const outShape = value.shape.filter((_, k) => k !== $axis);
    const begin = new Array<number>(rank).fill(0);
    const size = value.shape.slice();
    size[$axis] = 1;
    const outputs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[$axis]; i++) {
      begin[$axis] = i;
      outputs.push(runCopy(backend, Unpack, 'unpack', value, outShape, slicePlan(value.shape, begin, size)));
    }
    return outputs;
  },
};
