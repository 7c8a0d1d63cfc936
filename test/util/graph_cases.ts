// Pieces shared by the captured-graph tests of both backends (test/cpu_graph.test.ts,
// test/gpu/graph.test.ts).
import {tf} from './reference.js';

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
