import {TensorInfo, util} from '@tensorflow/tfjs-core';

import {checkDtype} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/**
 * Where (tf.whereAsync's kernel in TensorFlow): the coordinates of the true (non-zero) elements of
 * `condition`, as int32 [count, rank], in row-major order. Computed in JavaScript from the read data
 * (the same algorithm as tfjs-core's kernel_impls.whereImpl). tfjs-core's whereAsync does this
 * itself without a kernel; the kernel serves graph models and direct engine calls.
 */
export const whereConfig: NativeKernelConfig = {
  kernelName: 'Where',
  kernelFunc: ({inputs, backend}) => {
    const condition = (inputs.condition ?? inputs.x) as TensorInfo | undefined;
    if (condition == null) throw new Error("Where: missing input 'condition'");
    checkDtype('Where', condition.dtype, false);
    const values = backend.readSync(condition.dataId) as ArrayLike<number>;
    const rank = condition.shape.length;
    const strides = util.computeStrides(condition.shape);
    const hits: number[] = [];
    for (let i = 0; i < values.length; i++) if (values[i]) hits.push(i);
    const out = new Int32Array(hits.length * rank);
    hits.forEach((flat, n) => {
      let rest = flat;
      for (let k = 0; k < rank - 1; k++) {
        out[n * rank + k] = Math.floor(rest / strides[k]);
        rest -= out[n * rank + k] * strides[k];
      }
      if (rank > 0) out[n * rank + rank - 1] = rest;
    });
    return backend.makeTensorInfo([hits.length, rank], 'int32', out);
  },
};
