import {LinSpace, LinSpaceAttrs} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/** LinSpace: computed in JavaScript exactly as tfjs-backend-cpu's linSpaceImpl (float32 accumulation), then stored natively. */
export const linSpaceConfig: NativeKernelConfig = {
  kernelName: LinSpace,
  kernelFunc: ({backend, attrs}) => {
    const {start, stop, num} = attrs as unknown as LinSpaceAttrs;
    if (!Number.isInteger(num) || num < 0 || num > 2 ** 31) {
      throw new Error(`LinSpace: num is ${num}; supported: an integer from 0 to 2^31`);
    }
    const step = (stop - start) / (num - 1);
    const values = new Float32Array(num);
    if (num > 0) values[0] = start;
    for (let i = 1; i < num; i++) values[i] = values[i - 1] + step;
    return backend.makeTensorInfo([num], 'float32', values);
  },
};
