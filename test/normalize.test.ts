import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {broadcastIndex, compareWithCpu, evalOn, expectClose, forEachIsa, randomFloats, randomInts, tf} from './util/reference.js';

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

describe('FusedBatchNorm', () => {
  const cases: Array<{x: number[]; p: number[]; offset: boolean; scale: boolean; eps?: number}> = [
    {x: [5], p: [5], offset: true, scale: true},
    {x: [3, 7], p: [7], offset: true, scale: true, eps: 1e-5},
    {x: [2, 5, 17], p: [17], offset: false, scale: false},
    {x: [3, 4, 5, 40], p: [40], offset: false, scale: true},
    {x: [2, 3, 4, 6], p: [6], offset: true, scale: false, eps: 0.1},
    {x: [1, 1, 1, 1], p: [1], offset: true, scale: true},
    {x: [2, 3, 4, 6], p: [1], offset: true, scale: true},
    {x: [4, 16, 16, 96], p: [96], offset: true, scale: true},
    {x: [2, 4, 4, 3], p: [1, 4, 3], offset: true, scale: true},  // rank-3 parameters
  ];
  for (const threads of [1, 2]) {
    it(`matches tfjs-cpu for 1D-4D inputs, with and without offset/scale (${threads} threads)`, async () => {
      setThreads(threads);
      let seed = 10;
      for (const t of cases) {
        const xs = randomFloats(t.x.reduce((a, b) => a * b, 1), seed++, -3, 3);
        const n = t.p.reduce((a, b) => a * b, 1);
        const m = randomFloats(n, seed++);
        const v = randomFloats(n, seed++, 0.01, 2);
        const o = randomFloats(n, seed++);
        const s = randomFloats(n, seed++, 0.5, 2);
        await compareWithCpu(
          () =>
            tf.batchNorm(
              tf.tensor(xs, t.x),
              tf.tensor(m, t.p),
              tf.tensor(v, t.p),
              t.offset ? tf.tensor(o, t.p) : undefined,
              t.scale ? tf.tensor(s, t.p) : undefined,
              t.eps,
            ),
          {label: JSON.stringify(t), rtol: 1e-6, atol: 1e-6},
        );
      }
    });
  }

  // Parameters broadcast to x as in NumPy. tfjs-backend-cpu reads them at x's flat index modulo their
  // size, the broadcast only for [depth]-like shapes and x's own; for [4, 1, 3] against [2, 4, 4, 3] it
  // takes the values of the wrong rows. So these compare with float64 arithmetic written here.
  const broadcastOnly: Array<{x: number[]; p: number[]}> = [
    {x: [2, 4, 4, 3], p: [4, 1, 3]},
    {x: [2, 2, 2, 3], p: [2, 1, 1, 3]},
    {x: [2, 3, 4, 6], p: [1, 3, 1, 1]},
  ];
  for (const t of broadcastOnly) {
    it(`broadcasts parameters of shape [${t.p}] to x [${t.x}] as NumPy does (float64 reference)`, async () => {
      const size = t.x.reduce((a, b) => a * b, 1);
      const n = t.p.reduce((a, b) => a * b, 1);
      const xs = randomFloats(size, 41, -3, 3);
      const [m, v, o, s] = [randomFloats(n, 42), randomFloats(n, 43, 0.01, 2), randomFloats(n, 44), randomFloats(n, 45, 0.5, 2)];
      const expected = Float32Array.from(xs, (x, i) => {
        const q = broadcastIndex(t.p, t.x, i);
        return o[q] + ((x - m[q]) * s[q]) / Math.sqrt(v[q] + 0.001);
      });
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          const got = await evalOn('native-cpu', () =>
            tf.batchNorm(tf.tensor(xs, t.x), tf.tensor(m, t.p), tf.tensor(v, t.p), tf.tensor(o, t.p), tf.tensor(s, t.p), 0.001),
          );
          expectClose(got, [{shape: t.x, dtype: 'float32', values: expected}], 1e-6, 1e-6, `t${threads} [${isa}]`);
        });
      }
    });
  }

  it('refuses parameters that do not broadcast to x (tfjs-backend-cpu cycles through them)', async () => {
    await tf.setBackend('native-cpu');
    const before = tf.memory().numTensors;
    const x = tf.tensor(randomFloats(2 * 3 * 4 * 6, 1), [2, 3, 4, 6]);
    const ok = () => tf.tensor(randomFloats(6, 2), [6]);
    expect(() => tf.tidy(() => tf.batchNorm(x, ok(), tf.tensor(randomFloats(4, 3, 0.1, 1), [4]), ok(), ok()))).toThrow(
      /FusedBatchNorm: 'variance' of shape \[4\] does not broadcast to x's shape \[2,3,4,6\]; supported: shapes that broadcast/,
    );
    expect(() => tf.tidy(() => tf.batchNorm(x, ok(), ok(), tf.tensor(randomFloats(5, 4), [5]), ok()))).toThrow(
      /FusedBatchNorm: 'offset' of shape \[5\] does not broadcast/,
    );
    x.dispose();
    expect(tf.memory().numTensors, 'tensors leaked by failing calls').toBe(before);
  });

  it('propagates NaN and infinities', async () => {
    const xs = randomFloats(2 * 8, 9);
    xs[1] = NaN;
    xs[4] = Infinity;
    const v = randomFloats(8, 10, 0.1, 1);
    v[3] = 0;
    v[5] = -1;  // sqrt of a negative -> NaN
    await compareWithCpu(() =>
      tf.batchNorm(tf.tensor(xs, [2, 8]), tf.tensor(randomFloats(8, 11), [8]), tf.tensor(v, [8]), undefined, undefined, 0),
    );
  });

  it('rejects wrong dtypes and mismatched ranks naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const run = (inputs: Record<string, tf.Tensor>) =>
      tf.tidy(() => tf.engine().runKernel('FusedBatchNorm', inputs, {varianceEpsilon: 0.001}));
    expect(() => run({x: tf.zeros([2, 3], 'int32'), mean: tf.zeros([3]), variance: tf.ones([3])})).toThrow(
      /FusedBatchNorm: input 'x' has dtype int32; supported: float32/,
    );
    expect(() => run({x: tf.zeros([2, 3]), mean: tf.zeros([3]), variance: tf.ones([1, 3])})).toThrow(
      /FusedBatchNorm: 'variance' has rank 2 but 'mean' has rank 1/,
    );
    expect(() => run({x: tf.zeros([2, 3]), mean: tf.zeros([0]), variance: tf.ones([0])})).toThrow(
      /FusedBatchNorm: input 'mean' is empty/,
    );
  });
});

