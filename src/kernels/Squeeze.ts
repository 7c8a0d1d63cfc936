import {TensorInfo, util} from '@tensorflow/tfjs-core';

import {shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/**
 * Squeeze: drops dimensions of size 1 (all of them, or those listed in `axis`); shares the input's
 * storage. tfjs-core's tf.squeeze calls Reshape itself; this kernel serves graph models and direct
 * engine calls under TensorFlow's kernel name.
 */
export const squeezeConfig: NativeKernelConfig = {
  kernelName: 'Squeeze',
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const axis = (attrs as {axis?: number | number[]} | undefined)?.axis;
    const list = axis == null ? undefined : Array.isArray(axis) ? axis : [axis];
    let shape: number[];
    try {
      shape = util.squeezeShape(x.shape, list).newShape;
    } catch (e) {
      throw new Error(`Squeeze: ${(e as Error).message}`);
    }
    return shareStorage(backend, x, shape);
  },
};
