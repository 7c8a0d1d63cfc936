import {FusedBatchNorm, FusedBatchNormAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/**
 * tfjs's batchNorm kernel: out = offset + (x - mean) * scale / sqrt(variance + varianceEpsilon),
 * with mean/variance/offset/scale indexed cyclically against x's flat index (tfjs-backend-cpu's
 * broadcasting), computed in double and rounded to float32 like tfjs.
 */
export const fusedBatchNormConfig: NativeKernelConfig = {
  kernelName: FusedBatchNorm,
  kernelFunc: ({inputs, backend, attrs}) => {
    const kernel = FusedBatchNorm;
    const {x, mean, variance, offset, scale} = inputs as Record<string, TensorInfo | undefined>;
    const operands: Array<[string, TensorInfo | undefined, boolean]> = [
      ['x', x, true],
      ['mean', mean, true],
      ['variance', variance, true],
      ['offset', offset, false],
      ['scale', scale, false],
    ];
    for (const [name, t, required] of operands) {
      if (t == null) {
        if (required) throw new Error(`${kernel}: missing input '${name}'`);
        continue;
      }
      if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' has dtype ${t.dtype}; supported: float32`);
      if (name !== 'x' && util.sizeFromShape(t.shape) === 0) {
        throw new Error(`${kernel}: input '${name}' is empty; supported: at least one value`);
      }
    }
    for (const [name, t] of [['variance', variance], ['offset', offset], ['scale', scale]] as const) {
      if (t != null && t.shape.length !== mean!.shape.length) {
        throw new Error(`${kernel}: '${name}' has rank ${t.shape.length} but 'mean' has rank ${mean!.shape.length}; they must be equal`);
      }
    }
    const varianceEpsilon = (attrs as unknown as FusedBatchNormAttrs | undefined)?.varianceEpsilon ?? 0.001;
    const out = backend.makeOutput(x!.shape, 'float32');
    const size = util.sizeFromShape(x!.shape);
    if (size === 0) return out;
    const options: Record<string, number> = {
      x: backend.bufferOf(x!, kernel),
      out: backend.bufferOf(out, kernel),
      size,
      mean: backend.bufferOf(mean!, kernel),
      meanSize: util.sizeFromShape(mean!.shape),
      variance: backend.bufferOf(variance!, kernel),
      varianceSize: util.sizeFromShape(variance!.shape),
      varianceEpsilon,
    };
    if (offset != null) {
      options.offset = backend.bufferOf(offset, kernel);
      options.offsetSize = util.sizeFromShape(offset.shape);
    }
    if (scale != null) {
      options.scale = backend.bufferOf(scale, kernel);
      options.scaleSize = util.sizeFromShape(scale.shape);
    }
    backend.run('batchNorm', options);
    return out;
  },
};
