import {afterAll, describe, expect, it} from 'vitest';

import {getThreads, setThreads} from '../src/index.js';
import {compareWithCpu, forEachIsa, randomFloats, tf} from './util/reference.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  batch: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  mult: number;
  stride: number;
  dilation: number;
  pad: Pad | number;
}

let seed = 1;

function operands(t: Case) {
  const s = seed++;
  const x = randomFloats(t.batch * t.h * t.w * t.c, s);
  const f = randomFloats(t.kh * t.kw * t.c * t.mult, s + 1000);
  const b = randomFloats(t.c * t.mult, s + 2000);
  const p = randomFloats(t.c * t.mult, s + 3000, 0, 0.5);
  return {x, f, b, p};
}

function label(t: Case, extra = ''): string {
  return `${t.batch}x${t.h}x${t.w}x${t.c} k${t.kh}x${t.kw} m${t.mult} s${t.stride} d${t.dilation} pad ${JSON.stringify(t.pad)} ${extra}`;
}

async function checkPlain(t: Case): Promise<void> {
  const {x, f} = operands(t);
  await compareWithCpu(
    () =>
      tf.depthwiseConv2d(
        tf.tensor4d(x, [t.batch, t.h, t.w, t.c]),
        tf.tensor4d(f, [t.kh, t.kw, t.c, t.mult]),
        t.stride,
        t.pad as never,
        'NHWC',
        t.dilation,
      ),
    {label: label(t)},
  );
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;

/** A 'same' depthwise conv with bias and swish: the fused kernel on native-cpu, composed ops on tfjs-cpu. */
function swishDepthwise(
  shape: [number, number, number, number],
  k: number,
  stride: number,
  x: Float32Array,
  f: Float32Array,
  b: Float32Array,
): () => tf.Tensor {
  return () => {
    const xt = tf.tensor4d(x, shape);
    const ft = tf.tensor4d(f, [k, k, shape[3], 1]);
    const bt = tf.tensor1d(b);
    if (tf.getBackend() === 'cpu') {
      const y = tf.add(tf.depthwiseConv2d(xt, ft, stride, 'same'), bt);
      return tf.mul(y, tf.sigmoid(y));
    }
    return tf.engine().runKernel(
      'FusedDepthwiseConv2D',
      {x: xt, filter: ft, bias: bt},
      {strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'swish'},
    ) as tf.Tensor;
  };
}

async function checkFused(t: Case, activation: (typeof ACTIVATIONS)[number], withBias: boolean): Promise<void> {
  const {x, f, b, p} = operands(t);
  await compareWithCpu(
    () =>
      tf.fused.depthwiseConv2d({
        x: tf.tensor4d(x, [t.batch, t.h, t.w, t.c]),
        filter: tf.tensor4d(f, [t.kh, t.kw, t.c, t.mult]),
        strides: t.stride,
        pad: t.pad as never,
        dilations: t.dilation,
        bias: withBias ? tf.tensor1d(b) : undefined,
        activation,
        preluActivationWeights: activation === 'prelu' ? tf.tensor1d(p) : undefined,
        leakyreluAlpha: 0.15,
      }),
    {label: label(t, `${activation} bias=${withBias}`), rtol: 2e-5, atol: 2e-5},
  );
}

const SIZES: Array<[number, number]> = [
  [7, 9],
  [8, 8],
  [15, 15],
  [1, 1],
];
const CHANNELS = [1, 3, 7, 16, 17, 40, 96];
const PADS: Array<Pad | number> = ['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]], 1];

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

describe('DepthwiseConv2dNative', () => {
  for (const threads of [1, 2]) {
    it(`matches tfjs-cpu for 3x3 and 5x5, strides 1 and 2, every channel count (${threads} threads)`, async () => {
      setThreads(threads);
      let i = 0;
      for (const k of [3, 5]) {
        for (const stride of [1, 2]) {
          for (const c of CHANNELS) {
            const [h, w] = SIZES[i % SIZES.length];
            const pad = PADS[(i >> 1) % PADS.length];
            const batch = i % 3 === 0 ? 3 : 1;
            i++;
            if ((pad === 'valid' || typeof pad === 'number') && (h < k || w < k)) continue;
            await checkPlain({batch, h, w, c, kh: k, kw: k, mult: 1, stride, dilation: 1, pad});
          }
        }
      }
    });
  }

  it('covers every padding mode on odd and even sizes', async () => {
    setThreads(2);
    for (const [h, w] of SIZES) {
      for (const pad of PADS) {
        for (const [k, stride] of [
          [3, 1],
          [3, 2],
          [5, 2],
        ]) {
          if ((pad === 'valid' || typeof pad === 'number') && (h < k || w < k)) continue;
          await checkPlain({batch: 2, h, w, c: 17, kh: k, kw: k, mult: 1, stride, dilation: 1, pad});
        }
      }
    }
  });

  it('runs the general path: kernels 1, 7 and 2x3, dilation 2, channel multiplier 2', async () => {
    const cases: Case[] = [
      {batch: 1, h: 8, w: 8, c: 16, kh: 1, kw: 1, mult: 1, stride: 1, dilation: 1, pad: 'same'},
      {batch: 2, h: 15, w: 15, c: 7, kh: 7, kw: 7, mult: 1, stride: 2, dilation: 1, pad: 'same'},
      {batch: 1, h: 7, w: 9, c: 17, kh: 2, kw: 3, mult: 1, stride: 1, dilation: 1, pad: 'valid'},
      {batch: 3, h: 7, w: 9, c: 3, kh: 3, kw: 3, mult: 1, stride: 1, dilation: 2, pad: 'same'},
      {batch: 1, h: 15, w: 15, c: 40, kh: 5, kw: 5, mult: 1, stride: 1, dilation: 2, pad: 'valid'},
      {batch: 2, h: 8, w: 8, c: 7, kh: 3, kw: 3, mult: 2, stride: 1, dilation: 1, pad: 'same'},
      {batch: 1, h: 7, w: 9, c: 17, kh: 3, kw: 3, mult: 2, stride: 2, dilation: 1, pad: 'valid'},
      {batch: 1, h: 15, w: 15, c: 3, kh: 2, kw: 3, mult: 3, stride: 1, dilation: 2, pad: [[0, 0], [2, 1], [0, 3], [0, 0]]},
      {batch: 1, h: 1, w: 1, c: 96, kh: 7, kw: 7, mult: 1, stride: 1, dilation: 1, pad: 'same'},
    ];
    // Fixed-size kernels with windows lying entirely in explicit padding.
    cases.push({batch: 1, h: 4, w: 5, c: 17, kh: 3, kw: 3, mult: 1, stride: 1, dilation: 1, pad: [[0, 0], [4, 3], [3, 4], [0, 0]]});
    cases.push({batch: 1, h: 6, w: 5, c: 40, kh: 5, kw: 5, mult: 1, stride: 2, dilation: 1, pad: [[0, 0], [6, 5], [5, 6], [0, 0]]});
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const t of cases) await checkPlain(t);
    }
  });

  it('supports dimRoundingMode with numeric padding', async () => {
    const x = randomFloats(1 * 8 * 8 * 5, 77);
    const f = randomFloats(3 * 3 * 5, 78);
    for (const mode of ['floor', 'round', 'ceil'] as const) {
      await compareWithCpu(
        () => tf.depthwiseConv2d(tf.tensor4d(x, [1, 8, 8, 5]), tf.tensor4d(f, [3, 3, 5, 1]), 2, 1, 'NHWC', 1, mode),
        {label: mode},
      );
    }
  });

  it('propagates NaN and infinities like tfjs', async () => {
    const x = randomFloats(1 * 6 * 6 * 17, 5);
    x[3] = NaN;
    x[17 * 8 + 4] = Infinity;
    x[17 * 20 + 5] = -Infinity;
    const f = randomFloats(3 * 3 * 17, 6);
    await compareWithCpu(() => tf.depthwiseConv2d(tf.tensor4d(x, [1, 6, 6, 17]), tf.tensor4d(f, [3, 3, 17, 1]), 1, 'same'));
  });
});

