// Pieces shared by the captured-graph tests of both backends (test/cpu_graph.test.ts,
// test/gpu/graph.test.ts).
import {expect} from 'vitest';

import type {NativeGraph} from '../../src/native_graph.js';
import {randomFloats, tf} from './reference.js';

/** The values of `t`, which is disposed. */
export function valuesOf(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/**
 * A small function: convolution with bias and relu, a constant made inside it (uploaded during a CUDA
 * capture), a reduction and a reshape.
 */
export function smallForward(filter: tf.Tensor4D, bias: tf.Tensor1D): (x: tf.Tensor) => tf.Tensor {
  return (x) => {
    const y = tf.fused.conv2d({x: x as tf.Tensor4D, filter, strides: 1, pad: 'same', bias, activation: 'relu'});
    const scaled = tf.mul(y, tf.scalar(0.5));
    return tf.reshape(tf.mean(scaled, [1, 2]), [-1]);
  };
}

/**
 * Captures smallForward with `capture` and checks the graph: replays equal op-by-op runs exactly and
 * are independent of each other (read after all ran), the weights' tensors may go first, bad inputs and
 * a disposed graph give Errors, and every tensor and byte of `memory()` comes back after dispose.
 */
export function expectSmallFunctionReplays(
  capture: (forward: (x: tf.Tensor) => tf.Tensor, shape: number[]) => NativeGraph,
  memory: () => unknown,
): void {
  const memBefore = memory();
  const tensorsBefore = tf.memory().numTensors;
  const filter = tf.tensor4d(randomFloats(3 * 3 * 5 * 7, 1), [3, 3, 5, 7]);
  const bias = tf.tensor1d(randomFloats(7, 2));
  const forward = smallForward(filter, bias);
  const graph = capture(forward, [2, 9, 11, 5]);
  expect(graph.inputShape).toEqual([2, 9, 11, 5]);
  expect(graph.outputShape).toEqual([14]);
  expect(graph.outputDtype).toBe('float32');
  expect(graph.nodes).toBeGreaterThan(0);
  expect(graph.poolBytes).toBeGreaterThan(0);
  console.log(`graph  small function: ${graph.nodes} nodes, ${graph.poolBytes} bytes of pool`);

  const inputs = [3, 4, 5].map((seed) => tf.tensor(randomFloats(2 * 9 * 11 * 5, seed), [2, 9, 11, 5]));
  const eager = inputs.map((x) => valuesOf(tf.tidy(() => forward(x))));
  const replays = inputs.map((x) => graph.run(x));
  // Read only after all three ran: each result must be its own input's, not the last one's.
  for (let i = 0; i < inputs.length; i++) {
    expect(Array.from(replays[i].dataSync()), `input ${i}`).toEqual(Array.from(eager[i]));
  }
  // The weights' tensors go; the graph holds their buffers.
  filter.dispose();
  bias.dispose();
  expect(Array.from(valuesOf(graph.run(inputs[1])))).toEqual(Array.from(eager[1]));
  tf.dispose([...replays, ...inputs]);

  expect(() => tf.tidy(() => graph.run(tf.zeros([2, 9, 11, 4])))).toThrow(/captured for \[2,9,11,5\]/);
  expect(() => tf.tidy(() => graph.run(tf.zeros([2, 9, 11, 5], 'int32')))).toThrow(/must be float32/);
  graph.dispose();
  graph.dispose();
  expect(graph.disposed).toBe(true);
  expect(() => tf.tidy(() => graph.run(tf.zeros([2, 9, 11, 5])))).toThrow(/disposed/);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(memory()).toEqual(memBefore);
}
