import {FusedBatchNorm, FusedBatchNormAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {broadcastCopy, broadcastsByModulo, fitsBroadcast} from './modulo_broadcast.js';
import type {NativeKernelConfig} from './types.js';

/**
 * tfjs's batchNorm kernel: out = offset + (x - mean) * scale / sqrt(variance + varianceEpsilon),
 * computed in double and rounded to float32 like tfjs. mean, variance, offset and scale broadcast to x
 * as in NumPy; the native entry reads them at x's flat index modulo their size (tfjs-backend-cpu's
 * rule, the broadcast for [depth] and for x's own shape), so a shape like [2, 1, 1, 3] against
 * [2, 4, 4, 3] is broadcast to x's shape first, where tfjs-backend-cpu reads the wrong values.
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
    for (const [name, t] of [['mean', mean], ['variance', variance], ['offset', offset], ['scale', scale]] as const) {
      if (t != null && !fitsBroadcast(t.shape, x!.shape)) {
        throw new Error(
          `${kernel}: '${name}' of shape [${t.shape}] does not broadcast to x's shape [${x!.shape}]; supported: ` +
            "shapes that broadcast to x's without enlarging it ([depth], x's own shape, ...)",
        );
      }
    }
    const varianceEpsilon = (attrs as unknown as FusedBatchNormAttrs | undefined)?.varianceEpsilon ?? 0.001;
    const out = backend.makeOutput(x!.shape, 'float32');
    const size = util.sizeFromShape(x!.shape);
    if (size === 0) return out;
    const expanded: TensorInfo[] = [];
    const operand = (t: TensorInfo): TensorInfo => {
      if (broadcastsByModulo(t.shape, x!.shape)) return t;
      const full = broadcastCopy(backend, t, x!.shape.slice());
      expanded.push(full);
      return full;
    };
    try {
      const m = operand(mean!);
      const v = operand(variance!);
      const options: Record<string, number> = {
        x: backend.bufferOf(x!, kernel),
        out: backend.bufferOf(out, kernel),
        size,
        mean: backend.bufferOf(m, kernel),
        meanSize: util.sizeFromShape(m.shape),
        variance: backend.bufferOf(v, kernel),
        varianceSize: util.sizeFromShape(v.shape),
        varianceEpsilon,
      };
      if (offset != null) {
        const o = operand(offset);
        options.offset = backend.bufferOf(o, kernel);
        options.offsetSize = util.sizeFromShape(o.shape);
      }
      if (scale != null) {
        const sc = operand(scale);
        options.scale = backend.bufferOf(sc, kernel);
        options.scaleSize = util.sizeFromShape(sc.shape);
      }
      backend.run('batchNorm', options);
    } finally {
      for (const t of expanded) backend.disposeIntermediateTensorInfo(t);
    }
    return out;
  },
};
