// Latency of EfficientNet-B0 at batch 1 on native-cuda (and native-cpu for scale): median of warm
// runs, printed as a table. No assertions on time; it checks only that both ran.
import {expect, it} from 'vitest';

import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {randomFloats} from '../util/reference.js';
import {describeGpu, tf} from './gpu_util.js';

async function medianMs(backend: string, runs: number): Promise<number> {
  await tf.setBackend(backend);
  const config = efficientNetConfig('b0');
  const weights = randomEfficientNetWeights(config, 1);
  const model = buildEfficientNet(config, weights);
  tf.dispose([...weights.values()]);
  const x = tf.tensor(randomFloats(224 * 224 * 3, 5), [1, 224, 224, 3]);
  for (let i = 0; i < 3; i++) tf.dispose(model.predict(x).dataSync());
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const y = model.predict(x);
    await y.data();  // includes the download: the whole prediction
    times.push(performance.now() - t0);
    y.dispose();
  }
  x.dispose();
  model.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

describeGpu('timing', () => {
  it('EfficientNet-B0, batch 1: native-cuda and native-cpu median latency', async () => {
    const cuda = await medianMs('native-cuda', 50);
    const cpu = await medianMs('native-cpu', 5);
    console.log(`timing  model            backend       median ms\n` +
      `timing  B0 224x224 b=1   native-cuda   ${cuda.toFixed(2)}\n` +
      `timing  B0 224x224 b=1   native-cpu    ${cpu.toFixed(2)}`);
    expect(cuda).toBeGreaterThan(0);
    expect(cpu).toBeGreaterThan(0);
  });
});
