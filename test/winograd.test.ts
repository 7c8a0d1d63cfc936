import {afterAll, describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {getThreads, getWinograd, setThreads, setWinograd} from '../src/index.js';
import {activationCode} from '../src/kernels/activation.js';
import {Conv2DKernelAttrs, conv2DInfo, epilogueOptions, runConv2D} from '../src/kernels/Conv2D.js';
import {compareWithCpu, evalOn, expectClose, forEachIsa, randomFloats, tf} from './util/reference.js';

// Winograd convolution (conv2d paths 4 = F(2x2,3x3) and 5 = F(4x4,3x3)) against tfjs-backend-cpu's conv2d.

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  pad: Pad;
}

const CASES: Case[] = [
  {batch: 1, h: 7, w: 9, cin: 5, cout: 7, pad: 'same'},                        // partial tiles both ways
  {batch: 2, h: 9, w: 6, cin: 17, cout: 33, pad: 'valid'},                     // batch > 1, odd channels
  {batch: 1, h: 14, w: 14, cin: 64, cout: 40, pad: 'same'},                    // ResNet-like stage shape
  {batch: 1, h: 11, w: 13, cin: 24, cout: 17, pad: [[0, 0], [2, 0], [0, 1], [0, 0]]},
  {batch: 3, h: 5, w: 5, cin: 16, cout: 16, pad: 1},
  {batch: 1, h: 1, w: 1, cin: 3, cout: 2, pad: 'same'},
  {batch: 1, h: 30, w: 29, cin: 20, cout: 24, pad: 'same'},                    // several tile blocks
];

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;
type Act = (typeof ACTIVATIONS)[number];

function label(c: Case): string {
  return `${c.batch}x${c.h}x${c.w}x${c.cin} -> ${c.cout} pad ${JSON.stringify(c.pad)}`;
}

interface Operands {
  x: Float32Array;
  f: Float32Array;
  bias: Float32Array;
  alpha: Float32Array;
}

function operands(c: Case, seed: number): Operands {
  return {
    x: randomFloats(c.batch * c.h * c.w * c.cin, seed),
    f: randomFloats(9 * c.cin * c.cout, seed + 1),
    bias: randomFloats(c.cout, seed + 2),
    alpha: randomFloats(c.cout, seed + 3, 0, 0.5),
  };
}

function reference(c: Case, o: Operands, activation: Act | null) {
  return evalOn('cpu', () => {
    const x = tf.tensor4d(o.x, [c.batch, c.h, c.w, c.cin]);
    const f = tf.tensor4d(o.f, [3, 3, c.cin, c.cout]);
    if (activation === null) return tf.conv2d(x, f, 1, c.pad);
    return tf.fused.conv2d({
      x, filter: f, strides: 1, pad: c.pad, bias: tf.tensor1d(o.bias), activation,
      preluActivationWeights: activation === 'prelu' ? tf.tensor1d(o.alpha) : undefined, leakyreluAlpha: 0.3,
    });
  });
}

// Runs the native conv with a forced path (and the fused epilogue when `activation` is given).
function runNative(c: Case, o: Operands, activation: Act | null, path: number) {
  const backend = tf.backend() as NativeCpuBackend;
  const x = tf.tensor4d(o.x, [c.batch, c.h, c.w, c.cin]);
  const f = tf.tensor4d(o.f, [3, 3, c.cin, c.cout]);
  const b = tf.tensor1d(o.bias);
  const alpha = tf.tensor1d(o.alpha);
  const kernel = activation === null ? 'Conv2D' : 'FusedConv2D';
  const info = conv2DInfo(kernel, x, f, {strides: 1, pad: c.pad, dilations: 1} as Conv2DKernelAttrs);
  let extra: Record<string, unknown> = {};
  if (activation !== null) {
    const code = activationCode(kernel, activation);
    extra = epilogueOptions(backend, kernel, info.outShape, b, activation === 'prelu' ? alpha : undefined, code,
      activation, 0.3);
  }
  const out = runConv2D(backend, kernel, activation === null ? 'conv2d' : 'fusedConv2d', x, f, info, {...extra, path});
  const y = tf.engine().makeTensorFromTensorInfo(out);
  const result = [{shape: y.shape.slice(), dtype: y.dtype, values: y.dataSync() as tf.TypedArray}];
  tf.dispose([x, f, b, alpha, y]);
  return result;
}

