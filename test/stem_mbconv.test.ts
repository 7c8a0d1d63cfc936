// The fused EffnetStemMBConv kernel (a stem conv and the first MBConv block in one call) against the
// stem conv followed by the block composed of tfjs ops on tfjs-backend-cpu: stem and block shapes
// of EfficientNet's first block and odd ones, 'same' and 'symmetric' padding, images whose ring of
// stem rows wraps around, batches of 1 and 2, every ISA level, 1 to 3 threads. On native-cpu it also
// gives the bits of the stem conv followed by EffnetMBConv (the path without it). Whole models use
// it; bad input gets errors that name the kernel.
import {describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {setThreads} from '../src/index.js';
import type {LayerPadding} from '../src/models/layers.js';
import {type MBConvConfig, mbconv, setMBConvFusion} from '../src/models/mbconv.js';
import {hasFusedStemMBConv, STEM_MBCONV_KERNEL, type StemConv, stemConvComposite, stemMBConv} from '../src/models/stem_mbconv.js';
import {expectKernelErrors, useBackendForFile} from './util/fused_checks.js';
import {type BlockShape, floats, input, rawWeights, tensors, withSmallB0} from './util/mbconv_blocks.js';
import {evalOn, expectClose, forEachIsa, tf} from './util/reference.js';

const NATIVE = 'native-cpu';

interface StemCase {
  label: string;
  image: [number, number, number, number];  // [N, H, W, C]
  stem: {k: number; stride: number; padding: LayerPadding};
  block: BlockShape;
  padding: 'same' | 'symmetric';  // the block's
}

const block = (cin: number, k: number, stride: number, cout: number): BlockShape => ({
  label: '', k, stride, expand: 1, cin, cout, cse: Math.max(1, Math.floor(cin / 4)), residual: false,
});

const CASES: StemCase[] = [
  // EfficientNet's: 3x3 stride-2 stem, a 3x3 stride-1 block without expand conv (B0: 32 -> 16).
  {label: 'B0-like 33x31', image: [1, 33, 31, 3], stem: {k: 3, stride: 2, padding: 'same'}, block: block(32, 3, 1, 16), padding: 'same'},
  {label: 'B0-like symmetric', image: [1, 30, 28, 3], stem: {k: 3, stride: 2, padding: 'symmetric'}, block: block(32, 3, 1, 16), padding: 'symmetric'},
  // Odd channel counts, a 5x5 stride-2 block, a 7x7 stem, one input channel, four, stride 1.
  {label: 'odd channels', image: [2, 19, 23, 3], stem: {k: 3, stride: 2, padding: 'same'}, block: block(21, 5, 2, 11), padding: 'same'},
  {label: '7x7 stem', image: [1, 29, 27, 3], stem: {k: 7, stride: 2, padding: 'same'}, block: block(24, 3, 1, 8), padding: 'same'},
  {label: 'gray 5x5 stride 1', image: [2, 13, 11, 1], stem: {k: 5, stride: 1, padding: 'valid'}, block: block(17, 3, 2, 9), padding: 'same'},
  {label: 'four channels', image: [1, 17, 18, 4], stem: {k: 3, stride: 1, padding: 'same'}, block: block(16, 5, 1, 16), padding: 'symmetric'},
  // Tall images: the ring of stem rows wraps around, and threads split rows inside an image.
  {label: 'tall, ring wraps', image: [2, 200, 64, 3], stem: {k: 3, stride: 2, padding: 'same'}, block: block(40, 3, 1, 24), padding: 'same'},
];

function stemWeights(c: StemCase, seed: number): {kernel: Float32Array; bias: Float32Array} {
  const [, , , cs] = c.image;
  return {
    kernel: floats(c.stem.k * c.stem.k * cs * c.block.cin, seed, 1.5 / Math.sqrt(c.stem.k * c.stem.k * cs)),
    bias: floats(c.block.cin, seed + 1, 0.2),
  };
}

/** The case's stem, block weights and image as tensors on the active backend. */
function made(c: StemCase) {
  const [, , , cs] = c.image;
  const s = stemWeights(c, 41);
  const stem: StemConv = {
    kernel: tf.tensor4d(s.kernel, [c.stem.k, c.stem.k, cs, c.block.cin]),
    bias: tf.tensor1d(s.bias),
    stride: c.stem.stride,
    padding: c.stem.padding,
  };
  const w = tensors(rawWeights(c.block, 17));
  const x = tf.tensor4d(input(c.image, 5), c.image);
  const config: MBConvConfig = {kernelSize: c.block.k, stride: c.block.stride, padding: c.padding, residual: false};
  return {stem, w, x, config, all: [stem.kernel, stem.bias, x, ...(Object.values(w) as tf.Tensor[])]};
}

/** The same floats bit for bit (NaN included); reports the first difference. */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  const a = new Uint32Array(Float32Array.from(actual).buffer);
  const e = new Uint32Array(Float32Array.from(expected).buffer);
  const at = a.findIndex((bits, i) => bits !== e[i]);
  expect(at === -1 ? 'same' : `element ${at}: ${actual[at]} vs ${expected[at]}`, label).toBe('same');
}

