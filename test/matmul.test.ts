import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {getThreads, nativeInfo, setIsaLevel, setThreads} from '../src/index.js';
import {loadCpuAddon} from '../src/native.js';
import {
  broadcastIndex,
  compareWithCpu,
  evalOn,
  type Evaluated,
  expectClose,
  forEachIsa,
  randomFloats,
  tf,
} from './util/reference.js';

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

// [m, n, k]: tile remainders for every kernel (MR 4/6/12/14, NR 8/16/32/64), K blocking (K > 512), and
// b packed a block at a time (cpp/ops/matmul.cc streamed_matmul): blocks of all columns and a few rows
// of b for up to 8 rows of a ([2, 700, 300], [5, 2000, 50]: the last block two rows), of 512 rows and
// some columns for more ([29, 113, 1100], [13, 200, 129]; threads take blocks of columns).
const SIZES: [number, number, number][] = [
  [2, 700, 300],
  [5, 2000, 50],
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 9],
  [64, 64, 64],
  [100, 70, 200],
  [13, 200, 129],
  [7, 1, 1500],
  [199, 65, 31],
  [29, 113, 1100],
  [1, 100, 257],
];

function matrix(rows: number, cols: number, transpose: boolean, seed: number): () => tf.Tensor2D {
  const values = randomFloats(rows * cols, seed);
  return () => tf.tensor2d(values, transpose ? [cols, rows] : [rows, cols]);
}

/** a x b for float32 arrays of shapes [..., m, k] and [..., k, n], batch dimensions broadcast as in NumPy; float64 sums. */
function broadcastMatMul(av: Float32Array, sa: number[], bv: Float32Array, sb: number[]): Evaluated {
  const [m, k, n] = [sa[sa.length - 2], sa[sa.length - 1], sb[sb.length - 1]];
  const oa = sa.slice(0, -2), ob = sb.slice(0, -2);
  const rank = Math.max(oa.length, ob.length);
  const pa = [...new Array<number>(rank - oa.length).fill(1), ...oa];
  const pb = [...new Array<number>(rank - ob.length).fill(1), ...ob];
  const outer = pa.map((d, i) => Math.max(d, pb[i]));  // the batch shapes broadcast
  const batches = outer.reduce((p, d) => p * d, 1);
  const out = new Float32Array(batches * m * n);
  for (let bi = 0; bi < batches; bi++) {
    const ia = broadcastIndex(oa, outer, bi);
    const ib = broadcastIndex(ob, outer, bi);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += av[(ia * m + r) * k + q] * bv[(ib * k + q) * n + c];
        out[(bi * m + r) * n + c] = sum;
      }
    }
  }
  return {shape: [...outer, m, n], dtype: 'float32', values: out};
}