// float64 reference (exact sums up to double rounding), for the accuracy tests.
function exactConv(c: Case, o: Operands): Float64Array {
  const info = tf.tidy(() => conv2DInfo('Conv2D', tf.zeros([c.batch, c.h, c.w, c.cin]), tf.zeros([3, 3, c.cin, c.cout]),
    {strides: 1, pad: c.pad, dilations: 1} as Conv2DKernelAttrs));
  const {outHeight: oh, outWidth: ow} = info;
  const {top, left} = info.padInfo;
  const y = new Float64Array(c.batch * oh * ow * c.cout);
  for (let b = 0; b < c.batch; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const yo = ((b * oh + oy) * ow + ox) * c.cout;
    for (let fy = 0; fy < 3; fy++) for (let fx = 0; fx < 3; fx++) {
      const iy = oy + fy - top, ix = ox + fx - left;
      if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
      for (let ci = 0; ci < c.cin; ci++) {
        const xv = o.x[((b * c.h + iy) * c.w + ix) * c.cin + ci];
        const fo = ((fy * 3 + fx) * c.cin + ci) * c.cout;
        for (let co = 0; co < c.cout; co++) y[yo + co] += xv * o.f[fo + co];
      }
    }
  }
  return y;
}

// Worst |a - e| / (1e-5 + 1e-5 |e|) (the conv tests' measure; above 1 fails them).
function worstRatio(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < e.length; i++) w = Math.max(w, Math.abs(a[i] - e[i]) / (1e-5 + 1e-5 * Math.abs(e[i])));
  return w;
}

const originalThreads = getThreads();
afterAll(() => {
  setThreads(originalThreads);
});

describe('Winograd F(2x2,3x3) (conv2d path 4)', () => {
  for (const c of CASES) {
    it(`${label(c)}, threads 1 and 2, every ISA`, async () => {
      const o = operands(c, 7);
      const expected = await reference(c, o, null);
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          await tf.setBackend('native-cpu');
          expectClose(runNative(c, o, null, 4), expected, 1e-5, 1e-5, `${label(c)} t${threads} [${isa}]`);
        });
      }
    });
  }

  it('bias + every activation', async () => {
    for (const c of [CASES[1], CASES[3]]) {
      const o = operands(c, 17);
      for (const activation of ACTIVATIONS) {
        const expected = await reference(c, o, activation);
        for (const threads of [1, 2]) {
          setThreads(threads);
          await forEachIsa(async (isa) => {
            await tf.setBackend('native-cpu');
            expectClose(runNative(c, o, activation, 4), expected, 1e-5, 1e-5,
              `${label(c)} ${activation} t${threads} [${isa}]`);
          });
        }
      }
    }
  });

  it('propagates NaN', async () => {
    const c = CASES[6];
    const o = operands(c, 27);
    o.x[100] = NaN;
    o.x[5000] = NaN;
    const expected = await reference(c, o, 'relu');
    await forEachIsa(async (isa) => {
      await tf.setBackend('native-cpu');
      const actual = runNative(c, o, 'relu', 4);
      expectClose(actual, expected, 1e-5, 1e-5, `NaN [${isa}]`);
      expect(actual[0].values.some((v) => Number.isNaN(v))).toBe(true);
    });
  });

  // An infinite input makes inf - inf = NaN in the transforms where the direct sums give +-inf, and F(4x4)
  // carries a NaN input to outputs whose windows do not read it: outputs with NaN are computed again
  // directly (conv2d_with_path). Infinite weights never take Winograd.
  for (const [path, name] of [[4, 'F(2x2)'], [5, 'F(4x4)']] as const) {
    it(`${name}: infinite and NaN inputs, infinite weights give the direct sums' answers`, async () => {
      const c = CASES[2];
      const withInputs = operands(c, 31);
      withInputs.x[100] = Infinity;
      withInputs.x[101 + 5 * c.cin] = -Infinity;
      withInputs.x[3000] = NaN;
      withInputs.x[c.cin * 7 + 3] = NaN;  // row 0, column 7: F(4x4) would spread it along the tile
      const withWeights = operands(c, 33);
      withWeights.f[5] = Infinity;
      withWeights.f[9 * c.cin * c.cout - 1] = -Infinity;
      for (const o of [withInputs, withWeights]) {
        const expected = await reference(c, o, 'relu');
        await forEachIsa(async (isa) => {
          await tf.setBackend('native-cpu');
          expectClose(runNative(c, o, 'relu', path), expected, 1e-5, 1e-5, `${name} [${isa}]`);
        });
      }
    });
  }

  it('an infinite input with a bias that broadcasts over pixels (the output accumulated into)', async () => {
    const c = CASES[2];
    const o = operands(c, 35);
    o.x[222] = Infinity;
    const bias = randomFloats(c.h * c.w * c.cout, 36);
    const run = () => tf.fused.conv2d({
      x: tf.tensor4d(o.x, [c.batch, c.h, c.w, c.cin]), filter: tf.tensor4d(o.f, [3, 3, c.cin, c.cout]), strides: 1,
      pad: c.pad, bias: tf.tensor3d(bias, [c.h, c.w, c.cout]), activation: 'relu',
    });
    const mode = getWinograd();
    try {
      for (const m of ['f2', 'f4'] as const) {
        setWinograd(m);
        await compareWithCpu(run, {label: m});
      }
    } finally {
      setWinograd(mode);
    }
  });

  // At ResNet's channel counts no summation order other than tfjs-backend-cpu's own stays within 1e-5
  // of it (exact sums do not either); F(2x2)'s error against float64 sums is that of tfjs-backend-cpu.
  it('error against float64 sums is at most 1.5x that of tfjs-backend-cpu (14x14x256 -> 64)', async () => {
    const c: Case = {batch: 1, h: 14, w: 14, cin: 256, cout: 64, pad: 'same'};
    const exact = exactConv(c, operands(c, 47));
    for (const seed of [47, 48]) {
      const o = operands(c, seed);
      const e = seed === 47 ? exact : exactConv(c, o);
      const tfjsError = worstRatio((await reference(c, o, null))[0].values as Float32Array, e);
      setThreads(1);
      await forEachIsa(async (isa) => {
        await tf.setBackend('native-cpu');
        const ours = worstRatio(runNative(c, o, null, 4)[0].values, e);
        expect(ours, `seed ${seed} [${isa}]: ours ${ours}, tfjs-backend-cpu ${tfjsError}`).toBeLessThanOrEqual(1.5 * tfjsError);
      });
    }
  });
});

