import {TensorInfo, Tile, TileAttrs} from '@tensorflow/tfjs-core';

import {runCopy, tilePlan} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Tile: output dimension k repeats the input reps[k] times (a strided copy with stride-0 dimensions). */
export const tileConfig: NativeKernelConfig = {
  kernelName: Tile,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {reps} = attrs as unknown as TileAttrs;
    const rank = x.shape.length;
    if (!Array.isArray(reps) || reps.length !== rank || !reps.every((r) => Number.isInteger(r) && r >= 0)) {
      throw new Error(
        `Tile: reps [${reps}] do not fit a tensor of shape [${x.shape}]; supported: ${rank} non-negative integers`,
      );
    }
    const outShape = x.shape.map((d, k) => d * reps[k]);
    return runCopy(backend, Tile, 'tile', x, outShape, tilePlan(x.shape, reps));
  },
};
