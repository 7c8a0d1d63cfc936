// Shared index arithmetic of the layout kernels. Each kernel describes its copy as a strided plan
// (shape, source offset and strides, destination offset and strides, in elements); numeric tensors
// run it natively, string tensors (which live in JavaScript) run the same plan here.
import {DataType, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';

export interface CopyPlan {
  /** Iteration space. */
  shape: number[];
  /** Source element of index 0 and source strides (may be 0 or negative). */
  xOffset: number;
  xStrides: number[];
  /** Destination offset and strides; row-major over `shape` when omitted. */
  outOffset?: number;
  outStrides?: number[];
}

export const NUMERIC_DTYPES: readonly DataType[] = ['float32', 'int32', 'bool'];

/** Row-major strides of `shape` (in elements). */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 1; k > 0; k--) strides[k - 1] = strides[k] * shape[k];
  return strides;
}

/** Throws `<kernel>: dtype '<d>' is not supported; supported: ...` unless `dtype` is allowed. */
export function checkDtype(kernel: string, dtype: DataType, allowString: boolean): void {
  const allowed = allowString ? [...NUMERIC_DTYPES, 'string'] : NUMERIC_DTYPES;
  if (!allowed.includes(dtype)) {
    throw new Error(`${kernel}: dtype '${dtype}' is not supported; supported: ${allowed.join(', ')}`);
  }
}

