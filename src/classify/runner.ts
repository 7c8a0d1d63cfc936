// Runs a model from batch-norm-folded weights and returns its logits and, on request, the feature
// map before global pooling (the class activation map needs it). The same code runs on the main
// thread (synchronous calls) and in the prediction worker (asynchronous calls): both build it from
// the same folded arrays, so both compute the same thing.
import * as tf from '@tensorflow/tfjs-core';

import {amoebaNetGraph} from '../models/amoebanet.js';
import type {ModelConfig} from '../models/count.js';
import {efficientNetGraph} from '../models/efficientnet.js';
import {type FoldedLayer, foldWeights, type ModelGraph, TensorOps, traceGraph} from '../models/graph.js';
import {mbconvFusionEnabled} from '../models/mbconv.js';
import {resNetGraph} from '../models/resnet.js';
import {GraphCache} from './graph_cache.js';

/** One folded layer as plain arrays (what crosses the thread boundary). */
export interface FoldedArrays {
  name: string;
  kernel: Float32Array;
  kernelShape: number[];
  bias: Float32Array | null;
}

export function graphOf(config: ModelConfig): ModelGraph<ModelConfig> {
  switch (config.family) {
    case 'efficientnet':
      return efficientNetGraph as ModelGraph<ModelConfig>;
    case 'resnet':
      return resNetGraph as ModelGraph<ModelConfig>;
    case 'amoebanet':
      return amoebaNetGraph as ModelGraph<ModelConfig>;
    default:
      throw new Error(`unknown model family '${(config as {family: string}).family}'`);
  }
}

export interface RunOutput {
  /** [N, numClasses] */
  logits: tf.Tensor2D;
  /** [N, h, w, C]: the last feature map before global pooling (when asked for). */
  features?: tf.Tensor4D;
}

export interface RunnerOptions {
  /**
   * Replay captured graphs for input shapes run more than once, on native-cpu (src/classify/graph_cache.ts).
   * Default true.
   */
  graphs?: boolean;
}

export class Runner {
  private folded: Map<string, FoldedLayer> | null;
  private readonly ops: TensorOps;
  private readonly graph: ModelGraph<ModelConfig>;
  private readonly body: ModelConfig;
  /** Graphs of the logits for repeated input shapes; null when disabled. */
  private readonly graphs: GraphCache | null;

  private constructor(readonly config: ModelConfig, folded: Map<string, FoldedLayer>, options: RunnerOptions) {
    if (!config.includeTop) throw new Error(`${config.name}: a classifier needs the model's top (includeTop: true)`);
    const graphs = options.graphs ?? true;
    if (typeof graphs !== 'boolean') throw new Error(`${config.name}: the graphs option must be a boolean, got ${String(graphs)}`);
    this.folded = folded;
    this.ops = new TensorOps(folded);
    this.graph = graphOf(config);
    this.body = {...config, includeTop: false} as ModelConfig;
    // The fused-block switch picks the kernels a capture records.
    this.graphs = graphs ? new GraphCache((x) => this.logits(x), 2, () => (mbconvFusionEnabled() ? 'fused' : 'composed')) : null;
  }

  /** Folds canonical weights (checked against the model's weight spec). The caller keeps `weights`. */
  static fromCanonical(config: ModelConfig, weights: Map<string, tf.Tensor>, options: RunnerOptions = {}): Runner {
    const trace = traceGraph(graphOf(config), config, config.resolution);
    return new Runner(config, foldWeights(trace, weights, config.bnEpsilon), options);
  }

  /** Rebuilds a runner from folded arrays on the active backend. */
  static fromArrays(config: ModelConfig, layers: readonly FoldedArrays[], options: RunnerOptions = {}): Runner {
    const folded = new Map<string, FoldedLayer>();
    for (const l of layers) {
      folded.set(l.name, {kernel: tf.tensor(l.kernel, l.kernelShape, 'float32'), bias: l.bias ? tf.tensor1d(l.bias) : null});
    }
    return new Runner(config, folded, options);
  }

  /** Whether the runner replays graphs for repeated input shapes (RunnerOptions.graphs). */
  get graphsEnabled(): boolean {
    return this.graphs != null;
  }

  /** The input shapes the runner holds a captured graph for, least recently used first. */
  capturedShapes(): number[][] {
    return this.graphs?.graphShapes() ?? [];
  }

  private layers(): Map<string, FoldedLayer> {
    if (this.folded == null) throw new Error(`${this.config.name}: the model was disposed`);
    return this.folded;
  }

  /** The folded weights as arrays (copies). */
  toArrays(): FoldedArrays[] {
    return [...this.layers()].map(([name, l]) => ({
      name,
      kernel: Float32Array.from(l.kernel.dataSync() as Float32Array),
      kernelShape: l.kernel.shape.slice(),
      bias: l.bias ? Float32Array.from(l.bias.dataSync() as Float32Array) : null,
    }));
  }

  /** The classifier's kernel [C, numClasses] (dense layers are not folded). */
  classifierKernel(): {data: Float32Array; shape: number[]} {
    const l = this.layers().get('classifier');
    if (l == null) throw new Error(`${this.config.name}: the model has no classifier`);
    return {data: Float32Array.from(l.kernel.dataSync() as Float32Array), shape: l.kernel.shape.slice()};
  }

  /** Runs a [N, H, W, 3] float32 batch. */
  run(x: tf.Tensor, withFeatures = false): RunOutput {
    this.layers();
    if (x.rank !== 4 || x.shape[3] !== 3 || x.dtype !== 'float32') {
      throw new Error(`${this.config.name}: input must be a float32 [N, H, W, 3] batch, got ${x.dtype} [${x.shape}]`);
    }
    if (!withFeatures) {
      const replayed = this.graphs?.run(x);
      return {logits: (replayed ?? tf.tidy(() => this.logits(x))) as tf.Tensor2D};
    }
    return tf.tidy(() => {
      const features = this.graph(this.ops, x, this.body) as tf.Tensor4D;
      const logits = this.ops.dense(this.ops.globalAvgPool(features), 'classifier', this.config.numClasses) as tf.Tensor2D;
      return {logits, features};
    });
  }

  /** The logits of a batch, op by op. */
  private logits(x: tf.Tensor): tf.Tensor {
    if (this.config.family === 'efficientnet') {
      // The whole model, top included: its head is one fused kernel where the backend has it.
      return this.graph(this.ops, x, this.config);
    }
    return this.ops.dense(this.ops.globalAvgPool(this.graph(this.ops, x, this.body)), 'classifier', this.config.numClasses);
  }

  dispose(): void {
    this.graphs?.dispose();
    if (this.folded == null) return;
    for (const l of this.folded.values()) {
      l.kernel.dispose();
      l.bias?.dispose();
    }
    this.folded = null;
  }
}