describe('ResizeBilinear', () => {
  const cases: Array<{shape: number[]; size: [number, number]}> = [
    {shape: [1, 4, 5, 3], size: [8, 10]},
    {shape: [2, 9, 7, 17], size: [4, 3]},
    {shape: [3, 5, 5, 1], size: [11, 13]},
    {shape: [1, 15, 15, 40], size: [7, 16]},
    {shape: [2, 1, 1, 7], size: [3, 2]},
    {shape: [1, 6, 4, 16], size: [1, 1]},
    {shape: [2, 8, 8, 96], size: [8, 8]},
  ];
  const modes: Array<[boolean, boolean]> = [
    [false, false],
    [true, false],
    [false, true],
  ];
  for (const threads of [1, 2]) {
    it(`matches tfjs-cpu up and down, alignCorners and halfPixelCenters (${threads} threads)`, async () => {
      setThreads(threads);
      let seed = 50;
      for (const t of cases) {
        const xs = randomFloats(t.shape.reduce((a, b) => a * b, 1), seed++, -5, 5);
        for (const [align, half] of modes) {
          await compareWithCpu(
            () => tf.image.resizeBilinear(tf.tensor4d(xs, t.shape as [number, number, number, number]), t.size, align, half),
            {label: `${JSON.stringify(t)} align=${align} half=${half}`, rtol: 1e-6, atol: 1e-6},
          );
        }
      }
    });
  }

  it('resizes int32 images to float32 and 3D images', async () => {
    const xs = randomInts(2 * 5 * 7 * 3, 70, -100, 100);
    await compareWithCpu(() => tf.image.resizeBilinear(tf.tensor4d(xs, [2, 5, 7, 3], 'int32'), [9, 4], false, true));
    const ys = randomFloats(5 * 7 * 3, 71);
    await compareWithCpu(() => tf.image.resizeBilinear(tf.tensor3d(ys, [5, 7, 3]), [3, 12], true));
  });

  it('propagates NaN', async () => {
    const xs = randomFloats(1 * 4 * 4 * 2, 80);
    xs[5] = NaN;
    xs[12] = Infinity;
    await compareWithCpu(() => tf.image.resizeBilinear(tf.tensor4d(xs, [1, 4, 4, 2]), [7, 7]));
  });

  it('rejects bad inputs naming the kernel', async () => {
    await tf.setBackend('native-cpu');
    const run = (images: tf.Tensor, size: unknown) =>
      tf.tidy(() =>
        tf.engine().runKernel('ResizeBilinear', {images}, {alignCorners: false, halfPixelCenters: false, size} as never),
      );
    expect(() => run(tf.zeros([1, 2, 2, 1], 'bool'), [3, 3])).toThrow(
      /ResizeBilinear: input 'images' has dtype bool; supported: float32, int32/,
    );
    expect(() => run(tf.zeros([2, 2, 1]), [3, 3])).toThrow(/ResizeBilinear: input 'images' must be rank 4/);
    expect(() => run(tf.zeros([1, 2, 2, 1]), [3, -1])).toThrow(/ResizeBilinear: size must be/);
    expect(() => run(tf.zeros([1, 0, 2, 1]), [3, 3])).toThrow(/ResizeBilinear: cannot resize empty images/);
  });
});
