import {NamedTensorInfoMap, TensorInfo, UnsortedSegmentSum, UnsortedSegmentSumAttrs} from '@tensorflow/tfjs-core';

import {castConfig} from './Cast.js';
import {composite} from './composite_util.js';
import {equalConfig} from './Equal.js';
import {expandDimsConfig} from './ExpandDims.js';
import {multiplyConfig} from './Multiply.js';
import {packConfig} from './Pack.js';
import {sumConfig} from './Sum.js';
import type {NativeKernelConfig} from './types.js';

/**
 * UnsortedSegmentSum as tfjs-backend-cpu computes it: for each segment s, sum over axis 0 of
 * x * (segmentIds == s), stacked (float32, as there). Used by the gradient of gather.
 */
export const unsortedSegmentSumConfig: NativeKernelConfig = {
  kernelName: UnsortedSegmentSum,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const segmentIds = inputs.segmentIds as TensorInfo;
    const {numSegments} = attrs as unknown as UnsortedSegmentSumAttrs;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`UnsortedSegmentSum: x has dtype '${x.dtype}'; supported: float32, int32`);
    }
    if (segmentIds.dtype !== 'int32') {
      throw new Error(`UnsortedSegmentSum: segmentIds has dtype '${segmentIds.dtype}'; supported: int32`);
    }
    if (!Number.isInteger(numSegments) || numSegments < 1) {
      throw new Error(`UnsortedSegmentSum: numSegments is ${numSegments}; supported: an integer >= 1`);
    }
    return composite(backend, (steps) => {
      // segmentIds reshaped to [segmentIds.shape, 1, ..., 1] so that it broadcasts against x.
      let ids = segmentIds;
      for (let i = 0; i < x.shape.length - segmentIds.shape.length; ++i) {
        ids = steps.run(expandDimsConfig, {input: ids}, {dim: i + 1});
      }
      // tfjs-backend-cpu multiplies by a float32 mask, so the result is float32 for int32 x too.
      const xf = x.dtype === 'float32' ? x : steps.run(castConfig, {x}, {dtype: 'float32'});
      const sums: TensorInfo[] = [];
      for (let s = 0; s < numSegments; ++s) {
        const id = steps.track(backend.makeTensorInfo([], 'int32', new Int32Array([s])));
        const mask = steps.run(equalConfig, {a: id, b: ids});
        const weights = steps.run(castConfig, {x: mask}, {dtype: 'float32'});
        const masked = steps.run(multiplyConfig, {a: weights, b: xf});
        sums.push(steps.run(sumConfig, {x: masked}, {axis: 0, keepDims: false}));
      }
      return steps.run(packConfig, sums as unknown as NamedTensorInfoMap, {axis: 0});
    });
  },
};
