// The fused EffnetMBConv kernel against the composite block on tfjs-backend-cpu, for every block
// shape of B0-B7 (and kernel sizes 1 and 7) at every ISA level, 1 and 2 threads (3 for batch 2),
// batch 1 and 2; a whole B0 fused vs unfused; packed-weight lifetime; bad input.
import {beforeAll, describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {nativeInfo, setThreads} from '../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../src/models/efficientnet.js';
import {hasFusedMBConv, MBCONV_KERNEL, mbconv, setMBConvFusion} from '../src/models/mbconv.js';
import {efficientNetConfig} from '../src/models/scaling.js';
import {expectKernelErrors, expectRelativelyClose, useBackendForFile} from './util/fused_checks.js';
import {
  type Group,
  expectMBConvEntryChecks,
  expectOneKernel,
  input,
  largeReferenceGroups,
  MODEL_SHAPES,
  ODD_SHAPES,
  rawWeights,
  referenceGroups,
  tensors,
  validMBConvCall,
} from './util/mbconv_blocks.js';
import {evalOn, expectClose, forEachIsa, tf} from './util/reference.js';

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

  it('runs as one kernel', async () => {
    await expectOneKernel(NATIVE);
  });
});

describe('EffnetMBConv in a whole network', () => {
  it('B0 at 64x64 fused matches unfused within 1e-4', async () => {
    await tf.setBackend(NATIVE);
    setThreads(1);
    const config = efficientNetConfig('b0');
    const weights = randomEfficientNetWeights(config, 1);
    const model = buildEfficientNet(config, weights);
    const x = tf.tensor4d(input([1, 64, 64, 3], 11), [1, 64, 64, 3]);
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
    model.dispose();
    x.dispose();
    tf.dispose([...weights.values()]);
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
});
