// The classifier's captured graphs (src/classify/graph_cache.ts): on native-cpu a shape's second run
// captures the model and later runs replay it, giving exactly the op-by-op logits; at most two shapes
// keep a graph; a graph is kept per fused-block setting; a failed capture falls back to op by op; another
// backend never captures; disposing the model frees the graphs' memory; the worker thread replays too.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {type ImageClassifier, loadEfficientNet, setMBConvFusion} from '../src/index.js';
import {GraphCache} from '../src/classify/graph_cache.js';
import {Runner} from '../src/classify/runner.js';
import {efficientNetConfig, randomEfficientNetWeights} from '../src/models/efficientnet.js';
import {ensureDist} from './util/dist.js';

function nativeMemory(): {bytes: number; buffers: number} {
  const m = tf.findBackend('native-cpu')!.memory() as unknown as {numBytesInNative: number; numNativeBuffers: number};
  return {bytes: m.numBytesInNative, buffers: m.numNativeBuffers};
}

function logitsOf(y: tf.Tensor): Float32Array {
  const v = (y.dataSync() as Float32Array).slice();
  y.dispose();
  return v;
}

/** A [n, size, size, 3] input drawn from `seed`. */
function image(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

// B0's blocks at a small input (any size runs; 224 is only the size it was designed for).
const config = efficientNetConfig('b0', {includeTop: true});

describe('Runner on native-cpu with graphs', () => {
  let weights: Map<string, tf.Tensor>;
  let withGraphs: Runner;
  let opByOp: Runner;
  beforeAll(async () => {
    await tf.setBackend('native-cpu');
    weights = randomEfficientNetWeights(config, 3);
    withGraphs = Runner.fromCanonical(config, weights);
    opByOp = Runner.fromCanonical(config, weights, {graphs: false});
  });
  afterAll(() => {
    withGraphs?.dispose();
    opByOp?.dispose();
    for (const t of weights?.values() ?? []) t.dispose();
  });

  const run = (r: Runner, x: tf.Tensor) => logitsOf(r.run(x).logits);

  it('captures on the second run of a shape and replays it: the same logits to the bit', () => {
    expect(withGraphs.graphsEnabled).toBe(true);
    expect(opByOp.graphsEnabled).toBe(false);
    const inputs = [11, 12, 13, 14].map((seed) => image(1, 64, seed));
    const counts: number[] = [];
    for (const x of inputs) {
      expect(run(withGraphs, x)).toEqual(run(opByOp, x));
      counts.push(withGraphs.capturedShapes().length);
    }
    expect(counts).toEqual([0, 1, 1, 1]);
    expect(withGraphs.capturedShapes()).toEqual([[1, 64, 64, 3]]);
    expect(opByOp.capturedShapes()).toEqual([]);
    // Each run's own input: a replay does not answer with an earlier input's logits.
    expect(run(withGraphs, inputs[0])).not.toEqual(run(withGraphs, inputs[1]));
    tf.dispose(inputs);
  });

  it('keeps graphs for two shapes at most, the least recently used freed first; every result exact', () => {
    // [1, 64] has had a graph since the first test.
    const shapes: [number, number][] = [[2, 64], [2, 64], [1, 48], [1, 48], [1, 64], [1, 64], [2, 64], [2, 64]];
    const held: string[] = [];
    shapes.forEach(([n, size], i) => {
      const x = image(n, size, 40 + i);
      expect(run(withGraphs, x), `run ${i}: [${n}, ${size}, ${size}, 3]`).toEqual(run(opByOp, x));
      held.push(withGraphs.capturedShapes().map((s) => `${s[0]}x${s[1]}`).join(' '));
      x.dispose();
    });
    expect(held).toEqual([
      '1x64',         // [2, 64]'s first run: op by op
      '1x64 2x64',    // its second: captured
      '1x64 2x64',
      '2x64 1x48',    // [1, 48] captured; [1, 64], the least recently used, freed
      '2x64 1x48',    // [1, 64] counts its runs again from zero
      '1x48 1x64',
      '1x48 1x64',
      '1x64 2x64',
    ]);
  });

  it('runs with features (class activation maps) go op by op and still agree', () => {
    const x = image(1, 64, 77);
    const before = withGraphs.capturedShapes();
    const out = withGraphs.run(x, true);
    expect(out.features!.shape).toEqual([1, 2, 2, 1280]);
    expect(logitsOf(out.logits)).toEqual(run(opByOp, x));
    out.features!.dispose();
    expect(withGraphs.capturedShapes()).toEqual(before);
    x.dispose();
  });

  it('a graph replays the kernels it captured: with the fused block off, the composed blocks are captured apart', () => {
    const x = image(1, 32, 61);
    const fused = run(opByOp, x);
    const previous = setMBConvFusion(false);
    try {
      const composed = run(opByOp, x);
      expect(composed).not.toEqual(fused);  // other kernels: not the same bits
      for (let i = 0; i < 3; i++) expect(run(withGraphs, x), `composed ${i}`).toEqual(composed);
      expect(withGraphs.capturedShapes()).toContainEqual([1, 32, 32, 3]);
    } finally {
      setMBConvFusion(previous);
    }
    for (let i = 0; i < 3; i++) expect(run(withGraphs, x), `fused ${i}`).toEqual(fused);
    expect(withGraphs.capturedShapes()).toEqual([[1, 32, 32, 3], [1, 32, 32, 3]]);
    x.dispose();
  });

  it('disposing the runner frees its graphs and weights; a disposed runner rejects runs', () => {
    const memBefore = nativeMemory();
    const r = Runner.fromCanonical(config, weights);
    const x = image(1, 40, 5);
    for (let i = 0; i < 3; i++) run(r, x);
    expect(r.capturedShapes()).toEqual([[1, 40, 40, 3]]);
    expect(nativeMemory().bytes).toBeGreaterThan(memBefore.bytes);
    r.dispose();
    expect(r.capturedShapes()).toEqual([]);
    expect(() => r.run(x)).toThrow(/disposed/);
    x.dispose();
    expect(nativeMemory()).toEqual(memBefore);
  });

  it('rejects a graphs option that is not a boolean', () => {
    expect(() => Runner.fromCanonical(config, weights, {graphs: 'yes' as unknown as boolean})).toThrow(
      /graphs option must be a boolean, got yes/,
    );
  });
});

describe('GraphCache', () => {
  beforeAll(async () => {
    await tf.setBackend('native-cpu');
  });

  it('a shape whose capture fails runs op by op from then on (the cache answers null), and memory returns', () => {
    const memBefore = nativeMemory();
    // Reading data is not possible while a graph is recorded: the capture fails.
    const cache = new GraphCache((x) => {
      const y = tf.relu(x);
      y.dataSync();
      return y;
    });
    const x = tf.tensor([-1, 2, -3, 4]);
    expect(cache.run(x)).toBeNull();  // first run: op by op
    expect(cache.run(x)).toBeNull();  // the capture failed
    expect(cache.run(x)).toBeNull();  // not tried again
    expect(cache.graphs).toBe(0);
    x.dispose();
    cache.dispose();
    expect(nativeMemory()).toEqual(memBefore);
  });

  it('replays on native-cpu only, and only float32 inputs', async () => {
    const cache = new GraphCache((x) => tf.relu(x));
    const ints = tf.tensor([1, -2], [2], 'int32');
    for (let i = 0; i < 3; i++) expect(cache.run(ints)).toBeNull();
    ints.dispose();
    await tf.setBackend('cpu');
    try {
      const x = tf.tensor([-1, 2]);
      for (let i = 0; i < 3; i++) expect(cache.run(x)).toBeNull();
      expect(cache.graphs).toBe(0);
      x.dispose();
    } finally {
      await tf.setBackend('native-cpu');
    }
    const x = tf.tensor([-1, 2]);
    expect(cache.run(x)).toBeNull();
    expect(Array.from(cache.run(x)!.dataSync())).toEqual([0, 2]);
    expect(cache.graphs).toBe(1);
    x.dispose();
    cache.dispose();
    expect(cache.graphs).toBe(0);
    expect(() => new GraphCache((x) => x, 0)).toThrow(/maxGraphs must be a positive integer, got 0/);
  });
});

describe('the classifier API', () => {
  let model: ImageClassifier;
  let reference: ImageClassifier;
  beforeAll(async () => {
    ensureDist();
    model = await loadEfficientNet('b0', {weights: 'random', seed: 9, backend: 'native-cpu'});
    reference = await loadEfficientNet('b0', {weights: 'random', seed: 9, backend: 'native-cpu', graphs: false});
  });
  afterAll(() => {
    model?.dispose();
    reference?.dispose();
  });

  it('predictSync and predict (worker thread) replay repeated shapes with the op-by-op logits', async () => {
    const x = image(1, 96, 21);
    const expected = logitsOf(reference.predictSync(x));
    for (let i = 0; i < 3; i++) expect(logitsOf(model.predictSync(x)), `predictSync ${i}`).toEqual(expected);
    for (let i = 0; i < 3; i++) expect(logitsOf(await model.predict(x)), `predict ${i}`).toEqual(expected);
    x.dispose();
  });

  it('an input made on another backend replays as well (its data moves to native-cpu)', async () => {
    const native = image(1, 48, 22);
    const expected = logitsOf(reference.predictSync(native));
    native.dispose();
    for (let i = 0; i < 3; i++) {
      await tf.setBackend('cpu');
      const x = image(1, 48, 22);
      await tf.setBackend('native-cpu');
      expect(logitsOf(model.predictSync(x)), `predictSync ${i}`).toEqual(expected);
      x.dispose();
    }
  });

  it('loadEfficientNet rejects a graphs option that is not a boolean', async () => {
    await expect(loadEfficientNet('b0', {weights: 'random', backend: 'native-cpu', graphs: 1 as unknown as boolean})).rejects.toThrow(
      /graphs option must be a boolean, got 1/,
    );
  });
});
