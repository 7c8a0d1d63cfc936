// Kernels composed of other native kernels (SpaceToBatchND, BatchToSpaceND, UnsortedSegmentSum, Einsum,
// IsInf, IsFinite, Selu, Diag) and LinSpace, TopK, Cumsum, Cumprod (computed in JavaScript, like Range)
// against tfjs-backend-cpu at every ISA level, plus their error messages. (The conformance suite
// also runs gather's gradient, which uses UnsortedSegmentSum.)
import {describe, expect, it} from 'vitest';

import {compareWithCpu, randomFloats, randomInts, tf} from './util/reference.js';

describe('SpaceToBatchND / BatchToSpaceND', () => {
  it('match tfjs-backend-cpu (odd sizes, paddings, crops, batch > 1, int32)', async () => {
    const cases: {shape: number[]; block: number[]; pads: [number, number][]}[] = [
      {shape: [1, 4, 4, 1], block: [2, 2], pads: [[0, 0], [0, 0]]},
      {shape: [2, 5, 7, 3], block: [2, 3], pads: [[1, 0], [0, 2]]},
      {shape: [3, 6, 5], block: [3], pads: [[2, 1]]},
      {shape: [2, 3, 3, 2, 5], block: [1, 3, 2], pads: [[0, 1], [0, 0], [1, 1]]},
    ];
    for (const [n, c] of cases.entries()) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const x = randomFloats(size, 40 + n);
      await compareWithCpu(() => tf.spaceToBatchND(tf.tensor(x, c.shape), c.block, c.pads), {label: `s2b ${n}`});
      await compareWithCpu(
        () => tf.batchToSpaceND(tf.spaceToBatchND(tf.tensor(x, c.shape), c.block, c.pads), c.block, c.pads),
        {label: `round trip ${n}`},
      );
      const xi = randomInts(size, 50 + n);
      await compareWithCpu(() => tf.spaceToBatchND(tf.tensor(xi, c.shape, 'int32'), c.block, c.pads), {label: `s2b int32 ${n}`});
    }
    // BatchToSpaceND with crops on its own.
    const y = randomFloats(8 * 3 * 2 * 3, 61);
    await compareWithCpu(() => tf.batchToSpaceND(tf.tensor(y, [8, 3, 2, 3]), [2, 2], [[1, 2], [0, 1]]), {label: 'b2s crops'});
  });

  it('dilated tf.pool runs through them', async () => {
    const x = randomFloats(2 * 9 * 8 * 3, 71);
    await compareWithCpu(() => tf.pool(tf.tensor4d(x, [2, 9, 8, 3]), [2, 2], 'max', 'same', [2, 2], 1), {label: 'pool d=2'});
    await compareWithCpu(() => tf.pool(tf.tensor4d(x, [2, 9, 8, 3]), [3, 2], 'avg', 'valid', [2, 3], 1), {label: 'pool d=2,3'});
  });

  it('reject what they do not support by name', async () => {
    await tf.setBackend('native-cpu');
    const s = tf.tensor(['a', 'b', 'c', 'd'], [1, 2, 2, 1]);
    expect(() => tf.engine().runKernel('SpaceToBatchND', {x: s}, {blockShape: [2, 2], paddings: [[0, 0], [0, 0]]}))
      .toThrowError(/SpaceToBatchND: dtype 'string' is not supported/);
    s.dispose();
  });
});

describe('UnsortedSegmentSum', () => {
  it('matches tfjs-backend-cpu (rank 1 to 3, float32 and int32, empty segments)', async () => {
    const x = randomFloats(7 * 5 * 3, 81);
    const ids = Int32Array.from([0, 2, 2, 5, 1, 0, 3]);
    await compareWithCpu(() => tf.unsortedSegmentSum(tf.tensor(x, [7, 5, 3]), tf.tensor1d(ids, 'int32'), 6), {label: '1-D ids'});
    await compareWithCpu(() => tf.unsortedSegmentSum(tf.tensor(x, [7, 15]), tf.tensor1d(ids, 'int32'), 8), {label: 'empty segments'});
    const xi = randomInts(6 * 2 * 5, 82);
    const ids2 = Int32Array.from([1, 0, 1, 1, 0, 2]);
    await compareWithCpu(() => tf.unsortedSegmentSum(tf.tensor(xi, [6, 2, 5], 'int32'), tf.tensor1d(ids2, 'int32'), 3), {label: 'int32'});
    await compareWithCpu(() => tf.unsortedSegmentSum(tf.tensor1d(x.subarray(0, 7)), tf.tensor1d(ids, 'int32'), 6), {label: '1-D x'});
  });

  it('rejects bad segment ids and counts by name', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([3]);
    const f = tf.tensor1d([0, 1, 0]);
    const i = tf.tensor1d([0, 1, 0], 'int32');
    expect(() => tf.engine().runKernel('UnsortedSegmentSum', {x, segmentIds: f}, {numSegments: 2})).toThrowError(/UnsortedSegmentSum: segmentIds has dtype 'float32'; supported: int32/);
    expect(() => tf.engine().runKernel('UnsortedSegmentSum', {x, segmentIds: i}, {numSegments: 0})).toThrowError(/UnsortedSegmentSum: numSegments is 0/);
    tf.dispose([x, f, i]);
  });
});

