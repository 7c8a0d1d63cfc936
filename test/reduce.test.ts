// Reductions (Sum, Mean, Max, Min, Prod, All, Any), ArgMax/ArgMin and Softmax against
// tfjs-backend-cpu, at every ISA level.
import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import type {NativeCpuBackend} from '../src/backend.js';
import {compareWithCpu, randomFloats, randomInts, tf} from './util/reference.js';

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

function floats(shape: number[], seed: number, lo = -3, hi = 3, nanAt: number[] = []): tf.Tensor {
  const v = randomFloats(shape.reduce((a, b) => a * b, 1), seed, lo, hi);
  for (const i of nanAt) v[i] = NaN;
  return tf.tensor(v, shape, 'float32');
}

function ints(shape: number[], seed: number, lo = -10, hi = 10): tf.Tensor {
  return tf.tensor(randomInts(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape, 'int32');
}

/** Every subset of [0, rank). */
function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let m = 0; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter((i) => m & (1 << i)));
  return out;
}

type ReduceFn = (x: tf.Tensor, axis?: number | number[], keepDims?: boolean) => tf.Tensor;
const REDUCTIONS: Array<[string, ReduceFn, number, number]> = [
  ['sum', tf.sum, -3, 3],
  ['mean', tf.mean, -3, 3],
  ['max', tf.max, -3, 3],
  ['min', tf.min, -3, 3],
  ['prod', tf.prod, 0.5, 1.5],
];

