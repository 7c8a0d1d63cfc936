import {IsFinite, TensorInfo} from '@tensorflow/tfjs-core';

import {composite} from './composite_util.js';
import {fillTensor} from './Fill.js';
import {checkNumeric, isInfStep} from './IsInf.js';
import {isNanConfig} from './IsNan.js';
import {logicalNotConfig} from './LogicalNot.js';
import {logicalOrConfig} from './LogicalOr.js';
import type {NativeKernelConfig} from './types.js';

/** x is neither NaN nor +-Infinity (bool output), composed of native kernels; int32 and bool are finite. */
export const isFiniteConfig: NativeKernelConfig = {
  kernelName: IsFinite,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    checkNumeric(IsFinite, x);
    if (x.dtype !== 'float32') return fillTensor(backend, IsFinite, x.shape.slice(), true, 'bool');
    return composite(backend, (steps) => {
      const nan = steps.run(isNanConfig, {x});
      const inf = isInfStep(steps, backend, x);
      return steps.run(logicalNotConfig, {x: steps.run(logicalOrConfig, {a: nan, b: inf})});
    });
  },
};
