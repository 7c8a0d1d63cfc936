
import {afterAll, describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {getThreads, nativeInfo, setThreads} from '../src/index.js';
import {Conv2DKernelAttrs, conv2DInfo, runConv2D} from '../src/kernels/Conv2D.js';
import {runWithAddon} from './util/addon_child.js';
import {compareWithCpu, evalOn, expectClose, forEachIsa, randomFloats, sumAtol, tf} from './util/reference.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  fh: number;
  fw: number;
  stride: number | [number, number];
  pad: Pad;
  dilation?: number;
}

const CASES: Case[] = [
  {batch: 1, h: 7, w: 9, cin: 3, cout: 7, fh: 3, fw: 3, stride: 1, pad: 'same'},
  {batch: 1, h: 7, w: 9, cin: 5, cout: 24, fh: 3, fw: 3, stride: 2, pad: 'valid'},
  {batch: 3, h: 7, w: 9, cin: 17, cout: 33, fh: 1, fw: 1, stride: 1, pad: 'valid'},
  {batch: 1, h: 9, w: 7, cin: 40, cout: 70, fh: 5, fw: 5, stride: 2, pad: 'same'},
  {batch: 1, h: 11, w: 9, cin: 3, cout: 1, fh: 7, fw: 7, stride: 1, pad: 'same'},
  {batch: 1, h: 9, w: 11, cin: 17, cout: 24, fh: 1, fw: 7, stride: 1, pad: 'same'},
  {batch: 1, h: 9, w: 11, cin: 17, cout: 24, fh: 7, fw: 1, stride: 1, pad: 'same'},
  {batch: 2, h: 9, w: 9, cin: 5, cout: 7, fh: 3, fw: 3, stride: 1, pad: 'same', dilation: 2},
  {batch: 1, h: 10, w: 9, cin: 5, cout: 33, fh: 3, fw: 3, stride: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]]},
  {batch: 3, h: 8, w: 7, cin: 40, cout: 70, fh: 3, fw: 3, stride: [2, 1], pad: 1},
  {batch: 1, h: 9, w: 9, cin: 24, cout: 40, fh: 1, fw: 1, stride: 2, pad: 'valid'},
  {batch: 1, h: 9, w: 9, cin: 24, cout: 40, fh: 1, fw: 1, stride: 1, pad: 1},
  {batch: 1, h: 32, w: 32, cin: 3, cout: 32, fh: 3, fw: 3, stride: 2, pad: 'same'},
  // K = 3*3*64 = 576 exercises K blocking; 900 pixels exercise pixel blocks.
  {batch: 1, h: 30, w: 30, cin: 64, cout: 64, fh: 3, fw: 3, stride: 1, pad: 'same'},
  {batch: 1, h: 5, w: 5, cin: 160, cout: 17, fh: 3, fw: 3, stride: 1, pad: 'valid', dilation: 2},
  // Few input channels (the few-channel rows path), big enough to be split over threads.
  {batch: 2, h: 40, w: 36, cin: 4, cout: 33, fh: 3, fw: 3, stride: 2, pad: 'same'},
  {batch: 1, h: 33, w: 35, cin: 16, cout: 20, fh: 3, fw: 3, stride: 1, pad: 'same'},
  {batch: 1, h: 30, w: 29, cin: 3, cout: 24, fh: 7, fw: 7, stride: 2, pad: [[0, 0], [3, 2], [1, 3], [0, 0]]},
  // Three channels (16-byte column copies): images back to back, no padding column at the right end
  // (the last column read is the image's last float), and pads wider than the image.
  {batch: 2, h: 13, w: 17, cin: 3, cout: 16, fh: 3, fw: 3, stride: 2, pad: 'valid'},
  {batch: 3, h: 5, w: 6, cin: 3, cout: 9, fh: 5, fw: 5, stride: 1, pad: [[0, 0], [4, 4], [4, 4], [0, 0]]},
  // Stems whose AVX-512 tiles read the input rows in place (a piece per filter row; GemmKernel::fn_segmented):
  // 6x64, 8x48 and 14x16 tiles, a window over the left border (odd width, 'same'), the last row's window
  // below the image, full and partial row tiles; a 7x7 stem (K = 147); K = 576 (> 512) interleaves instead.
  {batch: 2, h: 27, w: 29, cin: 3, cout: 64, fh: 3, fw: 3, stride: 2, pad: 'same'},
  {batch: 1, h: 31, w: 37, cin: 3, cout: 48, fh: 3, fw: 3, stride: 2, pad: 'same'},
  {batch: 1, h: 26, w: 35, cin: 3, cout: 13, fh: 3, fw: 3, stride: 2, pad: 'same'},
  {batch: 1, h: 33, w: 41, cin: 3, cout: 64, fh: 7, fw: 7, stride: 2, pad: 'same'},
  {batch: 1, h: 21, w: 19, cin: 4, cout: 32, fh: 12, fw: 12, stride: 2, pad: 'same'},
];

