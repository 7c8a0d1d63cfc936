// MBConv block shapes, seeded weights and inputs, and references on tfjs-backend-cpu, shared by the
// fused-block tests of native-cpu (test/mbconv_fused.test.ts) and native-cuda (test/gpu/mbconv.test.ts).
import {
  MBCONV_KERNEL,
  mbconv,
  mbconvAttrs,
  type MBConvConfig,
  type MBConvWeights,
  mbconvComposite,
} from '../../src/models/mbconv.js';
import {buildEfficientNet, type EfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetBlocks, efficientNetConfig, type PaddingMode} from '../../src/models/scaling.js';
import {setThreads} from '../../src/index.js';
import {expect} from 'vitest';

import type {ValidCall} from './fused_checks.js';
import {type Evaluated, evalOn, seededRandom, tf} from './reference.js';

export function floats(n: number, seed: number, scale: number): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

export interface BlockShape {
  label: string;
  k: number;
  stride: number;
  expand: number;
  cin: number;
  cout: number;
  cse: number;
  residual: boolean;
}

/** Raw weight values of one block (scaled so activations stay O(1) through the block). */
export interface RawWeights {
  [name: string]: {values: Float32Array; shape: number[]};
}

export function rawWeights(b: BlockShape, seed: number): RawWeights {
  const cexp = b.cin * b.expand;
  const w: RawWeights = {
    depthwiseKernel: {values: floats(b.k * b.k * cexp, seed + 3, 1.5 / b.k), shape: [b.k, b.k, cexp, 1]},
    depthwiseBias: {values: floats(cexp, seed + 4, 0.2), shape: [cexp]},
    seReduceKernel: {values: floats(cexp * b.cse, seed + 5, 2 / Math.sqrt(cexp)), shape: [1, 1, cexp, b.cse]},
    seReduceBias: {values: floats(b.cse, seed + 6, 0.2), shape: [b.cse]},
    seExpandKernel: {values: floats(b.cse * cexp, seed + 7, 2 / Math.sqrt(b.cse)), shape: [1, 1, b.cse, cexp]},
    seExpandBias: {values: floats(cexp, seed + 8, 0.2), shape: [cexp]},
    projectKernel: {values: floats(cexp * b.cout, seed + 9, 1.7 / Math.sqrt(cexp)), shape: [1, 1, cexp, b.cout]},
    projectBias: {values: floats(b.cout, seed + 10, 0.2), shape: [b.cout]},
  };
  if (b.expand !== 1) {
    w.expandKernel = {values: floats(b.cin * cexp, seed + 1, 1.7 / Math.sqrt(b.cin)), shape: [1, 1, b.cin, cexp]};
    w.expandBias = {values: floats(cexp, seed + 2, 0.2), shape: [cexp]};
  }
  return w;
}

/** The weights as tensors on the active backend. */
export function tensors(raw: RawWeights): MBConvWeights {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, {values, shape}] of Object.entries(raw)) out[name] = tf.tensor(values, shape);
  return out as unknown as MBConvWeights;
}

/**
 * Every distinct block shape of B0-B7 (kernel, stride, expand ratio, residual), with the channel
 * counts of its first occurrence.
 */
export function modelBlockShapes(): BlockShape[] {
  const seen = new Map<string, BlockShape>();
  for (const variant of ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7']) {
    for (const b of efficientNetBlocks(efficientNetConfig(variant))) {
      const key = `k${b.kernelSize} s${b.stride} e${b.expandRatio} ${b.residual ? 'residual' : 'plain'}`;
      if (!seen.has(key)) {
        seen.set(key, {
          label: `${key} (${variant} block ${b.index}: ${b.inChannels}->${b.outChannels})`,
          k: b.kernelSize,
          stride: b.stride,
          expand: b.expandRatio,
          cin: b.inChannels,
          cout: b.outChannels,
          cse: b.seChannels,
          residual: b.residual,
        });
      }
    }
  }
  return [...seen.values()];
}

export const MODEL_SHAPES = modelBlockShapes();

