// The fused EffnetMBConv kernel against the composite block on tfjs-backend-cpu, for every block
// shape of B0-B7 (and kernel sizes 1 and 7) at every ISA level, 1 and 2 threads (3 for batch 2),
// batch 1 and 2; infinite and NaN depthwise weights at padding taps; a whole B0 fused vs unfused;
// packed-weight lifetime; bad input.
import {beforeAll, describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {nativeInfo, setThreads} from '../src/index.js';
import {setPreparedBlocks} from '../src/kernels/mbconv_prepared.js';
import {hasFusedMBConv, MBCONV_KERNEL, mbconv, setMBConvFusion} from '../src/models/mbconv.js';
import {expectKernelErrors, expectRelativelyClose, useBackendForFile} from './util/fused_checks.js';
import {valuesOf} from './util/graph_cases.js';
import {
  type Group,
  expectMBConvEntryChecks,
  expectOneKernel,
  input,
  largeReferenceGroups,
  MODEL_SHAPES,
  ODD_SHAPES,
  paddingInfinityGroups,
  rawWeights,
  reference,
  referenceGroups,
  SMALL_BLOCK,
  tensors,
  validMBConvCall,
  withSmallB0,
} from './util/mbconv_blocks.js';
import {evalOn, expectClose, forEachIsa, isaLevels, tf} from './util/reference.js';

const NATIVE = 'native-cpu';

/**
 * The fused kernel on native-cpu at every ISA level with `threads` threads against the references.
 * With 3 threads only batches of 2 run (a thread then gets rows of both images).
 */
async function expectFusedMatches(groups: Group[], threads: number): Promise<number> {
  await tf.setBackend(NATIVE);
  setThreads(threads);
  let checked = 0;
  await forEachIsa(async (isa) => {
    for (const g of groups) {
      const some = g.cases.filter((c) => threads < 3 || c.xShape[0] > 1);
      if (some.length === 0) continue;
      const w = tensors(g.raw);
      try {
        for (const c of some) {
          const got = await evalOn(NATIVE, () => mbconv(tf.tensor4d(c.x, c.xShape as [number, number, number, number]), w, c.config));
          expectClose(got, c.expected, 1e-4, 1e-4, `${c.label} ${isa} threads=${threads}`);
          checked++;
        }
      } finally {
        tf.dispose(Object.values(w) as tf.Tensor[]);
      }
    }
  });
  return checked;
}

useBackendForFile(NATIVE, () => setMBConvFusion(true));

describe('EffnetMBConv (fused) vs the composite block on cpu', () => {
  it('covers the block shapes of B0-B7', () => {
    expect(hasFusedMBConv(NATIVE)).toBe(true);
    expect(hasFusedMBConv('native')).toBe(true);
    const keys = MODEL_SHAPES.map((s) => s.label.split(' (')[0]);
    // kernel 3 and 5, stride 1 and 2, expand 1 and 6, with and without residual all occur.
    for (const part of ['k3', 'k5', 's1', 's2', 'e1', 'e6', 'residual', 'plain']) {
      expect(keys.some((k) => k.split(' ').includes(part)), part).toBe(true);
    }
    expect(MODEL_SHAPES.length).toBe(8);
  });

  // References on tfjs-backend-cpu, computed once. The thread count changes once per test below
  // (each change restarts the thread pool's workers).
  const groups: Group[] = [];
  beforeAll(async () => {
    groups.push(...(await referenceGroups([...MODEL_SHAPES, ...ODD_SHAPES])));
    // Larger images: the ring of expanded rows wraps around and threads split rows inside an image.
    groups.push(...(await largeReferenceGroups()));
  });

  for (const threads of [1, 2, 3]) {
    it(`matches at every ISA level with ${threads} thread${threads > 1 ? 's' : ''}${threads === 3 ? ' (batches of 2)' : ''}`, async () => {
      const checked = await expectFusedMatches(groups, threads);
      expect(checked).toBeGreaterThan(0);
    });
  }

  // Projections to 24 and 40 channels run on the k-pairs tiles (8x24p, 8x40r) where 512-bit FMAs issue whole
  // and on 14x24 / 8x40 where they run as halves: both, on any AVX-512 core, through the tile rates' setting.
  it('matches with both tile rates for 24- and 40-channel projections', async () => {
    await tf.setBackend(NATIVE);
    setThreads(1);
    const addon = (tf.backend() as NativeCpuBackend).addon as unknown as {gemmTileRates(kind?: string): string};
    const narrow = groups.filter((g) => [24, 40].includes(g.raw.projectKernel.shape[3]));
    // B0's 24- and 40-channel blocks, an odd number of expanded channels (33), larger images.
    expect(narrow.length).toBeGreaterThanOrEqual(6);
    const previous = addon.gemmTileRates();
    try {
      for (const rates of ['full', 'half']) {
        addon.gemmTileRates(rates);
        // Packed forms are kept per weight tensor, so each setting gets tensors of its own.
        expect(await expectFusedMatches(narrow, 1)).toBeGreaterThan(0);
      }
    } finally {
      addon.gemmTileRates(previous);
    }
  });

  it('runs as one kernel', async () => {
    await expectOneKernel(NATIVE);
  });

  it('leaves infinite and NaN depthwise weights at padding taps out, as the composite block does', async () => {
    const checked = await expectFusedMatches(await paddingInfinityGroups(), 1);
    expect(checked).toBeGreaterThan(0);
  });

  // The expand conv's swish runs on weights scaled by -log2(e) (Activation::kSwishScaled): where
  // 2^(-log2(e) x) overflows (x below about -88.7) the result must still be -0, and large x give x.
  it('saturates the expand swish like x * sigmoid(x) at every ISA level', async () => {
    const shape = {...SMALL_BLOCK, label: 'saturating expand'};
    const raw = rawWeights(shape, 9100);
    raw.expandKernel!.values = raw.expandKernel!.values.map((v) => v * 150);
    const xShape = [1, 7, 9, shape.cin];
    const x = input(xShape, 9101);
    // The pre-activations reach far past both ends.
    const cexp = shape.cin * shape.expand;
    let lo = Infinity, hi = -Infinity;
    for (let p = 0; p < x.length / shape.cin; p++) {
      for (let c = 0; c < cexp; c++) {
        let v = raw.expandBias!.values[c];
        for (let i = 0; i < shape.cin; i++) v += x[p * shape.cin + i] * raw.expandKernel!.values[i * cexp + c];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    expect(lo).toBeLessThan(-200);
    expect(hi).toBeGreaterThan(200);
    const config = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const, residual: shape.residual};
    const expected = await reference(raw, x, xShape, config);
    const checked = await expectFusedMatches([{raw, cases: [{label: shape.label, x, xShape, config, expected}]}], 1);
    expect(checked).toBe(isaLevels().length);
  });

  // Weights or biases above FLT_MAX / log2(e) cannot be scaled: those swishes run on unscaled values.
  // (With the depthwise bias the channel sums of a row pair overflow float: the block sums such a
  // channel again in float64, and its mean stays finite as the reference's.)
  it('runs weights too large to scale as x * sigmoid(x)', async () => {
    const shape = {...SMALL_BLOCK, label: ''};
    const cexp = shape.cin * shape.expand;
    const config = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const, residual: shape.residual};
    const variants: Array<[string, number[], (raw: ReturnType<typeof rawWeights>) => void]> = [
      ['expand kernel', [1, 6, 7, shape.cin], (raw) => (raw.expandKernel!.values[2 * cexp + 5] = 3e38)],
      ['expand bias', [1, 6, 7, shape.cin], (raw) => (raw.expandBias!.values[5] = 2.5e38)],
      ['depthwise bias', [1, 3, 4, shape.cin], (raw) => (raw.depthwiseBias!.values[5] = 2.5e38)],
    ];
    for (const [label, xShape, change] of variants) {
      const raw = rawWeights(shape, 9200);
      // Channel 5 carries the huge values to the output: out of the squeeze-and-excitation (whose gate
      // would otherwise close it) and through small depthwise weights (whose sums then stay finite).
      for (let j = 0; j < shape.cse; j++) raw.seReduceKernel.values[5 * shape.cse + j] = 0;
      for (let t = 0; t < shape.k * shape.k; t++) raw.depthwiseKernel.values[t * cexp + 5] *= 0.05;
      change(raw);
      const x = input(xShape, 9201).map((v) => v * 1e-3);
      const expected = await reference(raw, x, xShape, config);
      // Huge but finite (where scaling overflowed the results would be infinite).
      expect(expected[0].values.some((v) => Math.abs(Number(v)) > 1e30), label).toBe(true);
      expect(expected[0].values.every((v) => Number.isFinite(Number(v))), label).toBe(true);
      const checked = await expectFusedMatches([{raw, cases: [{label, x, xShape, config, expected}]}], 1);
      expect(checked).toBe(isaLevels().length);
    }
  });

  it('runs a depthwise bias too large to scale on channel ranges of 2 threads', async () => {
    // 96 expanded channels on 2 threads: each thread takes a range of the channels of every row, and its
    // depthwise rows land in the middle of the map's pixels, where the unscaled swish then runs. The
    // huge bias is negative (swish gives -0): a positive one would overflow the float channel sums.
    const shape = {...SMALL_BLOCK, label: 'depthwise bias, channel ranges', cin: 16, cout: 16};
    const config = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const, residual: shape.residual};
    const raw = rawWeights(shape, 9300);
    raw.depthwiseBias.values[53] = -2.5e38;
    const xShape = [1, 3, 4, shape.cin];
    const x = input(xShape, 9301);
    const expected = await reference(raw, x, xShape, config);
    const checked = await expectFusedMatches([{raw, cases: [{label: shape.label, x, xShape, config, expected}]}], 2);
    expect(checked).toBe(isaLevels().length);
  });
});