function label(c: Case): string {
  return `${c.batch}x${c.h}x${c.w}x${c.cin} -> ${c.cout}, ${c.fh}x${c.fw} s${c.stride} pad ${JSON.stringify(c.pad)} d${c.dilation ?? 1}`;
}

function inputs(c: Case, seed: number): {x: Float32Array; f: Float32Array} {
  return {
    x: randomFloats(c.batch * c.h * c.w * c.cin, seed),
    f: randomFloats(c.fh * c.fw * c.cin * c.cout, seed + 1),
  };
}

function outShape(c: Case): number[] {
  return tf.tidy(() => {
    return tf.conv2d(tf.zeros([c.batch, c.h, c.w, c.cin]) as tf.Tensor4D, tf.zeros([c.fh, c.fw, c.cin, c.cout]) as tf.Tensor4D,
      c.stride, c.pad, 'NHWC', c.dilation ?? 1).shape;
  });
}

// out = relu(conv + bias + residual) through the engine option the fused blocks use, at threads 1 and 2 and
// every ISA, against tfjs-cpu's composed ops.
async function expectResidualEpilogue(c: Case, seed: number, atol = 1e-5): Promise<void> {
  const {x, f} = inputs(c, seed);
  const [, oh, ow, oc] = outShape(c);
  const bias = randomFloats(oc, seed + 1);
  const residual = randomFloats(c.batch * oh * ow * oc, seed + 2);
  const make = () => ({
    x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]),
    f: tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]),
    b: tf.tensor1d(bias),
    r: tf.tensor4d(residual, [c.batch, oh, ow, oc]),
  });
  const expected = (await evalOn('cpu', () => {
    const t = make();
    return tf.relu(tf.add(tf.add(tf.conv2d(t.x, t.f, c.stride, c.pad, 'NHWC', c.dilation ?? 1), t.b), t.r));
  }))[0];
  for (const threads of [1, 2]) {
    setThreads(threads);
    await forEachIsa(async (isa) => {
      await tf.setBackend('native-cpu');
      const backend = tf.backend() as NativeCpuBackend;
      const t = make();
      const attrs = {strides: c.stride, pad: c.pad, dilations: c.dilation ?? 1} as Conv2DKernelAttrs;
      const info = conv2DInfo('FusedConv2D', t.x, t.f, attrs);
      const out = runConv2D(backend, 'FusedConv2D', 'fusedConv2d', t.x, t.f, info, {
        activation: 1,
        bias: backend.bufferOf(t.b, 'test'),
        biasShape: [oc],
        residual: backend.bufferOf(t.r, 'test'),
      });
      const y = tf.engine().makeTensorFromTensorInfo(out);
      expectClose([{shape: y.shape, dtype: y.dtype, values: y.dataSync()}], [expected], 1e-5, atol,
        `${label(c)} t${threads} [${isa}]`);
      tf.dispose([t.x, t.f, t.b, t.r, y]);
    });
  }
}

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