describe('Einsum', () => {
  it('matches tfjs-backend-cpu on contractions, transposes, outer and batch products', async () => {
    const a = randomFloats(3 * 5, 101);
    const b = randomFloats(5 * 7, 102);
    const c = randomFloats(2 * 3 * 5, 103);
    const d = randomFloats(2 * 5 * 4, 104);
    const v = randomFloats(5, 105);
    const cases: [string, () => tf.Tensor][] = [
      ['ij,jk->ik', () => tf.einsum('ij,jk->ik', tf.tensor2d(a, [3, 5]), tf.tensor2d(b, [5, 7]))],
      ['bij,bjk->bik', () => tf.einsum('bij,bjk->bik', tf.tensor3d(c, [2, 3, 5]), tf.tensor3d(d, [2, 5, 4]))],
      ['ij,j->i', () => tf.einsum('ij,j->i', tf.tensor2d(a, [3, 5]), tf.tensor1d(v))],
      ['i,i->', () => tf.einsum('i,i->', tf.tensor1d(v), tf.tensor1d(v))],
      ['i,j->ij', () => tf.einsum('i,j->ij', tf.tensor1d(v), tf.tensor1d(v))],
      ['ij->ji', () => tf.einsum('ij->ji', tf.tensor2d(a, [3, 5]))],
      ['ij->ij', () => tf.einsum('ij->ij', tf.tensor2d(a, [3, 5]))],
      ['int32 ij,jk->ik', () => tf.einsum('ij,jk->ik', tf.tensor2d(randomInts(15, 106), [3, 5], 'int32'), tf.tensor2d(randomInts(35, 107), [5, 7], 'int32'))],
    ];
    for (const [label, fn] of cases) await compareWithCpu(fn, {label});
  });

  it('rejects unsupported dtypes by name', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.tensor1d([true, false], 'bool');
    expect(() => tf.engine().runKernel('Einsum', [x] as unknown as tf.NamedTensorMap, {equation: 'i->i'})).toThrowError(/Einsum: dtype 'bool' is not supported/);
    x.dispose();
  });
});

describe('IsInf / IsFinite', () => {
  it('match tfjs-backend-cpu on infinities, NaN, signed zeros, extremes and every numeric dtype', async () => {
    const special = [Infinity, -Infinity, NaN, 0, -0, 1, -1, 3.4e38, -3.4e38, 1e-45, -1e-45];
    const values = Float32Array.from({length: 37 * 3}, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length] : Math.sin(i) * 1e30));
    for (const op of ['isInf', 'isFinite'] as const) {
      await compareWithCpu(() => tf[op](tf.tensor(values, [37, 3])), {label: `${op} float32`});
      await compareWithCpu(() => tf[op](tf.tensor(randomInts(12, 5), [3, 4], 'int32')), {label: `${op} int32`});
      await compareWithCpu(() => tf[op](tf.tensor([true, false, true], [3], 'bool')), {label: `${op} bool`});
      await compareWithCpu(() => tf[op](tf.zeros([0, 4])), {label: `${op} empty`});
    }
  });

  it('reject strings by name', async () => {
    await tf.setBackend('native-cpu');
    const s = tf.tensor(['a']);
    expect(() => tf.engine().runKernel('IsInf', {x: s})).toThrowError(/IsInf: dtype 'string' is not supported/);
    expect(() => tf.engine().runKernel('IsFinite', {x: s})).toThrowError(/IsFinite: dtype 'string' is not supported/);
    s.dispose();
  });
});