describe('BatchMatMul', () => {
  for (const threads of [1, 2]) {
    for (const [m, n, k] of SIZES) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        it(`${m}x${k} * ${k}x${n} transposeA=${ta} transposeB=${tb} [${threads} thread(s)]`, async () => {
          setThreads(threads);
          const a = matrix(m, k, ta, m * 7 + k);
          const b = matrix(k, n, tb, n * 13 + k);
          // Larger K sums more terms: a looser floor for the difference in summation order.
          const atol = k > 500 ? 1e-4 : 1e-5;
          await compareWithCpu(() => tf.matMul(a(), b(), ta, tb), {atol, label: `${m}x${n}x${k}`});
        });
      }
    }
  }

  const batched: [number[], number[]][] = [
    [[2, 3, 5, 7], [3, 7, 4]],
    [[1, 5, 7], [4, 7, 9]],
    [[5, 17, 33], [33, 20]],
    [[2, 6, 8], [2, 8, 70]],
    [[3, 1, 4, 6], [1, 6, 2]],
    [[9, 3], [2, 2, 3, 5]],
  ];
  for (const threads of [1, 2]) {
    for (const [sa, sb] of batched) {
      it(`broadcasts batches [${sa}] x [${sb}] [${threads} thread(s)]`, async () => {
        setThreads(threads);
        const av = randomFloats(sa.reduce((p, d) => p * d, 1), 1);
        const bv = randomFloats(sb.reduce((p, d) => p * d, 1), 2);
        await compareWithCpu(() => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb)));
        // transposed variants of the same product
        const saT = sa.slice(0, -2).concat([sa[sa.length - 1], sa[sa.length - 2]]);
        const sbT = sb.slice(0, -2).concat([sb[sb.length - 1], sb[sb.length - 2]]);
        await compareWithCpu(() => tf.matMul(tf.tensor(av, saT), tf.tensor(bv, sbT), true, true));
      });
    }
  }

  it('propagates NaN and handles K = 0 and empty outputs', async () => {
    const av = randomFloats(12, 3);
    av[5] = NaN;
    await compareWithCpu(() => tf.matMul(tf.tensor2d(av, [3, 4]), tf.tensor2d(randomFloats(20, 4), [4, 5])));
    await compareWithCpu(() => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 5])));
    await compareWithCpu(() => tf.matMul(tf.zeros([0, 4]), tf.zeros([4, 5])));
  });

  // Batch dimensions broadcast as in NumPy and TensorFlow. tfjs-backend-cpu takes output batch i from
  // a[i % batchA] and b[i % batchB], which is the broadcast only where a batch shape is a trailing part
  // of the output's ([3] or [1, 3] against [2, 3]); for [2, 1] against [2, 3] it answers with the wrong
  // batches. So these compare with float64 sums written here.
  const broadcastOnly: [number[], number[]][] = [
    [[3, 1, 2, 3], [2, 3, 2]],
    [[2, 3, 4, 5], [2, 1, 5, 6]],
    [[2, 1, 4, 5], [2, 3, 5, 6]],
    [[1, 2, 3, 4], [3, 1, 4, 5]],
    [[2, 1, 3, 1, 7], [3, 1, 7, 4]],
  ];
  for (const [sa, sb] of broadcastOnly) {
    it(`broadcasts batches [${sa}] x [${sb}] as NumPy does (float64 reference, 1 and 2 threads)`, async () => {
      const av = randomFloats(sa.reduce((p, d) => p * d, 1), 5);
      const bv = randomFloats(sb.reduce((p, d) => p * d, 1), 6);
      const expected = broadcastMatMul(av, sa, bv, sb);
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          const got = await evalOn('native-cpu', () => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb)));
          expectClose(got, [expected], 1e-5, 1e-5, `[${sa}] x [${sb}] t${threads} [${isa}]`);
          // The same product with both operands stored transposed. (tf.fused.matMul flattens the batch
          // dimensions before its kernel runs, so it cannot express these broadcasts on any backend.)
          const swapLast = (rank: number) => [...Array(rank).keys()].map((d) => (d < rank - 2 ? d : 2 * rank - 3 - d));
          const transposed = await evalOn('native-cpu', () =>
            tf.matMul(tf.transpose(tf.tensor(av, sa), swapLast(sa.length)), tf.transpose(tf.tensor(bv, sb), swapLast(sb.length)), true, true),
          );
          expectClose(transposed, [expected], 1e-5, 1e-5, `transposed operands, t${threads} [${isa}]`);
        });
      }
    });
  }

  it('rejects non-float32 operands and mismatched inner sizes', async () => {
    await tf.setBackend('native-cpu');
    const ai = tf.ones([2, 3], 'int32');
    const bi = tf.ones([3, 2], 'int32');
    const a = tf.ones([2, 3]);
    const b = tf.ones([4, 2]);
    expect(() => tf.engine().runKernel('BatchMatMul', {a: ai, b: bi}, {transposeA: false, transposeB: false})).toThrow(
      /BatchMatMul: a has dtype 'int32'; supported: float32/,
    );
    expect(() => tf.engine().runKernel('BatchMatMul', {a, b}, {transposeA: false, transposeB: false})).toThrow(
      /BatchMatMul: inner shapes \(3\) and \(4\)/,
    );
    const a3 = tf.ones([3, 4, 2, 3]);
    const b3 = tf.ones([2, 3, 2]);
    expect(() => tf.engine().runKernel('BatchMatMul', {a: a3, b: b3}, {transposeA: false, transposeB: false})).toThrow(
      /BatchMatMul: batch dimensions \[3,4\] and \[2\] do not broadcast/,
    );
    tf.dispose([ai, bi, a, b, a3, b3]);
  });
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;

