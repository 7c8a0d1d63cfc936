// CUDA graphs (src/cuda_graph.ts) on native-cuda: a replay gives exactly what running the function
// op by op gives (the same kernels run), results of successive runs are independent, memory is
// returned, and what a captured function may not do fails with a clear error and leaves the backend
// usable. Prints B0's replay latency beside op-by-op latency (no assertion on time).
import {afterEach, beforeAll, expect, it} from 'vitest';

import {captureCudaGraph, setCudaMBConvFusion} from '../../src/index.js';
import {buildEfficientNet, randomEfficientNetWeights} from '../../src/models/efficientnet.js';
import {efficientNetConfig} from '../../src/models/scaling.js';
import {expectSmallFunctionReplays, valuesOf} from '../util/graph_cases.js';
import {randomFloats} from '../util/reference.js';
import {describeGpu, gpuMemory, tf} from './gpu_util.js';

function cudaAddon(): {capturing(): boolean; graphCount(): number} {
  return (tf.findBackend('native-cuda') as unknown as {cuda: {capturing(): boolean; graphCount(): number}}).cuda;
}

describeGpu('CUDA graphs', () => {
  beforeAll(async () => {
    await tf.setBackend('native-cuda');
  });

  afterEach(() => {
    expect(cudaAddon().capturing(), 'a capture was left open').toBe(false);
  });

  it('a small function: replays equal eager runs exactly, runs are independent, memory returns', () => {
    expectSmallFunctionReplays(captureCudaGraph, gpuMemory);
    expect(cudaAddon().graphCount()).toBe(0);
  });

  it('reading tensor data inside the captured function fails clearly and leaves the backend usable', async () => {
    const bad = (x: tf.Tensor) => {
      const y = tf.relu(x);
      y.dataSync();
      return y;
    };
    expect(() => captureCudaGraph(bad, [4, 4], {warmup: false})).toThrow(/while a CUDA graph is being captured/);
    expect(cudaAddon().capturing()).toBe(false);
    const x = tf.tensor([-1, 2, -3, 4], [4]);
    expect(Array.from(await tf.relu(x).data())).toEqual([0, 2, 0, 4]);
    x.dispose();
    expect(() => captureCudaGraph(() => 3 as unknown as tf.Tensor, [4], {warmup: false})).toThrow(/must return one tensor/);
    expect(cudaAddon().capturing()).toBe(false);
  });

  for (const fused of [false, true]) {
    it(`EfficientNet-B0, batch 1, fused MBConv ${fused ? 'on' : 'off'}: the replay equals predict exactly; model disposed first; timing`, async () => {
      const fusionBefore = setCudaMBConvFusion(fused);
      const memBefore = gpuMemory();
      const config = efficientNetConfig('b0');
      const weights = randomEfficientNetWeights(config, 1);
      const model = buildEfficientNet(config, weights);
      tf.dispose([...weights.values()]);
      const shape = [1, 224, 224, 3];
      const xs = [7, 8].map((seed) => tf.tensor(randomFloats(224 * 224 * 3, seed, -1, 1), shape));
      const eager = xs.map((x) => valuesOf(model.predict(x)));
      const graph = captureCudaGraph((x) => model.predict(x), shape);
      console.log(`graph  B0 b=1 fused ${fused ? 'on' : 'off'}: ${graph.nodes} nodes, ${(graph.poolBytes / 2 ** 20).toFixed(1)} MiB of pool`);
      const a = graph.run(xs[0]);
      const b = graph.run(xs[1]);
      expect(Array.from(await a.data())).toEqual(Array.from(eager[0]));
      expect(Array.from(await b.data())).toEqual(Array.from(eager[1]));
      tf.dispose([a, b]);

      // Timing: op by op (predict + synchronise) against replay (run + synchronise), medians of 50.
      const sync = () => (tf.backend() as unknown as {cuda: {synchronize(): void}}).cuda.synchronize();
      const median = (f: () => void) => {
        for (let i = 0; i < 5; i++) f();
        sync();
        const times: number[] = [];
        for (let i = 0; i < 50; i++) {
          const t0 = performance.now();
          f();
          sync();
          times.push(performance.now() - t0);
        }
        times.sort((p, q) => p - q);
        return times[25];
      };
      const eagerMs = median(() => tf.dispose(model.predict(xs[0])));
      const graphMs = median(() => tf.dispose(graph.run(xs[0])));
      console.log(`graph  B0 b=1 fused ${fused ? 'on' : 'off'} device-resident median: op by op ${eagerMs.toFixed(3)} ms, graph replay ${graphMs.toFixed(3)} ms`);

      // The graph holds the weights it reads: disposing the model first keeps its results right.
      model.dispose();
      const c = graph.run(xs[1]);
      expect(Array.from(await c.data())).toEqual(Array.from(eager[1]));
      c.dispose();
      graph.dispose();
      tf.dispose(xs);
      setCudaMBConvFusion(fusionBefore);
      // The model's weights were freed with the graph; nothing else may remain.
      expect(gpuMemory()).toEqual(memBefore);
    });
  }
});
