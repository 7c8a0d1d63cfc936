// Whole models on native-cuda against native-cpu, seeded random weights and inputs: EfficientNet B0,
// B1, B7, ResNet-152 and a small AmoebaNet-B, batch 1, logits within 1e-4 relative.
import {expect, it} from 'vitest';

import {amoebaNetConfig, buildAmoebaNet, randomAmoebaNetWeights} from '../../src/models/amoebanet.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {buildResNet, randomResNetWeights, resNetConfig} from '../../src/models/resnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {randomFloats} from '../util/reference.js';
import {describeGpu, tf} from './gpu_util.js';

interface Built {
  predict(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** Logits of a freshly built model on `backend` (weights and input made there from the same seeds). */
async function logitsOn(backend: string, build: () => Built, resolution: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const model = build();
  const x = tf.tensor(randomFloats(resolution * resolution * 3, 99, -1, 1), [1, resolution, resolution, 3]);
  const y = model.predict(x);
  const values = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return values;
}

function expectRelativelyClose(actual: Float32Array, expected: Float32Array, rtol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    expect(Number.isFinite(actual[i]), `${label}: element ${i} is ${actual[i]}`).toBe(true);
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), scale * 1e-2, 1e-6);
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${label}: worst relative error ${worst} at ${at} (${actual[at]} vs ${expected[at]})`).toBeLessThanOrEqual(rtol);
}

function withWeights<W extends Map<string, tf.Tensor>>(weights: () => W, build: (w: W) => Built): () => Built {
  return () => {
    const w = weights();
    const model = build(w);
    tf.dispose([...w.values()]);
    return model;
  };
}

const MODELS: {name: string; resolution: number; build: () => Built}[] = [
  ...(['b0', 'b1', 'b7'] as const).map((v) => {
    const config = efficientNetConfig(v);
    return {name: `EfficientNet-${v.toUpperCase()}`, resolution: config.resolution,
      build: withWeights(() => randomEfficientNetWeights(config, 1), (w) => buildEfficientNet(config, w))};
  }),
  (() => {
    const config = resNetConfig(152);
    return {name: 'ResNet-152', resolution: 224, build: withWeights(() => randomResNetWeights(config, 2), (w) => buildResNet(config, w))};
  })(),
  (() => {
    const config = amoebaNetConfig({numCells: 2, numFilters: 32, resolution: 96, numClasses: 100});
    return {name: 'AmoebaNet-B (N=2, F=32, 96x96)', resolution: 96,
      build: withWeights(() => randomAmoebaNetWeights(config, 3), (w) => buildAmoebaNet(config, w))};
  })(),
];

describeGpu('whole models: native-cuda vs native-cpu', () => {
  for (const m of MODELS) {
    it(`${m.name} at ${m.resolution}x${m.resolution}, batch 1, within 1e-4 relative`, async () => {
      const expected = await logitsOn('native-cpu', m.build, m.resolution);
      const actual = await logitsOn('native-cuda', m.build, m.resolution);
      expectRelativelyClose(actual, expected, 1e-4, m.name);
    });
  }
});