/** Records the names of the kernels run until stop(). */
function recordKernels(): {names: string[]; stop: () => void} {
  const names: string[] = [];
  const engine = tf.engine();
  const original = engine.runKernel;
  engine.runKernel = ((name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => {
    names.push(name);
    return original.call(engine, name, inputs, attrs);
  }) as typeof engine.runKernel;
  return {names, stop: () => { engine.runKernel = original; }};
}

useBackendForFile(NATIVE, () => setMBConvFusion(true));

describe('EffnetStemMBConv (fused stem and first block)', () => {
  it('is registered on native-cpu, not on cpu', () => {
    expect(hasFusedStemMBConv(NATIVE)).toBe(true);
    expect(hasFusedStemMBConv('cpu')).toBe(false);
  });

  for (const threads of [1, 2, 3]) {
    it(`matches the stem conv and composite block on cpu at every ISA level, ${threads} thread${threads > 1 ? 's' : ''}`, async () => {
      const expected = new Map<string, Awaited<ReturnType<typeof evalOn>>>();
      for (const c of CASES) {
        expected.set(c.label, await evalOn('cpu', () => {
          const m = made(c);
          const y = stemMBConv(m.x, m.stem, m.w, m.config);  // cpu has no fused kernel: conv, then the composite block
          tf.dispose(m.all);
          return y;
        }));
      }
      await tf.setBackend(NATIVE);
      setThreads(threads);
      try {
        let checked = 0;
        await forEachIsa(async (isa) => {
          for (const c of CASES) {
            const got = await evalOn(NATIVE, () => {
              const m = made(c);
              const y = stemMBConv(m.x, m.stem, m.w, m.config);
              tf.dispose(m.all);
              return y;
            });
            expectClose(got, expected.get(c.label)!, 1e-4, 1e-4, `${c.label} ${isa} threads=${threads}`);
            checked++;
          }
        });
        expect(checked).toBeGreaterThanOrEqual(CASES.length);
      } finally {
        setThreads(1);
      }
    });
  }

  it('gives the bits of the stem conv followed by EffnetMBConv on native-cpu', async () => {
    await tf.setBackend(NATIVE);
    await forEachIsa(async (isa) => {
      for (const threads of [1, 2]) {
        setThreads(threads);
        for (const c of CASES) {
          const m = made(c);
          const fused = stemMBConv(m.x, m.stem, m.w, m.config);
          const separate = tf.tidy(() => mbconv(stemConvComposite(m.x, m.stem), m.w, m.config));
          expectSameBits(fused.dataSync(), separate.dataSync(), `${c.label} ${isa} threads=${threads}`);
          tf.dispose([fused, separate, ...m.all]);
        }
      }
    });
    setThreads(1);
  });

  it('runs as one kernel, and as the stem conv and EffnetMBConv where it cannot', async () => {
    await tf.setBackend(NATIVE);
    const c = CASES[0];
    const m = made(c);
    const {names, stop} = recordKernels();
    try {
      tf.dispose(stemMBConv(m.x, m.stem, m.w, m.config));
      expect(names).toEqual([STEM_MBCONV_KERNEL]);
      names.length = 0;
      // A residual block (or one with an expand conv) takes the two steps.
      const withResidual = {...c, block: {...c.block, cout: c.block.cin, residual: true}};
      const r = made(withResidual);
      tf.dispose(stemMBConv(r.x, r.stem, r.w, {...r.config, residual: true}));
      expect(names).not.toContain(STEM_MBCONV_KERNEL);
      expect(names).toContain('EffnetMBConv');
      tf.dispose(r.all);
      names.length = 0;
      setMBConvFusion(false);
      tf.dispose(stemMBConv(m.x, m.stem, m.w, m.config));
      expect(names).not.toContain(STEM_MBCONV_KERNEL);
      expect(names).not.toContain('EffnetMBConv');
    } finally {
      setMBConvFusion(true);
      stop();
      tf.dispose(m.all);
    }
  });
});

describe('EffnetStemMBConv in EfficientNet', () => {
  it('B0 at 64x64 runs its stem and first block as one kernel, with the bits of the two-step path', async () => {
    await withSmallB0(NATIVE, (model, x) => {
      const {names, stop} = recordKernels();
      let fused: Float32Array;
      try {
        const y = model.predict(x);
        fused = y.dataSync().slice() as Float32Array;
        y.dispose();
      } finally {
        stop();
      }
      expect(names[0]).toBe(STEM_MBCONV_KERNEL);
      expect(names.filter((n) => n === 'EffnetMBConv').length).toBe(15);  // the other 15 of B0's 16 blocks
      // Without the kernel the model runs the stem conv and then the block.
      const kernelConfig = tf.getKernel(STEM_MBCONV_KERNEL, NATIVE)!;
      tf.unregisterKernel(STEM_MBCONV_KERNEL, NATIVE);
      try {
        const y = model.predict(x);
        expectSameBits(y.dataSync(), fused, 'B0 without the kernel');
        y.dispose();
      } finally {
        tf.registerKernel(kernelConfig);
      }
    });
  });
});

describe('EffnetStemMBConv bad input', () => {
  const valid = () => {
    const c = CASES[0];
    const m = made(c);
    const inputs: Record<string, tf.Tensor> = {
      x: m.x, stemKernel: m.stem.kernel, stemBias: m.stem.bias, ...(m.w as unknown as Record<string, tf.Tensor>),
    };
    const attrs: Record<string, unknown> = {
      kernelSize: 3, stride: 1, padding: 'same', pads: [1, 1, 1, 1], inChannels: 32, expandedChannels: 32,
      seChannels: c.block.cse, outChannels: 16, hasExpand: false, residual: false, activation: 'swish', gate: 'sigmoid',
      stemKernelSize: 3, stemStride: 2, stemPads: [0, 1, 0, 1],
    };
    return {inputs, attrs};
  };

  it('names the kernel and what is supported', async () => {
    await tf.setBackend(NATIVE);
    expectKernelErrors(STEM_MBCONV_KERNEL, valid, [
      ['stem kernel shape', (i) => { i.stemKernel = tf.zeros([3, 3, 3, 8]); }, /EffnetStemMBConv: input 'stemKernel' has shape \[3,3,3,8\]; expected \[3,3,3,32\]/],
      ['missing stem bias', (i) => { delete i.stemBias; }, /EffnetStemMBConv: missing input 'stemBias'/],
      ['stem pads', (_, a) => { a.stemPads = [0, 3, 0, 1]; }, /EffnetStemMBConv: stemPads .*supported/],
      ['stem stride', (_, a) => { a.stemStride = 0; }, /EffnetStemMBConv: attribute stemStride must be a positive integer/],
      ['wide stem', (_, a) => { a.stemKernelSize = 17; a.stemPads = [0, 0, 0, 0]; }, /EffnetStemMBConv: stem 17x17 .*supported: kernel sizes and strides 1..15/],
      ['expand conv', (_, a) => { a.hasExpand = true; }, /EffnetStemMBConv: the block after the stem must have no expand conv and no residual/],
      ['residual', (_, a) => { a.residual = true; }, /EffnetStemMBConv: the block after the stem must have no expand conv and no residual/],
      ['block channels', (_, a) => { a.inChannels = 16; a.expandedChannels = 16; }, /EffnetStemMBConv: input 'stemKernel' has shape/],
      ['image dtype', (i) => { i.x = tf.cast(i.x, 'int32'); }, /EffnetStemMBConv: input 'x' has dtype int32; supported: float32/],
    ]);
  });

  it('stemMBConv checks the stem before choosing a path', async () => {
    for (const backend of [NATIVE, 'cpu']) {
      await tf.setBackend(backend);
      const m = made(CASES[0]);
      try {
        const wide: StemConv = {...m.stem, kernel: tf.zeros([3, 5, 3, 32])};
        expect(() => stemMBConv(m.x, wide, m.w, m.config)).toThrow(/stemMBConv: stem kernel \[3,5,3,32\]; supported: square/);
        const gray: StemConv = {...m.stem, kernel: tf.zeros([3, 3, 1, 32])};
        expect(() => stemMBConv(m.x, gray, m.w, m.config)).toThrow(/stemMBConv: stem kernel \[3,3,1,32\]; supported: square \[k, k, 3, C\]/);
        const bias: StemConv = {...m.stem, bias: tf.zeros([16])};
        expect(() => stemMBConv(m.x, bias, m.w, m.config)).toThrow(/stemMBConv: stem bias \[16\]; expected \[32\]/);
        tf.dispose([wide.kernel, gray.kernel, bias.bias]);
      } finally {
        tf.dispose(m.all);
      }
    }
  });

  it('is checked natively too', async () => {
    await tf.setBackend(NATIVE);
    const backend = tf.backend() as NativeCpuBackend;
    const {inputs} = valid();
    const out = tf.zeros([1, 17, 16, 16]);
    const base = (): Record<string, number | boolean> => {
      const o: Record<string, number | boolean> = {
        out: backend.bufferOf(out, 'test'), batch: 1, inH: 17, inW: 16, inChannels: 32, expandedChannels: 32,
        seChannels: 8, outChannels: 16, kernelSize: 3, stride: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1,
        outH: 17, outW: 16, hasExpand: false, residual: false, hasStem: true, stemInH: 33, stemInW: 31,
        stemInChannels: 3, stemKernelSize: 3, stemStride: 2, stemPadTop: 0, stemPadLeft: 0,
      };
      for (const [name, t] of Object.entries(inputs)) o[name] = backend.bufferOf(t, 'test');
      return o;
    };
    try {
      expect(() => backend.run('mbconv', base())).not.toThrow();
      const bad: Array<[Record<string, number | boolean>, RegExp]> = [
        [{stemInH: 60}, /EffnetMBConv: .*'x'|EffnetMBConv: stem output 17x16 does not match/],
        [{stemInH: 20}, /EffnetMBConv: stem output 17x16 does not match its 20x31 input/],
        [{stemKernelSize: 7}, /EffnetMBConv: .*stemKernel|EffnetMBConv: stem output/],
        [{stemInChannels: 17}, /EffnetMBConv: .*('x'|stemKernel)|stem filter width x input channels 51; supported: up to 48/],
        [{stemPadTop: 3}, /EffnetMBConv: stem 3x3 stride 2x2 .*supported/],
        [{hasExpand: true, expandedChannels: 32}, /EffnetMBConv: .*(expandKernel|a stem needs a block without an expand conv)/],
        [{residual: true, outChannels: 32}, /EffnetMBConv: .*(a stem needs|residual|projectKernel)/],
        [{stemBias: 999999}, /EffnetMBConv: 'stemBias'/],
      ];
      for (const [change, pattern] of bad) {
        expect(() => backend.run('mbconv', {...base(), ...change}), JSON.stringify(change)).toThrow(pattern);
      }
    } finally {
      tf.dispose([out, ...Object.values(inputs)]);
    }
  });
});