/** Channel counts that are not multiples of 8, and kernel sizes outside B0-B7. */
export const ODD_SHAPES: BlockShape[] = [
  {label: 'k3 s1 e3 residual, 7 channels', k: 3, stride: 1, expand: 3, cin: 7, cout: 7, cse: 1, residual: true},
  {label: 'k5 s2 e1 plain, 13->9 channels', k: 5, stride: 2, expand: 1, cin: 13, cout: 9, cse: 3, residual: false},
  {label: 'k7 s2 e2 plain, 6->10 channels', k: 7, stride: 2, expand: 2, cin: 6, cout: 10, cse: 1, residual: false},
  {label: 'k1 s1 e4 residual, 5 channels', k: 1, stride: 1, expand: 4, cin: 5, cout: 5, cse: 1, residual: true},
  // 24 and 40 outputs from an odd number (33) of expanded channels: the k-pairs projection tiles' half pair.
  {label: 'k3 s1 e3 plain, 11->24 channels', k: 3, stride: 1, expand: 3, cin: 11, cout: 24, cse: 2, residual: false},
  {label: 'k5 s2 e3 plain, 11->40 channels', k: 5, stride: 2, expand: 3, cin: 11, cout: 40, cse: 2, residual: false},
  {label: 'k3 s1 e1 residual, 24 channels', k: 3, stride: 1, expand: 1, cin: 24, cout: 24, cse: 6, residual: true},
];

/** Input sizes: odd and even, square and not, both padding rules (they differ for stride 2 on even sizes). */
export const SIZES: Array<{h: number; w: number; padding: PaddingMode}> = [
  {h: 7, w: 9, padding: 'same'},
  {h: 8, w: 6, padding: 'same'},
  {h: 6, w: 8, padding: 'symmetric'},
];

export function input(shape: number[], seed: number): Float32Array {
  return floats(shape.reduce((a, b) => a * b, 1), seed, 1.5);
}

/** The composite block on tfjs-backend-cpu. */
export async function reference(raw: RawWeights, x: Float32Array, xShape: number[], config: MBConvConfig): Promise<Evaluated[]> {
  return evalOn('cpu', () => {
    const w = tensors(raw);
    const y = mbconvComposite(tf.tensor4d(x, xShape as [number, number, number, number]), w, config);
    tf.dispose(Object.values(w) as tf.Tensor[]);
    return y;
  });
}

export interface Case {
  label: string;
  x: Float32Array;
  xShape: number[];
  config: MBConvConfig;
  expected: Evaluated[];
}

/** Cases that share one block's weights. */
export interface Group {
  raw: RawWeights;
  cases: Case[];
}

/**
 * For each shape (weights seeded by its index), every size of SIZES at batch 1 and 2, with the
 * composite block's result on tfjs-backend-cpu.
 */
export async function referenceGroups(shapes: BlockShape[]): Promise<Group[]> {
  const groups: Group[] = [];
  for (const [i, shape] of shapes.entries()) {
    const raw = rawWeights(shape, 100 * i);
    const cases: Case[] = [];
    for (const [j, size] of SIZES.entries()) {
      for (const batch of [1, 2]) {
        const xShape = [batch, size.h, size.w, shape.cin];
        const x = input(xShape, 7 + 31 * i + j);
        const config: MBConvConfig = {kernelSize: shape.k, stride: shape.stride, padding: size.padding, residual: shape.residual};
        const expected = await reference(raw, x, xShape, config);
        cases.push({label: `${shape.label} ${size.h}x${size.w} ${size.padding} batch=${batch}`, x, xShape, config, expected});
      }
    }
    groups.push({raw, cases});
  }
  return groups;
}

/** Larger images: tiles and rows split inside an image (a ring of rows wraps around on the CPU). */
/**
 * Blocks whose depthwise kernel holds infinite and NaN weights only at taps that lie in the padding for
 * every output pixel: 5x5 kernels on maps two rows high ('same' padding), the kernel's first and last
 * rows. The composite block never multiplies those weights, so every output is finite; a
 * kernel that multiplies zeros standing in for the padding makes 0 * inf = NaN, and the squeeze-and-
 * excitation carries that NaN into every output.
 */
