// Captured graphs on native-cpu (src/cpu_graph.ts, captureGraph): a replay gives exactly what running
// the function op by op gives, runs are independent, the graph holds every buffer it names (disposing
// the weights or the model first is safe), memory comes back on dispose, and reading data while
// recording fails clearly and leaves nothing behind.
import {beforeAll, describe, expect, it} from 'vitest';

import {captureCpuGraph, captureGraph, setThreads} from '../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../src/models/efficientnet.js';
import {mbconv} from '../src/models/mbconv.js';
import {efficientNetConfig} from '../src/models/scaling.js';
import {expectSmallFunctionReplays, valuesOf} from './util/graph_cases.js';
import {randomFloats, tf} from './util/reference.js';

function nativeMemory(): {bytes: number; buffers: number} {
  const m = tf.findBackend('native-cpu')!.memory() as unknown as {numBytesInNative: number; numNativeBuffers: number};
  return {bytes: m.numBytesInNative, buffers: m.numNativeBuffers};
}

describe('captured graphs on native-cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('native-cpu');
  });

  it('a small function: replays equal op-by-op runs exactly; runs are independent; memory returns', () => {
    expectSmallFunctionReplays(captureCpuGraph, nativeMemory);
  });

  it('reading tensor data while recording fails clearly and pins nothing', () => {
    const memBefore = nativeMemory();
    const bad = (x: tf.Tensor) => {
      const y = tf.relu(x);
      y.dataSync();
      return y;
    };
    expect(() => captureCpuGraph(bad, [4], {warmup: false})).toThrow(/reading tensor data is not possible while a graph is being recorded/);
    expect(nativeMemory()).toEqual(memBefore);
    const x = tf.tensor([-1, 2, -3, 4]);
    expect(Array.from(valuesOf(tf.relu(x)))).toEqual([0, 2, 0, 4]);  // the backend is not left recording
    x.dispose();
    expect(() => captureCpuGraph(() => 3 as unknown as tf.Tensor, [4])).toThrow(/must return one tensor/);
    expect(nativeMemory()).toEqual(memBefore);
    expect(() => captureCpuGraph(3 as unknown as (x: tf.Tensor) => tf.Tensor, [4])).toThrow(/expected a function/);
    expect(() => captureCpuGraph((x) => x, [0])).toThrow(/positive integers/);
  });

  it('an intermediate as the packed operand of a matmul is packed again on every replay', () => {
    // _FusedMatMul keeps B's packed form against B's buffer; here B is computed from x, so the packed copy
    // of one replay must not serve the next.
    const forward = (x: tf.Tensor) => tf.fused.matMul({a: x as tf.Tensor2D, b: tf.relu(tf.transpose(x)) as tf.Tensor2D});
    const graph = captureCpuGraph(forward, [5, 7]);
    for (const seed of [11, 12, 13]) {
      const x = tf.tensor2d(randomFloats(35, seed), [5, 7]);
      expect(Array.from(valuesOf(graph.run(x))), `seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => forward(x)))));
      x.dispose();
    }
    graph.dispose();
  });

  it("the graph's input as a packed operand (a fused matmul's B, a conv filter) is packed again on every replay", () => {
    // The input buffer keeps its identity across replays while its contents change: forms packed from
    // the contents of the capture (zeros) or of the previous replay must not serve the next.
    const a = tf.tensor2d(randomFloats(12, 31), [3, 4]);
    const image = tf.tensor4d(randomFloats(36, 32), [1, 3, 3, 4]);
    const forwards: [string, (x: tf.Tensor) => tf.Tensor][] = [
      ['fused matmul B', (x) => tf.fused.matMul({a, b: x as tf.Tensor2D})],
      ['conv2d filter', (x) => tf.conv2d(image, tf.reshape(x, [1, 1, 4, 5]) as tf.Tensor4D, 1, 'same')],
    ];
    for (const [name, forward] of forwards) {
      const graph = captureCpuGraph(forward, [4, 5]);
      for (const seed of [33, 34]) {
        const x = tf.tensor2d(randomFloats(20, seed), [4, 5]);
        expect(Array.from(valuesOf(graph.run(x))), `${name}, seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => forward(x)))));
        x.dispose();
      }
      graph.dispose();
    }
    tf.dispose([a, image]);
  });

  it('compiled replays (every entry prepared once): computed operands (a bias, a block projection) are read again on every replay', () => {
    // Both calls are fusedConv2d, so the replay runs in the addon; the second conv's bias is the first's
    // output, an intermediate whose values change with the input.
    const filter = tf.tensor4d(randomFloats(4 * 6, 41), [1, 1, 4, 6]);
    const image = tf.tensor4d(randomFloats(3 * 3 * 4, 42), [1, 3, 3, 4]);
    const forward = (x: tf.Tensor) => {
      const bias = tf.reshape(tf.fused.conv2d({x: x as tf.Tensor4D, filter, strides: 1, pad: 'valid', activation: 'relu'}), [6]);
      return tf.fused.conv2d({x: image, filter, strides: 1, pad: 'same', bias, activation: 'elu'});
    };
    const graph = captureCpuGraph(forward, [1, 1, 1, 4]);
    expect((graph as unknown as {compiledReplay: boolean}).compiledReplay).toBe(true);
    for (const seed of [43, 44]) {
      const x = tf.tensor4d(randomFloats(4, seed), [1, 1, 1, 4]);
      expect(Array.from(valuesOf(graph.run(x))), `seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => forward(x)))));
      x.dispose();
    }
    graph.dispose();
    expect(graph.disposed).toBe(true);
    // ResNet's other entries: pooling, a mean, matmuls (the fused one with a bias).
    const w = tf.tensor2d(randomFloats(4 * 5, 45), [4, 5]);
    const bias = tf.tensor1d(randomFloats(5, 46));
    const resnetTail = (x: tf.Tensor) => {
      const features = tf.mean(tf.maxPool(tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'), 2, 2, 'same'), [1, 2]) as tf.Tensor2D;
      return tf.matMul(tf.fused.matMul({a: features, b: w, bias, activation: 'relu'}), w, false, true);
    };
    const compiled = captureCpuGraph(resnetTail, [2, 5, 6, 4]);
    expect((compiled as unknown as {compiledReplay: boolean}).compiledReplay).toBe(true);
    for (const seed of [47, 48]) {
      const x = tf.tensor4d(randomFloats(2 * 5 * 6 * 4, seed), [2, 5, 6, 4]);
      expect(Array.from(valuesOf(compiled.run(x))), `seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => resnetTail(x)))));
      x.dispose();
    }
    compiled.dispose();
    tf.dispose([w, bias]);
    // A fused block keeps its packed weights between compiled replays; a projection kernel computed from
    // the input changes every replay, so its packed form must be made again each time.
    const r = (shape: number[], seed: number) => tf.tensor(randomFloats(shape.reduce((a, b) => a * b, 1), seed, -0.3, 0.3), shape);
    const blockWeights = {depthwiseKernel: r([3, 3, 8, 1], 51), depthwiseBias: r([8], 52), seReduceKernel: r([1, 1, 8, 2], 53),
      seReduceBias: r([2], 54), seExpandKernel: r([1, 1, 2, 8], 55), seExpandBias: r([8], 56), projectBias: r([8], 57)};
    const computedProjection = (x: tf.Tensor) => {
      const rows = tf.reshape(x, [16, 8]) as tf.Tensor2D;
      const projectKernel = tf.reshape(tf.matMul(rows, rows, true, false), [1, 1, 8, 8]);
      return mbconv(x as tf.Tensor4D, {...blockWeights, projectKernel} as never, {kernelSize: 3, stride: 1, padding: 'same', residual: true});
    };
    const blockGraph = captureCpuGraph(computedProjection, [1, 4, 4, 8]);
    expect((blockGraph as unknown as {compiledReplay: boolean}).compiledReplay).toBe(true);
    for (const seed of [58, 59, 60]) {
      const x = tf.tensor4d(randomFloats(128, seed), [1, 4, 4, 8]);
      expect(Array.from(valuesOf(blockGraph.run(x))), `seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => computedProjection(x)))));
      x.dispose();
    }
    blockGraph.dispose();
    tf.dispose(Object.values(blockWeights));
    // A graph with entries that have no preparer (relu, add) replays call by call from JavaScript.
    const small = captureCpuGraph((x) => tf.relu(tf.add(x, x)), [4]);
    expect((small as unknown as {compiledReplay: boolean}).compiledReplay).toBe(false);
    small.dispose();
    tf.dispose([filter, image]);
  });

  it('the compiled-graph entries check their arguments', () => {
    const addon = (tf.findBackend('native-cpu') as unknown as {addon: Record<string, (...a: unknown[]) => unknown>}).addon;
    expect(() => addon.compileGraph()).toThrow(/compileGraph: expected an array of entry names as argument 1/);
    expect(() => addon.compileGraph(['mbconv'], [{}], [[]])).toThrow(/expected an array of buffer-id arrays \(keepIds\) as argument 4/);
    expect(() => addon.compileGraph(['mbconv'], [], [], [])).toThrow(/must have the same length/);
    expect(() => addon.compileGraph([3], [{}], [[]], [[]])).toThrow(/entries\[0\] is not a string/);
    expect(addon.compileGraph(['relu'], [{}], [[]], [[]])).toBe(null);  // no preparer: replayed from JavaScript
    expect(() => addon.compileGraph(['mbconv'], [7], [[]], [[]])).toThrow(/options\[0\] is not an object/);
    expect(() => addon.compileGraph(['mbconv'], [{}], [[]], [[]])).toThrow(/EffnetMBConv: missing option 'batch'/);
    expect(() => addon.compileGraph(['head'], [{}], [['x']], [[]])).toThrow(/zeroIds\[0\] must be an array of buffer ids/);
    expect(() => addon.compileGraph(['head'], [{}], [[123456789]], [[]])).toThrow(/no native buffer with id 123456789/);
    expect(addon.releaseGraph(123456789)).toBe(false);
    expect(() => addon.releaseGraph('x')).toThrow(/releaseGraph: expected a compiled graph id/);
    expect(() => addon.runGraph()).toThrow(/runGraph: expected a compiled graph id/);
    expect(() => addon.runGraph(123456789, 1, 2, 3)).toThrow(/runGraph: no compiled graph with id 123456789/);
    // runGraph on a compiled graph: its buffers are checked before anything runs.
    const filter = tf.tensor4d(randomFloats(4 * 6, 61), [1, 1, 4, 6]);
    const forward = (x: tf.Tensor) => tf.fused.conv2d({x: x as tf.Tensor4D, filter, strides: 1, pad: 'valid', activation: 'relu'});
    const graph = captureCpuGraph(forward, [1, 1, 1, 4]);
    const {compiled, inputId, outputId} = graph as unknown as {compiled: number; inputId: number; outputId: number};
    expect(compiled).not.toBe(null);
    const wrongSize = addon.alloc(8) as number;
    try {
      expect(() => addon.runGraph(compiled)).toThrow(/runGraph: expected a buffer id as argument 2/);
      expect(() => addon.runGraph(compiled, 123456789, inputId, outputId)).toThrow(/no native buffer with id 123456789/);
      expect(() => addon.runGraph(compiled, wrongSize, inputId, outputId)).toThrow(/runGraph: the input holds 8 bytes, the graph's input 16/);
      // Called directly, it answers what graph.run answers.
      const x = tf.tensor4d(randomFloats(4, 62), [1, 1, 1, 4]);
      const out = addon.runGraph(compiled, (tf.backend() as unknown as {bufferOf(t: tf.Tensor, k: string): number}).bufferOf(x, 'test'), inputId, outputId) as number;
      expect(Array.from(new Float32Array(addon.read(out) as ArrayBuffer))).toEqual(Array.from(valuesOf(tf.tidy(() => forward(x)))));
      addon.free(out);
      x.dispose();
    } finally {
      addon.free(wrongSize);
      graph.dispose();
      filter.dispose();
    }
  });

  // Captures `forward` on a 64x64 input, checks the graph's memory against `maxPoolBytes` and its replays
  // against op-by-op runs.
  function expectPlannedReplays(forward: (x: tf.Tensor) => tf.Tensor, maxPoolBytes: number, seeds: number[]): void {
    const graph = captureCpuGraph(forward, [64, 64]);
    expect(graph.poolBytes).toBeLessThanOrEqual(maxPoolBytes);
    for (const seed of seeds) {
      const x = tf.tensor2d(randomFloats(64 * 64, seed), [64, 64]);
      expect(Array.from(valuesOf(graph.run(x))), `seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => forward(x)))));
      x.dispose();
    }
    graph.dispose();
  }
  const inputBytes = 64 * 64 * 4;

  it('intermediates whose uses do not overlap share memory', () => {
    const chain = (x: tf.Tensor) => {
      let y = x;
      for (let i = 0; i < 8; i++) y = tf.relu(tf.add(y, tf.scalar(i % 2 === 0 ? -0.1 : 0.2)));
      return y;
    };
    // 16 op outputs of the input's size: shared, a few buffers and the output; scalars aside.
    expectPlannedReplays(chain, 4 * inputBytes + 64, [21, 22]);
  });

  it('intermediates of different sizes share one block: each op writes where an earlier one has finished', () => {
    // Every intermediate a different size: no two could share a whole buffer.
    const shrink = (x: tf.Tensor) => {
      let y = x;
      for (let i = 0; i < 8; i++) y = tf.relu(tf.slice(tf.add(y, tf.scalar(i % 2 === 0 ? -0.1 : 0.2)), [0, 0], [64 - 4 * (i + 1), 64]));
      return y;
    };
    // 24 intermediates of up to the input's size (about 12 inputs' worth together), two or three alive
    // at once, and the output.
    expectPlannedReplays(shrink, 3 * inputBytes + 1024, [23, 24]);
  });

  it("a fused block's output goes over its input where that input dies with it and the addon allows it", () => {
    const r = (shape: number[], seed: number) => tf.tensor(randomFloats(shape.reduce((a, b) => a * b, 1), seed, -0.3, 0.3), shape);
    // Residual blocks over 4x4x8: one without an expand conv, one expanding to 576 channels (its projection's
    // GEMM splits K and adds the residual last, so its output may not go over its input).
    const block = (cexp: number, seed: number) => ({
      ...(cexp !== 8 ? {expandKernel: r([1, 1, 8, cexp], seed), expandBias: r([cexp], seed + 1)} : {}),
      depthwiseKernel: r([3, 3, cexp, 1], seed + 2), depthwiseBias: r([cexp], seed + 3), seReduceKernel: r([1, 1, cexp, 2], seed + 4),
      seReduceBias: r([2], seed + 5), seExpandKernel: r([1, 1, 2, cexp], seed + 6), seExpandBias: r([cexp], seed + 7),
      projectKernel: r([1, 1, cexp, 8], seed + 8), projectBias: r([8], seed + 9),
    });
    const [a, b, wide] = [block(8, 60), block(8, 70), block(576, 80)];
    const run = (x: tf.Tensor, w: object) => mbconv(x as tf.Tensor4D, w as never, {kernelSize: 3, stride: 1, padding: 'same', residual: true});
    const addon = (tf.findBackend('native-cpu') as unknown as {addon: {mbconvMayOverwriteInput?: unknown}}).addon;
    const capture = (f: (x: tf.Tensor) => tf.Tensor, overwrite: boolean) => {
      const entry = addon.mbconvMayOverwriteInput;
      if (!overwrite) addon.mbconvMayOverwriteInput = undefined;
      try {
        return captureCpuGraph(f, [1, 4, 4, 8]);
      } finally {
        addon.mbconvMayOverwriteInput = entry;
      }
    };
    const activation = 4 * 4 * 8 * 4;
    const halve = (x: tf.Tensor) =>
      mbconv(x as tf.Tensor4D, b as never, {kernelSize: 3, stride: 2, padding: 'same', residual: false});
    // [function, bytes the graph keeps with the overwrite, without]: the blocks' outputs, and the relu's (the
    // graph's output, a buffer of its own). Where the first block reads the graph's input and may write over
    // it, the input's buffer joins the block, sized for both.
    const cases: Array<[(x: tf.Tensor) => tf.Tensor, number, number]> = [
      [(x) => tf.relu(run(run(x, a), b)), 2 * activation, 3 * activation],
      [(x) => tf.relu(run(run(x, a), wide)), 3 * activation, 3 * activation],
      [(x) => tf.relu(halve(x)), activation + activation / 4, activation / 2],
      // The input read again after the block: no overwrite (the block's output, the slice's, the sum's).
      [(x) => tf.add(halve(x), tf.slice(x, [0, 0, 0, 0], [1, 2, 2, 8])), 3 * activation / 4, 3 * activation / 4],
    ];
    for (const [i, [f, over, beside]] of cases.entries()) {
      for (const [overwrite, bytes] of [[true, over], [false, beside]] as const) {
        const graph = capture(f, overwrite);
        expect((graph as unknown as {poolBytes: number}).poolBytes, `case ${i}, overwrite ${overwrite}`).toBe(bytes);
        for (const seed of [91, 92]) {
          const x = tf.tensor4d(randomFloats(128, seed), [1, 4, 4, 8]);
          expect(Array.from(valuesOf(graph.run(x))), `case ${i}, seed ${seed}`).toEqual(Array.from(valuesOf(tf.tidy(() => f(x)))));
          x.dispose();
        }
        graph.dispose();
      }
    }
    tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(wide)]);
  });

  it('the identity: the output is the input buffer, copied out; a graph cannot run inside a capture', () => {
    const memBefore = nativeMemory();
    const graph = captureCpuGraph((x) => x, [3]);
    const x = tf.tensor([1, 2, 3]);
    expect(Array.from(valuesOf(graph.run(x)))).toEqual([1, 2, 3]);
    expect(() => captureCpuGraph((t) => graph.run(t), [3], {warmup: false})).toThrow(/cannot run inside a function being captured/);
    x.dispose();
    graph.dispose();
    expect(nativeMemory()).toEqual(memBefore);
  });

  it('EfficientNet-B0 (fused blocks and head), batch 2 at 96x96, threads 1 and 2: replays equal predict exactly; model disposed first', () => {
    const memBefore = nativeMemory();
    const config = {...efficientNetConfig('b0'), resolution: 96};
    const weights = randomEfficientNetWeights(config, 1);
    const model = buildEfficientNet(config, weights);
    tf.dispose([...weights.values()]);
    const shape = [2, 96, 96, 3];
    const xs = [7, 8].map((seed) => tf.tensor(randomFloats(2 * 96 * 96 * 3, seed, -1, 1), shape));
    for (const threads of [1, 2]) {
      setThreads(threads);
      const eager = xs.map((x) => valuesOf(model.predict(x)));
      const graph = captureGraph((x) => model.predict(x), shape);  // native-cpu: a CPU graph
      expect((graph as unknown as {compiledReplay: boolean}).compiledReplay, 'stem, blocks and head replay natively').toBe(true);
      const a = graph.run(xs[0]);
      const b = graph.run(xs[1]);
      expect(Array.from(valuesOf(a)), `threads ${threads}`).toEqual(Array.from(eager[0]));
      expect(Array.from(valuesOf(b)), `threads ${threads}`).toEqual(Array.from(eager[1]));
      if (threads === 2) {
        model.dispose();
        expect(Array.from(valuesOf(graph.run(xs[1])))).toEqual(Array.from(eager[1]));
      }
      graph.dispose();
    }
    tf.dispose(xs);
    expect(nativeMemory()).toEqual(memBefore);
  });

  it('the addon entries: a pinned id outlives free() until its last unpin; copyBuffer checks sizes', () => {
    const addon = (tf.findBackend('native-cpu') as unknown as {addon: Record<string, (...a: unknown[]) => unknown>}).addon;
    const before = nativeMemory();
    const a = addon.create(new Float32Array([1, 2, 3])) as number;
    const b = addon.alloc(12) as number;
    expect(addon.pin(a)).toBe(true);
    expect(addon.pin(a)).toBe(true);
    expect(addon.free(a)).toBe(true);
    expect(addon.free(a)).toBe(false);  // freed once
    expect(addon.pin(a)).toBe(false);   // no new pins on a freed id
    addon.copyBuffer(a, b);             // still usable by what pinned it
    expect(Array.from(new Float32Array(addon.read(b) as ArrayBuffer))).toEqual([1, 2, 3]);
    addon.unpin(a);
    expect(nativeMemory().buffers).toBe(before.buffers + 2);
    addon.unpin(a);                     // the last pin: gone now
    expect(nativeMemory().buffers).toBe(before.buffers + 1);
    expect(() => addon.copyBuffer(a, b)).toThrow(/no native buffer with id/);
    const c = addon.alloc(8) as number;
    expect(() => addon.copyBuffer(b, c)).toThrow(/copyBuffer: the source holds 12 bytes, the destination 8/);
    expect(() => addon.copyBuffer(b)).toThrow(/expected a buffer id as argument 2/);
    expect(addon.pin(123456789)).toBe(false);
    addon.unpin(123456789);
    addon.free(b);
    addon.free(c);
    expect(nativeMemory()).toEqual(before);
  });

  it('shareBuffer: a buffer becomes a view of another at an offset; resetBuffers zeroes its padding', () => {
    const addon = (tf.findBackend('native-cpu') as unknown as {addon: Record<string, (...a: unknown[]) => unknown>}).addon;
    const floats = (id: number) => Array.from(new Float32Array(addon.read(id) as ArrayBuffer));
    const before = nativeMemory();
    const block = addon.create(new Float32Array(64).map((_, i) => i + 1)) as number;  // 256 bytes
    const a = addon.create(new Float32Array([-1, -2, -3])) as number;
    addon.shareBuffer(a, block, 64);
    expect(floats(a)).toEqual([17, 18, 19]);  // the block's floats 16-18
    addon.write(a, new Float32Array([7, 8, 9]));
    expect(floats(block).slice(15, 20)).toEqual([16, 7, 8, 9, 20]);
    addon.resetBuffers([], [a]);  // its padding: floats 19-31 of the block
    expect(floats(block).slice(15, 33)).toEqual([16, 7, 8, 9, ...new Array(13).fill(0), 33]);
    addon.resetBuffers([a]);
    expect(floats(block).slice(15, 20)).toEqual([16, 0, 0, 0, 0]);
    expect(addon.free(block)).toBe(true);
    addon.write(a, new Float32Array([4, 5, 6]));  // the view keeps the block's memory
    expect(floats(a)).toEqual([4, 5, 6]);
    const b = addon.alloc(12) as number, c = addon.alloc(256) as number;
    expect(() => addon.shareBuffer(b, c, 32)).toThrow(/shareBuffer: a view of 12 bytes at offset 32 does not fit .*multiples of 64/);
    expect(() => addon.shareBuffer(b, c, 256)).toThrow(/shareBuffer: a view of 12 bytes at offset 256 does not fit in a buffer of 256 bytes/);
    expect(() => addon.shareBuffer(c, b)).toThrow(/shareBuffer: a view of 256 bytes at offset 0 does not fit in a buffer of 12 bytes/);
    expect(() => addon.shareBuffer(b, c, -64)).toThrow(/shareBuffer: the offset \(argument 3\) must be a non-negative integer/);
    expect(() => addon.shareBuffer(b, c, 'x')).toThrow(/must be a non-negative integer/);
    addon.shareBuffer(b, c, 192);  // the last line
    for (const id of [a, b, c]) addon.free(id);
    expect(nativeMemory()).toEqual(before);
  });

  it('captureGraph on a backend that is not native says which it needs', async () => {
    await tf.setBackend('cpu');
    try {
      expect(() => captureGraph((x) => x, [2])).toThrow(/active backend is 'cpu'; graphs need native-cpu or native-cuda/);
      expect(() => captureCpuGraph((x) => x, [2])).toThrow(/CPU graphs need the native-cpu/);
    } finally {
      await tf.setBackend('native-cpu');
    }
  });
});
