// Cumsum and Cumprod: computed in JavaScript from the tensor's values exactly as tfjs-backend-cpu
// does (one running value per step, rounded to the result's dtype), then stored natively.
import {DataType, TensorInfo, upcastType, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';

export function cumulative(
  kernel: string,
  backend: NativeCpuBackend,
  x: TensorInfo,
  axis: number,
  exclusive: boolean,
  reverse: boolean,
  combine: (a: number, b: number) => number,
  identity: number,
): TensorInfo {
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
    throw new Error(`${kernel}: dtype '${x.dtype}' is not supported; supported: float32, int32, bool`);
  }
  const rank = x.shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${kernel}: axis ${axis} is out of range for rank ${rank}`);
  }
  const a = axis < 0 ? axis + rank : axis;
  const dtype = upcastType(x.dtype, 'int32') as DataType;
  const size = util.sizeFromShape(x.shape);
  const out = (dtype === 'float32' ? new Float32Array(size) : new Int32Array(size)).fill(identity);
  if (size === 0) return backend.makeTensorInfo(x.shape.slice(), dtype, out);
  const xs = backend.readSync(x.dataId) as Float32Array | Int32Array | Uint8Array;
  const m = x.shape[a];
  const inner = util.sizeFromShape(x.shape.slice(a + 1));
  const outer = size / (m * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * m + (reverse ? m - 1 - j : j)) * inner + i;
      for (let j = 0; j < m; j++) {
        const idx = at(j);
        if (j === 0) {
          out[idx] = exclusive ? identity : xs[idx];
        } else {
          const prev = at(j - 1);
          out[idx] = exclusive ? combine(xs[prev], out[prev]) : combine(xs[idx], out[prev]);
        }
      }
    }
  }
  return backend.makeTensorInfo(x.shape.slice(), dtype, out);
}
