// The MBConv op: composite tfjs ops against a hand-written loop reference of one block, the
// fused-kernel dispatch contract, and the padding rules.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';

import {mulberry32} from '../src/models/graph.js';
import {padAmounts, tfPadding} from '../src/models/layers.js';
import {backendFusesSwish, MBCONV_KERNEL, type MBConvAttrs, type MBConvWeights, mbconv, mbconvComposite} from '../src/models/mbconv.js';
import type {PaddingMode} from '../src/models/scaling.js';

function floats(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const swish = (v: number) => v * sigmoid(v);

interface Block {
  n: number;
  h: number;
  w: number;
  cin: number;
  expand: number;
  k: number;
  stride: number;
  cout: number;
  padding: PaddingMode;
}

interface RawWeights {
  expandKernel?: Float32Array;
  expandBias?: Float32Array;
  depthwiseKernel: Float32Array;
  depthwiseBias: Float32Array;
  seReduceKernel: Float32Array;
  seReduceBias: Float32Array;
  seExpandKernel: Float32Array;
  seExpandBias: Float32Array;
  projectKernel: Float32Array;
  projectBias: Float32Array;
}

function makeWeights(b: Block, seed: number): {raw: RawWeights; cexp: number; cse: number} {
  const cexp = b.cin * b.expand;
  const cse = Math.max(1, Math.floor(b.cin / 4));
  const raw: RawWeights = {
    depthwiseKernel: floats(b.k * b.k * cexp, seed + 3, 0.4),
    depthwiseBias: floats(cexp, seed + 4, 0.1),
    seReduceKernel: floats(cexp * cse, seed + 5, 0.5),
    seReduceBias: floats(cse, seed + 6, 0.1),
    seExpandKernel: floats(cse * cexp, seed + 7, 0.5),
    seExpandBias: floats(cexp, seed + 8, 0.1),
    projectKernel: floats(cexp * b.cout, seed + 9, 0.3),
    projectBias: floats(b.cout, seed + 10, 0.1),
  };
  if (b.expand !== 1) {
    raw.expandKernel = floats(b.cin * cexp, seed + 1, 0.5);
    raw.expandBias = floats(cexp, seed + 2, 0.1);
  }
  return {raw, cexp, cse};
}

function toTensors(raw: RawWeights, b: Block, cexp: number, cse: number): MBConvWeights {
  const w: MBConvWeights = {
    depthwiseKernel: tf.tensor4d(raw.depthwiseKernel, [b.k, b.k, cexp, 1]),
    depthwiseBias: tf.tensor1d(raw.depthwiseBias),
    seReduceKernel: tf.tensor4d(raw.seReduceKernel, [1, 1, cexp, cse]),
    seReduceBias: tf.tensor1d(raw.seReduceBias),
    seExpandKernel: tf.tensor4d(raw.seExpandKernel, [1, 1, cse, cexp]),
    seExpandBias: tf.tensor1d(raw.seExpandBias),
    projectKernel: tf.tensor4d(raw.projectKernel, [1, 1, cexp, b.cout]),
    projectBias: tf.tensor1d(raw.projectBias),
  };
  if (raw.expandKernel) {
    w.expandKernel = tf.tensor4d(raw.expandKernel, [1, 1, b.cin, cexp]);
    w.expandBias = tf.tensor1d(raw.expandBias!);
  }
  return w;
}

/** Plain loops, double precision: the block exactly as the paper and reference code define it. */
function referenceBlock(x: Float32Array, b: Block, raw: RawWeights, cexp: number, cse: number): {out: Float64Array; oh: number; ow: number} {
  const {n, h, w, cin, k, stride, cout} = b;
  // expand
  const e = new Float64Array(n * h * w * cexp);
  for (let p = 0; p < n * h * w; p++) {
    for (let o = 0; o < cexp; o++) {
      if (!raw.expandKernel) {
        e[p * cexp + o] = x[p * cin + o];
        continue;
      }
      let acc = raw.expandBias![o];
      for (let i = 0; i < cin; i++) acc += x[p * cin + i] * raw.expandKernel[i * cexp + o];
      e[p * cexp + o] = swish(acc);
    }
  }
  // depthwise, padding by hand
  let pt: number;
  let pl: number;
  let oh: number;
  let ow: number;
  if (b.padding === 'symmetric') {
    pt = pl = (k - 1) / 2;
    oh = Math.floor((h + 2 * pt - k) / stride) + 1;
    ow = Math.floor((w + 2 * pl - k) / stride) + 1;
  } else {
    oh = Math.ceil(h / stride);
    ow = Math.ceil(w / stride);
    pt = Math.floor(Math.max((oh - 1) * stride + k - h, 0) / 2);
    pl = Math.floor(Math.max((ow - 1) * stride + k - w, 0) / 2);
  }
  const d = new Float64Array(n * oh * ow * cexp);
  for (let bi = 0; bi < n; bi++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        for (let c = 0; c < cexp; c++) {
          let acc = raw.depthwiseBias[c];
          for (let ky = 0; ky < k; ky++) {
            const iy = y * stride + ky - pt;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = xx * stride + kx - pl;
              if (ix < 0 || ix >= w) continue;
              acc += e[((bi * h + iy) * w + ix) * cexp + c] * raw.depthwiseKernel[(ky * k + kx) * cexp + c];
            }
          }
          d[((bi * oh + y) * ow + xx) * cexp + c] = swish(acc);
        }
      }
    }
  }
  // squeeze-and-excitation, project, residual
  const out = new Float64Array(n * oh * ow * cout);
  for (let bi = 0; bi < n; bi++) {
    const m = new Float64Array(cexp);
    for (let p = 0; p < oh * ow; p++) for (let c = 0; c < cexp; c++) m[c] += d[(bi * oh * ow + p) * cexp + c] / (oh * ow);
    const r = new Float64Array(cse);
    for (let j = 0; j < cse; j++) {
      let acc = raw.seReduceBias[j];
      for (let c = 0; c < cexp; c++) acc += m[c] * raw.seReduceKernel[c * cse + j];
      r[j] = swish(acc);
    }
    const gate = new Float64Array(cexp);
    for (let c = 0; c < cexp; c++) {
      let acc = raw.seExpandBias[c];
      for (let j = 0; j < cse; j++) acc += r[j] * raw.seExpandKernel[j * cexp + c];
      gate[c] = sigmoid(acc);
    }
    const residual = stride === 1 && cin === cout;
    for (let p = 0; p < oh * ow; p++) {
      const base = (bi * oh * ow + p) * cexp;
      for (let o = 0; o < cout; o++) {
        let acc = raw.projectBias[o];
        for (let c = 0; c < cexp; c++) acc += d[base + c] * gate[c] * raw.projectKernel[c * cout + o];
        if (residual) acc += x[(bi * oh * ow + p) * cin + o];
        out[(bi * oh * ow + p) * cout + o] = acc;
      }
    }
  }
  return {out, oh, ow};
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mbconv composite against a hand-written block', () => {
  const cases: Block[] = [
    {n: 1, h: 7, w: 7, cin: 8, expand: 1, k: 3, stride: 1, cout: 8, padding: 'same'},  // residual, no expand
    {n: 2, h: 6, w: 5, cin: 8, expand: 1, k: 3, stride: 1, cout: 12, padding: 'symmetric'},  // no expand, no residual
    {n: 1, h: 9, w: 9, cin: 12, expand: 6, k: 5, stride: 1, cout: 12, padding: 'same'},  // residual, expand 6
    {n: 2, h: 8, w: 8, cin: 8, expand: 6, k: 3, stride: 2, cout: 16, padding: 'same'},  // stride 2 even: asymmetric pad
    {n: 1, h: 9, w: 10, cin: 8, expand: 6, k: 5, stride: 2, cout: 16, padding: 'same'},
    {n: 1, h: 8, w: 9, cin: 8, expand: 6, k: 5, stride: 2, cout: 16, padding: 'symmetric'},
    {n: 1, h: 7, w: 6, cin: 5, expand: 6, k: 3, stride: 2, cout: 5, padding: 'symmetric'},  // Cin == Cout but stride 2
  ];
  for (const [i, b] of cases.entries()) {
    it(`${b.n}x${b.h}x${b.w}x${b.cin} expand ${b.expand} k${b.k} s${b.stride} -> ${b.cout} ${b.padding}`, () => {
      const {raw, cexp, cse} = makeWeights(b, 100 * i);
      const xv = floats(b.n * b.h * b.w * b.cin, 7 + i);
      const ref = referenceBlock(xv, b, raw, cexp, cse);
      const w = toTensors(raw, b, cexp, cse);
      const x = tf.tensor4d(xv, [b.n, b.h, b.w, b.cin]);
      const before = tf.memory().numTensors;
      const y = mbconvComposite(x, w, {kernelSize: b.k, stride: b.stride, padding: b.padding});
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(y.shape).toEqual([b.n, ref.oh, ref.ow, b.cout]);
      const got = y.dataSync();
      let worst = 0;
      for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j] - ref.out[j]) / (1e-4 + Math.abs(ref.out[j])));
      expect(worst).toBeLessThan(1e-3);
      // mbconv() without a fused kernel is the composite.
      const y2 = mbconv(x, w, {kernelSize: b.k, stride: b.stride, padding: b.padding});
      expect(Array.from(y2.dataSync())).toEqual(Array.from(got));
      tf.dispose([x, y, y2, ...Object.values(w)]);
    });
  }

  it('rejects a residual that cannot exist and mismatched weights', () => {
    const b: Block = {n: 1, h: 6, w: 6, cin: 8, expand: 6, k: 3, stride: 2, cout: 8, padding: 'same'};
    const {raw, cexp, cse} = makeWeights(b, 1);
    const w = toTensors(raw, b, cexp, cse);
    const x = tf.zeros([1, 6, 6, 8]) as tf.Tensor4D;
    expect(() => mbconvComposite(x, w, {kernelSize: 3, stride: 2, padding: 'same', residual: true})).toThrow(/residual needs stride 1/);
    expect(() => mbconvComposite(x, w, {kernelSize: 5, stride: 2, padding: 'same'})).toThrow(/depthwiseKernel has shape/);
    const x9 = tf.zeros([1, 6, 6, 9]) as tf.Tensor4D;
    expect(() => mbconvComposite(x9, w, {kernelSize: 3, stride: 2, padding: 'same'})).toThrow(/expandKernel has shape/);
    expect(() => mbconvComposite(x, w, {kernelSize: 3, stride: 3, padding: 'same'})).toThrow(/stride 3; supported: 1, 2/);
    tf.dispose([x, x9, ...Object.values(w)]);
  });
});

