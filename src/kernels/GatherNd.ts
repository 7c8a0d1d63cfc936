import {backend_util, GatherNd, TensorInfo, util} from '@tensorflow/tfjs-core';

import {checkDtype, stringsOf} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** GatherNd: each row of indices ([..., indexRank]) selects a slice of params. */
export const gatherNdConfig: NativeKernelConfig = {
  kernelName: GatherNd,
  kernelFunc: ({inputs, backend}) => {
    const {params, indices} = inputs as {params: TensorInfo; indices: TensorInfo};
    checkDtype(GatherNd, params.dtype, true);
    let prepared: ReturnType<typeof backend_util.prepareAndValidate>;
    try {
      prepared = backend_util.prepareAndValidate(params, indices);
    } catch (e) {
      throw new Error(`GatherNd: ${(e as Error).message}`);
    }
    const [resultShape, numSlices, sliceSize, strides] = prepared;
    const indexRank = indices.shape[indices.shape.length - 1];
    const paramsSize = util.sizeFromShape(params.shape);
    const rows = paramsSize / sliceSize;
    if (params.dtype === 'string') {
      const idx = backend.readSync(indices.dataId) as Int32Array;
      const src = stringsOf(backend, params);
      const out = new Array<Uint8Array>(numSlices * sliceSize);
      for (let i = 0; i < numSlices; i++) {
        let flat = 0;
        for (let j = 0; j < indexRank; j++) flat += idx[i * indexRank + j] * strides[j];
        if (flat < 0 || flat >= rows) {
          const index = Array.from(idx.subarray(i * indexRank, (i + 1) * indexRank));
          throw new Error(`GatherNd: invalid indices: ${index} does not index into ${params.shape}`);
        }
        for (let k = 0; k < sliceSize; k++) out[i * sliceSize + k] = src[flat * sliceSize + k];
      }
      return backend.makeTensorInfo(resultShape, 'string', out);
    }
    const out = backend.makeOutput(resultShape, params.dtype);
    if (numSlices === 0 || sliceSize === 0) return out;
    try {
      backend.run('gatherNd', {
        params: backend.bufferOf(params, GatherNd),
        indices: backend.bufferOf(indices, GatherNd),
        out: backend.bufferOf(out, GatherNd),
        dtype: params.dtype,
        slices: numSlices,
        indexRank,
        sliceSize,
        strides,
        rows,
        paramsShape: params.shape,
      });
    } catch (e) {
      backend.disposeIntermediateTensorInfo(out);
      throw e;
    }
    return out;
  },
};
