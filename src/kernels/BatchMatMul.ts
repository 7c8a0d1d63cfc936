import {BatchMatMul, broadcast_util, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import {requireFloat32} from './Conv2D.js';
import {broadcastCopy, broadcastsByModulo} from './modulo_broadcast.js';
import type {NativeKernelConfig} from './types.js';

export interface MatMulInfo {
  outShape: number[];
  batchA: number;
  batchB: number;
  batch: number;
  m: number;
  n: number;
  k: number;
  /**
   * Whether a's (b's) batch dimensions must be broadcast to the output's first: the native entry takes
   * output batch i from a[i % batchA] (b[i % batchB]), which is the broadcast only where the operand's
   * batch shape is a trailing part of the output's (1s before it): [3] or [1, 3] against [2, 3], not [2, 1].
   */
  expandA: boolean;
  expandB: boolean;
}

/** Shapes of a (batched) matmul, batch dimensions broadcast as in NumPy (and TensorFlow). */
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
  const batch = util.sizeFromShape(outer);
  const expandA = !broadcastsByModulo(outerA, outer);
  const expandB = !broadcastsByModulo(outerB, outer);
  const batchA = expandA ? batch : util.sizeFromShape(outerA);
  const batchB = expandB ? batch : util.sizeFromShape(outerB);
  return {outShape: outer.concat([m, n]), batchA, batchB, batch, m, n, k, expandA, expandB};
}

/** `x` broadcast to the batch shape of `outShape` (its own last two dimensions kept). */
function expandBatch(backend: NativeCpuBackend, x: TensorInfo, outShape: number[]): TensorInfo {
  return broadcastCopy(backend, x, [...outShape.slice(0, -2), ...x.shape.slice(-2)]);
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
  const aIn = info.expandA ? expandBatch(backend, a, info.outShape) : a;
  const bIn = info.expandB ? expandBatch(backend, b, info.outShape) : b;
  try {
    runEntry(backend, kernel, entry, aIn, bIn, out, info, transposeA, transposeB, extra);
  } finally {
    if (aIn !== a) backend.disposeIntermediateTensorInfo(aIn);
    if (bIn !== b) backend.disposeIntermediateTensorInfo(bIn);
  }
  return out;
}

function runEntry(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  a: TensorInfo,
  b: TensorInfo,
  out: TensorInfo,
  info: MatMulInfo,
  transposeA: boolean,
  transposeB: boolean,
  extra: Record<string, unknown>,
): void {
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
}

/** Batched matrix multiplication, batch dimensions broadcast as in NumPy, float32. */
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
