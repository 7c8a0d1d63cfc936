import {type TensorInfo, util} from '@tensorflow/tfjs-core';

import {CONV_RESIDUAL_KERNEL} from '../models/conv_residual.js';
import {activationCode} from './activation.js';
import {type Conv2DKernelAttrs, conv2DInfo, epilogueOptions, requireFloat32, runConv2D} from './Conv2D.js';
import type {NativeKernelConfig} from './types.js';

const kernel = CONV_RESIDUAL_KERNEL;
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'sigmoid'];

/**
 * activation(conv2d(x, filter) + bias + residual) in one native pass: the residual is added in the
 * GEMM epilogue, before the activation. The contract is documented in src/models/conv_residual.ts.
 */
export const effnetConv2DResidualConfig: NativeKernelConfig = {
  kernelName: kernel,
  kernelFunc: ({inputs, backend, attrs}) => {
    const ins = inputs as Record<string, TensorInfo | undefined>;
    const a = (attrs ?? {}) as Record<string, unknown>;
    for (const name of ['x', 'filter', 'residual']) {
      if (ins[name] == null) throw new Error(`${kernel}: missing input '${name}'; supported: x, filter, residual, optional bias`);
    }
    const x = ins.x!;
    const filter = ins.filter!;
    const residual = ins.residual!;
    const bias = ins.bias;
    const activationName = (a.activation as string | undefined) ?? 'linear';
    if (!ACTIVATIONS.includes(activationName)) {
      throw new Error(`${kernel}: unsupported activation '${activationName}'; supported: ${ACTIVATIONS.join(', ')}`);
    }
    const activation = activationCode(kernel, activationName);
    const info = conv2DInfo(kernel, x, filter, a as unknown as Conv2DKernelAttrs);
    requireFloat32(kernel, 'residual', residual);
    if (!util.arraysEqual(residual.shape, info.outShape)) {
      throw new Error(
        `${kernel}: residual has shape [${residual.shape}]; supported: exactly the output's shape [${info.outShape}]`,
      );
    }
    if (util.sizeFromShape(info.outShape) === 0) return backend.makeOutput(info.outShape, 'float32');
    const extra = epilogueOptions(backend, kernel, info.outShape, bias, undefined, activation, activationName, undefined);
    extra.residual = backend.bufferOf(residual, kernel);
    return runConv2D(backend, kernel, 'fusedConv2d', x, filter, info, extra);
  },
};
