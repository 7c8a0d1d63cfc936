// GatherV2 and GatherNd against tfjs-backend-cpu: every axis (negative too), batch dimensions, every
// dtype including strings, empty tensors, copies large enough to be split over threads, and
// out-of-range indices (an Error like tfjs's, never a crash).
import {describe, expect, it} from 'vitest';

import {compareExact, compareStrings, DTYPES, expectError, make, run} from './util/layout_helpers.js';
import {randomInts, tf} from './util/reference.js';

const NUMERIC = ['float32', 'int32', 'bool'] as const;

/** The GatherV2 kernel itself (tf.gather refuses string tensors). */
const gatherKernel = (x: tf.Tensor, idx: tf.Tensor, axis: number, batchDims = 0) =>
  run('GatherV2', {x, indices: idx}, {axis, batchDims});

const indices = (shape: number[], hi: number, seed = 3) =>
  tf.tensor(randomInts(shape.reduce((a, b) => a * b, 1), seed, 0, hi - 1), shape, 'int32');

describe('GatherV2', () => {
  it('gathers along every axis of ranks 1..6, every dtype', async () => {
    const shapes = [[7], [3, 5], [2, 3, 4], [2, 1, 3, 5], [1, 2, 3, 2, 3], [2, 1, 2, 3, 1, 3]];
    for (const shape of shapes) {
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const dim = shape[axis < 0 ? axis + shape.length : axis];
        for (const dtype of NUMERIC) {
          await compareExact(() => tf.gather(make(shape, dtype), indices([5], dim), axis), `${dtype} [${shape}] axis ${axis}`);
        }
        await compareStrings((x) => gatherKernel(x, indices([5], dim), axis), shape, `strings [${shape}] axis ${axis}`);
      }
    }
  });

  it('gathers with multi-dimensional and scalar indices, repeats and empty tensors', async () => {
    await compareStrings((x) => gatherKernel(x, indices([2, 3], 6), 0), [6, 4], 'strings 2-D indices');
    await compareStrings((x) => gatherKernel(x, tf.tensor([1, 1, 5], [3], 'int32'), 0), [6, 4], 'strings repeats');
    await compareStrings((x) => gatherKernel(x, tf.tensor([], [0], 'int32'), 1), [6, 4], 'strings no indices');
    for (const dtype of NUMERIC) {
      await compareExact(() => tf.gather(make([6, 4], dtype), indices([2, 3], 6), 0), `${dtype} 2-D indices`);
      await compareExact(() => tf.gather(make([6, 4], dtype), tf.scalar(2, 'int32'), 1), `${dtype} scalar index`);
      await compareExact(() => tf.gather(make([6, 4], dtype), tf.tensor([1, 1, 1, 5], [4], 'int32'), 0), `${dtype} repeats`);
      await compareExact(() => tf.gather(make([6, 4], dtype), tf.tensor([], [0], 'int32'), 0), `${dtype} no indices`);
      await compareExact(() => tf.gather(make([6, 0], dtype), tf.tensor([0, 5], [2], 'int32'), 0), `${dtype} empty slices`);
    }
  });

  it('supports batch dimensions', async () => {
    await compareStrings((x) => gatherKernel(x, indices([2, 3, 4], 4), 3, 2), [2, 3, 5, 4], 'strings batchDims 2');
    await compareStrings((x) => gatherKernel(x, indices([2, 6], 5), 2, 1), [2, 3, 5, 4], 'strings batchDims 1');
    for (const dtype of NUMERIC) {
      await compareExact(() => tf.gather(make([3, 5, 4], dtype), indices([3, 2], 5), 1, 1), `${dtype} batchDims 1`);
      await compareExact(() => tf.gather(make([2, 3, 5, 4], dtype), indices([2, 3, 4], 4), 3, 2), `${dtype} batchDims 2, last axis`);
      await compareExact(() => tf.gather(make([2, 3, 5, 4], dtype), indices([2, 6], 5), 2, 1), `${dtype} batchDims 1, inner axis`);
      await compareExact(() => tf.gather(make([2, 3, 5], dtype), indices([2, 3, 4], 5), 2, -1), `${dtype} batchDims -1`);
    }
  });

  it('handles large gathers (embedding lookups) across the threading grain', async () => {
    await compareExact(() => tf.gather(make([500, 64], 'float32'), indices([600], 500), 0), 'rows');
    await compareExact(() => tf.gather(make([16, 300, 7], 'int32'), indices([250], 300), 1), 'middle axis');
    await compareExact(() => tf.gather(make([300, 400], 'bool'), indices([300], 400), 1), 'single elements');
  });

  it('rejects out-of-range indices with tfjs\'s message, and other bad input, naming the kernel', async () => {
    for (const dtype of DTYPES) {
      const x = () => make([4, 3], dtype);
      await expectError(() => gatherKernel(x(), tf.tensor([0, 4], [2], 'int32'), 0), /GatherV2: the index value 4 is not in \[0, 3\]/);
      await expectError(() => gatherKernel(x(), tf.tensor([-1], [1], 'int32'), 1), /GatherV2: the index value -1 is not in \[0, 2\]/);
    }
    await expectError(() => tf.gather(make([0, 3], 'float32'), tf.tensor([0], [1], 'int32'), 0), /GatherV2: the index value 0 is not in \[0, -1\]/);
    await expectError(() => run('GatherV2', {x: make([4, 3], 'float32'), indices: tf.tensor([0], [1], 'int32')}, {axis: 2, batchDims: 0}), /GatherV2: axis 2 is out of range/);
    await expectError(() => run('GatherV2', {x: make([4, 3], 'float32'), indices: tf.tensor([0], [1], 'float32')}, {axis: 0, batchDims: 0}), /GatherV2: indices have dtype 'float32'/);
    await expectError(() => run('GatherV2', {x: make([4, 3], 'float32'), indices: tf.tensor([0, 1], [2], 'int32')}, {axis: 0, batchDims: 1}), /GatherV2: /);
    // tfjs-backend-cpu gives the same message.
    await tf.setBackend('cpu');
    expect(() => tf.gather(tf.zeros([4, 3]), tf.tensor([0, 4], [2], 'int32'), 0)).toThrow(/GatherV2: the index value 4 is not in \[0, 3\]/);
  });
});

