// Head shapes, seeded weights and inputs, and references on tfjs-backend-cpu, shared by the fused-head
// tests of native-cpu (test/head.test.ts) and native-cuda (test/gpu/head.test.ts).
import {expect} from 'vitest';

import {layerSummary} from '../../src/models/count.js';
import {HEAD_KERNEL, head, headAttrs, headComposite, type HeadWeights} from '../../src/models/head.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import type {ValidCall} from './fused_checks.js';
import {floats} from './mbconv_blocks.js';
import {type Evaluated, evalOn, tf} from './reference.js';

export interface HeadShape {
  label: string;
  h: number;
  w: number;
  cin: number;
  chead: number;
  classes: number;
}

/** Class counts of the tests: 1001 for B0 and B7 (ImageNet + background), small odd ones elsewhere. */
export function testClassCount(variant: string): number {
  return variant === 'b0' || variant === 'b7' ? 1001 : 2 * Number(variant.slice(1)) + 3;
}

/** The head of each of B0-B7 at its resolution: C_in from the last block, C_head = round_filters(1280). */
export function modelHeadShapes(classes: (variant: string) => number = testClassCount): HeadShape[] {
  return ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'].map((variant) => {
    const config = efficientNetConfig(variant as 'b0');
    const conv = layerSummary(config).find((l) => l.kind === 'conv' && l.spec.name === 'head/conv');
    if (conv == null || conv.kind !== 'conv') throw new Error(`${variant}: no head conv`);
    return {
      label: `${variant} head ${conv.inH}x${conv.inW} ${conv.inChannels}->${conv.spec.filters}`,
      h: conv.inH,
      w: conv.inW,
      cin: conv.inChannels,
      chead: conv.spec.filters,
      classes: classes(variant),
    };
  });
}

/** Sizes far from the models': odd channel counts, tails of every GEMM tile, many pixel tiles. */
export const ODD_HEAD_SHAPES: HeadShape[] = [
  {label: 'odd 5x3 19->70, 5 classes', h: 5, w: 3, cin: 19, chead: 70, classes: 5},
  {label: 'odd 1x1 3->9, 1 class', h: 1, w: 1, cin: 3, chead: 9, classes: 1},
  {label: 'odd 13x11 33->200, 7 classes', h: 13, w: 11, cin: 33, chead: 200, classes: 7},
  {label: 'odd 3x7 1->1, 3 classes', h: 3, w: 7, cin: 1, chead: 1, classes: 3},
];

/** The head of the bad-input checks. */
export const SMALL_HEAD: HeadShape = {label: '', h: 3, w: 2, cin: 5, chead: 7, classes: 4};

export {floats} from './mbconv_blocks.js';

export interface RawHead {
  convKernel: Float32Array;
  convBias: Float32Array;
  denseKernel: Float32Array;
  denseBias: Float32Array;
}

/** Seeded weights, scaled so that the head conv's outputs are O(1) (both signs reach swish). */
export function rawHeadWeights(s: HeadShape, seed: number): RawHead {
  return {
    convKernel: floats(s.cin * s.chead, seed + 1, 1.7 / Math.sqrt(s.cin)),
    convBias: floats(s.chead, seed + 2, 0.2),
    denseKernel: floats(s.chead * s.classes, seed + 3, 1.7 / Math.sqrt(s.chead)),
    denseBias: floats(s.classes, seed + 4, 0.2),
  };
}

/** The weights as tensors on the active backend. */
export function headTensors(s: HeadShape, raw: RawHead): HeadWeights {
  return {
    convKernel: tf.tensor4d(raw.convKernel, [1, 1, s.cin, s.chead]),
    convBias: tf.tensor1d(raw.convBias),
    denseKernel: tf.tensor2d(raw.denseKernel, [s.chead, s.classes]),
    denseBias: tf.tensor1d(raw.denseBias),
  };
}

export function disposeHead(w: HeadWeights): void {
  tf.dispose([w.convKernel, w.convBias, w.denseKernel, w.denseBias]);
}

export interface HeadCase {
  label: string;
  shape: HeadShape;
  raw: RawHead;
  xShape: [number, number, number, number];
  x: Float32Array;
  /** headComposite on tfjs-backend-cpu. */
  expected: Evaluated[];
}

/** Runs head() (fused where the backend has the kernel) or headComposite on the active backend's tensors. */
export function runHead(c: HeadCase, fused = true): tf.Tensor {
  const w = headTensors(c.shape, c.raw);
  const x = tf.tensor4d(c.x, c.xShape);
  try {
    return fused ? head(x, w) : headComposite(x, w);
  } finally {
    // tidy() in evalOn disposes the tensors made here; disposing now is harmless and keeps callers simple.
    tf.dispose([x]);
    disposeHead(w);
  }
}