describe('Conv2D', () => {
  for (const threads of [1, 2]) {
    for (const c of CASES) {
      it(`${label(c)} [${threads} thread(s)]`, async () => {
        setThreads(threads);
        const {x, f} = inputs(c, 11);
        await compareWithCpu(
          () => tf.conv2d(tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]), tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]),
            c.stride, c.pad, 'NHWC', c.dilation ?? 1),
          {label: label(c), atol: sumAtol(c.fh * c.fw * c.cin)},
        );
      });
    }
  }

  it('propagates NaN and Infinity', async () => {
    const c = CASES[0];
    const {x, f} = inputs(c, 5);
    x[10] = NaN;
    x[40] = Infinity;
    await compareWithCpu(() =>
      tf.conv2d(tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]), tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]), 1, 'same'),
    );
  });

  // tfjs-backend-cpu sums only the taps inside the image, so an infinite weight leaves the outputs whose
  // windows put it outside finite; zeros standing in for the outside would make 0 * inf = NaN there.
  // Every strategy: the few-channel rows (cases 0, 12), patch gathering (3, 8, 9), 1x1 with padding (11),
  // dilation (7), 3x3 stride-1 convs Winograd would take (13, 16), and without padding (1, 14).
  for (const index of [0, 1, 3, 7, 8, 9, 11, 12, 13, 14, 16]) {
    const c = CASES[index];
    it(`infinite and NaN weights: only the taps inside the image, ${label(c)} [1 and 2 threads]`, async () => {
      const {x, f} = inputs(c, 21);
      f[0] = Infinity;
      f[f.length - 1] = -Infinity;
      f[Math.floor(f.length / 2)] = NaN;
      const bias = randomFloats(c.cout, 23);
      for (const threads of [1, 2]) {
        setThreads(threads);
        await compareWithCpu(
          () => tf.fused.conv2d({
            x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]), filter: tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]),
            strides: c.stride, pad: c.pad, dilations: c.dilation ?? 1, bias: tf.tensor1d(bias), activation: 'relu',
          }),
          {label: `${label(c)} t${threads}`, atol: sumAtol(c.fh * c.fw * c.cin)},
        );
      }
    });
  }

  it('handles zero-size outputs and zero input channels', async () => {
    await compareWithCpu(() => tf.conv2d(tf.zeros([0, 5, 5, 3]) as tf.Tensor4D, tf.ones([3, 3, 3, 4]) as tf.Tensor4D, 1, 'same'));
    await compareWithCpu(() => tf.conv2d(tf.zeros([1, 5, 5, 0]) as tf.Tensor4D, tf.ones([3, 3, 0, 4]) as tf.Tensor4D, 1, 'same'));
  });
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;

describe('FusedConv2D', () => {
  const shapes = [CASES[1], CASES[2], CASES[9], CASES[13]];
  for (const threads of [1, 2]) {
    for (const c of shapes) {
      for (const activation of ACTIVATIONS) {
        it(`${label(c)} bias + ${activation} [${threads} thread(s)]`, async () => {
          setThreads(threads);
          const {x, f} = inputs(c, 21);
          const bias = randomFloats(c.cout, 3);
          const alpha = randomFloats(c.cout, 4, 0, 0.5);
          await compareWithCpu(
            () =>
              tf.fused.conv2d({
                x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]),
                filter: tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]),
                strides: c.stride,
                pad: c.pad,
                dilations: c.dilation ?? 1,
                bias: tf.tensor1d(bias),
                activation,
                preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
                leakyreluAlpha: 0.3,
              }),
            {label: `${label(c)} ${activation}`, atol: sumAtol(c.fh * c.fw * c.cin)},
          );
        });
      }
    }
  }

  // CASES[3] takes the patch-gathering path, CASES[12] (3 input channels) the in-place stem path.
  for (const c of [CASES[3], CASES[12]]) {
  const [, oh, ow, oc] = outShape(c);
  const operandShapes: number[][] = [[], [1], [oc], [1, 1, oc], [oh, ow, oc], [oh, 1, 1], [1, oh, ow, 1], [ow, oc]];
  for (const shape of operandShapes) {
    // tfjs-core's fused.conv2d accepts prelu slopes of rank 0, 1 or 3 only.
    const preluOk = shape.length <= 1 || shape.length === 3;
    it(`${label(c)}: bias of shape [${shape}]${preluOk ? ` and prelu slopes of shape [${shape}]` : ''}`, async () => {
      setThreads(2);
      const {x, f} = inputs(c, 31);
      const size = shape.reduce((p, d) => p * d, 1);
      const bias = randomFloats(size, 7);
      const alpha = randomFloats(size, 8, 0, 0.5);
      if (preluOk) await compareWithCpu(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]),
          filter: tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]),
          strides: c.stride,
          pad: c.pad,
          bias: tf.tensor(bias, shape),
          activation: 'prelu',
          preluActivationWeights: tf.tensor(alpha, shape),
        }),
      );
      await compareWithCpu(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]),
          filter: tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]),
          strides: c.stride,
          pad: c.pad,
          bias: tf.tensor(bias, shape),
          activation: 'relu6',
        }),
      );
    });
  }
  }

  it('without bias, NaN and Infinity through every activation', async () => {
    const c2 = CASES[0];
    const {x, f} = inputs(c2, 41);
    x[3] = NaN;
    x[50] = Infinity;
    x[100] = -Infinity;
    x[120] = 80;
    x[150] = -80;
    for (const activation of ACTIVATIONS) {
      await compareWithCpu(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(x, [c2.batch, c2.h, c2.w, c2.cin]),
          filter: tf.tensor4d(f, [c2.fh, c2.fw, c2.cin, c2.cout]),
          strides: 1,
          pad: 'same',
          activation,
          preluActivationWeights: activation === 'prelu' ? tf.fill([c2.cout], 0.2) : undefined,
          leakyreluAlpha: 0.1,
        }), {label: activation},
      );
    }
  });
});

