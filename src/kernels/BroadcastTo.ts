import {BroadcastTo, BroadCastToAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {rowMajorStrides, runCopy, shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** BroadcastTo: dimensions of size 1 (and missing leading ones) repeat with source stride 0. */
export const broadcastToConfig: NativeKernelConfig = {
  kernelName: BroadcastTo,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {shape} = attrs as unknown as BroadCastToAttrs;
    const rank = shape.length;
    const lead = rank - x.shape.length;
    const fits =
      lead >= 0 &&
      shape.every((d) => Number.isInteger(d) && d >= 0) &&
      x.shape.every((d, k) => d === shape[lead + k] || d === 1);
    if (!fits) {
      throw new Error(`BroadcastTo: a tensor of shape [${x.shape}] cannot be broadcast to [${shape}]`);
    }
    const padded = [...new Array<number>(lead).fill(1), ...x.shape];
    if (padded.every((d, k) => d === shape[k])) return shareStorage(backend, x, shape.slice());
    const xs = rowMajorStrides(padded);
    const plan = {shape: shape.slice(), xOffset: 0, xStrides: padded.map((d, k) => (d === 1 ? 0 : xs[k]))};
    return runCopy(backend, BroadcastTo, 'broadcastTo', x, shape.slice(), plan);
  },
};
