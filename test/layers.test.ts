// A small Keras-style model (tfjs-layers) with seeded weights: predictions on native-cpu equal those
// on tfjs-backend-cpu, for batch 1 and larger batches, at every ISA level.
import * as tfl from '@tensorflow/tfjs-layers';
import {describe, expect, it} from 'vitest';

import {Evaluated, expectClose, forEachIsa, randomFloats, tf} from './util/reference.js';

const INPUT: [number, number, number] = [19, 17, 5];

/** conv / depthwise / batch norm / activations / SE gate / residual / pooling / dense: the layer kinds of an MBConv network. */
function buildModel(): tfl.LayersModel {
  const input = tfl.input({shape: INPUT});
  let x = tfl.layers.conv2d({filters: 12, kernelSize: 3, strides: 2, padding: 'same', useBias: false}).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({epsilon: 1e-3}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({activation: 'swish'}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({kernelSize: 5, padding: 'same', depthMultiplier: 1, useBias: false}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({epsilon: 1e-3}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({maxValue: 6}).apply(x) as tfl.SymbolicTensor;
  // Squeeze-and-excitation gate and a residual connection, as in an MBConv block.
  let se = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  se = tfl.layers.dense({units: 3, activation: 'swish'}).apply(se) as tfl.SymbolicTensor;
  se = tfl.layers.dense({units: 12, activation: 'sigmoid'}).apply(se) as tfl.SymbolicTensor;
  se = tfl.layers.reshape({targetShape: [1, 1, 12]}).apply(se) as tfl.SymbolicTensor;
  const gated = tfl.layers.multiply().apply([x, se]) as tfl.SymbolicTensor;
  x = tfl.layers.add().apply([gated, x]) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({poolSize: 3, strides: 1, padding: 'same'}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({filters: 7, kernelSize: 1, activation: 'relu'}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({kernelSize: 3, strides: 2, padding: 'valid', depthMultiplier: 2, activation: 'tanh'}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.averagePooling2d({poolSize: 2, strides: 1, padding: 'valid'}).apply(x) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  let y = tfl.layers.dense({units: 9, activation: 'sigmoid'}).apply(pooled) as tfl.SymbolicTensor;
  y = tfl.layers.dense({units: 10, activation: 'softmax'}).apply(y) as tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: y});
}

/** Seeded values for every weight of the model (batch-norm variances kept positive). */
function seededWeights(model: tfl.LayersModel): {shape: number[]; values: Float32Array}[] {
  return model.weights.map((w, i) => {
    const size = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const isVariance = w.originalName.endsWith('moving_variance');
    const isGamma = w.originalName.endsWith('gamma');
    const values = randomFloats(size, 1000 + i, isVariance ? 0.3 : isGamma ? 0.5 : -0.6, isVariance ? 1.5 : isGamma ? 1.5 : 0.6);
    return {shape: w.shape as number[], values};
  });
}

async function predictOn(backend: string, batch: number, batchSize?: number): Promise<Evaluated> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const model = buildModel();
  const weights = seededWeights(model).map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(weights);
  tf.dispose(weights);
  const x = tf.tensor(randomFloats(batch * INPUT.reduce((a, b) => a * b), 7 + batch, -2, 2), [batch, ...INPUT]);
  const y = model.predict(x, batchSize != null ? {batchSize} : {}) as tf.Tensor;
  const out = {shape: y.shape.slice(), dtype: y.dtype, values: y.dataSync().slice()};
  tf.dispose([x, y]);
  model.dispose();
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return out;
}

describe('tfjs-layers model on native-cpu', () => {
  it('predicts what tfjs-backend-cpu predicts (batch 1)', async () => {
    const expected = await predictOn('cpu', 1);
    expect(expected.shape).toEqual([1, 10]);
    await forEachIsa(async (isa) => {
      expectClose([await predictOn('native-cpu', 1)], [expected], 1e-5, 1e-6, `batch 1 [${isa}]`);
    });
  });

  it('predicts what tfjs-backend-cpu predicts with batch > 1, in one call and in several batches', async () => {
    const expected = await predictOn('cpu', 5);
    expect(expected.shape).toEqual([5, 10]);
    await forEachIsa(async (isa) => {
      expectClose([await predictOn('native-cpu', 5)], [expected], 1e-5, 1e-6, `batch 5 [${isa}]`);
      expectClose([await predictOn('native-cpu', 5, 2)], [expected], 1e-5, 1e-6, `batch 5 in batches of 2 [${isa}]`);
    });
    // The comparison means something only if the predictions depend on the input: rows differ.
    const rows = Array.from({length: 5}, (_, r) => Array.from(expected.values.slice(r * 10, r * 10 + 10) as Float32Array));
    for (let r = 1; r < 5; r++) {
      expect(Math.max(...rows[r].map((v, i) => Math.abs(v - rows[0][i]))), `row ${r} vs row 0`).toBeGreaterThan(1e-3);
    }
  });

  it('runs on the native kernels a layers model calls', async () => {
    await tf.setBackend('native-cpu');
    const model = buildModel();
    const x = tf.zeros([2, ...INPUT]);
    const info = await tf.profile(() => model.predict(x) as tf.Tensor);
    const kernels = new Set(info.kernels.map((k) => k.name));
    tf.dispose(info.result as tf.Tensor);
    tf.dispose(x);
    model.dispose();
    for (const name of ['FusedConv2D', 'DepthwiseConv2dNative', 'FusedBatchNorm', 'MaxPool', 'AvgPool', 'Mean', '_FusedMatMul', 'Softmax']) {
      expect([...kernels].sort(), name).toContain(name);
    }
  });
});
