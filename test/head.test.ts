// The fused EffnetHead kernel (1x1 conv + swish, global average pooling, classifier) against the
// composed head on tfjs-backend-cpu for the head of each of B0-B7 and odd sizes, at every ISA level
// with 1, 2 and 3 threads; the same bits as the composed ops on native-cpu whatever the thread count;
// whole B0 with and without it; the feature-map paths (includeTop: false) untouched; bad input.
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {nativeInfo, setThreads} from '../src/index.js';
import {countMultiplyAdds, countParams} from '../src/models/count.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../src/models/efficientnet.js';
import {HEAD_KERNEL, hasFusedHead, head, headFusionActive, setHeadFusion} from '../src/models/head.js';
import {efficientNetConfig} from '../src/models/scaling.js';
import {expectKernelErrors, expectRelativelyClose, useBackendForFile} from './util/fused_checks.js';
import {
  disposeHead,
  expectHeadEntryChecks,
  expectOneHeadKernel,
  floats,
  type HeadCase,
  headCases,
  headTensors,
  modelHeadShapes,
  ODD_HEAD_SHAPES,
  rawHeadWeights,
  runHead,
  SMALL_HEAD,
  validHeadCall,
} from './util/head_cases.js';
import {evalOn, expectClose, forEachIsa, tf} from './util/reference.js';

const NATIVE = 'native-cpu';

useBackendForFile(NATIVE, () => setHeadFusion(true));

describe('EffnetHead (fused) vs the composed head on cpu', () => {
  const shapes = modelHeadShapes();
  const cases: HeadCase[] = [];
  beforeAll(async () => {
    cases.push(...(await headCases(shapes, [1])));
    cases.push(...(await headCases([shapes[0]], [2], 300)));
    cases.push(...(await headCases(ODD_HEAD_SHAPES, [1, 3], 500)));
  });

  it('covers the head shapes of B0-B7', () => {
    expect(hasFusedHead(NATIVE)).toBe(true);
    expect(hasFusedHead('native')).toBe(true);
    expect(hasFusedHead('cpu')).toBe(false);
    expect(shapes.map((s) => [s.h, s.cin, s.chead])).toEqual([
      [7, 320, 1280], [8, 320, 1280], [9, 352, 1408], [10, 384, 1536],
      [12, 448, 1792], [15, 512, 2048], [17, 576, 2304], [19, 640, 2560],
    ]);
  });

  for (const threads of [1, 2, 3]) {
    it(`matches within 1e-4 at every ISA level with ${threads} thread${threads > 1 ? 's' : ''}`, async () => {
      await tf.setBackend(NATIVE);
      setThreads(threads);
      let checked = 0;
      await forEachIsa(async (isa) => {
        for (const c of cases) {
          // The largest heads once per ISA level (with 1 thread); the rest with every thread count.
          if (threads > 1 && c.shape.h >= 15) continue;
          const got = await evalOn(NATIVE, () => runHead(c));
          expectClose(got, c.expected, 1e-4, 1e-4, `${c.label} ${isa} threads=${threads}`);
          checked++;
        }
      });
      expect(checked).toBeGreaterThanOrEqual(cases.length - 3);
    });
  }

  it('gives the bits of the composed ops on native-cpu, whatever the thread count', async () => {
    // Each logit is computed in one fixed order (GEMM dot products, channel sums in double over the
    // pixels in order, the classifier GEMM), the order of the composed FusedConv2D, Mean and
    // _FusedMatMul: bit-identical, not just close.
    await tf.setBackend(NATIVE);
    await forEachIsa(async (isa) => {
      // B0 and B1 (batch 1 on one thread: the classifier streamed block by block beside the conv), B7 (its
      // conv's K split in two), B0 at batch 2 and odd heads (few input channels: nothing prefetched).
      for (const c of [cases[0], cases[1], cases[7], cases[8], cases[cases.length - 3], cases[cases.length - 5]]) {
        setThreads(1);
        const composed = await evalOn(NATIVE, () => runHead(c, false));
        for (const threads of [1, 2, 3]) {
          setThreads(threads);
          const fused = await evalOn(NATIVE, () => runHead(c));
          expect(Array.from(fused[0].values as Float32Array), `${c.label} ${isa} threads=${threads}`).toEqual(
            Array.from(composed[0].values as Float32Array),
          );
        }
      }
    });
  });

  it('runs as one kernel', async () => {
    await expectOneHeadKernel(NATIVE);
  });

  it('is switched off by setHeadFusion(false)', async () => {
    await tf.setBackend(NATIVE);
    const shape = ODD_HEAD_SHAPES[0];
    const w = headTensors(shape, rawHeadWeights(shape, 4));
    const x = tf.tensor4d(floats(shape.h * shape.w * shape.cin, 6, 1), [1, shape.h, shape.w, shape.cin]);
    expect(setHeadFusion(false)).toBe(true);
    expect(headFusionActive()).toBe(false);
    const profile = await tf.profile(() => head(x, w));
    expect(profile.kernelNames).not.toContain(HEAD_KERNEL);
    expect(setHeadFusion(true)).toBe(false);
    expect(() => setHeadFusion('yes' as unknown as boolean)).toThrow(/setHeadFusion: expected a boolean/);
    tf.dispose([x]);
    disposeHead(w);
  });

  it('frees packed weights with the weight tensors', async () => {
    await tf.setBackend(NATIVE);
    setThreads(1);
    const start = nativeInfo().bytesInUse;
    const shape = ODD_HEAD_SHAPES[2];
    const run = () => {
      const w = headTensors(shape, rawHeadWeights(shape, 8));
      const x = tf.tensor4d(floats(shape.h * shape.w * shape.cin, 7, 1), [1, shape.h, shape.w, shape.cin]);
      const y = head(x, w);
      y.dataSync();
      const weightBytes = (shape.cin * shape.chead + shape.chead + shape.chead * shape.classes + shape.classes) * 4;
      // The packed conv and dense weights are alive beside the weights, x and y.
      expect(nativeInfo().bytesInUse).toBeGreaterThan(start + weightBytes + x.size * 4 + y.size * 4);
      tf.dispose([x, y]);
      disposeHead(w);
    };
    run();
    run();
    expect(nativeInfo().bytesInUse).toBe(start);
  });
});