describe('fused swish probe', () => {
  it("is false on tfjs-backend-cpu (no 'swish' fused activation) and leaks nothing", () => {
    const before = tf.memory().numTensors;
    expect(backendFusesSwish()).toBe(false);
    expect(backendFusesSwish()).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    const y = tf.add(tf.ones([2]), tf.ones([2]));
    expect(Array.from(y.dataSync())).toEqual([2, 2]);
    y.dispose();
  });
});

describe('fused kernel dispatch', () => {
  afterEach(() => {
    if (tf.getKernel(MBCONV_KERNEL, 'cpu') != null) tf.unregisterKernel(MBCONV_KERNEL, 'cpu');
  });

  it('calls the backend kernel with folded weights and resolved attributes when one is registered', () => {
    const b: Block = {n: 1, h: 8, w: 8, cin: 8, expand: 6, k: 5, stride: 2, cout: 16, padding: 'same'};
    const {raw, cexp, cse} = makeWeights(b, 3);
    const w = toTensors(raw, b, cexp, cse);
    const x = tf.ones([1, 8, 8, 8]) as tf.Tensor4D;
    let seen: {inputs: string[]; attrs: MBConvAttrs} | null = null;
    tf.registerKernel({
      kernelName: MBCONV_KERNEL,
      backendName: 'cpu',
      kernelFunc: ({inputs, attrs, backend}) => {
        seen = {inputs: Object.keys(inputs).sort(), attrs: attrs as unknown as MBConvAttrs};
        const cpu = backend as unknown as {makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo};
        return cpu.makeTensorInfo([1, 4, 4, 16], 'float32', new Float32Array(4 * 4 * 16).fill(7));
      },
    });
    const y = mbconv(x, w, {kernelSize: 5, stride: 2, padding: 'same'});
    expect(y.shape).toEqual([1, 4, 4, 16]);
    expect(y.dataSync()[0]).toBe(7);
    expect(seen).not.toBeNull();
    expect(seen!.inputs).toEqual(
      [
        'depthwiseBias', 'depthwiseKernel', 'expandBias', 'expandKernel', 'projectBias', 'projectKernel',
        'seExpandBias', 'seExpandKernel', 'seReduceBias', 'seReduceKernel', 'x',
      ],
    );
    expect(seen!.attrs).toMatchObject({
      kernelSize: 5, stride: 2, padding: 'same', pads: [1, 2, 1, 2], inChannels: 8, expandedChannels: 48,
      seChannels: 2, outChannels: 16, hasExpand: true, residual: false, activation: 'swish', gate: 'sigmoid',
    });
    tf.dispose([x, y, ...Object.values(w)]);
  });

  it('leaves out the expand inputs for expand ratio 1', () => {
    const b: Block = {n: 1, h: 5, w: 5, cin: 8, expand: 1, k: 3, stride: 1, cout: 8, padding: 'symmetric'};
    const {raw, cexp, cse} = makeWeights(b, 4);
    const w = toTensors(raw, b, cexp, cse);
    const x = tf.ones([1, 5, 5, 8]) as tf.Tensor4D;
    let attrs: MBConvAttrs | null = null;
    let names: string[] = [];
    tf.registerKernel({
      kernelName: MBCONV_KERNEL,
      backendName: 'cpu',
      kernelFunc: ({inputs, attrs: a, backend}) => {
        attrs = a as unknown as MBConvAttrs;
        names = Object.keys(inputs);
        const cpu = backend as unknown as {makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo};
        return cpu.makeTensorInfo([1, 5, 5, 8], 'float32', new Float32Array(200));
      },
    });
    tf.dispose(mbconv(x, w, {kernelSize: 3, stride: 1, padding: 'symmetric'}));
    expect(names).not.toContain('expandKernel');
    expect(names).not.toContain('expandBias');
    expect(attrs).toMatchObject({hasExpand: false, residual: true, pads: [1, 1, 1, 1], expandedChannels: 8, seChannels: 2});
    tf.dispose([x, ...Object.values(w)]);
  });
});