describe('reductions', () => {
  for (const [name, fn, lo, hi] of REDUCTIONS) {
    it(`${name}: float32, every axis combination of a rank-4 tensor, keepDims`, async () => {
      for (const axes of subsets(4)) {
        for (const keepDims of [false, true]) {
          await compareWithCpu(() => fn(floats([2, 3, 4, 5], 1, lo, hi), axes, keepDims), {
            label: `${name} axes [${axes}] keepDims ${keepDims}`,
          });
        }
      }
    });

    it(`${name}: negative axes, axis undefined, rank 0 and 1, odd lengths`, async () => {
      await compareWithCpu(() => fn(floats([3, 7, 17], 2, lo, hi), -1), {label: `${name} -1`});
      await compareWithCpu(() => fn(floats([3, 7, 17], 3, lo, hi), [-3, -1], true), {label: `${name} [-3,-1]`});
      await compareWithCpu(() => fn(floats([3, 7, 17], 4, lo, hi)), {label: `${name} all`});
      await compareWithCpu(() => fn(floats([3, 7, 17], 4, lo, hi), undefined, true), {label: `${name} all keepDims`});
      await compareWithCpu(() => fn(tf.scalar(1.25)), {label: `${name} scalar`});
      for (const n of [1, 7, 15, 17, 1000, 100003]) {
        await compareWithCpu(() => fn(floats([n], 5 + n, lo, hi)), {label: `${name} [${n}]`, rtol: 2e-5});
      }
    });

    it(`${name}: int32`, async () => {
      for (const axes of [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]) {
        await compareWithCpu(() => fn(ints([4, 5, 6], 6, name === 'prod' ? -2 : -10, name === 'prod' ? 2 : 10), axes), {
          label: `${name} int32 [${axes}]`,
        });
      }
    });
  }

  it('max/min propagate NaN; sum/mean/prod give NaN', async () => {
    for (const [name, fn] of REDUCTIONS) {
      await compareWithCpu(() => fn(floats([4, 33], 7, -3, 3, [0, 40, 70, 131]), 1), {label: `${name} NaN rows`});
      await compareWithCpu(() => fn(floats([4, 33], 7, -3, 3, [0, 40, 70, 131]), 0), {label: `${name} NaN cols`});
      await compareWithCpu(() => fn(tf.tensor([[1, Infinity, -Infinity], [2, 3, Infinity]]), 1), {label: `${name} inf`});
    }
  });

  it('max/min over H, W of NHWC (channels vectorised), with NaN', async () => {
    for (const fn of [tf.max, tf.min]) {
      await compareWithCpu(() => fn(floats([2, 7, 7, 40], 23, -3, 3, [0, 41, 1000, 3919]), [1, 2]));
      await compareWithCpu(() => fn(floats([1, 9, 9, 19], 24), [1, 2], true));
      await compareWithCpu(() => fn(floats([3, 5, 17], 25, -3, 3, [17, 100]), [0]));
    }
  });

  it('global average pooling pattern: mean over H, W of NHWC', async () => {
    await compareWithCpu(() => tf.mean(floats([2, 7, 7, 40], 8), [1, 2]));
    await compareWithCpu(() => tf.mean(floats([1, 14, 14, 67], 9), [1, 2], true));
    await compareWithCpu(() => tf.sum(floats([1, 56, 56, 33], 10), [1, 2]), {rtol: 2e-5});
    await compareWithCpu(() => tf.mean(floats([3, 5, 5, 1], 11), [1, 2]));
  });

  it('sum over a long axis 0 and a long single row', async () => {
    await compareWithCpu(() => tf.sum(floats([100003, 3], 12), 0), {rtol: 2e-5});
    await compareWithCpu(() => tf.sum(floats([300007], 13, 0, 1)), {rtol: 2e-5});
    await compareWithCpu(() => tf.mean(floats([5, 20011], 14), 1));
  });

  it('Sum of bool gives int32; All/Any on bool', async () => {
    const bools = () => tf.tensor(Array.from(randomInts(60, 15, 0, 1)), [3, 4, 5], 'bool');
    for (const axes of subsets(3)) {
      await compareWithCpu(() => [tf.sum(bools(), axes), tf.all(bools(), axes), tf.any(bools(), axes, true)], {
        label: `bool [${axes}]`,
      });
    }
    await compareWithCpu(() => [tf.sum(tf.tensor([true, true, false], [3], 'bool')), tf.prod(ints([5], 16, 1, 3))]);
  });

  it('empty reductions', async () => {
    await compareWithCpu(() => [tf.sum(tf.zeros([3, 0]), 1), tf.prod(tf.zeros([3, 0]), 1), tf.sum(tf.zeros([0, 3]), 1)]);
  });

  it('same results with 1 and 2 threads', async () => {
    for (const threads of [1, 2]) {
      setThreads(threads);
      await compareWithCpu(() => tf.sum(floats([300007], 17)), {label: `sum t${threads}`, rtol: 2e-5});
      await compareWithCpu(() => tf.mean(floats([2, 28, 28, 96], 18), [1, 2]), {label: `gap t${threads}`});
      await compareWithCpu(() => tf.max(floats([1000, 101], 19), 1), {label: `max t${threads}`});
      await compareWithCpu(() => tf.prod(floats([1000, 101], 20, 0.9, 1.1), 0), {label: `prod t${threads}`});
      await compareWithCpu(() => tf.softmax(floats([300, 1000], 21, -50, 50)), {label: `softmax t${threads}`});
      await compareWithCpu(() => tf.argMax(floats([300, 1000], 22), 1), {label: `argMax t${threads}`});
    }
    setThreads(originalThreads);
  });

  it('rejects bad axes and dtypes naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([2, 3]);
    expect(() => tf.sum(x, 2)).toThrow(/Sum: .*axis/);
    expect(() => tf.engine().runKernel('Max', {x}, {reductionIndices: [-3], keepDims: false})).toThrow(/Max: .*axis/);
    expect(() => tf.engine().runKernel('ArgMax', {x}, {axis: [0, 1]})).toThrow(/ArgMax: expected one axis/);
    const s = tf.tensor(['a']);
    expect(() => tf.engine().runKernel('Sum', {x: s}, {axis: 0, keepDims: false})).toThrow(/Sum: dtype 'string'/);
    const fake = {dataId: x.dataId, shape: x.shape, dtype: 'complex64' as const};
    expect(() => tf.engine().runKernel('Mean', {x: fake}, {axis: 0, keepDims: false})).toThrow(/Mean: dtype 'complex64'/);
    // The native entry checks axes and buffer sizes itself.
    const backend = tf.backend() as NativeCpuBackend;
    const id = backend.bufferOf(x, 'test');
    const opts = {op: 'Sum', x: id, out: id, shape: [2, 3], axes: [1], xDtype: 'float32', outDtype: 'float32'};
    expect(() => backend.run('reduce', {...opts, axes: [2]})).toThrow(/Sum: axis 2 is out of range/);
    expect(() => backend.run('reduce', {...opts, shape: [2, 30]})).toThrow(/Sum: buffer 'x' holds 24 bytes/);
    expect(() => backend.run('argReduce', {op: 'ArgMax', x: id, out: id, shape: [2, 3], axis: -1, xDtype: 'float32'})).toThrow(/ArgMax: axis -1 is out of range/);
    expect(() => backend.run('softmax', {logits: id, out: id, rows: 3, cols: 3})).toThrow(/Softmax: buffer 'logits'/);
    tf.dispose([x, s]);
  });
});

