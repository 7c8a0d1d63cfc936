import {TensorInfo, TopK, TopKAttrs, util} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/**
 * TopK along the last dimension, computed in JavaScript from the tensor's values (a selection, like
 * tfjs-backend-cpu's): the k largest values, ties broken by the lower index. sorted: in that order;
 * otherwise k == n keeps the input order and k < n gives the sorted order (any order is allowed).
 */
export const topKConfig: NativeKernelConfig = {
  kernelName: TopK,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {k, sorted} = attrs as unknown as TopKAttrs;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`TopK: dtype '${x.dtype}' is not supported; supported: float32, int32`);
    }
    if (x.shape.length === 0) throw new Error('TopK: x is a scalar; supported: rank >= 1');
    const n = x.shape[x.shape.length - 1];
    if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`TopK: k is ${k}; supported: an integer from 0 to ${n}`);
    const rows = n === 0 ? 0 : util.sizeFromShape(x.shape) / n;
    const xs = backend.readSync(x.dataId) as Float32Array | Int32Array;
    const values = x.dtype === 'float32' ? new Float32Array(rows * k) : new Int32Array(rows * k);
    const indices = new Int32Array(rows * k);
    const order = new Array<number>(n);
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      for (let i = 0; i < n; i++) order[i] = i;
      if (sorted || k < n) {
        // Descending by value, ascending by index among equal values (NaN counts as the largest).
        order.sort((a, b) => {
          const va = xs[base + a];
          const vb = xs[base + b];
          if (va === vb || (va !== va && vb !== vb)) return a - b;
          if (va !== va) return -1;
          if (vb !== vb) return 1;
          return vb > va ? 1 : -1;
        });
      }
      for (let i = 0; i < k; i++) {
        values[r * k + i] = xs[base + order[i]];
        indices[r * k + i] = order[i];
      }
    }
    const outShape = [...x.shape.slice(0, -1), k];
    return [backend.makeTensorInfo(outShape, x.dtype, values), backend.makeTensorInfo(outShape, 'int32', indices)];
  },
};