describe('padding rules', () => {
  it("computes TF's SAME pads (smaller half before) and torchvision's symmetric pads", () => {
    expect(padAmounts('same', 3, 2, 1, 224, 224)).toEqual([0, 1, 0, 1]);
    expect(padAmounts('same', 3, 2, 1, 225, 225)).toEqual([1, 1, 1, 1]);
    expect(padAmounts('same', 5, 2, 1, 28, 27)).toEqual([1, 2, 2, 2]);
    expect(padAmounts('same', 3, 1, 1, 10, 11)).toEqual([1, 1, 1, 1]);
    expect(padAmounts('same', 2, 2, 1, 9, 8)).toEqual([0, 1, 0, 0]);
    expect(padAmounts('symmetric', 5, 2, 1, 28, 27)).toEqual([2, 2, 2, 2]);
    expect(padAmounts('symmetric', 3, 1, 2, 8, 8)).toEqual([2, 2, 2, 2]);
    expect(() => padAmounts('symmetric', 2, 2, 1, 8, 8)).toThrow(/odd effective kernel/);
    expect(tfPadding('same', 1, 2, 1, 8, 8)).toBe('valid');
    expect(tfPadding('same', 3, 1, 1, 8, 8)).toBe('same');
    expect(tfPadding('same', 3, 2, 1, 8, 8)).toEqual([[0, 0], [0, 1], [0, 1], [0, 0]]);
    expect(tfPadding('symmetric', 3, 1, 1, 8, 8)).toEqual([[0, 0], [1, 1], [1, 1], [0, 0]]);
  });

  it("matches tfjs's own 'same' exactly (conv and depthwise, stride 1 and 2, odd and even sizes)", () => {
    for (const size of [7, 8, 9, 10]) {
      for (const k of [3, 5]) {
        for (const stride of [1, 2]) {
          const x = tf.tensor4d(floats(size * (size + 1) * 4, size * 31 + k), [1, size, size + 1, 4]);
          const f = tf.tensor4d(floats(k * k * 4 * 3, k), [k, k, 4, 3]);
          const fd = tf.tensor4d(floats(k * k * 4, k + 1), [k, k, 4, 1]);
          const [t, b, l, r] = padAmounts('same', k, stride, 1, size, size + 1);
          const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [t, b], [l, r], [0, 0]];
          const a = tf.conv2d(x, f, stride, 'same');
          const e = tf.conv2d(x, f, stride, explicit);
          expect(e.shape).toEqual(a.shape);
          expect(Array.from(e.dataSync())).toEqual(Array.from(a.dataSync()));
          const ad = tf.depthwiseConv2d(x, fd, stride, 'same');
          const ed = tf.depthwiseConv2d(x, fd, stride, explicit);
          expect(Array.from(ed.dataSync())).toEqual(Array.from(ad.dataSync()));
          tf.dispose([x, f, fd, a, e, ad, ed]);
        }
      }
    }
  });
});