describe('_FusedMatMul', () => {
  for (const threads of [1, 2]) {
    // 1 x 1280 and 2 x 1031 (odd): GEMVs over K past one K block, which gemm_compute keeps whole.
    for (const [m, n, k] of [[17, 33, 9], [100, 70, 200], [1, 1000, 1280], [2, 80, 1031]] as [number, number, number][]) {
      for (const activation of ACTIVATIONS) {
        it(`${m}x${n}x${k} bias + ${activation} [${threads} thread(s)]`, async () => {
          setThreads(threads);
          const a = matrix(m, k, false, 5);
          const b = matrix(k, n, true, 6);
          const bias = randomFloats(n, 7);
          const alpha = randomFloats(n, 8, 0, 0.5);
          await compareWithCpu(
            () =>
              tf.fused.matMul({
                a: a(),
                b: b(),
                transposeB: true,
                bias: tf.tensor1d(bias),
                activation,
                preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
                leakyreluAlpha: 0.15,
              }),
            {atol: k > 500 ? 1e-4 : 1e-5},
          );
        });
      }
    }
  }

  const [m, n, k] = [6, 35, 20];
  const shapes: number[][] = [[], [1], [n], [1, n], [m, n], [m, 1], [3, m, n], [3, 1, n]];
  for (const shape of shapes) {
    it(`bias and prelu slopes of shape [${shape}] (batched a, transposeA)`, async () => {
      const av = randomFloats(3 * m * k, 9);
      const bv = randomFloats(k * n, 10);
      const size = shape.reduce((p, d) => p * d, 1);
      const bias = randomFloats(size, 11);
      const alpha = randomFloats(size, 12, 0, 0.5);
      await compareWithCpu(() =>
        tf.fused.matMul({
          a: tf.tensor3d(av, [3, k, m]),
          b: tf.tensor2d(bv, [k, n]),
          transposeA: true,
          bias: tf.tensor(bias, shape),
          activation: 'prelu',
          preluActivationWeights: tf.tensor(alpha, shape),
        }),
      );
    });
  }

  it('activations at extreme values', async () => {
    // Finite only: b is the identity, and NaN or Inf times its zeros would make every output NaN.
    const values = [-200, -90, -88.5, -50, -10, -1e-3, -0, 0, 1e-3, 10, 50, 88.5, 90, 200, 3, -3];
    const n = values.length;
    const eye = new Float32Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    for (const activation of ACTIVATIONS) {
      await compareWithCpu(() =>
        tf.fused.matMul({
          a: tf.tensor2d(values, [1, n]),
          b: tf.tensor2d(eye, [n, n]),
          bias: tf.zeros([n]),
          activation,
          preluActivationWeights: activation === 'prelu' ? tf.fill([n], 0.25) : undefined,
          leakyreluAlpha: 0.1,
        }),
      );
    }
  });

  it('swish (the native-only activation) equals x * sigmoid(x)', async () => {
    const m = 5, n = 37, k = 19;
    const av = randomFloats(m * k, 13, -4, 4);
    const bv = randomFloats(k * n, 14, -4, 4);
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const y = tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n]));
      return tf.mul(y, tf.sigmoid(y)).dataSync();
    });
    await tf.setBackend('native-cpu');
    for (const isa of ['avx512', 'avx2', 'portable'] as const) {
      setIsaLevel(isa);
      const a = tf.tensor2d(av, [m, k]);
      const b = tf.tensor2d(bv, [k, n]);
      const y = tf.engine().runKernel('_FusedMatMul', {a, b}, {transposeA: false, transposeB: false, activation: 'swish'}) as tf.Tensor;
      const got = y.dataSync();
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs(got[i] - expected[i]), `${isa} element ${i}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(expected[i]));
      }
      tf.dispose([a, b, y]);
    }
    setIsaLevel('avx512');
  });

  it('swish on special and extreme values equals x * sigmoid(x) at every ISA level', async () => {
    // One column of values times a row of ones: every output column is swish of the value itself.
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 100, -100, 88.5, -88.5, 87, -87, 1e-30, -1e-30];
    const xs = [...special, ...randomFloats(45, 15, -120, 120)];
    const m = xs.length, n = 21;
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const x = tf.tensor1d(xs);
      return tf.mul(x, tf.sigmoid(x)).dataSync();
    });
    await tf.setBackend('native-cpu');
    for (const isa of ['avx512', 'avx2', 'portable'] as const) {
      setIsaLevel(isa);
      const a = tf.tensor2d(xs, [m, 1]);
      const b = tf.ones([1, n]);
      const y = tf.engine().runKernel('_FusedMatMul', {a, b}, {transposeA: false, transposeB: false, activation: 'swish'}) as tf.Tensor;
      const got = y.dataSync();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const g = got[i * n + j];
          const want = expected[i];
          if (Number.isNaN(want)) {
            expect(Number.isNaN(g), `${isa} swish(${xs[i]}) = ${g}`).toBe(true);
          } else if (g !== want) {
            expect(Math.abs(g - want), `${isa} swish(${xs[i]}) = ${g}, want ${want}`).toBeLessThanOrEqual(1e-6 + 2e-6 * Math.abs(want));
          }
        }
      }
      tf.dispose([a, b, y]);
    }
    setIsaLevel('avx512');
  });

  it('swish keeps its stated accuracy (relative error 4e-6) over a dense sweep at every ISA level', async () => {
    // The kernels take exp(-x) from a degree-4 polynomial (relative error 2.6e-6) plus the rounding of
    // x * log2(e): a wrong coefficient or a lower degree fails here. Reference in double precision.
    const xs = Float32Array.from({length: 2001}, (_, i) => -20 + i * 0.02 + 1e-3 * Math.sin(i));
    const n = 3;
    await tf.setBackend('native-cpu');
    for (const isa of ['avx512', 'avx2'] as const) {
      setIsaLevel(isa);
      const a = tf.tensor2d(xs, [xs.length, 1]);
      const b = tf.ones([1, n]);
      const y = tf.engine().runKernel('_FusedMatMul', {a, b}, {transposeA: false, transposeB: false, activation: 'swish'}) as tf.Tensor;
      const got = y.dataSync();
      let worst = 0;
      for (let i = 0; i < xs.length; i++) {
        const want = xs[i] / (1 + Math.exp(-xs[i]));
        if (want !== 0) worst = Math.max(worst, Math.abs(got[i * n] - want) / Math.abs(want));
      }
      expect(worst, `${isa} worst relative error`).toBeLessThanOrEqual(4e-6);
      tf.dispose([a, b, y]);
    }
    setIsaLevel('avx512');
  });

  it('rejects unsupported activations and bias shapes', async () => {
    await tf.setBackend('native-cpu');
    const a = tf.ones([2, 3]);
    const b = tf.ones([3, 4]);
    const bias = tf.ones([3]);
    const attrs = {transposeA: false, transposeB: false};
    expect(() => tf.engine().runKernel('_FusedMatMul', {a, b}, {...attrs, activation: 'tanh'})).toThrow(
      /_FusedMatMul: unsupported activation 'tanh'/,
    );
    expect(() => tf.engine().runKernel('_FusedMatMul', {a, b, bias}, {...attrs, activation: 'linear'})).toThrow(
      /_FusedMatMul: bias of shape \[3\] does not broadcast to the output shape \[2,4\]/,
    );
    tf.dispose([a, b, bias]);
  });

  it('caches the packed weight and frees it with the weight tensor', async () => {
    await tf.setBackend('native-cpu');
    const before = nativeInfo().bytesInUse;
    const a = tf.tensor2d(randomFloats(4 * 50, 1), [4, 50]);
    const w = tf.tensor2d(randomFloats(50 * 30, 2), [50, 30]);
    const y1 = tf.fused.matMul({a, b: w, activation: 'relu'});
    const held = nativeInfo().bytesInUse - before;
    expect(held).toBeGreaterThan((a.size + w.size + y1.size) * 4);
    const y2 = tf.fused.matMul({a, b: w, activation: 'relu'});
    expect(nativeInfo().bytesInUse - before).toBe(held + y2.size * 4);
    // BatchMatMul never caches.
    const y3 = tf.matMul(a, w);
    expect(nativeInfo().bytesInUse - before).toBe(held + (y2.size + y3.size) * 4);
    w.dispose();
    tf.dispose([a, y1, y2, y3]);
    expect(nativeInfo().bytesInUse).toBe(before);
  });
});

/** The fused matmul m x k times k x n with a bias and each activation against tfjs-cpu, every ISA. */
async function compareEveryActivation(m: number, n: number, k: number, seed: number, atol = 1e-5): Promise<void> {
  setThreads(1);
  const a = matrix(m, k, false, seed);
  const b = matrix(k, n, false, seed + 1);
  const bias = randomFloats(n, seed + 2);
  const slopes = randomFloats(n, seed + 3, 0, 0.5);
  for (const activation of ACTIVATIONS) {
    await compareWithCpu(
      () =>
        tf.fused.matMul({
          a: a(),
          b: b(),
          bias: tf.tensor1d(bias),
          activation,
          preluActivationWeights: activation === 'prelu' ? tf.tensor1d(slopes) : undefined,
          leakyreluAlpha: 0.2,
        }),
      {atol},
    );
  }
}

/** _FusedMatMul with the swish (no tfjs op fuses it) against x * sigmoid(x) on tfjs-cpu, for each width. */
async function expectSwishOnWidths(widths: number[], m: number, k: number, seed: number): Promise<void> {
  for (const n of widths) {
    const av = randomFloats(m * k, seed, -2, 2);
    const bv = randomFloats(k * n, seed + 1, -2, 2);
    const biasValues = randomFloats(n, seed + 2);
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const y = tf.add(tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n])), tf.tensor1d(biasValues));
      return tf.mul(y, tf.sigmoid(y)).dataSync();
    });
    await tf.setBackend('native-cpu');
    const a = tf.tensor2d(av, [m, k]);
    const b = tf.tensor2d(bv, [k, n]);
    const bias = tf.tensor1d(biasValues);
    const y = tf.engine().runKernel('_FusedMatMul', {a, b, bias}, {transposeA: false, transposeB: false, activation: 'swish'}) as tf.Tensor;
    const got = y.dataSync();
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs(got[i] - expected[i]), `n = ${n}, element ${i}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(expected[i]));
    }
    tf.dispose([a, b, bias, y]);
  }
}