describe('EffnetMBConv in a whole network', () => {
  it('B0 at 64x64 fused matches unfused within 1e-4', async () => {
    await withSmallB0(NATIVE, (model, x) => {
      const run = (fused: boolean) => {
        setMBConvFusion(fused);
        const y = model.predict(x);
        const values = y.dataSync().slice();
        y.dispose();
        return values;
      };
      const fused = run(true);
      const unfused = run(false);
      setMBConvFusion(true);
      expectRelativelyClose(fused, unfused, 1e-4);
    });
  });

  it('frees packed weights with the weight tensors', async () => {
    await tf.setBackend(NATIVE);
    const start = nativeInfo().bytesInUse;
    const shape = MODEL_SHAPES.find((s) => s.expand !== 1)!;
    const raw = rawWeights(shape, 21);
    const w = tensors(raw);
    const weightBytes = Object.values(raw).reduce((n, r) => n + r.values.byteLength, 0);
    const x = tf.tensor4d(input([1, 8, 8, shape.cin], 5), [1, 8, 8, shape.cin]);
    const y = mbconv(x, w, {kernelSize: shape.k, stride: shape.stride, padding: 'same'});
    y.dataSync();
    // Inputs, output and the packed expand/depthwise/project weights are alive now.
    expect(nativeInfo().bytesInUse).toBeGreaterThan(start + weightBytes + x.size * 4 + y.size * 4);
    tf.dispose([x, y, ...(Object.values(w) as tf.Tensor[])]);
    // The packed entries go on the next lookup of the cache (or at once); a second call packs nothing of the old weights.
    const w2 = tensors(raw);
    const x2 = tf.tensor4d(input([1, 8, 8, shape.cin], 5), [1, 8, 8, shape.cin]);
    mbconv(x2, w2, {kernelSize: shape.k, stride: shape.stride, padding: 'same'}).dispose();
    tf.dispose([x2, ...(Object.values(w2) as tf.Tensor[])]);
    expect(nativeInfo().bytesInUse).toBe(start);
  });

  // Prepared blocks (src/kernels/mbconv_prepared.ts), which keep packed forms, and the full call, which
  // looks them up in the packed-weight cache.
  it.each([true, false])('eager calls give the same bits again and never use packed forms of other weights (prepared blocks %s)', async (prepared) => {
    await tf.setBackend(NATIVE);
    const previous = setPreparedBlocks(prepared);
    const shape = MODEL_SHAPES.find((s) => s.expand !== 1)!;
    const attrs = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const};
    const x = tf.tensor4d(input([1, 9, 7, shape.cin], 5), [1, 9, 7, shape.cin]);
    const run = (w: ReturnType<typeof tensors>, fused = true) => {
      setMBConvFusion(fused);
      const y = mbconv(x, w, attrs);
      const values = y.dataSync().slice();
      y.dispose();
      setMBConvFusion(true);
      return values;
    };
    const a = tensors(rawWeights(shape, 31));
    const first = run(a);
    expect(run(a)).toEqual(first);
    // Other weights of the same shapes, while the first are alive and after they are gone (their
    // buffers' addresses may then come back).
    const b = tensors(rawWeights(shape, 32));
    expectRelativelyClose(run(b), run(b, false), 1e-4);
    expect(run(a)).toEqual(first);
    tf.dispose(Object.values(a) as tf.Tensor[]);
    const c = tensors(rawWeights(shape, 33));
    expectRelativelyClose(run(c), run(c, false), 1e-4);
    expectRelativelyClose(run(b), run(b, false), 1e-4);
    tf.dispose([x, ...(Object.values(b) as tf.Tensor[]), ...(Object.values(c) as tf.Tensor[])]);
    setPreparedBlocks(previous);
  });
});

