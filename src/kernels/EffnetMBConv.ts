import {type TensorInfo, util} from '@tensorflow/tfjs-core';

import {MBCONV_KERNEL} from '../models/mbconv.js';
import {bool, fail, floatInput, type FusedInputs, nhwcInput, positiveInt, runFused} from './fused_util.js';
import {runIfPrepared, runPrepared} from './mbconv_prepared.js';
import type {NativeCpuBackend} from '../backend.js';
import type {NativeKernelConfig} from './types.js';

const kernel = MBCONV_KERNEL;

/**
 * Checks the block's attributes and weights for a block input of `blockShape` ([N, H, W, Cin]: x's
 * shape, or the stem's output for EffnetStemMBConv) and runs the addon's `mbconv` entry on `x` with
 * them and `extra` (options and weights of the stem). Returns the output.
 */
export function runMBConvBlock(
  kernel: string,
  backend: NativeCpuBackend,
  ins: FusedInputs,
  a: Record<string, unknown>,
  x: TensorInfo,
  blockShape: [number, number, number, number],
  extra: {options: Record<string, number | boolean>; weights: Record<string, TensorInfo>} = {options: {}, weights: {}},
): TensorInfo {
  const [batch, inH, inW, cin] = blockShape;

  const k = positiveInt(kernel, a, 'kernelSize');
  if (k % 2 !== 1) fail(kernel, `kernelSize ${k}; supported: odd sizes`);
  const stride = a.stride;
  if (stride !== 1 && stride !== 2) fail(kernel, `stride ${String(stride)}; supported: 1, 2`);
  if (a.padding !== undefined && a.padding !== 'same' && a.padding !== 'symmetric') {
    fail(kernel, `padding '${String(a.padding)}'; supported: same, symmetric`);
  }
  if (a.activation !== undefined && a.activation !== 'swish') fail(kernel, `activation '${String(a.activation)}'; supported: swish`);
  if (a.gate !== undefined && a.gate !== 'sigmoid') fail(kernel, `gate '${String(a.gate)}'; supported: sigmoid`);
  const pads = a.pads;
  if (
    !Array.isArray(pads) ||
    pads.length !== 4 ||
    !pads.every((p) => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < k)
  ) {
    fail(kernel, `pads [${String(pads)}]; supported: [top, bottom, left, right], integers in 0..${k - 1} for a ${k}x${k} kernel`);
  }
  const [padTop, padBottom, padLeft, padRight] = pads as number[];
  const hasExpand = bool(kernel, a, 'hasExpand');
  const residual = bool(kernel, a, 'residual');
  const attrCin = positiveInt(kernel, a, 'inChannels');
  const cexp = positiveInt(kernel, a, 'expandedChannels');
  const cse = positiveInt(kernel, a, 'seChannels');
  const cout = positiveInt(kernel, a, 'outChannels');
  if (attrCin !== cin) fail(kernel, `inChannels ${attrCin} does not match the block's input [${blockShape}]`);
  if (!hasExpand && cexp !== cin) fail(kernel, `without an expand conv expandedChannels (${cexp}) must equal inChannels (${cin})`);

  const weights: Record<string, TensorInfo> = {...extra.weights};
  if (hasExpand) {
    weights.expandKernel = floatInput(kernel, ins, 'expandKernel', [1, 1, cin, cexp]);
    weights.expandBias = floatInput(kernel, ins, 'expandBias', [cexp]);
  } else if (ins.expandKernel != null || ins.expandBias != null) {
    fail(kernel, 'expandKernel/expandBias given but hasExpand is false');
  }
  weights.depthwiseKernel = floatInput(kernel, ins, 'depthwiseKernel', [k, k, cexp, 1]);
  weights.depthwiseBias = floatInput(kernel, ins, 'depthwiseBias', [cexp]);
  weights.seReduceKernel = floatInput(kernel, ins, 'seReduceKernel', [1, 1, cexp, cse]);
  weights.seReduceBias = floatInput(kernel, ins, 'seReduceBias', [cse]);
  weights.seExpandKernel = floatInput(kernel, ins, 'seExpandKernel', [1, 1, cse, cexp]);
  weights.seExpandBias = floatInput(kernel, ins, 'seExpandBias', [cexp]);
  weights.projectKernel = floatInput(kernel, ins, 'projectKernel', [1, 1, cexp, cout]);
  weights.projectBias = floatInput(kernel, ins, 'projectBias', [cout]);

  if (inH + padTop + padBottom < k || inW + padLeft + padRight < k) {
    fail(kernel, `input ${inH}x${inW} is too small for a ${k}x${k} kernel with pads [${pads as number[]}]`);
  }
  const outH = Math.floor((inH + padTop + padBottom - k) / stride) + 1;
  const outW = Math.floor((inW + padLeft + padRight - k) / stride) + 1;
  if (residual && (stride !== 1 || cin !== cout || outH !== inH || outW !== inW)) {
    fail(
      kernel,
      `residual needs stride 1, inChannels == outChannels and an output the size of the input; ` +
        `got stride ${stride}, ${cin} -> ${cout} channels, ${inH}x${inW} -> ${outH}x${outW}`,
    );
  }
  const outShape = [batch, outH, outW, cout];
  const out = backend.makeOutput(outShape, 'float32');
  if (util.sizeFromShape(outShape) === 0) return out;
  const options = {
    batch,
    inH,
    inW,
    inChannels: cin,
    expandedChannels: cexp,
    seChannels: cse,
    outChannels: cout,
    kernelSize: k,
    stride,
    padTop,
    padBottom,
    padLeft,
    padRight,
    outH,
    outW,
    hasExpand,
    residual,
    ...extra.options,
  };
  // The addon prepares the block for the eager calls after this one (src/kernels/mbconv_prepared.ts).
  return runFused(backend, kernel, 'mbconv', x, out, options, weights, (all) => runPrepared(kernel, backend, ins, a, x, out, all));
}

/**
 * One whole MBConv block (expand, depthwise, squeeze-and-excitation, gated projection, residual)
 * in one native call; the contract is documented in src/models/mbconv.ts.
 */
export const effnetMBConvConfig: NativeKernelConfig = {
  kernelName: kernel,
  kernelFunc: ({inputs, backend, attrs}) => {
    const ins = inputs as FusedInputs;
    const a = (attrs ?? {}) as Record<string, unknown>;
    const done = runIfPrepared(kernel, backend, ins, a);
    if (done != null) return done;
    const x = nhwcInput(kernel, ins);
    const [batch, inH, inW, cin] = x.shape;
    return runMBConvBlock(kernel, backend, ins, a, x, [batch, inH, inW, cin]);
  },
};