describe('AVX-512 register tiles', () => {
  const addon = loadCpuAddon() as unknown as {
    gemmTile(options: {n: number}): string;
    gemmTileRates(kind?: 'half' | 'full' | 'auto'): 'half' | 'full';
  };
  // The tiles below are reached with the rates of a core that issues 512-bit FMAs in halves (Zen 4),
  // whatever this CPU is: with the full-width rates 8x40 is never the cheapest.
  beforeAll(() => addon.gemmTileRates('half'));
  afterAll(() => addon.gemmTileRates('auto'));
  // Widths and the tile gemm_select (cpp/ops/gemm.cc) picks for them: together they reach every
  // AVX-512 tile, full and masked (20, 68 and 37 leave the ymm half of 14x24 and 8x40 partly masked).
  const TILES: [number, string][] = [
    [12, '14x16-avx512'],
    [16, '14x16-avx512'],
    [20, '14x24-avx512'],
    [24, '14x24-avx512'],
    [68, '14x24-avx512'],
    [30, '12x32-avx512'],
    [32, '12x32-avx512'],
    [128, '6x64-avx512'],
    [112, '3x112-avx512'],
    [100, '3x112-avx512'],
    [40, '8x40-avx512'],
    [37, '8x40-avx512'],
    [45, '8x48-avx512'],
    [144, '8x48-avx512'],
  ];

  it.skipIf(nativeInfo().detectedIsa !== 'avx512')('the tile each width runs', () => {
    setIsaLevel('avx512');
    expect(TILES.map(([n]) => [n, addon.gemmTile({n})])).toEqual(TILES);
  });

  it.skipIf(nativeInfo().detectedIsa !== 'avx512')('the full-width rates pick tiles without ymm halves where those cost a whole FMA', () => {
    setIsaLevel('avx512');
    const pick = (kind: 'half' | 'full', widths: number[]) => {
      expect(addon.gemmTileRates(kind)).toBe(kind);
      return widths.map((n) => addon.gemmTile({n}).replace('-avx512', ''));
    };
    const widths = [16, 24, 40, 80, 112, 224, 672, 1000, 1152];
    expect(pick('half', widths)).toEqual(['14x16', '14x24', '8x40', '14x16', '3x112', '3x112', '3x112', '3x112', '6x64']);
    expect(pick('full', widths)).toEqual(['14x16', '14x24', '8x48', '5x80', '3x112', '12x32', '8x48', '8x48', '6x64']);
    expect(['half', 'full']).toContain(addon.gemmTileRates('auto'));
    expect(() => addon.gemmTileRates('wide' as 'full')).toThrowError(/gemmTileRates: unknown kind 'wide'; supported: half, full, auto/);
    addon.gemmTileRates('half');
  });

  it('gemmTile rejects widths out of range', () => {
    expect(() => addon.gemmTile({n: 0})).toThrow(/n must be between 1 and 2\^31/);
  });

  // m = 29 = 14 + 14 + 1 = 9 * 3 + 2 = 3 * 8 + 5: full tiles and partial ones of every tile; k = 37 odd.
  const [m, k] = [29, 37];
  for (const [n, tile] of TILES) {
    it(`${m}x${n}x${k} (${tile}): bias + every activation, every ISA`, () => compareEveryActivation(m, n, k, 31));
  }

  // m = 169 leaves one row after the full tiles of every tile height (3, 6, 8, 12, 14): the driver
  // runs the last mr + 1 rows as two tiles of about half; k = 600 adds a second K block (C reloaded).
  for (const [n, tile] of TILES) {
    it(`169x${n}x600 (${tile}): a one-row remainder split into two tiles`, async () => {
      setThreads(1);
      const a = matrix(169, 600, false, 41);
      const b = matrix(600, n, false, 42);
      const bias = randomFloats(n, 43);
      await compareWithCpu(() => tf.fused.matMul({a: a(), b: b(), bias: tf.tensor1d(bias), activation: 'relu'}));
    });
  }

  it('swish on every tile equals x * sigmoid(x + bias)', () => expectSwishOnWidths(TILES.map(([n]) => n), m, k, 35));
});