// 3x3 stride-1 convs with >= 16 channels run Winograd F(2x2) by default (test/winograd.test.ts); the GEMM
// paths they would otherwise take (forced with the `path` option: 1 blocked implicit GEMM, 2 all patches
// gathered, 3 few-channel rows read in place) stay reachable with EFFNET_WINOGRAD=off and are checked here.
describe('GEMM paths of Winograd-eligible convs', () => {
  for (const c of [CASES[13], CASES[16]]) {
    it(`${label(c)}: paths 1, 2, 3 at threads 1 and 2, every ISA`, async () => {
      const {x, f} = inputs(c, 61);
      const expected = (await evalOn('cpu', () =>
        tf.conv2d(tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]), tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]), 1, c.pad)))[0];
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          await tf.setBackend('native-cpu');
          const backend = tf.backend() as NativeCpuBackend;
          const xt = tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]);
          const ft = tf.tensor4d(f, [c.fh, c.fw, c.cin, c.cout]);
          const info = conv2DInfo('Conv2D', xt, ft, {strides: 1, pad: c.pad, dilations: 1} as Conv2DKernelAttrs);
          for (const path of [1, 2, 3]) {
            const y = tf.engine().makeTensorFromTensorInfo(runConv2D(backend, 'Conv2D', 'conv2d', xt, ft, info, {path}));
            expectClose([{shape: y.shape, dtype: y.dtype, values: y.dataSync()}], [expected], 1e-5,
              sumAtol(9 * c.cin), `${label(c)} path ${path} t${threads} [${isa}]`);
            y.dispose();
          }
          tf.dispose([xt, ft]);
        });
      }
    });
  }
});

// 1x1 convs on small maps: at one thread, GEMMs of at most 16 row tiles over panels of 32 or more columns
// (AVX-512) run each panel over all row tiles before the next (cpp/ops/gemm.cc: kPanelOrderMaxTiles); the
// others (here the 200-row map, 25 tiles), AVX2's and the portable tiles, and GEMMs split over two threads
// run each row tile over all panels. Both orders, K blocks (1152 > 512), partial panels and the whole
// epilogue (bias, residual, activation), every ISA.
describe('1x1 convs with few row tiles and several panels', () => {
  const cases: Case[] = [
    {batch: 1, h: 7, w: 7, cin: 1152, cout: 200, fh: 1, fw: 1, stride: 1, pad: 'valid'},
    {batch: 1, h: 8, w: 8, cin: 600, cout: 320, fh: 1, fw: 1, stride: 1, pad: 'valid'},
    {batch: 1, h: 3, w: 5, cin: 96, cout: 130, fh: 1, fw: 1, stride: 1, pad: 'valid'},
    {batch: 1, h: 10, w: 20, cin: 64, cout: 96, fh: 1, fw: 1, stride: 1, pad: 'valid'},
  ];
  for (const c of cases) {
    it(`${label(c)}: bias + residual + relu at threads 1 and 2, every ISA`, async () => {
      await expectResidualEpilogue(c, 71, sumAtol(c.cin));
    });
  }
});