/** `axis` in [-rank, rank) as a non-negative axis; throws naming the kernel otherwise. */
export function normalizeAxis(kernel: string, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${kernel}: ${what} ${axis} is out of range for a tensor of rank ${rank}; supported: [${-rank}, ${rank - 1}]`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** A new reference to `x`'s storage with another shape (and optionally dtype): no copy. */
export function shareStorage(backend: NativeCpuBackend, x: TensorInfo, shape: number[], dtype = x.dtype): TensorInfo {
  backend.incRef(x.dataId);
  return {dataId: x.dataId, shape, dtype};
}

/** The encoded strings of a string tensor. */
export function stringsOf(backend: NativeCpuBackend, x: TensorInfo): Uint8Array[] {
  return backend.readSync(x.dataId) as Uint8Array[];
}

/** Runs `plan` on arrays held in JavaScript. */
export function copyStrided<T>(src: ArrayLike<T>, dst: T[], plan: CopyPlan): void {
  const {shape, xStrides} = plan;
  const outStrides = plan.outStrides ?? rowMajorStrides(shape);
  const size = util.sizeFromShape(shape);
  if (size === 0) return;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let s = plan.xOffset;
  let d = plan.outOffset ?? 0;
  for (let i = 0; i < size; i++) {
    dst[d] = src[s];
    for (let k = rank - 1; k >= 0; k--) {
      s += xStrides[k];
      d += outStrides[k];
      if (++idx[k] < shape[k]) break;
      s -= xStrides[k] * shape[k];
      d -= outStrides[k] * shape[k];
      idx[k] = 0;
    }
  }
}

/**
 * A new tensor of `outShape` written by `plan` from `x`: natively (addon entry `entry`) for numeric
 * tensors, in JavaScript for strings.
 */
export function runCopy(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  x: TensorInfo,
  outShape: number[],
  plan: CopyPlan,
): TensorInfo {
  checkDtype(kernel, x.dtype, true);
  const size = util.sizeFromShape(outShape);
  if (x.dtype === 'string') {
    const out = new Array<Uint8Array>(size);
    copyStrided(stringsOf(backend, x), out, plan);
    return backend.makeTensorInfo(outShape, 'string', out);
  }
  const out = backend.makeOutput(outShape, x.dtype);
  if (size === 0 || util.sizeFromShape(plan.shape) === 0) return out;
  const options: Record<string, unknown> = {
    x: backend.bufferOf(x, kernel),
    out: backend.bufferOf(out, kernel),
    dtype: x.dtype,
    shape: plan.shape,
    xOffset: plan.xOffset,
    xStrides: plan.xStrides,
  };
  if (plan.outOffset !== undefined) options.outOffset = plan.outOffset;
  if (plan.outStrides !== undefined) options.outStrides = plan.outStrides;
  try {
    backend.run(entry, options);
  } catch (e) {
    backend.disposeIntermediateTensorInfo(out);
    throw e;
  }
  return out;
}

/** Copy plan of a slice [begin, begin + size) of a tensor of `shape` into a contiguous output. */
export function slicePlan(shape: readonly number[], begin: readonly number[], size: readonly number[]): CopyPlan {
  const strides = rowMajorStrides(shape);
  let offset = 0;
  for (let k = 0; k < shape.length; k++) offset += begin[k] * strides[k];
  return {shape: size.slice(), xOffset: offset, xStrides: strides};
}

/** Plan of a strided slice: output index i reads x[begin + i * strides] (per dimension). */
export function stridedPlan(
  shape: readonly number[],
  begin: readonly number[],
  strides: readonly number[],
  outShape: readonly number[],
): CopyPlan {
  const xs = rowMajorStrides(shape);
  let offset = 0;
  for (let k = 0; k < shape.length; k++) offset += begin[k] * xs[k];
  return {shape: outShape.slice(), xOffset: offset, xStrides: xs.map((s, k) => s * strides[k])};
}

/** Plan of a transpose: output dimension k is input dimension perm[k]. */
export function transposePlan(shape: readonly number[], perm: readonly number[]): CopyPlan {
  const xs = rowMajorStrides(shape);
  return {shape: perm.map((p) => shape[p]), xOffset: 0, xStrides: perm.map((p) => xs[p])};
}

/**
 * Plan of a tile / broadcast: output dimension k (extent shape[k] * reps[k]) is iterated as
 * [reps[k], shape[k]] with source strides [0, stride[k]] (or [reps, 1] with 0 when shape[k] is 1).
 */
export function tilePlan(shape: readonly number[], reps: readonly number[]): CopyPlan {
  const xs = rowMajorStrides(shape);
  const planShape: number[] = [];
  const xStrides: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    planShape.push(reps[k], shape[k]);
    xStrides.push(0, xs[k]);
  }
  return {shape: planShape, xOffset: 0, xStrides};
}

/** Plan of a reverse along `dims`. */
export function reversePlan(shape: readonly number[], dims: readonly number[]): CopyPlan {
  const xs = rowMajorStrides(shape);
  let offset = 0;
  const xStrides = xs.slice();
  for (const d of new Set(dims)) {
    offset += (shape[d] - 1) * xs[d];
    xStrides[d] = -xs[d];
  }
  return {shape: shape.slice(), xOffset: offset, xStrides};
}

/** Concatenates tensors viewed as [outer, inner_i] along dimension 1 (natively, or in JS for strings). */
export function concat2D(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  inputs: TensorInfo[],
  outer: number,
  inner: number[],
  outShape: number[],
): TensorInfo {
  const dtype = inputs[0].dtype;
  checkDtype(kernel, dtype, true);
  inputs.forEach((t, i) => {
    if (t.dtype !== dtype) {
      throw new Error(`${kernel}: input ${i} has dtype '${t.dtype}' but input 0 has '${dtype}'; all inputs must have one dtype`);
    }
  });
  const total = inner.reduce((a, b) => a + b, 0);
  if (dtype === 'string') {
    const out = new Array<Uint8Array>(outer * total);
    let column = 0;
    inputs.forEach((t, i) => {
      const vals = stringsOf(backend, t);
      for (let r = 0; r < outer; r++) {
        for (let c = 0; c < inner[i]; c++) out[r * total + column + c] = vals[r * inner[i] + c];
      }
      column += inner[i];
    });
    return backend.makeTensorInfo(outShape, 'string', out);
  }
  const out = backend.makeOutput(outShape, dtype);
  if (outer * total === 0) return out;
  const used = inputs.map((_, i) => i).filter((i) => inner[i] > 0);
  try {
    backend.run(entry, {
      inputs: used.map((i) => backend.bufferOf(inputs[i], kernel)),
      inner: used.map((i) => inner[i]),
      out: backend.bufferOf(out, kernel),
      dtype,
      outer,
    });
  } catch (e) {
    backend.disposeIntermediateTensorInfo(out);
    throw e;
  }
  return out;
}

/** The element stored for `value` in a typed array of `dtype` (what tfjs's TypedArray.fill stores). */
export function typedValue(value: number | boolean, dtype: DataType): number {
  const v = Number(value);
  if (dtype === 'int32') return new Int32Array([v])[0];
  if (dtype === 'bool') return new Uint8Array([v])[0];
  return v;
}

/** Runs addon entry `entry` that writes `out`; disposes `out` if the entry throws. */
export function runInto(backend: NativeCpuBackend, entry: string, options: object, out: TensorInfo): TensorInfo {
  try {
    backend.run(entry, options);
  } catch (e) {
    backend.disposeIntermediateTensorInfo(out);
    throw e;
  }
  return out;
}