// F(4x4,3x3) loses about one digit to F(2x2): it is compared with tfjs-backend-cpu at 1e-5 where K is
// small, and with float64 sums at 1e-4 elsewhere. conv2d picks it only in mode 'f4' (setWinograd, EFFNET_WINOGRAD).
describe('Winograd F(4x4,3x3) (conv2d path 5)', () => {
  for (const c of CASES) {
    const exactTol = c.cin > 5;
    it(`${label(c)}, threads 1 and 2, every ISA (${exactTol ? 'float64 sums, 1e-4' : 'tfjs-backend-cpu, 1e-5'})`, async () => {
      const o = operands(c, 7);
      const expected = exactTol
        ? [{shape: (await reference(c, o, null))[0].shape, dtype: 'float32' as const, values: Float32Array.from(exactConv(c, o))}]
        : await reference(c, o, null);
      const tol = exactTol ? 1e-4 : 1e-5;
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          await tf.setBackend('native-cpu');
          expectClose(runNative(c, o, null, 5), expected, tol, tol, `${label(c)} t${threads} [${isa}]`);
        });
      }
    });
  }

  it('bias + every activation', async () => {
    const c = CASES[0];
    const o = operands(c, 17);
    for (const activation of ACTIVATIONS) {
      const expected = await reference(c, o, activation);
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          await tf.setBackend('native-cpu');
          expectClose(runNative(c, o, activation, 5), expected, 1e-5, 1e-5, `${activation} t${threads} [${isa}]`);
        });
      }
    }
  });
});

