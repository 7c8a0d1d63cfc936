import {Prelu, TensorInfo} from '@tensorflow/tfjs-core';

import {runBinary} from './binary_util.js';
import type {NativeKernelConfig} from './types.js';

/** x < 0 ? alpha * x : x, alpha broadcast against x; float32 output as tfjs-backend-cpu. */
export const preluConfig: NativeKernelConfig = {
  kernelName: Prelu,
  kernelFunc: ({inputs, backend}) => {
    const {x, alpha} = inputs as {x: TensorInfo; alpha: TensorInfo};
    return runBinary(Prelu, backend, x, alpha, 'float32');
  },
};