describe('row edges of the fixed-size kernels', () => {
  // Columns whose taps leave the row run in blocks that skip those taps; rows narrower than a block,
  // left padding wider than a block and the last block (which may recompute columns) all go there.
  it('narrow rows, every width up to two blocks, strides 1 and 2, at every ISA level', async () => {
    for (const k of [3, 5]) {
      for (const stride of [1, 2]) {
        for (const w of [1, 2, 3, 4, 5, 6, 7, 9, 12, 13]) {
          await checkPlain({batch: 1, h: 4, w, c: 19, kh: k, kw: k, mult: 1, stride, dilation: 1, pad: 'same'});
        }
      }
    }
  });

  it('a row computed in a pair of rows has the bits of the same row computed alone, at every ISA level', async () => {
    // One thread runs the rows in pairs from the first; three threads start their ranges at other rows,
    // so rows change between first-of-pair, second-of-pair and single. Every row sums its taps in one order.
    await tf.setBackend('native-cpu');
    await forEachIsa((isa) => {
      const cases = [[3, 1, 'swish'], [5, 2, 'swish'], [5, 1, 'linear'], [3, 1, 'relu'], [3, 1, 'linear']] as const;
      for (const [k, stride, activation] of cases) {
        const t: Case = {batch: 2, h: 31, w: 9, c: 19, kh: k, kw: k, mult: 1, stride, dilation: 1, pad: 'same'};
        const {x, f, b} = operands(t);
        const run = (threads: number) => {
          setThreads(threads);
          const y = tf.engine().runKernel(
            'FusedDepthwiseConv2D',
            {x: tf.tensor4d(x, [t.batch, t.h, t.w, t.c]), filter: tf.tensor4d(f, [k, k, t.c, 1]), bias: tf.tensor1d(b)},
            {strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation},
          ) as tf.Tensor;
          const values = Array.from(y.dataSync());
          y.dispose();
          return values;
        };
        expect(run(3), `${isa} k${k} s${stride} ${activation}`).toEqual(run(1));
      }
    });
  });

  it('swish at the row edges: every width up to two blocks, the maps of EfficientNet, at every ISA level', async () => {
    // The scaled swish's edge blocks have their outside columns compiled in (one or two on either side,
    // whole channel tiles): 32 channels are two such tiles, 19 one and a tail. Heights 4 and 9 give row
    // pairs with and without padding rows, and a last single row.
    const widths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 19];
    let s = 40;
    for (const k of [3, 5]) {
      for (const stride of [1, 2]) {
        for (const w of widths) {
          const h = w % 2 === 0 ? 4 : 9;
          const c = w % 3 === 0 ? 19 : 32;
          const x = randomFloats(h * w * c, s++, -3, 3);
          const f = randomFloats(k * k * c, s++);
          const b = randomFloats(c, s++);
          await compareWithCpu(swishDepthwise([1, h, w, c], k, stride, x, f, b), {
            label: `${h}x${w}x${c} k${k} s${stride} swish`,
            rtol: 2e-5,
            atol: 2e-5,
          });
        }
      }
    }
  });

  it('left padding wider than a block', async () => {
    for (const k of [3, 5]) {
      const pad: Pad = [[0, 0], [1, 1], [6, 2], [0, 0]];
      await checkPlain({batch: 1, h: 5, w: 7, c: 33, kh: k, kw: k, mult: 1, stride: 1, dilation: 1, pad});
    }
  });

  it('skips taps outside the row: infinite weights there leave the sums finite, as in tfjs', async () => {
    // Tap (0, 0) and (k-1, k-1) are outside the row for the first and last output columns.
    for (const k of [3, 5]) {
      const c = 17;
      const f = randomFloats(k * k * c, 7);
      f[0] = Infinity;
      f[(k * k - 1) * c + 1] = -Infinity;
      f[2] = NaN;
      const x = randomFloats(1 * 3 * 6 * c, 8);
      await compareWithCpu(() => tf.depthwiseConv2d(tf.tensor4d(x, [1, 3, 6, c]), tf.tensor4d(f, [k, k, c, 1]), 1, 'same'));
    }
  });
});