describe('Winograd epilogue operands (paths 4 and 5)', () => {
  const c = CASES[1];  // 2x9x6x17 -> 33 valid: 2x7x4x33
  const outShape = [2, 7, 4, 33];
  const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

  // bias and prelu slopes of shapes that broadcast (a full-shape bias runs with `accumulate`).
  for (const shape of [[outShape[1], outShape[2], outShape[3]], [1], [outShape[1], 1, 1]]) {
    it(`bias and prelu slopes of shape [${shape}], threads 1 and 2, every ISA`, async () => {
      const o = operands(c, 57);
      const bias = randomFloats(size(shape), 58);
      const alpha = randomFloats(size(shape), 59, 0, 0.5);
      const make = () => ({
        x: tf.tensor4d(o.x, [c.batch, c.h, c.w, c.cin]),
        f: tf.tensor4d(o.f, [3, 3, c.cin, c.cout]),
        b: tf.tensor(bias, shape),
        a: tf.tensor(alpha, shape),
      });
      const expected = await evalOn('cpu', () => {
        const t = make();
        return tf.fused.conv2d({x: t.x, filter: t.f, strides: 1, pad: c.pad, bias: t.b, activation: 'prelu',
          preluActivationWeights: t.a});
      });
      for (const path of [4, 5]) {
        for (const threads of [1, 2]) {
          setThreads(threads);
          await forEachIsa(async (isa) => {
            await tf.setBackend('native-cpu');
            const backend = tf.backend() as NativeCpuBackend;
            const t = make();
            const info = conv2DInfo('FusedConv2D', t.x, t.f, {strides: 1, pad: c.pad, dilations: 1} as Conv2DKernelAttrs);
            const extra = epilogueOptions(backend, 'FusedConv2D', info.outShape, t.b, t.a,
              activationCode('FusedConv2D', 'prelu'), 'prelu', undefined);
            const out = runConv2D(backend, 'FusedConv2D', 'fusedConv2d', t.x, t.f, info, {...extra, path});
            const y = tf.engine().makeTensorFromTensorInfo(out);
            expectClose([{shape: y.shape, dtype: y.dtype, values: y.dataSync()}], expected,
              path === 4 ? 1e-5 : 1e-4, path === 4 ? 1e-5 : 1e-4, `path ${path} t${threads} [${isa}]`);
            tf.dispose([t.x, t.f, t.b, t.a, y]);
          });
        }
      }
    });
  }

  it('residual (engine option used by fused blocks): relu(conv + bias + residual)', async () => {
    const o = operands(c, 61);
    const residual = randomFloats(size(outShape), 62);
    const make = () => ({
      x: tf.tensor4d(o.x, [c.batch, c.h, c.w, c.cin]),
      f: tf.tensor4d(o.f, [3, 3, c.cin, c.cout]),
      b: tf.tensor1d(o.bias),
      r: tf.tensor4d(residual, outShape as [number, number, number, number]),
    });
    const expected = await evalOn('cpu', () => {
      const t = make();
      return tf.relu(tf.add(tf.add(tf.conv2d(t.x, t.f, 1, c.pad), t.b), t.r));
    });
    for (const path of [4, 5]) {
      for (const threads of [1, 2]) {
        setThreads(threads);
        await forEachIsa(async (isa) => {
          await tf.setBackend('native-cpu');
          const backend = tf.backend() as NativeCpuBackend;
          const t = make();
          const info = conv2DInfo('FusedConv2D', t.x, t.f, {strides: 1, pad: c.pad, dilations: 1} as Conv2DKernelAttrs);
          const out = runConv2D(backend, 'FusedConv2D', 'fusedConv2d', t.x, t.f, info, {
            activation: 1, bias: backend.bufferOf(t.b, 'test'), biasShape: [c.cout], residual: backend.bufferOf(t.r, 'test'), path,
          });
          const y = tf.engine().makeTensorFromTensorInfo(out);
          expectClose([{shape: y.shape, dtype: y.dtype, values: y.dataSync()}], expected,
            path === 4 ? 1e-5 : 1e-4, path === 4 ? 1e-5 : 1e-4, `path ${path} t${threads} [${isa}]`);
          tf.dispose([t.x, t.f, t.b, t.r, y]);
        });
      }
    }
  });

  it('zero input channels or a non-3x3 filter with a forced path run the automatic choice', async () => {
    await compareWithCpu(() => tf.conv2d(tf.zeros([1, 5, 5, 0]) as tf.Tensor4D, tf.ones([3, 3, 0, 4]) as tf.Tensor4D, 1, 'same'));
    const o = operands({batch: 1, h: 5, w: 5, cin: 4, cout: 3, pad: 'same'}, 63);
    await tf.setBackend('native-cpu');
    const backend = tf.backend() as NativeCpuBackend;
    const x = tf.tensor4d(o.x, [1, 5, 5, 4]);
    const f = tf.tensor4d(o.f.subarray(0, 2 * 2 * 4 * 3), [2, 2, 4, 3]);
    const z = tf.zeros([1, 5, 5, 0]);
    const fz = tf.zeros([3, 3, 0, 3]);
    for (const path of [4, 5]) {
      const info = conv2DInfo('Conv2D', x, f, {strides: 1, pad: 'same', dilations: 1} as Conv2DKernelAttrs);
      const y = tf.engine().makeTensorFromTensorInfo(runConv2D(backend, 'Conv2D', 'conv2d', x, f, info, {path}));
      const y0 = tf.engine().makeTensorFromTensorInfo(runConv2D(backend, 'Conv2D', 'conv2d', x, f, info, {path: 0}));
      expect(Array.from(y.dataSync())).toEqual(Array.from(y0.dataSync()));
      const infoZ = conv2DInfo('Conv2D', z, fz, {strides: 1, pad: 'same', dilations: 1} as Conv2DKernelAttrs);
      const yz = tf.engine().makeTensorFromTensorInfo(runConv2D(backend, 'Conv2D', 'conv2d', z, fz, infoZ, {path}));
      expect(Array.from(yz.dataSync())).toEqual(new Array(25 * 3).fill(0));
      tf.dispose([y, y0, yz]);
    }
    tf.dispose([x, f, z, fz]);
  });

  it("rejects an unknown path by name", async () => {
    await tf.setBackend('native-cpu');
    const backend = tf.backend() as NativeCpuBackend;
    const x = tf.ones([1, 5, 5, 3]);
    const f = tf.ones([3, 3, 3, 2]);
    const info = conv2DInfo('Conv2D', x, f, {strides: 1, pad: 'same', dilations: 1} as Conv2DKernelAttrs);
    expect(() => runConv2D(backend, 'Conv2D', 'conv2d', x, f, info, {path: 6})).toThrow(/Conv2D.*'path' must be 0, 1, 2, 3, 4 or 5/);
    tf.dispose([x, f]);
  });
});

