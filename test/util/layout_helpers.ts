// Helpers of the layout tests: exact comparison against tfjs-backend-cpu (layout kernels only move,
// convert or generate elements), string tensors, and error checks that also check for leaks.
import {expect} from 'vitest';

import {evalOn, forEachIsa, randomFloats, randomInts, seededRandom, tf} from './reference.js';

export type Fn = () => tf.Tensor | tf.Tensor[];

tf.env().set('IS_TEST', true);  // the engine then checks every kernel for leaked data ids

/** evalOn on native-cpu, also checking that the backend holds no extra data ids afterwards. */
export async function evalNative(fn: Fn) {
  await tf.setBackend('native-cpu');
  const ids = tf.backend().numDataIds();
  const out = await evalOn('native-cpu', fn);
  expect(tf.backend().numDataIds(), 'data ids leaked on native-cpu').toBe(ids);
  return out;
}

/** Runs `fn` (or `nativeFn`) on native-cpu at every ISA level and `fn` on tfjs-backend-cpu; outputs must be identical. */
export async function compareExact(fn: Fn, label = '', nativeFn: Fn = fn): Promise<void> {
  const expected = await evalOn('cpu', fn);
  await forEachIsa(async (isa) => {
    const actual = await evalNative(nativeFn);
    expect(actual.length, `${label} [${isa}] outputs`).toBe(expected.length);
    actual.forEach((a, i) => {
      const e = expected[i];
      expect(a.shape, `${label} [${isa}] output ${i} shape`).toEqual(e.shape);
      expect(a.dtype, `${label} [${isa}] output ${i} dtype`).toBe(e.dtype);
      expect(Array.from(a.values as ArrayLike<unknown>), `${label} [${isa}] output ${i} values`).toEqual(
        Array.from(e.values as ArrayLike<unknown>),
      );
    });
  });
}

/** Expects `fn` on native-cpu to throw an Error whose message matches `pattern`, leaking nothing. */
export async function expectError(fn: () => unknown, pattern: RegExp): Promise<void> {
  await tf.setBackend('native-cpu');
  const before = tf.memory().numTensors;
  const ids = tf.backend().numDataIds();
  expect(() => tf.tidy(() => fn() as tf.Tensor)).toThrow(pattern);
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.backend().numDataIds()).toBe(ids);
}

export const DTYPES = ['float32', 'int32', 'bool', 'string'] as const;
export type Dtype = (typeof DTYPES)[number];

/** A deterministic tensor of `shape` and `dtype` (distinct values, so misplaced elements show). */
export function make(shape: number[], dtype: Dtype, seed = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  switch (dtype) {
    case 'float32':
      return tf.tensor(randomFloats(size, seed, -100, 100), shape, 'float32');
    case 'int32':
      return tf.tensor(randomInts(size, seed, -1000000, 1000000), shape, 'int32');
    case 'bool':
      return tf.tensor(Uint8Array.from(randomInts(size, seed, 0, 1)), shape, 'bool');
    case 'string': {
      const rand = seededRandom(seed);
      const vals = Array.from({length: size}, (_, i) => `s${i}_${Math.floor(rand() * 1000)}`);
      return tf.tensor(vals, shape, 'string');
    }
  }
}

/**
 * String tensors (which tfjs's own ops often refuse): `op` on native-cpu applied to strings 'v<i>'
 * must equal `op` on tfjs-backend-cpu applied to the float32 values i, mapped to 'v<value>'.
 */
export async function compareStrings(
  op: (x: tf.Tensor) => tf.Tensor | tf.Tensor[],
  shape: number[],
  label = '',
  nativeOp = op,
): Promise<void> {
  const size = shape.reduce((a, b) => a * b, 1);
  const expected = await evalOn('cpu', () => op(tf.tensor(Float32Array.from({length: size}, (_, i) => i), shape)));
  const actual = await evalNative(() => nativeOp(tf.tensor(Array.from({length: size}, (_, i) => `v${i}`), shape, 'string')));
  expect(actual.length, `${label} outputs`).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(a.dtype, `${label} output ${i} dtype`).toBe('string');
    expect(a.shape, `${label} output ${i} shape`).toEqual(expected[i].shape);
    expect(Array.from(a.values as ArrayLike<unknown>), `${label} output ${i}`).toEqual(
      Array.from(expected[i].values as ArrayLike<number>, (v) => `v${v}`),
    );
  });
}

export const run = (name: string, inputs: tf.NamedTensorMap | tf.Tensor[], attrs: object = {}) =>
  tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;
