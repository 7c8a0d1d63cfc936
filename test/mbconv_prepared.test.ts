// Eager fused MBConv calls through blocks the addon prepared once (src/kernels/mbconv_prepared.ts,
// binding/mbconv_blocks.cc): the same bits as the full call, reuse, re-preparing when a call differs,
// blocks dropped with their weights, and the entries' own checks.
import {afterEach, describe, expect, it} from 'vitest';

import type {NativeCpuBackend} from '../src/backend.js';
import {setPreparedBlocks} from '../src/kernels/mbconv_prepared.js';
import {captureGraph, nativeInfo, setThreads} from '../src/index.js';
import {MBCONV_KERNEL, mbconv, mbconvAttrs, setMBConvFusion} from '../src/models/mbconv.js';
import {useBackendForFile} from './util/fused_checks.js';
import {input, MODEL_SHAPES, rawWeights, SMALL_BLOCK, tensors, withSmallB0} from './util/mbconv_blocks.js';
import {tf} from './util/reference.js';

const NATIVE = 'native-cpu';

/** An output's values; the tensor is disposed. */
function valuesOf(y: tf.Tensor): Float32Array {
  const values = (y.dataSync() as Float32Array).slice();
  y.dispose();
  return values;
}

/**
 * A block with an expand conv (weights from `weightSeed`), a 6x6 input (from `inputSeed`) and `run`, which calls
 * the mbconv op on that input with the weights given: for the tests that rewrite weight buffers.
 */
function rewriteCase(weightSeed: number, inputSeed: number) {
  const backend = tf.backend() as NativeCpuBackend;
  const shape = MODEL_SHAPES.find((s) => s.expand !== 1)!;
  const raw = rawWeights(shape, weightSeed);
  const w = tensors(raw);
  const attrs = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const};
  const x = tf.tensor4d(input([1, 6, 6, shape.cin], inputSeed), [1, 6, 6, shape.cin]);
  const run = (weights: typeof w) => valuesOf(mbconv(x, weights, attrs));
  return {backend, shape, raw, w, attrs, x, run};
}

interface BlocksAddon {
  mbconvBlockCount(): number;
  mbconvRun(handle: unknown, x: unknown, out: unknown): boolean;
  mbconvRelease(handle: unknown): boolean;
  mbconvPrepare(options: unknown): number;
}

function addon(): BlocksAddon {
  return (tf.backend() as NativeCpuBackend).addon as unknown as BlocksAddon;
}

useBackendForFile(NATIVE, () => {
  setMBConvFusion(true);
  setPreparedBlocks(true);
});

afterEach(() => {
  setPreparedBlocks(true);
});

