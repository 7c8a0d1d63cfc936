import {Softmax, SoftmaxAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {checkDtypes, withOutput} from './binary_util.js';
import type {NativeKernelConfig} from './types.js';

/** Softmax along the last axis (dim -1 or rank - 1, as tfjs's kernel requires); float32. */
export const softmaxConfig: NativeKernelConfig = {
  kernelName: Softmax,
  kernelFunc: ({inputs, backend, attrs}) => {
    const logits = inputs.logits as TensorInfo;
    checkDtypes(Softmax, [logits], ['float32']);
    const rank = logits.shape.length;
    const {dim} = (attrs ?? {}) as unknown as SoftmaxAttrs;
    const d = dim === -1 || dim === undefined ? rank - 1 : dim;
    if (rank === 0 || d !== rank - 1) {
      throw new Error(
        `Softmax: dim ${dim} of a rank-${rank} tensor is not supported; supported: the last axis (-1 or ${rank - 1})`,
      );
    }
    const size = util.sizeFromShape(logits.shape);
    const out = backend.makeOutput(logits.shape.slice(), 'float32');
    if (size === 0) return out;
    const cols = logits.shape[rank - 1];
    return withOutput(backend, out, () =>
      backend.run('softmax', {
        logits: backend.bufferOf(logits, Softmax),
        out: backend.bufferOf(out, Softmax),
        rows: size / cols,
        cols,
      }),
    );
  },
};