describe('Conv2D errors', () => {
  it('rejects NCHW', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([1, 3, 5, 5]) as tf.Tensor4D;
    const f = tf.ones([3, 3, 3, 2]) as tf.Tensor4D;
    expect(() => tf.conv2d(x, f, 1, 'same', 'NCHW')).toThrow(/Conv2D.*NCHW.*supported: NHWC/);
    expect(() => tf.fused.conv2d({x, filter: f, strides: 1, pad: 'same', dataFormat: 'NCHW'})).toThrow(
      /(FusedConv2D|Conv2D).*NCHW.*supported: NHWC/,
    );
    tf.dispose([x, f]);
  });

  it('rejects unsupported activations, mismatched channels, dtypes and bad operand shapes', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.ones([1, 5, 5, 3]);
    const f = tf.ones([3, 3, 3, 2]);
    const f4 = tf.ones([3, 3, 4, 2]);
    const xi = tf.ones([1, 5, 5, 3], 'int32');
    const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1};
    expect(() => tf.engine().runKernel('FusedConv2D', {x, filter: f}, {...attrs, activation: 'tanh'})).toThrow(
      /FusedConv2D: unsupported activation 'tanh'/,
    );
    expect(() => tf.engine().runKernel('Conv2D', {x, filter: f4}, attrs)).toThrow(/Conv2D: x has 3 channels but the filter expects 4/);
    expect(() => tf.engine().runKernel('Conv2D', {x: xi, filter: f}, attrs)).toThrow(/Conv2D: x has dtype 'int32'; supported: float32/);
    const bias = tf.ones([3]);
    expect(() => tf.engine().runKernel('FusedConv2D', {x, filter: f, bias}, {...attrs, activation: 'linear'})).toThrow(
      /FusedConv2D: bias of shape \[3\] does not broadcast/,
    );
    expect(() => tf.engine().runKernel('FusedConv2D', {x, filter: f}, {...attrs, activation: 'prelu'})).toThrow(
      /FusedConv2D: activation 'prelu' needs preluActivationWeights/,
    );
    tf.dispose([x, f, f4, xi, bias]);
  });
});

