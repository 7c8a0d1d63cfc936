import {FusedConv2D, FusedConv2DAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import {activationCode} from './activation.js';
import {Conv2DKernelAttrs, conv2DInfo, epilogueOptions, runConv2D} from './Conv2D.js';
import type {NativeKernelConfig} from './types.js';

/** Conv2D + bias + activation (incl. prelu and leakyrelu) in one native pass. */
export const fusedConv2DConfig: NativeKernelConfig = {
  kernelName: FusedConv2D,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const bias = inputs.bias as TensorInfo | undefined;
    const prelu = inputs.preluActivationWeights as TensorInfo | undefined;
    const a = attrs as unknown as FusedConv2DAttrs;
    const info = conv2DInfo(FusedConv2D, x, filter, a as unknown as Conv2DKernelAttrs);
    const activation = activationCode(FusedConv2D, a.activation);
    if (util.sizeFromShape(info.outShape) === 0) return backend.makeOutput(info.outShape, 'float32');
    const extra = epilogueOptions(
      backend, FusedConv2D, info.outShape, bias, prelu, activation, a.activation, a.leakyreluAlpha,
    );
    return runConv2D(backend, FusedConv2D, 'fusedConv2d', x, filter, info, extra);
  },
};