describe('prepared MBConv blocks', () => {
  it('give the bits of the full call, B0 with its stem block included, and are reused', async () => {
    await withSmallB0(NATIVE, (model, x) => {
      const run = (prepared: boolean) => {
        setPreparedBlocks(prepared);
        const y = model.predict(x);
        const values = y.dataSync().slice();
        y.dispose();
        return values;
      };
      const before = addon().mbconvBlockCount();
      const full = run(false);
      expect(addon().mbconvBlockCount()).toBe(before);
      const first = run(true);
      // B0's 16 blocks (the first with the stem) are prepared once, then reused.
      expect(addon().mbconvBlockCount()).toBe(before + 16);
      const again = run(true);
      expect(addon().mbconvBlockCount()).toBe(before + 16);
      expect(first).toEqual(full);
      expect(again).toEqual(full);
    });
  });

  it('are dropped with the weights, and every byte goes back', async () => {
    await tf.setBackend(NATIVE);
    setThreads(1);
    const startBytes = nativeInfo().bytesInUse;
    const startBlocks = addon().mbconvBlockCount();
    await withSmallB0(NATIVE, (model, x) => {
      model.predict(x).dispose();
      expect(addon().mbconvBlockCount()).toBe(startBlocks + 16);
    });
    // withSmallB0 disposed the model, its weights and the input.
    expect(addon().mbconvBlockCount()).toBe(startBlocks);
    expect(nativeInfo().bytesInUse).toBe(startBytes);
  });

  it('are prepared again for another input size, the old one released', async () => {
    await tf.setBackend(NATIVE);
    const shape = MODEL_SHAPES.find((s) => s.expand !== 1 && s.residual)!;
    const w = tensors(rawWeights(shape, 41));
    const attrs = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const};
    const start = addon().mbconvBlockCount();
    const outputs = (size: number) => {
      const x = tf.tensor4d(input([1, size, size + 2, shape.cin], size), [1, size, size + 2, shape.cin]);
      const run = (prepared: boolean) => {
        setPreparedBlocks(prepared);
        const y = mbconv(x, w, attrs);
        const values = y.dataSync().slice();
        y.dispose();
        return values;
      };
      const prepared = run(true);
      expect(run(true)).toEqual(prepared);
      expect(run(false)).toEqual(prepared);
      x.dispose();
    };
    outputs(7);
    expect(addon().mbconvBlockCount()).toBe(start + 1);
    outputs(11);
    expect(addon().mbconvBlockCount()).toBe(start + 1);
    tf.dispose(Object.values(w) as tf.Tensor[]);
    expect(addon().mbconvBlockCount()).toBe(start);
  });

  it('are dropped when a weight buffer is rewritten, and the new values are used', async () => {
    await tf.setBackend(NATIVE);
    const {backend, shape, raw, w, x, run} = rewriteCase(51, 3);
    const start = addon().mbconvBlockCount();
    const before = run(w);
    expect(addon().mbconvBlockCount()).toBe(start + 1);
    // New projection weights written into the same buffer (as the addon's write entry does for a moved tensor).
    const other = rawWeights(shape, 52);
    const projectBuffer = backend.bufferOf(w.projectKernel as unknown as tf.TensorInfo, 'test');
    backend.addon.write(projectBuffer, other.projectKernel.values);
    expect(addon().mbconvBlockCount()).toBe(start);
    const rewritten = run(w);
    expect(rewritten).not.toEqual(before);
    const fresh = tensors({...raw, projectKernel: other.projectKernel});
    setPreparedBlocks(false);
    expect(rewritten).toEqual(run(fresh));
    tf.dispose([x, ...(Object.values(w) as tf.Tensor[]), ...(Object.values(fresh) as tf.Tensor[])]);
  });

  it("a captured graph's block runs on biases rewritten after its first replay (their scaled forms are dropped)", async () => {
    await tf.setBackend(NATIVE);
    const {backend, shape, raw, w, x, attrs, run: eager} = rewriteCase(71, 7);
    const graph = captureGraph((t) => mbconv(t as tf.Tensor4D, w, attrs), x.shape);
    const replay = () => valuesOf(graph.run(x));
    const before = replay();
    expect(before).toEqual(eager(w));
    // New biases written into the same buffers (as the addon's write entry does for a moved tensor); the
    // second time a depthwise bias too large to scale (the block then runs that swish on unscaled weights).
    const other = rawWeights(shape, 72);
    const huge = Float32Array.from(other.depthwiseBias.values);
    huge[3] = -2.5e38;
    for (const depthwiseBias of [other.depthwiseBias.values, huge]) {
      backend.addon.write(backend.bufferOf(w.expandBias as unknown as tf.TensorInfo, 'test'), other.expandBias!.values);
      backend.addon.write(backend.bufferOf(w.depthwiseBias as unknown as tf.TensorInfo, 'test'), depthwiseBias);
      const rewritten = replay();
      expect(rewritten).not.toEqual(before);
      const fresh = tensors({...raw, expandBias: other.expandBias, depthwiseBias: {...other.depthwiseBias, values: depthwiseBias}});
      expect(rewritten).toEqual(eager(fresh));
      tf.dispose(Object.values(fresh) as tf.Tensor[]);
    }
    graph.dispose();
    tf.dispose([x, ...(Object.values(w) as tf.Tensor[])]);
  });

  it('check every call: a weight of another shape on the same buffer fails as the full call does', async () => {
    await tf.setBackend(NATIVE);
    const shape = MODEL_SHAPES.find((s) => s.expand !== 1 && s.cin * s.expand !== s.cout)!;
    const w = tensors(rawWeights(shape, 61));
    const config = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const};
    const x = tf.tensor4d(input([1, 5, 5, shape.cin], 4), [1, 5, 5, shape.cin]);
    mbconv(x, w, config).dispose();
    const attrs = mbconvAttrs(x, w, config);
    const cexp = shape.cin * shape.expand;
    const reshaped = tf.reshape(w.projectKernel, [1, 1, shape.cout, cexp]);
    const call = () =>
      tf.engine().runKernel(MBCONV_KERNEL, {x, ...w, projectKernel: reshaped} as unknown as tf.NamedTensorMap, {...attrs} as unknown as tf.NamedAttrMap);
    expect(call).toThrow(/EffnetMBConv: input 'projectKernel' has shape/);
    tf.dispose([x, reshaped, ...(Object.values(w) as tf.Tensor[])]);
  });

  it('leave an addon without the entries (the CUDA addon) to the full call', async () => {
    await tf.setBackend(NATIVE);
    const backend = tf.backend() as NativeCpuBackend;
    const shape = MODEL_SHAPES.find((s) => s.expand !== 1)!;
    const w = tensors(rawWeights(shape, 81));
    const x = tf.tensor4d(input([1, 5, 5, shape.cin], 4), [1, 5, 5, shape.cin]);
    const config = {kernelSize: shape.k, stride: shape.stride, padding: 'same' as const};
    const expected = mbconv(x, w, config);
    const start = addon().mbconvBlockCount();
    const real = backend.addon;
    const calls: string[] = [];
    // The same addon seen through a proxy that has no prepared-block entries.
    const without = new Proxy(real, {
      get: (target, key) => {
        if (typeof key === 'string' && key.startsWith('mbconv') && key !== 'mbconv') return undefined;
        const v = Reflect.get(target, key);
        if (key === 'mbconv') calls.push(key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    (backend as unknown as {addon: unknown}).addon = without;
    try {
      const got = mbconv(x, w, config);
      expect(got.dataSync()).toEqual(expected.dataSync());
      got.dispose();
    } finally {
      (backend as unknown as {addon: unknown}).addon = real;
    }
    expect(calls).toEqual(['mbconv']);
    tf.dispose([x, expected, ...(Object.values(w) as tf.Tensor[])]);
    expect(addon().mbconvBlockCount()).toBe(start - 1);
  });

  it('entries check their arguments and name what is wrong', async () => {
    await tf.setBackend(NATIVE);
    const backend = tf.backend() as NativeCpuBackend;
    const a = addon();
    const w = tensors(rawWeights(SMALL_BLOCK, 2)) as unknown as Record<string, tf.Tensor>;
    const x = tf.tensor4d(input([1, 5, 5, 8], 1), [1, 5, 5, 8]);
    const out = tf.zeros([1, 5, 5, 8]);
    const small = tf.zeros([1, 2, 2, 8]);
    const id = (t: tf.Tensor) => backend.bufferOf(t as unknown as tf.TensorInfo, 'test');
    const options = (): Record<string, number | boolean> => {
      const o: Record<string, number | boolean> = {
        x: id(x), out: id(out), batch: 1, inH: 5, inW: 5, inChannels: 8, expandedChannels: 48, seChannels: 2,
        outChannels: 8, kernelSize: 3, stride: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, outH: 5, outW: 5,
        hasExpand: true, residual: true,
      };
      for (const [name, t] of Object.entries(w)) o[name] = id(t);
      return o;
    };
    try {
      // Prepare checks what the mbconv entry checks.
      expect(() => a.mbconvPrepare({...options(), stride: 3})).toThrow(/EffnetMBConv: stride 3; supported: 1, 2/);
      expect(() => a.mbconvPrepare({...options(), seReduceKernel: 999999})).toThrow(/EffnetMBConv: 'seReduceKernel'/);
      expect(() => a.mbconvPrepare({})).toThrow(/EffnetMBConv: missing option/);
      const handle = a.mbconvPrepare(options());
      expect(a.mbconvRun(handle, id(x), id(out))).toBe(true);
      const prepared = out.dataSync().slice();
      backend.run('mbconv', options());
      expect(prepared).toEqual(out.dataSync());
      expect(() => a.mbconvRun(handle, id(small), id(out))).toThrow(/EffnetMBConv: buffer 'x' holds 128 bytes but 200 float32 elements/);
      expect(() => a.mbconvRun(handle, id(x), id(small))).toThrow(/EffnetMBConv: buffer 'out' holds 128 bytes but 200 float32 elements/);
      expect(() => a.mbconvRun(handle, id(x), id(x))).toThrow(/EffnetMBConv: out must not be x's buffer/);
      expect(() => a.mbconvRun(handle, 999999, id(out))).toThrow(/EffnetMBConv: 'x': no native buffer with id 999999/);
      expect(() => a.mbconvRun('x', id(x), id(out))).toThrow(/EffnetMBConv: argument 1 must be a prepared block/);
      expect(() => a.mbconvRun(handle, 1.5, id(out))).toThrow(/argument 2 must be the buffer id of x, got 1.5/);
      expect(a.mbconvRelease(handle)).toBe(true);
      expect(a.mbconvRun(handle, id(x), id(out))).toBe(false);
      expect(a.mbconvRelease(handle)).toBe(false);
    } finally {
      tf.dispose([x, out, small, ...Object.values(w)]);
    }
  });
});
