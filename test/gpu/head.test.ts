// The fused EffnetHead kernel on native-cuda (registered there by this file: it is not registered on
// the GPU backends by default until it has passed here) against the composed head on
// tfjs-backend-cpu and the fused head on native-cpu: the head of each of B0-B7, odd sizes, many pixel
// tiles, 65537 images (more than one launch), within 1e-4; run-to-run identical bits; one kernel; a
// whole B0 on native-cuda with the fused head against native-cpu; bad input.
import {afterAll, beforeAll, expect, it} from 'vitest';

import type {NativeCudaBackend} from '../../src/backend_cuda.js';
import {effnetHeadConfig} from '../../src/kernels/EffnetHead.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {HEAD_KERNEL, hasFusedHead, headAttrs} from '../../src/models/head.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {
  disposeHead,
  expectHeadEntryChecks,
  expectOneHeadKernel,
  floats,
  type HeadCase,
  headCases,
  headTensors,
  type HeadShape,
  modelHeadShapes,
  ODD_HEAD_SHAPES,
  rawHeadWeights,
  runHead,
} from '../util/head_cases.js';
import {evalOn, expectClose} from '../util/reference.js';
import {describeGpu, GPU_SKIP_REASON, tf} from './gpu_util.js';

const GPU = 'native-cuda';

let registeredHere = false;
beforeAll(() => {
  if (GPU_SKIP_REASON) return;
  if (tf.getKernel(HEAD_KERNEL, GPU) == null) {
    tf.registerKernel({kernelName: HEAD_KERNEL, backendName: GPU, kernelFunc: effnetHeadConfig.kernelFunc as never});
    registeredHere = true;
  }
});
afterAll(() => {
  if (registeredHere) tf.unregisterKernel(HEAD_KERNEL, GPU);
});

/** Many pixel tiles (10000 pixels: 157 tiles of 64). */
const LARGE: HeadShape = {label: 'large 100x100 8->70, 3 classes', h: 100, w: 100, cin: 8, chead: 70, classes: 3};

describeGpu('EffnetHead (fused) on native-cuda', () => {
  const cases: HeadCase[] = [];
  beforeAll(async () => {
    const shapes = modelHeadShapes((v) => (v === 'b0' || v === 'b7' ? 1001 : 2 * Number(v.slice(1)) + 3));
    cases.push(...(await headCases(shapes, [1])));
    cases.push(...(await headCases([shapes[0], shapes[7]], [2], 300)));
    cases.push(...(await headCases([...ODD_HEAD_SHAPES, LARGE], [1, 3], 500)));
  });

  it('is registered on native-cuda', () => {
    expect(hasFusedHead(GPU)).toBe(true);
  });

  it('runs as one kernel', async () => {
    await expectOneHeadKernel(GPU);
  });

  it('matches the composed head on cpu and the fused head on native-cpu within 1e-4 (B0-B7 head shapes, odd sizes)', async () => {
    for (const c of cases) {
      const got = await evalOn(GPU, () => runHead(c));
      expectClose(got, c.expected, 1e-4, 1e-4, `${c.label} [native-cuda vs cpu composite]`);
      const cpuFused = await evalOn('native-cpu', () => runHead(c));
      expectClose(got, cpuFused, 1e-4, 1e-4, `${c.label} [native-cuda vs native-cpu fused]`);
    }
    expect(cases.length).toBe(8 + 2 + 2 * (ODD_HEAD_SHAPES.length + 1));
  });

  it('gives the same bits on every run', async () => {
    for (const c of [cases[0], cases[cases.length - 1]]) {
      const first = await evalOn(GPU, () => runHead(c));
      const second = await evalOn(GPU, () => runHead(c));
      expect(Array.from(second[0].values as Float32Array)).toEqual(Array.from(first[0].values as Float32Array));
    }
  });

  it('65537 images (two launches) match native-cpu', async () => {
    const shape: HeadShape = {label: '65537 images 1x1 2->3, 2 classes', h: 1, w: 1, cin: 2, chead: 3, classes: 2};
    const batch = 65537;
    const c: HeadCase = {
      label: shape.label, shape, raw: rawHeadWeights(shape, 77), xShape: [batch, 1, 1, 2], x: floats(batch * 2, 78, 1.5), expected: [],
    };
    const cpu = await evalOn('native-cpu', () => runHead(c));
    const gpu = await evalOn(GPU, () => runHead(c));
    expectClose(gpu, cpu, 1e-4, 1e-4, `${c.label} [native-cuda vs native-cpu fused]`);
  });
});

describeGpu('EffnetHead in a whole network on native-cuda', () => {
  it('B0 at 224x224, batch 1, with the fused head on native-cuda matches native-cpu within 1e-4 relative', async () => {
    const config = efficientNetConfig('b0');
    const logits = async (backend: string): Promise<{values: Float32Array; kernels: string[]}> => {
      await tf.setBackend(backend);
      const weights = randomEfficientNetWeights(config, 1);
      const model = buildEfficientNet(config, weights);
      tf.dispose([...weights.values()]);
      const x = tf.tensor4d(floats(224 * 224 * 3, 11, 1), [1, 224, 224, 3]);
      let values: Float32Array = new Float32Array(0);
      const profile = await tf.profile(async () => {
        const y = model.predict(x);
        values = (await y.data()) as Float32Array;
        y.dispose();
      });
      model.dispose();
      x.dispose();
      return {values, kernels: profile.kernels.map((k) => k.name)};
    };
    const gpu = await logits(GPU);
    const cpu = await logits('native-cpu');
    expect(gpu.kernels.filter((k) => k === HEAD_KERNEL)).toHaveLength(1);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < cpu.values.length; i++) scale = Math.max(scale, Math.abs(cpu.values[i]));
    for (let i = 0; i < cpu.values.length; i++) {
      expect(Number.isFinite(gpu.values[i]), `logit ${i}`).toBe(true);
      worst = Math.max(worst, Math.abs(gpu.values[i] - cpu.values[i]) / Math.max(Math.abs(cpu.values[i]), scale * 1e-2));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
});

describeGpu('EffnetHead bad input on native-cuda', () => {
  it("gives the CPU entry's errors", async () => {
    await tf.setBackend(GPU);
    expectHeadEntryChecks(tf.backend() as NativeCudaBackend);
    // The kernel's own checks (src/kernels/EffnetHead.ts) run before the addon on native-cuda too.
    const shape: HeadShape = {label: '', h: 3, w: 2, cin: 5, chead: 7, classes: 4};
    const w = headTensors(shape, rawHeadWeights(shape, 1));
    const x = tf.tensor4d(floats(30, 1, 1), [1, 3, 2, 5]);
    const attrs = {...headAttrs(x, w), inChannels: 6};
    expect(() => tf.engine().runKernel(HEAD_KERNEL, {x, ...w}, attrs as unknown as tf.NamedAttrMap)).toThrow(
      /EffnetHead: inChannels 6 does not match x/,
    );
    tf.dispose([x]);
    disposeHead(w);
  });
});