/** Cases (batch sizes per shape) with their references on tfjs-backend-cpu. */
export async function headCases(shapes: HeadShape[], batches: number[], seed = 100): Promise<HeadCase[]> {
  const cases: HeadCase[] = [];
  for (const [i, shape] of shapes.entries()) {
    const raw = rawHeadWeights(shape, seed + 10 * i);
    for (const batch of batches) {
      const xShape: [number, number, number, number] = [batch, shape.h, shape.w, shape.cin];
      const x = floats(batch * shape.h * shape.w * shape.cin, seed + 10 * i + batch + 5, 1.5);
      const c: HeadCase = {label: `${shape.label} batch=${batch}`, shape, raw, xShape, x, expected: []};
      c.expected = await evalOn('cpu', () => runHead(c, false));
      cases.push(c);
    }
  }
  return cases;
}

/** On `backend`, head() runs as exactly one EffnetHead kernel. */
export async function expectOneHeadKernel(backend: string): Promise<void> {
  await tf.setBackend(backend);
  const shape = ODD_HEAD_SHAPES[0];
  const raw = rawHeadWeights(shape, 9);
  const w = headTensors(shape, raw);
  const x = tf.tensor4d(floats(2 * shape.h * shape.w * shape.cin, 3, 1), [2, shape.h, shape.w, shape.cin]);
  const profile = await tf.profile(() => head(x, w));
  expect(profile.kernelNames).toEqual([HEAD_KERNEL]);
  tf.dispose([x]);
  disposeHead(w);
}

/** A valid EffnetHead call of SMALL_HEAD (batch 1), for the bad-input checks. */
export const validHeadCall: ValidCall = () => {
  const w = headTensors(SMALL_HEAD, rawHeadWeights(SMALL_HEAD, 1));
  const x = tf.tensor4d(floats(3 * 2 * 5, 1, 1), [1, 3, 2, 5]);
  return {inputs: {x, ...w}, attrs: {...headAttrs(x, w)}};
};

/** The backend surface the entry checks need (NativeCpuBackend and NativeCudaBackend). */
export interface EntryBackend {
  bufferOf(t: tf.TensorInfo, kernel: string): number;
  run(entry: string, options: object): void;
}

/** The native entry itself rejects bad options with errors that name the kernel. */
export function expectHeadEntryChecks(backend: EntryBackend): void {
  const shape = SMALL_HEAD;
  const w = headTensors(shape, rawHeadWeights(shape, 2));
  const x = tf.tensor4d(floats(2 * 3 * 2 * 5, 1, 1), [2, 3, 2, 5]);
  const out = tf.zeros([2, 4]);
  const base = (): Record<string, number> => ({
    x: backend.bufferOf(x, 'test'), out: backend.bufferOf(out, 'test'), batch: 2, height: 3, width: 2,
    inChannels: 5, headChannels: 7, numClasses: 4,
    convKernel: backend.bufferOf(w.convKernel, 'test'), convBias: backend.bufferOf(w.convBias, 'test'),
    denseKernel: backend.bufferOf(w.denseKernel, 'test'), denseBias: backend.bufferOf(w.denseBias, 'test'),
  });
  try {
    expect(() => backend.run('head', base())).not.toThrow();
    const bad: Array<[Record<string, number>, RegExp]> = [
      [{batch: -1}, /EffnetHead: batch must be >= 0/],
      [{height: 0}, /EffnetHead: input height and width must be >= 1/],
      [{numClasses: 0}, /EffnetHead: channel counts must be >= 1/],
      [{batch: 3}, /EffnetHead: .*'x'/],
      [{headChannels: 8}, /EffnetHead: .*'convKernel'/],
      [{numClasses: 5}, /EffnetHead: .*'out'/],
      [{x: backend.bufferOf(out, 'test'), batch: 1, height: 1, width: 1, inChannels: 1, numClasses: 1}, /EffnetHead: out must not be x/],
      [{denseBias: 999999}, /EffnetHead: 'denseBias'/],
      [{width: 2 ** 31}, /EffnetHead: /],
    ];
    for (const [change, pattern] of bad) {
      expect(() => backend.run('head', {...base(), ...change}), JSON.stringify(change)).toThrow(pattern);
    }
  } finally {
    tf.dispose([x, out]);
    disposeHead(w);
  }
}