describe('AVX-512 tiles the full-width rates add', () => {
  const addon = loadCpuAddon() as unknown as {
    gemmTile(options: {n: number}): string;
    gemmTileRates(kind?: 'half' | 'full' | 'auto'): 'half' | 'full';
  };
  beforeAll(() => addon.gemmTileRates('full'));
  afterAll(() => addon.gemmTileRates('auto'));
  // 5x80 (N = 80k without padding): 70 masks its last vector, 160 runs two panels.
  const FULL_TILES: [number, string][] = [
    [80, '5x80-avx512'],
    [70, '5x80-avx512'],
    [160, '5x80-avx512'],
  ];

  it.skipIf(nativeInfo().detectedIsa !== 'avx512')('the tile each width runs', () => {
    setIsaLevel('avx512');
    expect(FULL_TILES.map(([n]) => [n, addon.gemmTile({n})])).toEqual(FULL_TILES);
  });

  // Rows: 25 + 4 (the 4-row tile), 30 + 2 (the 2-row tile), 30 + 1 (the last 6 rows as two tiles of 3);
  // k = 600 adds a second K block (C reloaded), k = 37 is odd.
  for (const [n, tile] of FULL_TILES) {
    for (const [m, k] of [[29, 37], [32, 600], [31, 37]] as [number, number][]) {
      it(`${m}x${n}x${k} (${tile}): bias + every activation, every ISA`, () =>
        compareEveryActivation(m, n, k, 51, k > 500 ? 1e-4 : 1e-5));
    }
  }

  it('swish on each tile equals x * sigmoid(x + bias)', () => expectSwishOnWidths(FULL_TILES.map(([n]) => n), 29, 37, 55));
});