describe('packed filter cache', () => {
  it('packs a filter once and frees the packed copy with the filter', async () => {
    await tf.setBackend('native-cpu');
    setThreads(1);
    const before = nativeInfo().bytesInUse;
    const x = tf.tensor4d(randomFloats(1 * 9 * 9 * 16, 1), [1, 9, 9, 16]);
    const f = tf.tensor4d(randomFloats(3 * 3 * 16 * 24, 2), [3, 3, 16, 24]);
    const y1 = tf.conv2d(x, f, 1, 'same');
    const tensorBytes = (x.size + f.size + y1.size) * 4;
    const afterFirst = nativeInfo().bytesInUse - before;
    expect(afterFirst).toBeGreaterThan(tensorBytes);  // the packed filter is held
    const y2 = tf.conv2d(x, f, 1, 'same');
    // A second call reuses the packed filter: only y2 is added.
    expect(nativeInfo().bytesInUse - before).toBe(afterFirst + y2.size * 4);
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    f.dispose();
    expect(nativeInfo().bytesInUse - before).toBe((x.size + y1.size + y2.size) * 4);
    tf.dispose([x, y1, y2]);
    expect(nativeInfo().bytesInUse).toBe(before);
  });

  // Packed weights live in the weight arena (2 MiB-aligned chunks on huge pages); a chunk goes back
  // to the system when the last weight packed into it is freed.
  it('keeps packed filters in the weight arena and unmaps its chunks when they are freed', async () => {
    await tf.setBackend('native-cpu');
    setThreads(1);
    const before = nativeInfo();
    const xs = randomFloats(2 * 2 * 512, 3);
    const ws = randomFloats(512 * 6144, 4);
    const x = tf.tensor4d(xs, [1, 2, 2, 512]);
    // 40 filters of 1 MiB fill more than one 32 MiB chunk; a 12 MiB one gets a chunk of its own.
    const filters = Array.from({length: 40}, (_, i) => tf.randomUniform([1, 1, 512, 512], -1, 1, 'float32', i));
    const big = tf.tensor4d(ws, [1, 1, 512, 6144]);
    const outputs = [...filters, big].map((f) => tf.conv2d(x, f as tf.Tensor4D, 1, 'valid'));
    const during = nativeInfo();
    const packed = during.packedBytes - before.packedBytes;
    expect(packed).toBeGreaterThanOrEqual((40 * 512 * 512 + 512 * 6144) * 4);
    expect(during.packedReservedBytes - before.packedReservedBytes).toBeGreaterThanOrEqual(packed);
    expect(during.packedReservedBytes % (2 << 20)).toBe(0);
    // The arena's packed filter gives the 1x1 conv's products (float64 reference).
    const want = new Float32Array(4 * 6144);
    for (let p = 0; p < 4; p++) {
      for (let j = 0; j < 6144; j++) {
        let sum = 0;
        for (let c = 0; c < 512; c++) sum += xs[p * 512 + c] * ws[c * 6144 + j];
        want[p * 6144 + j] = sum;
      }
    }
    const got = outputs[40];
    expectClose([{shape: got.shape, dtype: 'float32', values: got.dataSync()}], [{shape: [1, 2, 2, 6144], dtype: 'float32', values: want}], 1e-5, sumAtol(512));
    tf.dispose([...filters.slice(0, 20)]);
    expect(nativeInfo().packedBytes).toBeLessThan(during.packedBytes);
    tf.dispose([...filters.slice(20), big]);
    const after = nativeInfo();
    expect(after.packedBytes).toBe(before.packedBytes);
    expect(after.packedReservedBytes).toBe(before.packedReservedBytes);
    tf.dispose([x, ...outputs]);
  });

  // A child process packs 50 weights (k = n = 512) and exits with them alive: static objects holding
  // packed weights (the cache, the buffer table) are destroyed at exit in no set order with the weight
  // arena's, and a crash there would only show as the process dying. Returns its nativeInfo() and one
  // output element (4 x 512 ones times 512 x 512 halves: 256).
  function packInChild(env: Record<string, string>): {packedBytes: number; bytesInUse: number; value: number} {
    const script = `
      const addon = require(process.argv[process.argv.length - 1]);
      const m = 4, k = 512, n = 512;
      let out;
      for (let i = 0; i < 50; i++) {
        const a = addon.create(new Float32Array(m * k).fill(1));
        const b = addon.create(new Float32Array(k * n).fill(0.5));
        out = addon.alloc(m * n * 4);
        addon.batchMatMul({a, b, out, batchA: 1, batchB: 1, batch: 1, m, n, k, transposeA: false,
                           transposeB: false, outShape: [1, m, n], cacheB: true});
      }
      const value = new Float32Array(addon.read(out))[m * n - 1];
      process.stdout.write(JSON.stringify({...addon.info(), value}));
    `;
    const {result, stderr} = runWithAddon<{packedBytes: number; bytesInUse: number; value: number}>(['-e', script], {env});
    expect(stderr).toBe('');
    return result;
  }

  it('exits cleanly with packed weights still alive', () => {
    const info = packInChild({});
    expect(info.packedBytes).toBeGreaterThanOrEqual(50 * 512 * 512 * 4);
    expect(info.value).toBe(256);
  });

  it('keeps packed weights on the C heap with EFFNET_HUGE_PAGES=0', () => {
    const info = packInChild({EFFNET_HUGE_PAGES: '0'});
    expect(info.packedBytes).toBe(0);
    // The packed copies are still made and held, as native memory in use.
    expect(info.bytesInUse).toBeGreaterThanOrEqual(2 * 50 * 512 * 512 * 4);
    expect(info.value).toBe(256);
  });
});

describe('residual epilogue (engine option used by fused blocks)', () => {
  for (const c of [CASES[0], CASES[2], CASES[3], CASES[12]]) {
    it(`${label(c)}: out = relu(conv + bias + residual)`, async () => {
      await expectResidualEpilogue(c, 51);
    });
  }
});
