import type {TensorInfo} from '@tensorflow/tfjs-core';

import {STEM_MBCONV_KERNEL} from '../models/stem_mbconv.js';
import {runMBConvBlock} from './EffnetMBConv.js';
import {bool, fail, floatInput, type FusedInputs, nhwcInput, positiveInt} from './fused_util.js';
import {runIfPrepared} from './mbconv_prepared.js';
import type {NativeKernelConfig} from './types.js';

const kernel = STEM_MBCONV_KERNEL;

/**
 * The stem conv and the first MBConv block in one native call: the stem's output rows are computed
 * as the block's depthwise conv needs them and never stored. The contract is documented in
 * src/models/stem_mbconv.ts.
 */
export const effnetStemMBConvConfig: NativeKernelConfig = {
  kernelName: kernel,
  kernelFunc: ({inputs, backend, attrs}) => {
    const a = (attrs ?? {}) as Record<string, unknown>;
    const ins = inputs as FusedInputs;
    const done = runIfPrepared(kernel, backend, ins, a);
    if (done != null) return done;
    const x = nhwcInput(kernel, ins);
    const [batch, inH, inW, inC] = x.shape;
    const k = positiveInt(kernel, a, 'stemKernelSize');
    const stride = positiveInt(kernel, a, 'stemStride');
    if (k > 15 || stride > 15) fail(kernel, `stem ${k}x${k} stride ${stride}; supported: kernel sizes and strides 1..15`);
    if (k * inC > 48) fail(kernel, `stem filter width x input channels ${k * inC} (x [${x.shape}]); supported: up to 48`);
    const pads = a.stemPads;
    if (!Array.isArray(pads) || pads.length !== 4 || !pads.every((p) => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < k)) {
      fail(kernel, `stemPads [${String(pads)}]; supported: [top, bottom, left, right], integers in 0..${k - 1} for a ${k}x${k} stem`);
    }
    const [top, bottom, left, right] = pads as number[];
    if (bool(kernel, a, 'hasExpand') || bool(kernel, a, 'residual')) {
      fail(kernel, 'the block after the stem must have no expand conv and no residual');
    }
    if (inH + top + bottom < k || inW + left + right < k) {
      fail(kernel, `image ${inH}x${inW} is too small for a ${k}x${k} stem with pads [${pads as number[]}]`);
    }
    const cin = positiveInt(kernel, a, 'inChannels');
    const stemKernel: TensorInfo = floatInput(kernel, ins, 'stemKernel', [k, k, inC, cin]);
    const stemBias: TensorInfo = floatInput(kernel, ins, 'stemBias', [cin]);
    const outH = Math.floor((inH + top + bottom - k) / stride) + 1;
    const outW = Math.floor((inW + left + right - k) / stride) + 1;
    return runMBConvBlock(kernel, backend, ins, a, x, [batch, outH, outW, cin], {
      options: {
        hasStem: true,
        stemInH: inH,
        stemInW: inW,
        stemInChannels: inC,
        stemKernelSize: k,
        stemStride: stride,
        stemPadTop: top,
        stemPadLeft: left,
      },
      weights: {stemKernel, stemBias},
    });
  },
};
