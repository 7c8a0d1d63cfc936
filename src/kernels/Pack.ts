import {Pack, PackAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {concat2D, shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Pack (tf.stack): equal-shaped inputs interleaved along a new dimension `axis`. */
export const packConfig: NativeKernelConfig = {
  kernelName: Pack,
  kernelFunc: ({inputs, backend, attrs}) => {
    const list = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as TensorInfo[];
    const {axis} = attrs as unknown as PackAttrs;
    if (list.length === 0) throw new Error('Pack: no inputs; supported: one or more tensors');
    const shape = list[0].shape;
    const rank = shape.length;
    if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
      throw new Error(`Pack: axis ${axis} is out of range for inputs of rank ${rank}; supported: [${-(rank + 1)}, ${rank}]`);
    }
    const $axis = axis < 0 ? axis + rank + 1 : axis;
    list.forEach((t, i) => {
      if (t.shape.length !== rank || t.shape.some((d, k) => d !== shape[k])) {
        throw new Error(`Pack: input ${i} has shape [${t.shape}] but input 0 has [${shape}]; all inputs must have one shape`);
      }
    });
    const outShape = shape.slice();
    outShape.splice($axis, 0, list.length);
    if (list.length === 1) return shareStorage(backend, list[0], outShape);
    const outer = util.sizeFromShape(shape.slice(0, $axis));
    const inner = util.sizeFromShape(shape.slice($axis));
    return concat2D(backend, Pack, 'pack', list, outer, list.map(() => inner), outShape);
  },
};
