import {MirrorPad, MirrorPadAttrs, TensorInfo} from '@tensorflow/tfjs-core';

import {checkDtype} from './layout_util.js';
import {paddedShape, runPad} from './PadV2.js';
import type {NativeKernelConfig} from './types.js';

/** MirrorPad: 'reflect' (edge not repeated) or 'symmetric' (edge repeated) padding. */
export const mirrorPadConfig: NativeKernelConfig = {
  kernelName: MirrorPad,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {paddings, mode} = attrs as unknown as MirrorPadAttrs;
    checkDtype(MirrorPad, x.dtype, false);
    if (mode !== 'reflect' && mode !== 'symmetric') {
      throw new Error(`MirrorPad: mode '${mode}' is not supported; supported: reflect, symmetric`);
    }
    const outShape = paddedShape(MirrorPad, x.shape, paddings);
    const offset = mode === 'reflect' ? 0 : 1;
    paddings.forEach(([before, after], k) => {
      if (before > x.shape[k] - 1 + offset || after > x.shape[k] - 1 + offset) {
        throw new Error(
          `MirrorPad: paddings [${before}, ${after}] of dimension ${k} (size ${x.shape[k]}) are too large for ` +
            `'${mode}' mode; supported: at most ${x.shape[k] - 1 + offset}`,
        );
      }
    });
    return runPad(backend, MirrorPad, 'mirrorPad', x, outShape, paddings, {offset});
  },
};
