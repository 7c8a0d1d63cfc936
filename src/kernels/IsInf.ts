import {IsInf, TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import {absConfig} from './Abs.js';
import {composite, Steps} from './composite_util.js';
import {equalConfig} from './Equal.js';
import {fillTensor} from './Fill.js';
import type {NativeKernelConfig} from './types.js';

/** |x| == Infinity, as a step of a composite (float32 x). */
export function isInfStep(steps: Steps, backend: NativeCpuBackend, x: TensorInfo): TensorInfo {
  const inf = steps.track(backend.makeTensorInfo([], 'float32', new Float32Array([Infinity])));
  return steps.run(equalConfig, {a: steps.run(absConfig, {x}), b: inf});
}

export function checkNumeric(kernel: string, x: TensorInfo): void {
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
    throw new Error(`${kernel}: dtype '${x.dtype}' is not supported; supported: float32, int32, bool`);
  }
}

/** x is +-Infinity (bool output), composed of native Abs and Equal; int32 and bool are never infinite. */
export const isInfConfig: NativeKernelConfig = {
  kernelName: IsInf,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    checkNumeric(IsInf, x);
    if (x.dtype !== 'float32') return fillTensor(backend, IsInf, x.shape.slice(), false, 'bool');
    return composite(backend, (steps) => isInfStep(steps, backend, x));
  },
};