describe('GatherNd', () => {
  it('gathers elements and slices, every dtype', async () => {
    for (const dtype of DTYPES) {
      const x = () => make([4, 5, 3], dtype);
      await compareExact(() => tf.gatherND(x(), tf.tensor([[0, 1, 2], [3, 4, 0], [1, 0, 1]], [3, 3], 'int32')), `${dtype} elements`);
      await compareExact(() => tf.gatherND(x(), tf.tensor([[3, 4], [0, 0]], [2, 2], 'int32')), `${dtype} rows`);
      await compareExact(() => tf.gatherND(x(), tf.tensor([[[2], [1]], [[0], [3]]], [2, 2, 1], 'int32')), `${dtype} blocks`);
      await compareExact(() => tf.gatherND(x(), tf.tensor([1, 2], [2], 'int32')), `${dtype} 1-D indices`);
      await compareExact(() => tf.gatherND(x(), tf.tensor([], [0, 2], 'int32')), `${dtype} no indices`);
    }
    await compareExact(() => tf.gatherND(make([300, 40, 16], 'float32'), indices([500, 2], 40)), 'large');
  });

  it('rejects indices outside the tensor naming the kernel', async () => {
    for (const dtype of DTYPES) {
      await expectError(() => tf.gatherND(make([4, 5], dtype), tf.tensor([[0, 1], [4, 0]], [2, 2], 'int32')), /GatherNd: invalid indices: 4,0 does not index into 4,5/);
      await expectError(() => tf.gatherND(make([4, 5], dtype), tf.tensor([[-1, 0]], [1, 2], 'int32')), /GatherNd: invalid indices: -1,0/);
    }
    await expectError(() => run('GatherNd', {params: make([4, 5], 'float32'), indices: tf.tensor([[0, 1, 2]], [1, 3], 'int32')}), /GatherNd: .*<= tensor rank/);
    await expectError(() => run('GatherNd', {params: make([4, 5], 'float32'), indices: tf.tensor([[0]], [1, 1], 'float32')}), /GatherNd: .*int32/);
  });
});
