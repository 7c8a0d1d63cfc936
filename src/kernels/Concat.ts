import {Concat, ConcatAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {concat2D, normalizeAxis, shareStorage} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Concat: inputs viewed as [outer, inner_i] are copied side by side (empty inputs are skipped). */
export const concatConfig: NativeKernelConfig = {
  kernelName: Concat,
  kernelFunc: ({inputs, backend, attrs}) => {
    const list = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as TensorInfo[];
    const {axis} = attrs as unknown as ConcatAttrs;
    if (list.length === 0) throw new Error('Concat: no inputs; supported: one or more tensors');
    const shape0 = list[0].shape;
    const rank = shape0.length;
    const $axis = normalizeAxis(Concat, Array.isArray(axis) ? axis[0] : axis, rank);
    list.forEach((t, i) => {
      const matches = t.shape.length === rank && t.shape.every((d, k) => k === $axis || d === shape0[k]);
      if (!matches) {
        throw new Error(
          `Concat: input ${i} has shape [${t.shape}] but input 0 has [${shape0}]; ` +
            `supported: equal ranks and equal dimensions except along axis ${$axis}`,
        );
      }
    });
    const outShape = shape0.slice();
    outShape[$axis] = list.reduce((sum, t) => sum + t.shape[$axis], 0);
    const nonEmpty = list.filter((t) => util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length === 1 && list.every((t) => t.dtype === nonEmpty[0].dtype)) {
      return shareStorage(backend, nonEmpty[0], outShape);
    }
    const outer = util.sizeFromShape(shape0.slice(0, $axis));
    const inner = list.map((t) => util.sizeFromShape(t.shape.slice($axis)));
    return concat2D(backend, Concat, 'concat', list, outer, inner, outShape);
  },
};
