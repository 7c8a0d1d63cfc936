// The fused EffnetHead kernel on native-cuda (registered there by this file: it is not registered on
// the GPU backends by default until it has passed here) against the composed head on
// tfjs-backend-cpu and the fused head on native-cpu: the head of each of B0-B7, odd sizes, many pixel
// tiles, 65537 images (more than one launch), within 1e-4; run-to-run identical bits; one kernel; a
// whole B0 on native-cuda with the fused head against native-cpu; bad input.
import {afterAll, beforeAll, expect, it} from 'vitest';

import type {NativeCudaBackend} from '../../src/backend_cuda.js';
import {effnetHeadConfig} from '../../src/kernels/EffnetHead.js';
import {HEAD_KERNEL, hasFusedHead} from '../../src/models/head.js';
import {kernelFailure} from '../util/fused_checks.js';
import {
  expectHeadEntryChecks,
  expectOneHeadKernel,
  floats,
  type HeadCase,
  headCases,
  type HeadShape,
  modelHeadShapes,
  ODD_HEAD_SHAPES,
  rawHeadWeights,
  runHead,
  validHeadCall,
} from '../util/head_cases.js';
import {evalOn, expectClose} from '../util/reference.js';
import {b0Logits, describeGpu, expectLogitsClose, GPU_SKIP_REASON, tf} from './gpu_util.js';

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
    const shapes = modelHeadShapes();
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
    const image = floats(224 * 224 * 3, 11, 1);
    const gpu = await b0Logits(GPU, image);
    const cpu = await b0Logits('native-cpu', image);
    expect(gpu.kernels.filter((k) => k === HEAD_KERNEL)).toHaveLength(1);
    expectLogitsClose(gpu.values, cpu.values, 1e-4);
  });
});

describeGpu('EffnetHead bad input on native-cuda', () => {
  it("gives the CPU entry's errors", async () => {
    await tf.setBackend(GPU);
    expectHeadEntryChecks(tf.backend() as NativeCudaBackend);
    // The kernel's own checks (src/kernels/EffnetHead.ts) run before the addon on native-cuda too.
    const mismatch = kernelFailure(HEAD_KERNEL, validHeadCall, (_, a) => {
      a.inChannels = 6;
    });
    expect(mismatch).toMatch(/EffnetHead: inChannels 6 does not match x/);
  });
});