describe('EffnetMBConv bad input', () => {
  it('names the kernel and what is supported', async () => {
    await tf.setBackend(NATIVE);
    expectKernelErrors(MBCONV_KERNEL, validMBConvCall, [
      ['stride 3', (_, a) => { a.stride = 3; a.residual = false; }, /EffnetMBConv: stride 3; supported: 1, 2/],
      ['even kernel', (_, a) => { a.kernelSize = 4; }, /EffnetMBConv: kernelSize 4; supported: odd sizes/],
      ['pads too big', (_, a) => { a.pads = [3, 1, 1, 1]; }, /EffnetMBConv: pads .*supported/],
      ['channels', (_, a) => { a.expandedChannels = 40; }, /EffnetMBConv: input 'expandKernel' has shape/],
      ['residual stride 2', (_, a) => { a.stride = 2; }, /EffnetMBConv: residual needs stride 1/],
      ['dtype', (i) => { i.x = tf.cast(i.x, 'int32'); }, /EffnetMBConv: input 'x' has dtype int32; supported: float32/],
      ['missing weight', (i) => { delete i.seExpandBias; }, /EffnetMBConv: missing input 'seExpandBias'/],
      ['activation', (_, a) => { a.activation = 'relu'; }, /EffnetMBConv: activation 'relu'; supported: swish/],
    ]);
  });

  it('is checked natively too', async () => {
    await tf.setBackend(NATIVE);
    expectMBConvEntryChecks(tf.backend() as NativeCpuBackend);
  });

  it('runs with its output over its input only where the addon says it may (mbconvMayOverwriteInput)', async () => {
    await tf.setBackend(NATIVE);
    const backend = tf.backend() as NativeCpuBackend;
    const addon = backend.addon as unknown as {
      mbconvMayOverwriteInput(options: object): boolean;
      shareBuffer(target: number, source: number, offset?: number): void;
    };
    // A residual block over 5x5x8: in place with 48 expanded channels; with 576 the projection's GEMM stores
    // partial sums over K before it adds the residual, so x must survive until then.
    for (const [cexp, inPlace] of [[48, true], [576, false]] as const) {
      const block = {...SMALL_BLOCK, expand: cexp / SMALL_BLOCK.cin};
      const w = tensors(rawWeights(block, 4)) as unknown as Record<string, tf.Tensor>;
      const values = input([1, 5, 5, 8], 5);
      const x = tf.tensor4d(values, [1, 5, 5, 8]);
      const separate = tf.zeros([1, 5, 5, 8]);
      const shared = tf.tensor4d(values, [1, 5, 5, 8]);
      const over = tf.zeros([1, 5, 5, 8]);
      const options = (xt: tf.Tensor, outt: tf.Tensor): Record<string, number | boolean> => {
        const o: Record<string, number | boolean> = {
          x: backend.bufferOf(xt, 'test'), out: backend.bufferOf(outt, 'test'), batch: 1, inH: 5, inW: 5,
          inChannels: 8, expandedChannels: cexp, seChannels: 2, outChannels: 8, kernelSize: 3, stride: 1,
          padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, outH: 5, outW: 5, hasExpand: true, residual: true,
        };
        for (const [name, t] of Object.entries(w)) o[name] = backend.bufferOf(t, 'test');
        return o;
      };
      try {
        expect(addon.mbconvMayOverwriteInput(options(x, separate)), `${cexp} residual`).toBe(inPlace);
        expect(addon.mbconvMayOverwriteInput({...options(x, separate), residual: false}), `${cexp} plain`).toBe(true);
        const ask = (o: unknown) => (addon.mbconvMayOverwriteInput as (options: unknown) => boolean)(o);
        expect(() => ask({...options(x, separate), stride: 3})).toThrow(/EffnetMBConv: stride 3; supported: 1, 2/);
        expect(() => ask({...options(x, separate), expandedChannels: -1})).toThrow(/channel counts must be >= 1 .*expanded -1/);
        expect(() => ask(7)).toThrow(/EffnetMBConv: expected one options object/);
        backend.run('mbconv', options(x, separate));
        addon.shareBuffer(backend.bufferOf(over, 'test'), backend.bufferOf(shared, 'test'));  // over: shared's memory
        if (inPlace) {
          backend.run('mbconv', options(shared, over));
          expect(Array.from(valuesOf(shared))).toEqual(Array.from(valuesOf(separate)));
        } else {
          expect(() => backend.run('mbconv', options(shared, over))).toThrow(/EffnetMBConv: out overlaps x; a block runs in place/);
          expect(Array.from(valuesOf(shared))).toEqual(Array.from(values));
        }
        // out 16 floats past x in one block of memory: never in place.
        const block2 = tf.zeros([2, 5, 5, 8]);
        const [xa, outa] = [tf.zeros([1, 5, 5, 8]), tf.zeros([1, 5, 5, 8])];
        addon.shareBuffer(backend.bufferOf(xa, 'test'), backend.bufferOf(block2, 'test'), 0);
        addon.shareBuffer(backend.bufferOf(outa, 'test'), backend.bufferOf(block2, 'test'), 64);
        expect(() => backend.run('mbconv', options(xa, outa))).toThrow(/EffnetMBConv: out overlaps x/);
        tf.dispose([block2, xa, outa]);
      } finally {
        tf.dispose([x, separate, shared, over, ...Object.values(w)]);
      }
    }
  });
});