describe('argMax / argMin', () => {
  for (const [name, fn] of [['argMax', tf.argMax], ['argMin', tf.argMin]] as const) {
    it(`${name}: each axis, float32 and int32, ties pick the first`, async () => {
      for (const axis of [0, 1, 2, -1]) {
        await compareWithCpu(() => fn(floats([4, 5, 33], 30), axis), {label: `${name} axis ${axis}`});
        await compareWithCpu(() => fn(ints([4, 5, 33], 31, -2, 2), axis), {label: `${name} int32 axis ${axis}`});
      }
      await compareWithCpu(() => fn(tf.tensor([[1, 3, 3, 2], [5, 5, 5, 5], [0, -1, -1, 0]]), 1));
      await compareWithCpu(() => fn(tf.tensor([[NaN, 3, 3, 2], [1, NaN, 5, 5], [2, 9, NaN, 9]]), 1));
      await compareWithCpu(() => fn(floats([100003], 32)));
    });
  }
});

describe('softmax', () => {
  it('last axis of 1000 with large magnitudes', async () => {
    await compareWithCpu(() => tf.softmax(floats([3, 1000], 40, -5000, 5000)));
    await compareWithCpu(() => tf.softmax(floats([2, 1000], 41, 80, 120)));
    await compareWithCpu(() => tf.softmax(floats([5, 1000], 42, -10, 10)));
  });

  it('odd widths, ranks 1 to 4', async () => {
    for (const n of [1, 2, 7, 15, 16, 17, 33]) {
      await compareWithCpu(() => tf.softmax(floats([3, n], 43 + n)), {label: `width ${n}`});
    }
    await compareWithCpu(() => tf.softmax(floats([17], 50)));
    await compareWithCpu(() => tf.softmax(floats([2, 3, 4, 9], 51), -1));
    await compareWithCpu(() => tf.softmax(floats([2, 3, 9], 52), 2));
  });

  it('NaN and infinities behave as in tfjs', async () => {
    await compareWithCpu(() =>
      tf.softmax(
        tf.tensor([
          [1, 2, NaN, 4],
          [1, Infinity, 3, 4],
          [-Infinity, -Infinity, -Infinity, -Infinity],
          [-Infinity, 0, 1, -Infinity],
        ]),
      ),
    );
  });

  it('rejects a non-last dim and non-float32 logits naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([2, 3]);
    expect(() => tf.engine().runKernel('Softmax', {logits: x}, {dim: 0})).toThrow(/Softmax: dim 0 .* supported: the last axis/);
    const i = tf.ones([2, 3], 'int32');
    expect(() => tf.engine().runKernel('Softmax', {logits: i}, {dim: -1})).toThrow(/Softmax: dtype 'int32' is not supported; supported: float32/);
    tf.dispose([x, i]);
  });
});
