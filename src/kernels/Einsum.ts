import {backend_util, Einsum, EinsumAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {composite} from './composite_util.js';
import {identityConfig} from './Identity.js';
import {multiplyConfig} from './Multiply.js';
import {reshapeConfig} from './Reshape.js';
import {sumConfig} from './Sum.js';
import {transposeConfig} from './Transpose.js';
import type {NativeKernelConfig} from './types.js';

/**
 * Einsum as tfjs-backend-cpu computes it: tfjs-core's contraction path, each step a transpose and
 * reshape of the next operand, a broadcasting multiply and a sum over the contracted dimension.
 */
export const einsumConfig: NativeKernelConfig = {
  kernelName: Einsum,
  kernelFunc: ({inputs, backend, attrs}) => {
    const {equation} = attrs as unknown as EinsumAttrs;
    const tensors = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as TensorInfo[];
    for (const t of tensors) {
      if (t.dtype !== 'float32' && t.dtype !== 'int32') {
        throw new Error(`Einsum: dtype '${t.dtype}' is not supported; supported: float32, int32`);
      }
    }
    const {allDims, summedDims, idDims} = backend_util.decodeEinsumEquation(equation, tensors.length);
    backend_util.checkEinsumDimSizes(allDims.length, idDims, tensors as unknown as Parameters<typeof backend_util.checkEinsumDimSizes>[2]);
    const {path, steps: order} = backend_util.getEinsumComputePath(summedDims, idDims);
    return composite(backend, (steps) => {
      let out: TensorInfo | null = null;
      let remaining = allDims.length;
      for (let i = 0; i < order.length; ++i) {
        for (const term of order[i]) {
          const {permutationIndices: perm, expandDims} = backend_util.getEinsumPermutation(remaining, idDims[term]);
          let x = tensors[term];
          if (!backend_util.isIdentityPermutation(perm)) x = steps.run(transposeConfig, {x}, {perm});
          const shape = x.shape.slice();
          for (const d of expandDims) shape.splice(d, 0, 1);
          if (!util.arraysEqual(x.shape, shape)) x = steps.run(reshapeConfig, {x}, {shape});
          out = out === null ? x : steps.run(multiplyConfig, {a: x, b: out});
        }
        if (i < order.length - 1) {
          if (path[i] >= 0) {
            out = steps.run(sumConfig, {x: out!}, {axis: path[i] - (allDims.length - remaining), keepDims: false});
          }
          remaining--;
        }
      }
      // An operand returned unchanged gets a new reference (the output must be its own tensor).
      return tensors.includes(out!) ? steps.run(identityConfig, {x: out!}) : out!;
    });
  },
};
