// The fused EffnetMBConv kernel on native-cuda (switched on with setCudaMBConvFusion) against
// native-cpu's fused kernel and the composite block on tfjs-backend-cpu: every block shape of B0-B7,
// odd channel counts, kernel sizes 1, 7 and 31, batch 1 and 2, within 1e-4; infinite and NaN depthwise
// weights at taps in the padding (left out, as the composite block leaves them); run-to-run identical
// results; a whole B0 on native-cuda (fused) against native-cpu, and its latency fused and composed
// (logged); bad input.
import {afterAll, beforeAll, expect, it} from 'vitest';

import type {NativeCudaBackend} from '../../src/backend_cuda.js';
import {getCudaMBConvFusion, setCudaMBConvFusion} from '../../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {hasFusedMBConv, MBCONV_KERNEL, mbconv} from '../../src/models/mbconv.js';
import {efficientNetBlocks, efficientNetConfig} from '../../src/models/scaling.js';
import {kernelFailure} from '../util/fused_checks.js';
import {
  type BlockShape,
  type Case,
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
  tensors,
  validMBConvCall,
} from '../util/mbconv_blocks.js';
import {evalOn, type Evaluated, expectClose} from '../util/reference.js';
import {b0Logits, describeGpu, expectLogitsClose, tf} from './gpu_util.js';

const GPU = 'native-cuda';

/** Kernel sizes far from B0-B7's: blocks of 8 expanded channels, patches of up to 46x46 pixels. */
const LARGE_KERNELS: Array<{shape: BlockShape; h: number; w: number}> = [
  {shape: {label: 'k31 s1 e3 plain, 6->5 channels', k: 31, stride: 1, expand: 3, cin: 6, cout: 5, cse: 2, residual: false}, h: 20, w: 19},
  {shape: {label: 'k31 s2 e1 plain, 5->7 channels', k: 31, stride: 2, expand: 1, cin: 5, cout: 7, cse: 1, residual: false}, h: 20, w: 21},
];

async function largeKernelGroups(): Promise<Group[]> {
  const groups: Group[] = [];
  for (const [i, {shape, h, w}] of LARGE_KERNELS.entries()) {
    const raw = rawWeights(shape, 7000 + i);
    const cases: Case[] = [];
    for (const batch of [1, 2]) {
      const xShape = [batch, h, w, shape.cin];
      const x = input(xShape, 91 + i);
      const config = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const, residual: shape.residual};
      cases.push({label: `${shape.label} ${h}x${w} batch=${batch}`, x, xShape, config, expected: await reference(raw, x, xShape, config)});
    }
    groups.push({raw, cases});
  }
  return groups;
}

/** The fused block of `c` on `backend`, weights made there. */
function fusedOn(backend: string, raw: Group['raw'], c: Case): Promise<Evaluated[]> {
  return evalOn(backend, () => mbconv(tf.tensor4d(c.x, c.xShape as [number, number, number, number]), tensors(raw), c.config));
}

let previous = false;
beforeAll(() => {
  previous = setCudaMBConvFusion(true);
});
afterAll(() => {
  setCudaMBConvFusion(previous);
});

