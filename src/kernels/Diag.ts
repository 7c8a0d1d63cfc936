import {Diag, TensorInfo, util} from '@tensorflow/tfjs-core';

import {composite} from './composite_util.js';
import {fillTensor} from './Fill.js';
import {oneHotConfig} from './OneHot.js';
import {rangeConfig} from './Range.js';
import {reshapeConfig} from './Reshape.js';
import {selectConfig} from './Select.js';
import {tileConfig} from './Tile.js';
import type {NativeKernelConfig} from './types.js';

/**
 * Diag: output [...x.shape, ...x.shape] with x's values on the diagonal of the [n, n] view and zeros
 * elsewhere (NaN stays on the diagonal only). Composed of native OneHot, Tile and Select.
 */
export const diagConfig: NativeKernelConfig = {
  kernelName: Diag,
  kernelFunc: ({inputs, backend}) => {
    const x = inputs.x as TensorInfo;
    if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
      throw new Error(`Diag: dtype '${x.dtype}' is not supported; supported: float32, int32, bool`);
    }
    const n = util.sizeFromShape(x.shape);
    const outShape = [...x.shape, ...x.shape];
    if (n === 0) return fillTensor(backend, Diag, outShape, 0, x.dtype);
    return composite(backend, (steps) => {
      const indices = steps.run(rangeConfig, {}, {start: 0, stop: n, step: 1, dtype: 'int32'});
      const eye = steps.run(oneHotConfig, {indices}, {depth: n, onValue: 1, offValue: 0, dtype: 'bool'});
      const column = steps.run(reshapeConfig, {x}, {shape: [n, 1]});
      const rows = steps.run(tileConfig, {x: column}, {reps: [1, n]});
      const zeros = steps.track(fillTensor(backend, Diag, [n, n], 0, x.dtype));
      const square = steps.run(selectConfig, {condition: eye, t: rows, e: zeros});
      return steps.run(reshapeConfig, {x: square}, {shape: outShape});
    });
  },
};