export async function paddingInfinityGroups(): Promise<Group[]> {
  const groups: Group[] = [];
  const shapes: BlockShape[] = [
    {label: 'k5 s1 e6 residual, weights at padding taps infinite', k: 5, stride: 1, expand: 6, cin: 4, cout: 4, cse: 1, residual: true},
    {label: 'k5 s2 e1 plain, weights at padding taps infinite', k: 5, stride: 2, expand: 1, cin: 6, cout: 5, cse: 2, residual: false},
  ];
  for (const [i, shape] of shapes.entries()) {
    const raw = rawWeights(shape, 900 + 10 * i);
    const cexp = shape.cin * shape.expand;
    const dw = raw.depthwiseKernel.values;  // [5, 5, cexp, 1]
    const tap = (ky: number, kx: number, c: number) => (ky * shape.k + kx) * cexp + c;
    dw[tap(0, 0, 0)] = Infinity;
    dw[tap(0, 2, 1)] = -Infinity;
    dw[tap(4, 1, 2)] = Infinity;
    dw[tap(4, 4, 3)] = NaN;
    const cases: Case[] = [];
    for (const [h, w] of [[2, 2], [2, 3]]) {
      for (const batch of [1, 2]) {
        const xShape = [batch, h, w, shape.cin];
        const x = input(xShape, 61 + h * 7 + w + batch);
        const config: MBConvConfig = {kernelSize: shape.k, stride: shape.stride, padding: 'same', residual: shape.residual};
        const expected = await reference(raw, x, xShape, config);
        for (const e of expected) {
          expect(Array.from(e.values as Float32Array).every(Number.isFinite), `${shape.label}: finite reference`).toBe(true);
        }
        cases.push({label: `${shape.label} ${h}x${w} batch=${batch}`, x, xShape, config, expected});
      }
    }
    groups.push({raw, cases});
  }
  return groups;
}

export const LARGE_CASES: Array<{shape: BlockShape; h: number; w: number}> = [
  {shape: {label: 'k3 s2 e6 40x50 (ring wraps)', k: 3, stride: 2, expand: 6, cin: 16, cout: 24, cse: 4, residual: false}, h: 40, w: 50},
  {shape: {label: 'k5 s1 e6 residual 31x40 (ring wraps)', k: 5, stride: 1, expand: 6, cin: 24, cout: 24, cse: 6, residual: true}, h: 31, w: 40},
  // A depthwise output of 8.6 MB per image, over the size written with non-temporal stores (8 MiB).
  {shape: {label: 'k3 s1 e8 residual 131x128 (d streamed)', k: 3, stride: 1, expand: 8, cin: 16, cout: 16, cse: 4, residual: true}, h: 131, w: 128},
];

/** LARGE_CASES at batch 1 and 2, with their references. */
export async function largeReferenceGroups(): Promise<Group[]> {
  const groups: Group[] = [];
  for (const [i, {shape, h, w}] of LARGE_CASES.entries()) {
    const raw = rawWeights(shape, 5000 + i);
    const cases: Case[] = [];
    for (const batch of [1, 2]) {
      const xShape = [batch, h, w, shape.cin];
      const x = input(xShape, 77 + i);
      const config: MBConvConfig = {kernelSize: shape.k, stride: shape.stride, padding: 'same', residual: shape.residual};
      const expected = await reference(raw, x, xShape, config);
      cases.push({label: `${shape.label} batch=${batch}`, x, xShape, config, expected});
    }
    groups.push({raw, cases});
  }
  return groups;
}

/** The block of the bad-input checks. */
export const SMALL_BLOCK: BlockShape = {label: '', k: 3, stride: 1, expand: 6, cin: 8, cout: 8, cse: 2, residual: true};

/** A valid EffnetMBConv call of SMALL_BLOCK on a 5x5 image, for the bad-input checks. */
export const validMBConvCall: ValidCall = () => {
  const w = tensors(rawWeights(SMALL_BLOCK, 1)) as unknown as Record<string, tf.Tensor>;
  const x = tf.tensor4d(input([1, 5, 5, 8], 1), [1, 5, 5, 8]);
  return {inputs: {x, ...w}, attrs: {...mbconvAttrs(x, w as unknown as MBConvWeights, {kernelSize: 3, stride: 1, padding: 'same'})}};
};

/** What the addon-entry checks need of a native backend (native-cpu and native-cuda both have it). */
interface EntryBackend {
  bufferOf(t: tf.TensorInfo, kernel: string): number;
  run(entry: string, options: object): void;
}