describe('EffnetHead in a whole network', () => {
  const config = efficientNetConfig('b0');
  let weights: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await tf.setBackend(NATIVE);
    weights = randomEfficientNetWeights(config, 1);
  });
  afterAll(() => {
    tf.dispose([...weights.values()]);
  });

  it('B0 at 96x96 with the fused head matches the composed head within 1e-4 (batch 2)', async () => {
    await tf.setBackend(NATIVE);
    setThreads(2);
    const model = buildEfficientNet(config, weights);
    const x = tf.tensor4d(floats(2 * 96 * 96 * 3, 11, 1), [2, 96, 96, 3]);
    const run = async (fused: boolean) => {
      setHeadFusion(fused);
      const profile = await tf.profile(() => model.predict(x).dataSync());
      const y = model.predict(x);
      const values = y.dataSync().slice();
      y.dispose();
      return {values, kernels: profile.kernelNames};
    };
    const fused = await run(true);
    const composed = await run(false);
    setHeadFusion(true);
    expect(fused.kernels.filter((k) => k === HEAD_KERNEL)).toHaveLength(1);
    expect(fused.kernels).not.toContain('Mean');
    expect(composed.kernels).not.toContain(HEAD_KERNEL);
    expect(composed.kernels).toContain('Mean');
    expect(fused.values.length).toBe(2 * 1000);
    expectRelativelyClose(fused.values, composed.values, 1e-4);
    model.dispose();
    x.dispose();
  });

  it('includeTop: false still returns the head feature map, without the fused head', async () => {
    await tf.setBackend(NATIVE);
    const body = buildEfficientNet(efficientNetConfig('b0', {includeTop: false}), weights);
    const x = tf.tensor4d(floats(64 * 64 * 3, 12, 1), [1, 64, 64, 3]);
    const profile = await tf.profile(() => body.predict(x));
    expect(profile.kernelNames).not.toContain(HEAD_KERNEL);
    const y = body.predict(x);
    expect(y.shape).toEqual([1, 2, 2, 1280]);
    y.dispose();
    body.dispose();
    x.dispose();
  });

  it('leaves the parameter and multiply-add counts as they were', () => {
    expect(countParams(config)).toBe(5_288_548);
    expect(countMultiplyAdds(config)).toBe(countMultiplyAdds({...config, includeTop: false}) + 1280 * 1000);
  });
});

describe('EffnetHead bad input', () => {
  const shape = SMALL_HEAD;

  it('names the kernel and what is supported', async () => {
    await tf.setBackend(NATIVE);
    expectKernelErrors(HEAD_KERNEL, validHeadCall, [
      ['dtype', (i) => { i.x = tf.cast(i.x, 'int32'); }, /EffnetHead: input 'x' has dtype int32; supported: float32/],
      ['rank', (i) => { i.x = tf.reshape(i.x, [1, 6, 5]); }, /EffnetHead: input 'x' must be rank 4/],
      ['missing weight', (i) => { delete i.denseBias; }, /EffnetHead: missing input 'denseBias'; supported: x, convKernel/],
      ['conv kernel', (_, a) => { a.headChannels = 8; }, /EffnetHead: input 'convKernel' has shape \[1,1,5,7\]; expected \[1,1,5,8\]/],
      ['dense kernel', (i) => { i.denseKernel = tf.zeros([7, 5]); }, /EffnetHead: input 'denseKernel' has shape \[7,5\]; expected \[7,4\]/],
      ['in channels', (_, a) => { a.inChannels = 6; }, /EffnetHead: inChannels 6 does not match x/],
      ['classes', (_, a) => { a.numClasses = 0; }, /EffnetHead: attribute numClasses must be a positive integer/],
      ['activation', (_, a) => { a.activation = 'relu'; }, /EffnetHead: activation 'relu'; supported: swish/],
      ['empty image', (i) => { i.x = tf.zeros([1, 0, 2, 5]); }, /EffnetHead: .*supported: height and width >= 1/],
      ['weight dtype', (i) => { i.convBias = tf.zeros([7], 'int32'); }, /EffnetHead: input 'convBias' has dtype int32; supported: float32/],
    ]);
  });

  it('batch 0 gives an empty output without calling native code', async () => {
    await tf.setBackend(NATIVE);
    const w = headTensors(shape, rawHeadWeights(shape, 1));
    const x = tf.zeros([0, 3, 2, 5]) as tf.Tensor4D;
    const y = head(x, w);
    expect(y.shape).toEqual([0, 4]);
    tf.dispose([x, y]);
    disposeHead(w);
  });

  it('head() checks the weights against x', async () => {
    await tf.setBackend(NATIVE);
    const w = headTensors(shape, rawHeadWeights(shape, 1));
    const x = tf.zeros([1, 3, 2, 6]) as tf.Tensor4D;
    expect(() => head(x, w)).toThrow(/head: convKernel has shape \[1,1,5,7\], expected \[1,1,6,7\]/);
    tf.dispose([x]);
    disposeHead(w);
  });

  it('is checked natively too', async () => {
    await tf.setBackend(NATIVE);
    expectHeadEntryChecks(tf.backend() as NativeCpuBackend);
  });
});
