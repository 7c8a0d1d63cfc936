import {Select, TensorInfo, upcastType, util} from '@tensorflow/tfjs-core';

import {checkDtypes, withOutput} from './binary_util.js';
import type {NativeKernelConfig} from './types.js';

/**
 * condition == 1 ? t : e. The condition has t's shape (element-wise) or is rank 1 with one value
 * per row of t. Output dtype upcastType(t, e), as tfjs-backend-cpu.
 */
export const selectConfig: NativeKernelConfig = {
  kernelName: Select,
  kernelFunc: ({inputs, backend}) => {
    const {condition, t, e} = inputs as {condition: TensorInfo; t: TensorInfo; e: TensorInfo};
    checkDtypes(Select, [condition, t, e]);
    if (!util.arraysEqual(t.shape, e.shape)) {
      throw new Error(`Select: t and e must have the same shape; got [${t.shape}] and [${e.shape}]`);
    }
    const size = util.sizeFromShape(t.shape);
    const condSize = util.sizeFromShape(condition.shape);
    const rows = condition.shape.length === 1 && t.shape.length > 1;
    if (!(rows ? condSize === t.shape[0] : util.arraysEqual(condition.shape, t.shape))) {
      throw new Error(
        `Select: condition of shape [${condition.shape}] does not match t of shape [${t.shape}]; ` +
          `supported: the same shape, or rank 1 with t.shape[0] elements`,
      );
    }
    const dtype = upcastType(t.dtype, e.dtype);
    const out = backend.makeOutput(t.shape.slice(), dtype);
    if (size === 0) return out;
    return withOutput(backend, out, () =>
      backend.run('select', {
        condition: backend.bufferOf(condition, Select),
        conditionDtype: condition.dtype,
        conditionSize: condSize,
        t: backend.bufferOf(t, Select),
        e: backend.bufferOf(e, Select),
        tDtype: t.dtype,
        eDtype: e.dtype,
        out: backend.bufferOf(out, Select),
        outDtype: dtype,
        size,
      }),
    );
  },
};
