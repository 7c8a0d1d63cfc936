import {backend_util, Selu, TensorInfo} from '@tensorflow/tfjs-core';

import {castConfig} from './Cast.js';
import {composite} from './composite_util.js';
import {eluConfig} from './Elu.js';
import {greaterEqualConfig} from './GreaterEqual.js';
import {multiplyConfig} from './Multiply.js';
import {selectConfig} from './Select.js';
import type {NativeKernelConfig} from './types.js';

/**
 * selu(x) = x >= 0 ? scale * x : scale * alpha * (exp(x) - 1), composed of native Elu, Multiply,
 * GreaterEqual and Select (NaN stays NaN). int32 input is computed in float32 and cast back, as
 * tfjs-backend-cpu stores its result in the input's dtype.
 */
export const seluConfig: NativeKernelConfig = {
  kernelName: Selu,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`Selu: dtype '${x.dtype}' is not supported; supported: float32, int32`);
    }
    return composite(backend, (steps) => {
      const xf = x.dtype === 'float32' ? x : steps.run(castConfig, {x}, {dtype: 'float32'});
      const scalar = (v: number) => steps.track(backend.makeTensorInfo([], 'float32', new Float32Array([v])));
      const positive = steps.run(greaterEqualConfig, {a: xf, b: scalar(0)});
      const linear = steps.run(multiplyConfig, {a: xf, b: scalar(backend_util.SELU_SCALE)});
      const exponential = steps.run(multiplyConfig, {a: steps.run(eluConfig, {x: xf}), b: scalar(backend_util.SELU_SCALEALPHA)});
      const y = steps.run(selectConfig, {condition: positive, t: linear, e: exponential});
      return x.dtype === 'float32' ? y : steps.run(castConfig, {x: y}, {dtype: x.dtype});
    });
  },
};