describeGpu('EffnetMBConv (fused) on native-cuda', () => {
  it('is registered only while switched on', () => {
    expect(getCudaMBConvFusion()).toBe(true);
    expect(hasFusedMBConv(GPU)).toBe(true);
    expect(setCudaMBConvFusion(false)).toBe(true);
    expect(hasFusedMBConv(GPU)).toBe(false);
    expect(hasFusedMBConv('native-cpu')).toBe(true);
    setCudaMBConvFusion(true);
    expect(hasFusedMBConv(GPU)).toBe(true);
  });

  it('runs as one kernel', async () => {
    await expectOneKernel(GPU);
  });

  const groups: Group[] = [];
  beforeAll(async () => {
    groups.push(...(await referenceGroups([...MODEL_SHAPES, ...ODD_SHAPES])));
    groups.push(...(await largeReferenceGroups()));
    groups.push(...(await largeKernelGroups()));
  });

  it('matches the composite block on cpu and the fused block on native-cpu within 1e-4 (every B0-B7 block shape)', async () => {
    let checked = 0;
    for (const g of groups) {
      for (const c of g.cases) {
        const got = await fusedOn(GPU, g.raw, c);
        expectClose(got, c.expected, 1e-4, 1e-4, `${c.label} [native-cuda vs cpu composite]`);
        const cpuFused = await fusedOn('native-cpu', g.raw, c);
        expectClose(got, cpuFused, 1e-4, 1e-4, `${c.label} [native-cuda vs native-cpu fused]`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual((MODEL_SHAPES.length + ODD_SHAPES.length) * 6);
  });

  it('leaves infinite and NaN depthwise weights at padding taps out, as the composite block does', async () => {
    let checked = 0;
    for (const g of await paddingInfinityGroups()) {
      for (const c of g.cases) {
        expectClose(await fusedOn(GPU, g.raw, c), c.expected, 1e-4, 1e-4, `${c.label} [native-cuda vs cpu composite]`);
        checked++;
      }
    }
    expect(checked).toBe(8);
  });

  it('gives the same bits on every run', async () => {
    for (const g of [groups[1], groups[groups.length - 3]]) {
      const c = g.cases[g.cases.length - 1];
      const first = await fusedOn(GPU, g.raw, c);
      const second = await fusedOn(GPU, g.raw, c);
      expect(Array.from(second[0].values as Float32Array)).toEqual(Array.from(first[0].values as Float32Array));
    }
  });
});

describeGpu('EffnetMBConv in a whole network on native-cuda', () => {
  it('B0 at 224x224, batch 1, fused on native-cuda matches native-cpu within 1e-4 relative', async () => {
    const image = input([1, 224, 224, 3], 11);
    const gpu = await b0Logits(GPU, image);
    const cpu = await b0Logits('native-cpu', image);
    const fusedBlocks = efficientNetBlocks(efficientNetConfig('b0')).length;
    expect(gpu.kernels.filter((k) => k === MBCONV_KERNEL).length).toBe(fusedBlocks);
    expectLogitsClose(gpu.values, cpu.values, 1e-4);
  });

  it('B0 at 224x224, batch 1: latency fused and composed on native-cuda (logged, not asserted)', async () => {
    await tf.setBackend(GPU);
    const config = efficientNetConfig('b0');
    const weights = randomEfficientNetWeights(config, 1);
    const model = buildEfficientNet(config, weights);
    tf.dispose([...weights.values()]);
    const x = tf.tensor4d(input([1, 224, 224, 3], 11), [1, 224, 224, 3]);
    const median = async (fused: boolean): Promise<number> => {
      setCudaMBConvFusion(fused);
      const times: number[] = [];
      for (let i = 0; i < 12; i++) {
        const start = performance.now();
        const y = model.predict(x);
        await y.data();
        y.dispose();
        if (i >= 2) times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      return times[times.length >> 1];
    };
    const composed = await median(false);
    const fused = await median(true);
    console.log(`B0 batch 1 on native-cuda: fused MBConv ${fused.toFixed(3)} ms, composed ${composed.toFixed(3)} ms (median of 10)`);
    model.dispose();
    x.dispose();
    expect(getCudaMBConvFusion()).toBe(true);
  });
});

describeGpu('EffnetMBConv bad input on native-cuda', () => {
  it('gives the CPU entry\'s errors', async () => {
    await tf.setBackend(GPU);
    const backend = tf.backend() as NativeCudaBackend;
    expectMBConvEntryChecks(backend);
    // The kernel's own checks (src/kernels/EffnetMBConv.ts) run before the addon on native-cuda too.
    const residualStride2 = kernelFailure(MBCONV_KERNEL, validMBConvCall, (_, a) => {
      a.stride = 2;
    });
    expect(residualStride2).toMatch(/EffnetMBConv: residual needs stride 1/);
  });
});
