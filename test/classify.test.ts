// End to end: load a model (seeded random weights and the torchvision fixture weights), classify the
// committed test image(s), and check that the result is the tensor-level prediction on the same
// preprocessed input; many concurrent asynchronous calls; errors for missing and mismatched weights.
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {
  IMAGENET_LABELS, type ImageClassifier, labelsFor, loadEfficientNet, loadResNet, softmax, topK,
} from '../src/index.js';
import {readSafetensors} from '../src/weights/safetensors.js';
import {ensureDist} from './util/dist.js';

const FIXTURES = path.join(__dirname, 'fixtures');
const IMAGE = path.join(FIXTURES, 'classify.jpg');
const IMAGE2 = path.join(FIXTURES, 'preprocess.png');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(() => ensureDist());

describe('EfficientNet-B0 with seeded random weights', () => {
  let model: ImageClassifier;
  beforeAll(async () => {
    model = await loadEfficientNet('b0', {weights: 'random', seed: 7, backend: 'native-cpu'});
  });
  afterAll(() => model?.dispose());

  it('classify(path) equals the tensor-level prediction on the same preprocessed input', async () => {
    expect(tf.getBackend()).toBe('native-cpu');
    expect(model.preprocessing).toEqual({resolution: 224, mode: 'tf', interpolation: 'bicubic'});
    const result = await model.classify(IMAGE, {topK: 5});
    expect(result).toHaveLength(5);
    const batch = await model.preprocess(IMAGE);
    expect(batch.shape).toEqual([1, 224, 224, 3]);
    const logits = model.predictSync(tf.tensor(batch.data, batch.shape));
    expect(logits.shape).toEqual([1, 1000]);
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    const expected = topK(values, 5, IMAGENET_LABELS);
    expect(result.map((p) => p.index)).toEqual(expected.map((p) => p.index));
    for (let i = 0; i < 5; i++) {
      expect(result[i].label).toBe(IMAGENET_LABELS[result[i].index]);
      expect(Math.abs(result[i].logit - expected[i].logit)).toBeLessThan(1e-5);
      expect(Math.abs(result[i].probability - expected[i].probability)).toBeLessThan(1e-6);
      if (i > 0) expect(result[i].probability).toBeLessThanOrEqual(result[i - 1].probability);
    }
    // The synchronous classifier agrees.
    const sync = model.classifySync(batch, {topK: 5})[0];
    expect(sync.map((p) => p.index)).toEqual(result.map((p) => p.index));
  });

  it('classify(buffer) and a batch of several images', async () => {
    const fromBuffer = await model.classify(fs.readFileSync(IMAGE), {topK: 3});
    const batch = await model.classify([IMAGE2, IMAGE, IMAGE2], {topK: 3});
    expect(batch).toHaveLength(3);
    expect(batch[1].map((p) => p.index)).toEqual(fromBuffer.map((p) => p.index));
    expect(Math.abs(batch[1][0].logit - fromBuffer[0].logit)).toBeLessThan(1e-4);
    expect(batch[0].map((p) => p.index)).toEqual(batch[2].map((p) => p.index));
  });

  it('predict(tensor) runs off-thread and equals predictSync; many concurrent calls all resolve correctly', async () => {
    const inputs = Array.from({length: 6}, (_, i) => tf.randomNormal([1 + (i % 2), 224, 224, 3], 0, 1, 'float32', 100 + i));
    const expected = inputs.map((x) => {
      const y = model.predictSync(x);
      const v = y.dataSync().slice();
      y.dispose();
      return v;
    });
    const calls = inputs.map((x) => model.predict(x));
    // The calling thread computes at the same time as the worker (shared native pool and registry).
    const meanwhile = model.predictSync(inputs[0]);
    expect(maxAbsDiff(meanwhile.dataSync(), expected[0])).toBeLessThan(1e-4);
    meanwhile.dispose();
    // Mixed with classify calls in between.
    const classified = model.classify(IMAGE, {topK: 1});
    const outputs = await Promise.all(calls);
    outputs.forEach((y, i) => {
      expect(y.shape).toEqual([inputs[i].shape[0], 1000]);
      expect(maxAbsDiff(y.dataSync(), expected[i])).toBeLessThan(1e-4);
      y.dispose();
    });
    expect((await classified)[0].label).toBe(IMAGENET_LABELS[(await classified)[0].index]);
    inputs.forEach((x) => x.dispose());
    // One HWC image gives one row of logits.
    const single = await model.predict(tf.zeros([224, 224, 3]));
    expect(single.shape).toEqual([1000]);
    single.dispose();
  });

  it('leaks no tensors: classify, predictSync, classifySync, cam, camSync', async () => {
    await model.classify(IMAGE); // warm: the classifier kernel copy, the worker
    await model.cam(IMAGE);
    const before = tf.memory().numTensors;
    await model.classify([IMAGE, IMAGE2]);
    const batch = await model.preprocess(IMAGE);
    model.classifySync(batch);
    model.camSync(batch);
    await model.cam(IMAGE);
    const x = tf.zeros([1, 224, 224, 3]);
    model.predictSync(x).dispose();
    (await model.predict(x)).dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad tensors are rejected with a clear message', async () => {
    await expect(model.predict(tf.zeros([1, 32, 32, 4]))).rejects.toThrow(/3 channels/);
    await expect(model.predict(tf.zeros([1, 32, 32, 3], 'int32'))).rejects.toThrow(/float32/);
  });
});

