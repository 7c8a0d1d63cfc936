import {backend_util, GatherV2, GatherV2Attrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {checkDtype, normalizeAxis, stringsOf} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/**
 * GatherV2: x viewed as [batch, outer, dim, slice], indices as [batch, count]; out is
 * [batch, outer, count, slice]. An index outside [0, dim) is an error, as in tfjs.
 */
export const gatherV2Config: NativeKernelConfig = {
  kernelName: GatherV2,
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, indices} = inputs as {x: TensorInfo; indices: TensorInfo};
    const {axis, batchDims} = attrs as unknown as GatherV2Attrs;
    checkDtype(GatherV2, x.dtype, true);
    if (indices.dtype !== 'int32') {
      throw new Error(`GatherV2: indices have dtype '${indices.dtype}'; supported: int32`);
    }
    const $axis = normalizeAxis(GatherV2, axis, x.shape.length);
    let info: ReturnType<typeof backend_util.segment_util.collectGatherOpShapeInfo>;
    try {
      info = backend_util.segment_util.collectGatherOpShapeInfo(x, indices, $axis, batchDims ?? 0);
    } catch (e) {
      throw new Error(`GatherV2: ${(e as Error).message}`);
    }
    const {batchSize, outerSize, dimSize, sliceSize, outputShape} = info;
    const indicesSize = util.sizeFromShape(indices.shape);
    const count = batchSize === 0 ? 0 : indicesSize / batchSize;
    if (x.dtype === 'string') {
      const idx = backend.readSync(indices.dataId) as Int32Array;
      for (const v of idx) {
        if (v < 0 || v >= dimSize) throw new Error(`GatherV2: the index value ${v} is not in [0, ${dimSize - 1}]`);
      }
      const src = stringsOf(backend, x);
      const out = new Array<Uint8Array>(util.sizeFromShape(outputShape));
      let o = 0;
      for (let b = 0; b < batchSize; b++) {
        for (let r = 0; r < outerSize; r++) {
          for (let j = 0; j < count; j++) {
            const base = ((b * outerSize + r) * dimSize + idx[b * count + j]) * sliceSize;
            for (let s = 0; s < sliceSize; s++) out[o++] = src[base + s];
          }
        }
      }
      return backend.makeTensorInfo(outputShape, 'string', out);
    }
    const out = backend.makeOutput(outputShape, x.dtype);
    if (indicesSize === 0) return out;
    try {
      backend.run('gatherV2', {
        x: backend.bufferOf(x, GatherV2),
        indices: backend.bufferOf(indices, GatherV2),
        out: backend.bufferOf(out, GatherV2),
        dtype: x.dtype,
        batch: batchSize,
        outer: outerSize,
        dim: dimSize,
        slice: sliceSize,
        count,
      });
    } catch (e) {
      backend.disposeIntermediateTensorInfo(out);
      throw e;
    }
    return out;
  },
};
