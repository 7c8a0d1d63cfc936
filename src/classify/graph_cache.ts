// Captured graphs of a model for the input shapes it runs repeatedly (the classifier's runs on
// native-cpu). A replay skips tfjs's per-op work (kernel lookup, checks, tensor bookkeeping, output
// allocation) and reuses the prepared native calls: EfficientNet-B0 and B1 run ~7% faster than op by op
// (README, "Classifying images"). The results are the same to the bit: a replay runs the same kernels on
// the same inputs.
//
// A shape is captured on its second run (a one-off call pays no capture); at most `maxGraphs` shapes keep
// a graph, the least recently used one is freed to make room; a shape whose capture fails runs op by op
// from then on. Only the native-cpu backend replays: elsewhere every run is op by op. A graph replays the
// kernels chosen when it was captured: `variant` names what decides that choice (the fused MBConv
// switch), and a run under another variant is another entry.
import * as tf from '@tensorflow/tfjs-core';

import {captureCpuGraph} from '../cpu_graph.js';
import type {NativeGraph} from '../native_graph.js';

interface ShapeEntry {
  runs: number;
  graph: NativeGraph | null;
  /** The capture failed: this shape runs op by op. */
  failed: boolean;
}

/** Shapes remembered (run counts) beside the ones with a graph; older ones are forgotten first. */
const MAX_REMEMBERED_SHAPES = 16;

export class GraphCache {
  // In order of last use (a Map iterates in insertion order; a use re-inserts).
  private readonly shapes = new Map<string, ShapeEntry>();
  private disposed = false;

  /**
   * `forward` computes the model's result for one input; it may not read tensor data (see
   * captureCpuGraph). `maxGraphs` >= 1 bounds the graphs kept (each holds its intermediates' memory).
   */
  constructor(
    private readonly forward: (x: tf.Tensor) => tf.Tensor,
    readonly maxGraphs = 2,
    private readonly variant: () => string = () => '',
  ) {
    if (!Number.isInteger(maxGraphs) || maxGraphs < 1) throw new Error(`GraphCache: maxGraphs must be a positive integer, got ${maxGraphs}`);
  }

  /** Number of graphs held. */
  get graphs(): number {
    return this.graphShapes().length;
  }

  /** The input shapes that have a graph, least recently used first (a shape twice: two variants). */
  graphShapes(): number[][] {
    const shapes: number[][] = [];
    for (const [key, e] of this.shapes) if (e.graph != null) shapes.push(key.slice(0, key.indexOf(':')).split(',').map(Number));
    return shapes;
  }

  /**
   * forward(x) from a replay when x's shape has a graph (capturing it on the shape's second run), or
   * null when this run is to go op by op: another backend, a shape's first run, a failed capture.
   */
  run(x: tf.Tensor): tf.Tensor | null {
    if (this.disposed || tf.getBackend() !== 'native-cpu' || x.dtype !== 'float32') return null;
    const key = `${x.shape.join(',')}:${this.variant()}`;
    let entry = this.shapes.get(key);
    if (entry == null) {
      entry = {runs: 0, graph: null, failed: false};
    } else {
      this.shapes.delete(key);
    }
    this.shapes.set(key, entry);
    entry.runs++;
    this.forgetOldShapes();
    if (entry.failed || entry.runs < 2) return null;
    if (entry.graph == null) {
      this.makeRoom();
      try {
        // The first run warmed the kernels up (packed weights); nothing to repeat before recording.
        entry.graph = captureCpuGraph(this.forward, x.shape, {warmup: false});
      } catch {
        // The op-by-op run reports whatever is wrong with the input or the model.
        entry.failed = true;
        return null;
      }
    }
    return entry.graph.run(x);
  }

  /** Frees every graph; later runs go op by op. */
  dispose(): void {
    this.disposed = true;
    for (const e of this.shapes.values()) e.graph?.dispose();
    this.shapes.clear();
  }

  /** Frees the least recently used graph while maxGraphs are held (before a capture adds one). */
  private makeRoom(): void {
    let held = this.graphs;
    for (const e of this.shapes.values()) {
      if (held < this.maxGraphs) break;
      if (e.graph == null) continue;
      e.graph.dispose();
      e.graph = null;
      e.runs = 0;  // captured again only after two more runs
      held--;
    }
  }

  /** Drops the least recently used shapes without a graph beyond MAX_REMEMBERED_SHAPES. */
  private forgetOldShapes(): void {
    let excess = this.shapes.size - MAX_REMEMBERED_SHAPES - this.maxGraphs;
    for (const [key, e] of this.shapes) {
      if (excess <= 0) break;
      if (e.graph != null) continue;
      this.shapes.delete(key);
      excess--;
    }
  }
}