describe('Winograd through tf.conv2d / tf.fused.conv2d (setWinograd)', () => {
  afterAll(() => {
    setWinograd('f2');
  });
  // 3x3 stride-1 shapes with >= 16 channels each way: the automatic choice takes F(2x2,3x3) by default.
  for (const c of [CASES[4], CASES[6]]) {
    for (const threads of [1, 2]) {
      it(`${label(c)} bias + relu [${threads} thread(s)]`, async () => {
        setThreads(threads);
        const o = operands(c, 37);
        const run = () => tf.fused.conv2d({
          x: tf.tensor4d(o.x, [c.batch, c.h, c.w, c.cin]),
          filter: tf.tensor4d(o.f, [3, 3, c.cin, c.cout]),
          strides: 1, pad: c.pad, bias: tf.tensor1d(o.bias), activation: 'relu',
        });
        expect(setWinograd('f2')).toBe('f2');
        expect(getWinograd()).toBe('f2');
        await compareWithCpu(run, {label: label(c)});
        const auto = (await evalOn('native-cpu', run))[0].values as Float32Array;
        await tf.setBackend('native-cpu');
        const f2 = runNative(c, o, 'relu', 4)[0].values as Float32Array;
        const f4 = runNative(c, o, 'relu', 5)[0].values as Float32Array;
        const gemm = runNative(c, o, 'relu', 2)[0].values as Float32Array;
        expect(Array.from(auto)).toEqual(Array.from(f2));
        expect(Array.from(auto)).not.toEqual(Array.from(gemm));
        // F(4x4) where 8x8 output tiles fit, F(2x2) below.
        expect(setWinograd('f4')).toBe('f4');
        const autoF4 = (await evalOn('native-cpu', run))[0].values as Float32Array;
        expect(Array.from(autoF4)).toEqual(Array.from(c.h >= 8 && c.w >= 8 ? f4 : f2));
        expect(setWinograd('off')).toBe('off');
        const off = (await evalOn('native-cpu', run))[0].values as Float32Array;
        expect(Array.from(off)).not.toEqual(Array.from(f2));
        await compareWithCpu(run, {label: `${label(c)} off`});
        setWinograd('f2');
      });
    }
  }

  it('rejects unknown modes', () => {
    expect(() => setWinograd('f3' as never)).toThrow(/setWinograd: unknown mode 'f3'; supported: f2, f4, off/);
    expect(getWinograd()).toBe('f2');
  });
});