describe('FusedDepthwiseConv2D', () => {
  it('applies bias and every tfjs activation at every ISA level', async () => {
    let i = 0;
    for (const activation of ACTIVATIONS) {
      for (const [k, stride, c, mult] of [
        [3, 1, 17, 1],
        [5, 2, 40, 1],
        [3, 2, 7, 2],
      ]) {
        setThreads(1 + (i++ % 2));
        await checkFused(
          {batch: 2, h: 9, w: 7, c, kh: k, kw: k, mult, stride, dilation: 1, pad: 'same'},
          activation,
          i % 3 !== 0,
        );
      }
    }
  });

  it('accepts a scalar bias and scalar prelu weights', async () => {
    const x = randomFloats(1 * 5 * 5 * 16, 11);
    const f = randomFloats(3 * 3 * 16, 12);
    await compareWithCpu(() =>
      tf.fused.depthwiseConv2d({
        x: tf.tensor4d(x, [1, 5, 5, 16]),
        filter: tf.tensor4d(f, [3, 3, 16, 1]),
        strides: 1,
        pad: 'same',
        bias: tf.scalar(0.25),
        activation: 'prelu',
        preluActivationWeights: tf.scalar(0.1),
      }),
    );
  });

  it('broadcasts bias and prelu weights of any shape against the output, as tfjs does', async () => {
    const x = randomFloats(2 * 6 * 5 * 3, 31);
    const f = randomFloats(3 * 3 * 3 * 2, 32);
    // Output [2, 6, 5, 6] ('same', multiplier 2).
    const shapes: Array<[number[], number[]]> = [
      [[6, 5, 6], [6]],
      [[1, 1, 5, 1], [6, 5, 6]],
      [[6], [2, 6, 5, 6]],
      [[2, 1, 1, 6], [1, 6, 1, 1]],
    ];
    let seed = 40;
    for (const [biasShape, preluShape] of shapes) {
      const b = randomFloats(biasShape.reduce((p, q) => p * q, 1), seed++);
      const p = randomFloats(preluShape.reduce((u, v) => u * v, 1), seed++, 0, 0.5);
      for (const threads of [1, 2]) {
        setThreads(threads);
        await compareWithCpu(
          () =>
            tf.fused.depthwiseConv2d({
              x: tf.tensor4d(x, [2, 6, 5, 3]),
              filter: tf.tensor4d(f, [3, 3, 3, 2]),
              strides: 1,
              pad: 'same',
              bias: tf.tensor(b, biasShape),
              activation: 'prelu',
              preluActivationWeights: tf.tensor(p, preluShape),
            }),
          {label: `bias [${biasShape}] prelu [${preluShape}]`},
        );
      }
    }
  });

  // The vector kernels compute a swish from weights and bias scaled by -log2(e) (the plan packs them
  // so): results as x * sigmoid(x), also where exp overflows (sums far below -88) and where the scaled
  // weights would overflow (those filters run the portable kernels).
  const swishCase = (k: number, stride: number, x: Float32Array, f: Float32Array, b: Float32Array) =>
    swishDepthwise([2, 9, 9, 24], k, stride, x, f, b);

  it('supports swish (x * sigmoid(x)) natively', async () => {
    for (const [k, stride, range] of [[5, 1, 4], [3, 1, 150], [3, 2, 150], [5, 2, 150]]) {
      const x = randomFloats(2 * 9 * 9 * 24, 21 + k + stride, -range, range);
      const f = randomFloats(k * k * 24, 22);
      const b = randomFloats(24, 23);
      await compareWithCpu(swishCase(k, stride, x, f, b), {label: `k${k} s${stride} inputs within ${range}`});
    }
  });

  it('swish with weights or a bias too large to scale', async () => {
    const x = randomFloats(2 * 9 * 9 * 24, 24, -2, 2);
    const f = randomFloats(3 * 3 * 24, 25);
    const b = randomFloats(24, 26);
    const huge = f.slice();
    huge[4 * 24 + 5] = 3e38;  // times log2(e) overflows float32
    await compareWithCpu(swishCase(3, 1, x, huge, b), {label: 'weight 3e38'});
    const hugeBias = b.slice();
    hugeBias[7] = 2.5e38;
    await compareWithCpu(swishCase(3, 1, x, f, hugeBias), {label: 'bias 2.5e38'});
  });
});

