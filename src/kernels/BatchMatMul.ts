import {BatchMatMul, broadcast_util, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import {requireFloat32} from './Conv2D.js';
import type {NativeKernelConfig} from './types.js';

export interface MatMulInfo {
  outShape: number[];
  batchA: number;
  batchB: number;
  batch: number;
  m: number;
  n: number;
  k: number;
}

/** Shapes of a (batched) matmul as tfjs-backend-cpu computes them. */
export function matMulInfo(kernel: string, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulInfo {
  requireFloat32(kernel, 'a', a);
  requireFloat32(kernel, 'b', b);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) {
    throw new Error(`${kernel}: a and b must have rank >= 2, got [${a.shape}] and [${b.shape}]`);
  }
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kB) {
    throw new Error(
      `${kernel}: inner shapes (${k}) and (${kB}) of a [${a.shape}] and b [${b.shape}] ` +
        `(transposeA=${transposeA}, transposeB=${transposeB}) must match`,
    );
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    throw new Error(`${kernel}: batch dimensions [${outerA}] and [${outerB}] do not broadcast`);
  }
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  const batch = Math.max(batchA, batchB);
  if (batchA > 0 && batchB > 0 && util.sizeFromShape(outer) !== batch) {
    throw new Error(
      `${kernel}: batch dimensions [${outerA}] and [${outerB}] broadcast in both directions to [${outer}]; ` +
        'supported (as tfjs-backend-cpu): batch shapes where one side is broadcast to the other',
    );
  }
  return {outShape: outer.concat([m, n]), batchA, batchB, batch, m, n, k};
}

/** Runs the native matmul entry; `extra` carries the fused epilogue options. */
export function runMatMul(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  a: TensorInfo,
  b: TensorInfo,
  info: MatMulInfo,
  transposeA: boolean,
  transposeB: boolean,
  extra: Record<string, unknown> = {},
): TensorInfo {
  const out = backend.makeOutput(info.outShape, 'float32');
  if (util.sizeFromShape(info.outShape) === 0) return out;
  backend.run(entry, {
    a: backend.bufferOf(a, kernel),
    b: backend.bufferOf(b, kernel),
    out: backend.bufferOf(out, kernel),
    batchA: info.batchA,
    batchB: info.batchB,
    batch: info.batch,
    m: info.m,
    n: info.n,
    k: info.k,
    transposeA,
    transposeB,
    outShape: info.outShape,
    ...extra,
  });
  return out;
}

/** Batched matrix multiplication with tfjs's batch broadcasting, float32. */
export const batchMatMulConfig: NativeKernelConfig = {
  kernelName: BatchMatMul,
  kernelFunc: ({inputs, backend, attrs}) => {
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    const info = matMulInfo(BatchMatMul, a, b, transposeA, transposeB);
    return runMatMul(backend, BatchMatMul, 'batchMatMul', a, b, info, transposeA, transposeB);
  },
};