describe('fixture weights (scaled-down torchvision EfficientNet and ResNet)', () => {
  it('EfficientNet w0.25 d0.25: tensor-level prediction equals torchvision, classify equals it on the preprocessed image', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'efficientnet_w025_d025.json'), 'utf8'));
    const refs = readSafetensors(path.join(FIXTURES, 'efficientnet_w025_d025.ref.safetensors')).tensors;
    const model = await loadEfficientNet({width: cfg.width, depth: cfg.depth, resolution: 64}, {
      weights: path.join(FIXTURES, 'efficientnet_w025_d025.safetensors'), numClasses: cfg.numClasses, backend: 'native-cpu',
    });
    try {
      // torchvision weights: symmetric padding, eps 1e-5, torchvision preprocessing (bicubic).
      expect([model.config.padding, model.config.bnEpsilon]).toEqual(['symmetric', 1e-5]);
      expect(model.preprocessing.mode).toBe('torchvision');
      expect(model.labels).toEqual(labelsFor(10));
      const input = refs.get('input_33')!;
      const ref = refs.get('logits_33')!.data as Float32Array;
      const logits = model.predictSync(tf.tensor(input.data as Float32Array, input.shape));
      expect(maxAbsDiff(logits.dataSync(), ref)).toBeLessThan(2e-3 * Math.max(1, ...Array.from(ref, Math.abs)));
      logits.dispose();

      const results = await model.classify([IMAGE, IMAGE2], {topK: 10});
      const batch = await model.preprocess([IMAGE, IMAGE2]);
      const y = model.predictSync(tf.tensor(batch.data, batch.shape));
      const v = y.dataSync() as Float32Array;
      y.dispose();
      for (let i = 0; i < 2; i++) {
        const row = v.subarray(i * 10, (i + 1) * 10);
        const p = softmax(row);
        expect(results[i]).toHaveLength(10);
        for (const r of results[i]) {
          expect(Math.abs(r.logit - row[r.index])).toBeLessThan(1e-5);
          expect(Math.abs(r.probability - p[r.index])).toBeLessThan(1e-6);
        }
        expect(results[i].reduce((s, r) => s + r.probability, 0)).toBeCloseTo(1, 5);
      }
    } finally {
      model.dispose();
    }
  });

  it('ResNet (tiny torchvision fixture) classifies with torchvision bilinear preprocessing', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'resnet_tiny.json'), 'utf8'));
    const model = await loadResNet(50, {
      weights: path.join(FIXTURES, 'resnet_tiny.safetensors'), blocks: cfg.blocks, stemChannels: cfg.stemChannels, widths: cfg.widths,
      numClasses: cfg.numClasses, resolution: 32, backend: 'native-cpu',
    });
    try {
      expect(model.preprocessing).toEqual({resolution: 32, mode: 'torchvision', interpolation: 'bilinear'});
      const [result] = await model.classify([IMAGE], {topK: 3});
      const batch = await model.preprocess(IMAGE);
      const y = model.predictSync(tf.tensor(batch.data, batch.shape));
      const expected = topK(y.dataSync(), 3, model.labels);
      y.dispose();
      expect(result.map((r) => r.index)).toEqual(expected.map((r) => r.index));
    } finally {
      model.dispose();
    }
  });
});

describe('errors', () => {
  it('no weights: says so, and how to ask for random ones', async () => {
    await expect(loadEfficientNet('b0')).rejects.toThrow(/no weights given.*weights: 'random', seed/);
    await expect(loadResNet(152, {})).rejects.toThrow(/no weights given/);
  });

  it('weights for another model: names the tensors', async () => {
    await expect(loadEfficientNet('b0', {weights: path.join(FIXTURES, 'efficientnet_w025_d025.safetensors'), backend: 'native-cpu'}))
      .rejects.toThrow(/do not match the model[\s\S]*missing \d+: blocks\/7\/expand[\s\S]*mis-shaped/);
  });

  it('weights for another number of classes: says which number', async () => {
    await expect(loadEfficientNet({width: 0.25, depth: 0.25, resolution: 32}, {
      weights: path.join(FIXTURES, 'efficientnet_w025_d025.safetensors'), backend: 'native-cpu',
    })).rejects.toThrow(/the file's classifier has 10 classes, the model 1000: set numClasses to 10/);
  });

  it('missing weight file, unknown backend, CUDA not built', async () => {
    await expect(loadEfficientNet('b0', {weights: '/nonexistent/w.safetensors'})).rejects.toThrow(/cannot read '\/nonexistent\/w.safetensors'/);
    await expect(loadEfficientNet('b0', {weights: 'random', backend: 'gpu' as never})).rejects.toThrow(/unknown backend 'gpu'; supported: native/);
    await expect(loadEfficientNet('b0', {weights: 'random', backend: 'native-cuda'})).rejects.toThrow(/native-cuda/);
  });

  it('a disposed model rejects calls', async () => {
    const model = await loadEfficientNet({width: 0.25, depth: 0.25, resolution: 32}, {weights: 'random', numClasses: 5, backend: 'native-cpu'});
    const pending = model.classify(IMAGE);
    model.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    await expect(model.classify(IMAGE)).rejects.toThrow(/disposed/);
    expect(() => model.predictSync(tf.zeros([1, 32, 32, 3]))).toThrow(/disposed/);
  });
});
