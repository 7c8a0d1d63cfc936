import {_FusedMatMul, _FusedMatMulAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {activationCode} from './activation.js';
import {matMulInfo, runMatMul} from './BatchMatMul.js';
import {epilogueOptions} from './Conv2D.js';
import type {NativeKernelConfig} from './types.js';

/** MatMul + bias + activation (incl. prelu and leakyrelu) in one native pass; b's packing is cached. */
export const _fusedMatMulConfig: NativeKernelConfig = {
  kernelName: _FusedMatMul,
  kernelFunc: ({inputs, backend, attrs}) => {
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const bias = inputs.bias as TensorInfo | undefined;
    const prelu = inputs.preluActivationWeights as TensorInfo | undefined;
    const at = attrs as unknown as _FusedMatMulAttrs;
    const transposeA = Boolean(at.transposeA);
    const transposeB = Boolean(at.transposeB);
    const info = matMulInfo(_FusedMatMul, a, b, transposeA, transposeB);
    const activation = activationCode(_FusedMatMul, at.activation);
    if (util.sizeFromShape(info.outShape) === 0) return backend.makeOutput(info.outShape, 'float32');
    const extra = epilogueOptions(
      backend, _FusedMatMul, info.outShape, bias, prelu, activation, at.activation, at.leakyreluAlpha,
    );
    // An unbatched b (a Dense layer's kernel; tfjs-core reshapes it to [1, k, n], sharing its storage)
    // is a weight: its packed form is cached until the tensor is disposed.
    extra.cacheB = info.batchB === 1;
    return runMatMul(backend, _FusedMatMul, 'fusedMatMul', a, b, info, transposeA, transposeB, extra);
  },
};
