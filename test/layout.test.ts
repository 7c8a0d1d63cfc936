// Layout kernels against tfjs-backend-cpu: exact equality (these kernels only move, convert or
// generate elements), every dtype including strings where tfjs supports them, ranks 0..6, empty
// tensors, copies large enough to be split over threads, and bad input.
import {describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {evalOn, forEachIsa, randomFloats, randomInts, seededRandom, tf} from './util/reference.js';

type Fn = () => tf.Tensor | tf.Tensor[];

tf.env().set('IS_TEST', true);  // the engine then checks every kernel for leaked data ids

/** evalOn on native-cpu, also checking that the backend holds no extra data ids afterwards. */
async function evalNative(fn: Fn) {
  await tf.setBackend('native-cpu');
  const ids = tf.backend().numDataIds();
  const out = await evalOn('native-cpu', fn);
  expect(tf.backend().numDataIds(), 'data ids leaked on native-cpu').toBe(ids);
  return out;
}

/** Runs `fn` (or `nativeFn`) on native-cpu at every ISA level and `fn` on tfjs-backend-cpu; outputs must be identical. */
async function compareExact(fn: Fn, label = '', nativeFn: Fn = fn): Promise<void> {
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
async function expectError(fn: () => unknown, pattern: RegExp): Promise<void> {
  await tf.setBackend('native-cpu');
  const before = tf.memory().numTensors;
  const ids = tf.backend().numDataIds();
  expect(() => tf.tidy(() => fn() as tf.Tensor)).toThrow(pattern);
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.backend().numDataIds()).toBe(ids);
}

const DTYPES = ['float32', 'int32', 'bool', 'string'] as const;
type Dtype = (typeof DTYPES)[number];

/** A deterministic tensor of `shape` and `dtype` (distinct values, so misplaced elements show). */
function make(shape: number[], dtype: Dtype, seed = 1): tf.Tensor {
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

const SHAPES: number[][] = [[], [7], [3, 5], [2, 3, 4], [2, 1, 3, 5], [1, 2, 3, 2, 3], [2, 1, 2, 3, 1, 3]];

/**
 * String tensors (which tfjs's own ops often refuse): `op` on native-cpu applied to strings 'v<i>'
 * must equal `op` on tfjs-backend-cpu applied to the float32 values i, mapped to 'v<value>'.
 */
async function compareStrings(op: (x: tf.Tensor) => tf.Tensor | tf.Tensor[], shape: number[], label = ''): Promise<void> {
  const size = shape.reduce((a, b) => a * b, 1);
  const expected = await evalOn('cpu', () => op(tf.tensor(Float32Array.from({length: size}, (_, i) => i), shape)));
  const actual = await evalNative(() => op(tf.tensor(Array.from({length: size}, (_, i) => `v${i}`), shape, 'string')));
  expect(actual.length, `${label} outputs`).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(a.dtype, `${label} output ${i} dtype`).toBe('string');
    expect(a.shape, `${label} output ${i} shape`).toEqual(expected[i].shape);
    expect(Array.from(a.values as ArrayLike<unknown>), `${label} output ${i}`).toEqual(
      Array.from(expected[i].values as ArrayLike<number>, (v) => `v${v}`),
    );
  });
}

const run = (name: string, inputs: tf.NamedTensorMap | tf.Tensor[], attrs: object = {}) =>
  tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;

describe('Transpose', () => {
  it('matches tfjs for ranks 0..6, numeric dtypes and strings, several perms', async () => {
    for (const shape of SHAPES) {
      const rank = shape.length;
      const perms: number[][] = [Array.from({length: rank}, (_, i) => rank - 1 - i)];
      if (rank >= 2) perms.push([...Array.from({length: rank - 1}, (_, i) => i + 1), 0]);
      if (rank >= 3) perms.push([0, ...Array.from({length: rank - 2}, (_, i) => i + 2), 1]);  // NHWC -> NCHW-like
      for (const perm of perms) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          await compareExact(() => tf.transpose(make(shape, dtype), perm), `${dtype} [${shape}] perm [${perm}]`);
        }
        await compareStrings((x) => run('Transpose', {x}, {perm}), shape, `string [${shape}] perm [${perm}]`);
      }
    }
  });

  it('NHWC <-> NCHW with odd sizes, across the threading grain (blocked path)', async () => {
    for (const shape of [[1, 13, 11, 7], [1, 45, 47, 61]]) {
      for (const dtype of ['float32', 'bool'] as const) {
        await compareExact(() => tf.transpose(make(shape, dtype), [0, 3, 1, 2]), `${dtype} [${shape}]`);
      }
    }
    await compareExact(() => tf.transpose(make([2, 61, 33, 37], 'int32'), [0, 2, 3, 1]), 'NCHW -> NHWC');
    await compareExact(() => tf.transpose(make([257, 301], 'float32')), '2-D');
  });

  it('handles empty tensors and identity perms', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await compareExact(() => tf.transpose(make([2, 0, 3], dtype), [2, 0, 1]), `${dtype} empty`);
      await compareExact(() => tf.transpose(make([2, 3], dtype), [0, 1]), `${dtype} identity`);
    }
    await compareStrings((x) => run('Transpose', {x}, {perm: [1, 0]}), [0, 3], 'string empty');
  });

  it('gives the same result with one thread', async () => {
    const threads = getThreads();
    try {
      setThreads(1);
      await compareExact(() => tf.transpose(make([1, 40, 40, 40], 'float32'), [0, 3, 1, 2]), '1 thread');
    } finally {
      setThreads(threads);
    }
  });

  it('rejects a bad perm naming the kernel', async () => {
    const x = () => make([2, 3], 'float32');
    await expectError(() => run('Transpose', {x: x()}, {perm: [0, 0]}), /Transpose: perm \[0,0\]/);
    await expectError(() => run('Transpose', {x: x()}, {perm: [0, 1, 2]}), /Transpose: perm/);
    await expectError(() => run('Transpose', {x: x()}, {perm: [0, 2]}), /Transpose: perm/);
  });
});