/**
 * The `mbconv` addon entry of `backend` (the active tfjs backend) runs a valid 5x5x8 block and
 * rejects each bad option with the CPU op's message (the entry validates natively, whatever calls it).
 */
export function expectMBConvEntryChecks(backend: EntryBackend, extra: Array<[Record<string, number | boolean>, RegExp]> = []): void {
  const w = tensors(rawWeights(SMALL_BLOCK, 2)) as unknown as Record<string, tf.Tensor>;
  const x = tf.tensor4d(input([1, 5, 5, 8], 1), [1, 5, 5, 8]);
  const out = tf.zeros([1, 5, 5, 8]);
  const base = (): Record<string, number | boolean> => {
    const o: Record<string, number | boolean> = {
      x: backend.bufferOf(x, 'test'), out: backend.bufferOf(out, 'test'), batch: 1, inH: 5, inW: 5,
      inChannels: 8, expandedChannels: 48, seChannels: 2, outChannels: 8, kernelSize: 3, stride: 1,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, outH: 5, outW: 5, hasExpand: true, residual: true,
    };
    for (const [name, t] of Object.entries(w)) o[name] = backend.bufferOf(t, 'test');
    return o;
  };
  try {
    // The baseline is valid.
    expect(() => backend.run('mbconv', base())).not.toThrow();
    const bad: Array<[Record<string, number | boolean>, RegExp]> = [
      [{stride: 3}, /EffnetMBConv: stride 3; supported: 1, 2/],
      [{kernelSize: 2}, /EffnetMBConv: kernelSize 2; supported: odd/],
      [{kernelSize: 33, padTop: 16, padBottom: 16, padLeft: 16, padRight: 16}, /EffnetMBConv: kernelSize 33; supported: odd sizes 1..31/],
      [{outH: 4}, /EffnetMBConv: output size 4x5 does not match/],
      [{padLeft: 3}, /EffnetMBConv: pads .*supported/],
      [{batch: 2}, /EffnetMBConv: .*x/],
      [{expandedChannels: 96}, /EffnetMBConv: .*expandKernel/],
      [{hasExpand: false}, /EffnetMBConv: without an expand conv/],
      [{outChannels: 16, residual: false}, /EffnetMBConv: .*(out|projectKernel)/],
      [{x: backend.bufferOf(out, 'test')}, /EffnetMBConv: out must not be x/],
      [{seReduceKernel: 999999}, /EffnetMBConv: 'seReduceKernel'/],
      ...extra,
    ];
    for (const [change, pattern] of bad) {
      expect(() => backend.run('mbconv', {...base(), ...change}), JSON.stringify(change)).toThrow(pattern);
    }
  } finally {
    tf.dispose([x, out, ...Object.values(w)]);
  }
}

/** On `backend`, mbconv() of a small block runs as exactly one EffnetMBConv kernel. */
export async function expectOneKernel(backend: string): Promise<void> {
  await tf.setBackend(backend);
  const shape = MODEL_SHAPES[1];
  const w = tensors(rawWeights(shape, 9));
  const x = tf.tensor4d(input([1, 6, 6, shape.cin], 3), [1, 6, 6, shape.cin]);
  const profile = await tf.profile(() => mbconv(x, w, {kernelSize: shape.k, stride: shape.stride, padding: 'same'}));
  expect(profile.kernelNames).toEqual([MBCONV_KERNEL]);
  tf.dispose([x, ...(Object.values(w) as tf.Tensor[])]);
}

/**
 * EfficientNet-B0 with seeded random weights and a seeded 64x64 image on `backend` (one thread), for
 * `body`; the model, weights and image are freed after it, whether it throws or not.
 */
export async function withSmallB0(backend: string, body: (model: EfficientNet, x: tf.Tensor4D) => void): Promise<void> {
  await tf.setBackend(backend);
  setThreads(1);
  const config = efficientNetConfig('b0');
  const weights = randomEfficientNetWeights(config, 1);
  const model = buildEfficientNet(config, weights);
  const x = tf.tensor4d(input([1, 64, 64, 3], 11), [1, 64, 64, 3]);
  try {
    body(model, x);
  } finally {
    model.dispose();
    x.dispose();
    tf.dispose([...weights.values()]);
  }
}
