import {Identity, TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/** Identity shares the input's storage (as tfjs's own backends do): one more reference, no copy. */
export const identityConfig: NativeKernelConfig = {
  kernelName: Identity,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    backend.incRef(x.dataId);
    return {dataId: x.dataId, shape: x.shape, dtype: x.dtype};
  },
};
