import {AddN, TensorInfo, util} from '@tensorflow/tfjs-core';

import {checkDtypes, withOutput} from './binary_util.js';
import type {NativeKernelConfig} from './types.js';

/** The sum of any number of same-shape, same-dtype tensors. */
export const addNConfig: NativeKernelConfig = {
  kernelName: AddN,
  kernelFunc: ({inputs, backend}) => {
    const tensors = Object.values(inputs) as TensorInfo[];
    if (tensors.length === 0) throw new Error('AddN: needs at least one input');
    checkDtypes(AddN, tensors);
    const first = tensors[0];
    for (const t of tensors) {
      if (!util.arraysEqual(t.shape, first.shape) || t.dtype !== first.dtype) {
        throw new Error(
          `AddN: inputs must have the same shape and dtype; got [${first.shape}] ${first.dtype} and ` +
            `[${t.shape}] ${t.dtype}`,
        );
      }
    }
    const size = util.sizeFromShape(first.shape);
    const out = backend.makeOutput(first.shape.slice(), first.dtype);
    if (size === 0) return out;
    return withOutput(backend, out, () =>
      backend.run('addN', {
        inputs: tensors.map((t) => backend.bufferOf(t, AddN)),
        out: backend.bufferOf(out, AddN),
        size,
        dtype: first.dtype,
      }),
    );
  },
};
