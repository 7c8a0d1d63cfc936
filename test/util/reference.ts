// Shared test helpers: run the same tfjs code on tfjs-backend-cpu (the reference) and on
// native-cpu at every ISA level this CPU has, and compare.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {expect} from 'vitest';

import {nativeInfo, setIsaLevel} from '../../src/index.js';
import {mulberry32} from '../../src/models/graph.js';
import type {IsaLevel} from '../../src/native.js';

export {tf};

/** ISA levels this machine can run, best first (forced with setIsaLevel). */
export function isaLevels(): IsaLevel[] {
  const all: IsaLevel[] = ['avx512', 'avx2', 'portable'];
  const best = all.indexOf(nativeInfo().detectedIsa);
  return all.slice(best);
}

/** Runs `body` once per ISA level, restoring the detected level afterwards. */
export async function forEachIsa(body: (isa: IsaLevel) => void | Promise<void>): Promise<void> {
  try {
    for (const isa of isaLevels()) {
      setIsaLevel(isa);
      await body(isa);
    }
  } finally {
    setIsaLevel('avx512');
  }
}

export interface Evaluated {
  shape: number[];
  dtype: tf.DataType;
  values: tf.TypedArray | string[];
}

/**
 * Evaluates `fn` on `backendName` and returns its outputs' values. Asserts that no tensor leaked
 * (the engine's count before and after match).
 */
export async function evalOn(
  backendName: string,
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Evaluated[]> {
  await tf.setBackend(backendName);
  const before = tf.memory().numTensors;
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const result = list.map((t) => ({shape: t.shape.slice(), dtype: t.dtype, values: t.dataSync() as tf.TypedArray}));
  tf.dispose(list);
  expect(tf.memory().numTensors, `tensors leaked on ${backendName}`).toBe(before);
  return result;
}

/** Max relative error of `actual` against `expected` with an absolute floor. */
export function expectClose(actual: Evaluated[], expected: Evaluated[], rtol = 1e-5, atol = 1e-5, label = ''): void {
  expect(actual.length, `${label} output count`).toBe(expected.length);
  for (let o = 0; o < expected.length; o++) {
    const a = actual[o];
    const e = expected[o];
    expect(a.shape, `${label} output ${o} shape`).toEqual(e.shape);
    expect(a.dtype, `${label} output ${o} dtype`).toBe(e.dtype);
    expect(a.values.length, `${label} output ${o} length`).toBe(e.values.length);
    let worst = 0;
    let worstAt = -1;
    for (let i = 0; i < e.values.length; i++) {
      const x = Number(a.values[i]);
      const y = Number(e.values[i]);
      if (Number.isNaN(y)) {
        if (!Number.isNaN(x)) {
          throw new Error(`${label} output ${o}[${i}]: expected NaN, got ${x}`);
        }
        continue;
      }
      if (x === y) continue;  // covers equal infinities
      const err = Math.abs(x - y) / (atol + rtol * Math.abs(y));
      if (!(err <= worst)) {
        worst = Number.isNaN(err) ? Infinity : err;
        worstAt = i;
      }
    }
    if (worst > 1) {
      throw new Error(
        `${label} output ${o}: element ${worstAt} is ${a.values[worstAt]}, expected ${e.values[worstAt]} ` +
          `(rtol ${rtol}, atol ${atol})`,
      );
    }
  }
}

/**
 * The flat index into `shape` of element `i` (row-major) of `outShape`, with `shape` broadcast to
 * `outShape` as in NumPy: missing leading dimensions and size-1 dimensions read index 0. For references
 * of broadcasting kernels written in the tests.
 */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[], i: number): number {
  const lead = outShape.length - shape.length;
  let rest = i;
  let index = 0;
  let stride = 1;
  for (let d = outShape.length - 1; d >= lead; d--) {
    const coord = rest % outShape[d];
    rest = Math.floor(rest / outShape[d]);
    const size = shape[d - lead];
    index += (size === 1 ? 0 : coord) * stride;
    stride *= size;
  }
  return index;
}

/** Deterministic pseudo-random numbers (mulberry32, the generator of the models' random weights). */
export const seededRandom = mulberry32;

/** `size` uniform floats in [lo, hi) from `seed`. */
export function randomFloats(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** `size` uniform integers in [lo, hi] from `seed`. */
export function randomInts(size: number, seed: number, lo = -10, hi = 10): Int32Array {
  const rand = seededRandom(seed);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + Math.floor((hi - lo + 1) * rand());
  return out;
}

/**
 * Compares `fn` on native-cpu (every ISA level) against tfjs-backend-cpu. `fn` must build its
 * inputs itself (from fixed arrays) so each backend gets its own tensors.
 */
// Absolute tolerance for outputs that are float32 sums of `terms` products of operands in [-1, 1] (the
// random inputs here): two correct summation orders each round up to ~terms half-ulps of partial sums of
// size ~sqrt(terms), so they may differ by ~terms * 2^-24 (1e-5 at the floor, 3.4e-5 for a 3x3x64 conv).
export function sumAtol(terms: number): number {
  return Math.max(1e-5, terms * 2 ** -24);
}

export async function compareWithCpu(
  fn: () => tf.Tensor | tf.Tensor[],
  {rtol = 1e-5, atol = 1e-5, label = ''}: {rtol?: number; atol?: number; label?: string} = {},
): Promise<void> {
  const expected = await evalOn('cpu', fn);
  await forEachIsa(async (isa) => {
    const actual = await evalOn('native-cpu', fn);
    expectClose(actual, expected, rtol, atol, `${label} [${isa}]`);
  });
}
