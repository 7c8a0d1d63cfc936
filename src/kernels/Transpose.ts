import {TensorInfo, Transpose, TransposeAttrs} from '@tensorflow/tfjs-core';

import {runCopy, shareStorage, transposePlan} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Transpose: a strided copy (cache-blocked natively when it swaps the innermost dimension). */
export const transposeConfig: NativeKernelConfig = {
  kernelName: Transpose,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {perm} = attrs as unknown as TransposeAttrs;
    const rank = x.shape.length;
    const seen = new Set<number>();
    const valid =
      Array.isArray(perm) &&
      perm.length === rank &&
      perm.every((p) => Number.isInteger(p) && p >= 0 && p < rank && !seen.has(p) && seen.add(p) !== undefined);
    if (!valid) {
      throw new Error(
        `Transpose: perm [${perm}] is not a permutation of the ${rank} dimensions of a tensor of shape [${x.shape}]; ` +
          `supported: each of 0..${rank - 1} exactly once`,
      );
    }
    const plan = transposePlan(x.shape, perm);
    if (perm.every((p, i) => p === i)) return shareStorage(backend, x, plan.shape);
    return runCopy(backend, Transpose, 'transpose', x, plan.shape, plan);
  },
};
