import {Range, RangeAttrs, util} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/** Range: computed in JavaScript exactly as tfjs-backend-cpu's rangeImpl, then stored natively. */
export const rangeConfig: NativeKernelConfig = {
  kernelName: Range,
  kernelFunc: ({backend, attrs}) => {
    const {start, stop, dtype} = attrs as unknown as RangeAttrs;
    let {step} = attrs as unknown as RangeAttrs;
    if (dtype !== 'float32' && dtype !== 'int32') {
      throw new Error(`Range: dtype '${dtype}' is not supported; supported: float32, int32`);
    }
    const empty = start === stop || (start < stop && step < 0) || (stop < start && step > 1);
    if (empty) return backend.makeTensorInfo([0], dtype, util.makeZerosTypedArray(0, dtype));
    const count = Math.abs(Math.ceil((stop - start) / step));
    if (!Number.isFinite(count) || count > 2 ** 31) {
      throw new Error(`Range: start ${start}, stop ${stop}, step ${step} do not give a finite range`);
    }
    const values = util.makeZerosTypedArray(count, dtype);
    if (stop < start && step === 1) step = -1;
    if (count > 0) values[0] = start;
    for (let i = 1; i < count; i++) values[i] = values[i - 1] + step;
    return backend.makeTensorInfo([count], dtype, values);
  },
};