describe('Selu', () => {
  it('matches tfjs-backend-cpu (both signs, tiny and large magnitudes, NaN, int32)', async () => {
    const values = Float32Array.from({length: 53}, (_, i) => (i === 7 ? NaN : (i - 26) * Math.pow(10, (i % 9) - 6)));
    await compareWithCpu(() => tf.selu(tf.tensor1d(values)), {label: 'float32'});
    await compareWithCpu(() => tf.selu(tf.tensor(randomInts(24, 9, -5, 5), [2, 3, 4], 'int32')), {label: 'int32'});
  });
});

describe('LinSpace', () => {
  it('matches tfjs-backend-cpu (increasing, decreasing, constant, one point)', async () => {
    for (const [start, stop, num] of [[0, 1, 11], [5.5, -3.25, 37], [2, 2, 4], [1, 9, 1]]) {
      await compareWithCpu(() => tf.linspace(start, stop, num), {label: `linspace(${start}, ${stop}, ${num})`});
    }
  });
});

describe('Diag', () => {
  it('matches tfjs-backend-cpu (ranks 1 to 3, float32 with NaN, int32, bool)', async () => {
    const v = randomFloats(2 * 3 * 2, 120);
    v[4] = NaN;
    await compareWithCpu(() => tf.diag(tf.tensor1d(v.subarray(0, 5))), {label: '1-D with NaN'});
    await compareWithCpu(() => tf.diag(tf.tensor(v, [2, 3, 2])), {label: '3-D'});
    await compareWithCpu(() => tf.diag(tf.tensor(randomInts(6, 121), [2, 3], 'int32')), {label: 'int32'});
    await compareWithCpu(() => tf.diag(tf.tensor([true, false, true], [3], 'bool')), {label: 'bool'});
  });
});

describe('TopK', () => {
  it('matches tfjs-backend-cpu (ties by lower index, -Infinity, batches, int32, k = 0 and k = n)', async () => {
    const ties = Float32Array.from({length: 4 * 33}, (_, i) => Math.round(Math.sin(i * 1.7) * 3));
    ties[5] = -Infinity;
    for (const k of [0, 1, 5, 33]) {
      await compareWithCpu(() => tf.topk(tf.tensor(ties, [4, 33]), k).values, {label: `values k=${k}`});
      await compareWithCpu(() => tf.topk(tf.tensor(ties, [4, 33]), k).indices, {label: `indices k=${k}`});
    }
    await compareWithCpu(() => Object.values(tf.topk(tf.tensor(ties, [4, 33]), 33, false)), {label: 'unsorted k = n keeps the order'});
    await compareWithCpu(() => Object.values(tf.topk(tf.tensor(randomInts(2 * 3 * 7, 130), [2, 3, 7], 'int32'), 4)), {label: 'int32 3-D'});
  });

  it('unsorted k < n returns the k largest (in some order)', async () => {
    await tf.setBackend('native-cpu');
    const x = randomFloats(50, 131);
    const {values, indices} = tf.topk(tf.tensor1d(x), 7, false);
    const expected = Array.from(x).sort((a, b) => b - a).slice(0, 7);
    expect(Array.from(values.dataSync()).sort((a, b) => b - a)).toEqual(expected);
    expect(Array.from(indices.dataSync()).map((i) => x[i])).toEqual(Array.from(values.dataSync()));
    tf.dispose([values, indices]);
  });
});

describe('Cumsum / Cumprod', () => {
  it('match tfjs-backend-cpu (every axis, exclusive, reverse, float32, int32, bool)', async () => {
    const x = randomFloats(3 * 4 * 5, 140, 0.5, 1.5);
    const xi = randomInts(3 * 4 * 5, 141, -3, 3);
    for (const op of ['cumsum', 'cumprod'] as const) {
      for (const axis of [0, 1, 2]) {  // (tfjs-backend-cpu mishandles negative axes)
        for (const [exclusive, reverse] of [[false, false], [true, false], [false, true], [true, true]]) {
          const label = `${op} axis ${axis} exclusive ${exclusive} reverse ${reverse}`;
          await compareWithCpu(() => tf[op](tf.tensor(x, [3, 4, 5]), axis, exclusive, reverse), {label});
          await compareWithCpu(() => tf[op](tf.tensor(xi, [3, 4, 5], 'int32'), axis, exclusive, reverse), {label: `${label} int32`});
        }
      }
      await compareWithCpu(() => tf[op](tf.tensor([true, false, true, true], [4], 'bool')), {label: `${op} bool`});
    }
  });
});