describe('Concat and Pack', () => {
  it('matches tfjs for every rank, axis (negative too) and dtype', async () => {
    for (const shape of SHAPES.slice(1)) {
      const rank = shape.length;
      for (let axis = -rank; axis < rank; axis++) {
        const a = axis < 0 ? axis + rank : axis;
        const shapes = [1, 3, 2].map((n) => shape.map((d, k) => (k === a ? n : d)));
        for (const dtype of DTYPES) {
          await compareExact(
            () => tf.concat(shapes.map((s, i) => make(s, dtype, i + 1)), axis),
            `${dtype} [${shape}] axis ${axis}`,
          );
        }
      }
    }
  });

  it('skips empty inputs and handles all-empty and single inputs', async () => {
    for (const dtype of DTYPES) {
      await compareExact(() => tf.concat([make([2, 0], dtype), make([2, 3], dtype, 2), make([2, 0], dtype)], 1), `${dtype} one non-empty`);
      await compareExact(() => tf.concat([make([2, 0], dtype), make([2, 3], dtype, 2), make([2, 4], dtype, 3)], 1), `${dtype} some empty`);
      await compareExact(() => tf.concat([make([0, 3], dtype), make([0, 3], dtype)], 0), `${dtype} all empty`);
      await compareExact(() => tf.concat([make([3, 2], dtype)], 0), `${dtype} single`);
    }
  });

  it('handles many inputs and large copies', async () => {
    await compareExact(() => tf.concat(Array.from({length: 11}, (_, i) => make([3, i % 4, 5], 'float32', i)), 1), 'many');
    await compareExact(() => tf.concat([make([1, 40, 40, 80], 'float32'), make([1, 40, 40, 56], 'float32', 2)], 3), 'channels');
    await compareExact(() => tf.concat([make([300, 500], 'int32'), make([200, 500], 'int32', 2)], 0), 'rows');
  });

  it('stacks along every axis', async () => {
    for (const shape of [[], [5], [2, 3], [2, 3, 4]]) {
      for (let axis = -(shape.length + 1); axis <= shape.length; axis++) {
        for (const dtype of DTYPES) {
          await compareExact(() => tf.stack([1, 2, 3].map((i) => make(shape, dtype, i)), axis), `${dtype} [${shape}] axis ${axis}`);
        }
      }
    }
    await compareExact(() => tf.stack([make([2, 3], 'float32')], 1), 'single');
    await compareExact(() => tf.stack([make([2, 0], 'int32'), make([2, 0], 'int32')], 1), 'empty');
  });

  it('rejects mismatched shapes and bad axes naming the kernel', async () => {
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([3, 3], 'float32')], {axis: 1}), /Concat: input 1 has shape \[3,3\]/);
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([2, 3, 1], 'float32')], {axis: 0}), /Concat: input 1/);
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([2, 3], 'float32')], {axis: 2}), /Concat: axis 2 is out of range/);
    await expectError(() => run('Concat', [make([2, 3], 'float32'), make([2, 3], 'int32')], {axis: 0}), /Concat: input 1 has dtype 'int32'/);
    await expectError(() => run('Pack', [make([2, 3], 'float32'), make([3, 2], 'float32')], {axis: 0}), /Pack: input 1 has shape/);
    await expectError(() => run('Pack', [make([2, 3], 'float32')], {axis: 3}), /Pack: axis 3 is out of range/);
  });
});

describe('Unpack and SplitV', () => {
  it('unstacks along every axis', async () => {
    for (const shape of [[4], [2, 3], [2, 3, 4], [1, 2, 1, 3, 2, 2]]) {
      for (let axis = -shape.length; axis < shape.length; axis++) {
        for (const dtype of DTYPES) {
          await compareExact(() => tf.unstack(make(shape, dtype), axis), `${dtype} [${shape}] axis ${axis}`);
        }
      }
    }
    await compareExact(() => tf.unstack(make([3, 0], 'float32'), 0), 'empty');
  });

  it('splits by count and by sizes (with -1) along every axis', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await compareExact(() => tf.split(make([6, 4], dtype), 3, 0), `${dtype} count`);
      await compareExact(() => tf.split(make([2, 9, 3], dtype), [2, -1, 3], 1), `${dtype} sizes`);
      await compareExact(() => tf.split(make([2, 3, 7], dtype), [0, 7], -1), `${dtype} empty part`);
    }
    await compareStrings((x) => run('SplitV', {x}, {numOrSizeSplits: [2, -1, 3], axis: 1}) as never, [2, 9, 3], 'strings');
    await compareExact(() => tf.split(make([64, 3000], 'float32'), [10, 20, 34], 0), 'large');
  });

  it('rejects bad input naming the kernel', async () => {
    await expectError(() => run('Unpack', {value: make([2, 3], 'float32')}, {axis: 2}), /Unpack: axis 2 is out of range/);
    await expectError(() => run('SplitV', {x: make([5, 3], 'float32')}, {numOrSizeSplits: 2, axis: 0}), /SplitV: .*divide/);
    await expectError(() => run('SplitV', {x: make([5, 3], 'float32')}, {numOrSizeSplits: [2, 2], axis: 0}), /SplitV: .*sum/);
  });
});