describe('depthwise errors', () => {
  const x = () => tf.zeros([1, 4, 4, 3]);
  const f = () => tf.zeros([3, 3, 3, 1]);
  it('rejects NCHW', async () => {
    await tf.setBackend('native-cpu');
    for (const name of ['DepthwiseConv2dNative', 'FusedDepthwiseConv2D']) {
      expect(() =>
        tf.tidy(() =>
          tf.engine().runKernel(name, {x: x(), filter: f()}, {strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1}),
        ),
      ).toThrow(new RegExp(`${name}: dataFormat 'NCHW' is not supported; supported: NHWC`));
    }
  });

  it('rejects an unknown activation, wrong dtypes and mismatched channels', async () => {
    await tf.setBackend('native-cpu');
    const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1};
    expect(() =>
      tf.tidy(() => tf.engine().runKernel('FusedDepthwiseConv2D', {x: x(), filter: f()}, {...attrs, activation: 'gelu'})),
    ).toThrow(/FusedDepthwiseConv2D: unsupported activation 'gelu'/);
    expect(() =>
      tf.tidy(() =>
        tf.engine().runKernel('DepthwiseConv2dNative', {x: tf.zeros([1, 4, 4, 3], 'int32'), filter: f()}, attrs),
      ),
    ).toThrow(/DepthwiseConv2dNative: input 'x' has dtype int32; supported: float32/);
    expect(() =>
      tf.tidy(() => tf.engine().runKernel('DepthwiseConv2dNative', {x: x(), filter: tf.zeros([3, 3, 4, 1])}, attrs)),
    ).toThrow(/DepthwiseConv2dNative: filter \[3,3,4,1\] has 4 input channels but x \[1,4,4,3\] has 3/);
    expect(() =>
      tf.tidy(() =>
        tf.engine().runKernel(
          'FusedDepthwiseConv2D',
          {x: x(), filter: f(), bias: tf.zeros([5])},
          {...attrs, activation: 'relu'},
        ),
      ),
    ).toThrow(/FusedDepthwiseConv2D: 'bias' of shape \[5\] does not broadcast to the output shape \[1,4,4,3\]/);
    expect(() =>
      tf.tidy(() => tf.engine().runKernel('FusedDepthwiseConv2D', {x: x(), filter: f()}, {...attrs, activation: 'prelu'})),
    ).toThrow(/FusedDepthwiseConv2D: activation 'prelu' needs preluActivationWeights/);
  });

  it('rejects undersized buffers in native code without crashing', async () => {
    await tf.setBackend('native-cpu');
    const backend = tf.backend() as unknown as {run: (e: string, o: object) => void; bufferOf: (t: tf.Tensor, k: string) => number};
    const xt = tf.zeros([1, 4, 4, 3]);
    const ft = tf.zeros([3, 3, 3, 1]);
    const out = tf.zeros([1, 4, 4, 3]);
    const common = {
      x: backend.bufferOf(xt, 't'), filter: backend.bufferOf(ft, 't'), out: backend.bufferOf(out, 't'),
      batch: 1, inH: 4, inW: 4, channels: 3, multiplier: 1, filterH: 3, filterW: 3, strideH: 1, strideW: 1,
      padTop: 1, padLeft: 1, outH: 4, outW: 4,
    };
    expect(() => backend.run('depthwiseConv2d', {...common, inH: 5})).toThrow(/DepthwiseConv2dNative: buffer 'x' holds/);
    expect(() => backend.run('depthwiseConv2d', {...common, outW: 9})).toThrow(/DepthwiseConv2dNative: buffer 'out' holds/);
    expect(() => backend.run('depthwiseConv2d', {...common, strideH: 0})).toThrow(/DepthwiseConv2dNative: .*strides/);
    const bias = {bias: backend.bufferOf(ft, 't'), biasSize: 27, activation: 0};
    expect(() => backend.run('fusedDepthwiseConv2d', {...common, ...bias, biasStrides: [0, 3, 9, 1]})).toThrow(
      /FusedDepthwiseConv2D: 'bias' is too small for its broadcast strides/,
    );
    expect(() => backend.run('fusedDepthwiseConv2d', {...common, ...bias, biasSize: 5})).toThrow(
      /FusedDepthwiseConv2D: 'bias' must have 1 or 3 values, got 5/,
    );
    tf.dispose([xt, ft, out]);
  });
});
