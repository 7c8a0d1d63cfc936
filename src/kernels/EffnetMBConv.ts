import {type TensorInfo, util} from '@tensorflow/tfjs-core';

import {MBCONV_KERNEL} from '../models/mbconv.js';
import type {NativeKernelConfig} from './types.js';

const kernel = MBCONV_KERNEL;

function fail(message: string): never {
  throw new Error(`${kernel}: ${message}`);
}

function tensor(inputs: Record<string, TensorInfo | undefined>, name: string, shape: number[]): TensorInfo {
  const t = inputs[name];
  if (t == null) fail(`missing input '${name}'`);
  if (t.dtype !== 'float32') fail(`input '${name}' has dtype ${t.dtype}; supported: float32`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(`input '${name}' has shape [${t.shape}]; expected [${shape}]`);
  }
  return t;
}

function positiveInt(attrs: Record<string, unknown>, name: string): number {
  const v = attrs[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    fail(`attribute ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function bool(attrs: Record<string, unknown>, name: string): boolean {
  const v = attrs[name];
  if (typeof v !== 'boolean') fail(`attribute ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/**
 * One whole MBConv block (expand, depthwise, squeeze-and-excitation, gated projection, residual)
 * in one native call; the contract is documented in src/models/mbconv.ts.
 */
export const effnetMBConvConfig: NativeKernelConfig = {
  kernelName: kernel,
  kernelFunc: ({inputs, backend, attrs}) => {
    const a = (attrs ?? {}) as Record<string, unknown>;
    const ins = inputs as Record<string, TensorInfo | undefined>;
    const x = ins.x;
    if (x == null) fail(`missing input 'x'`);
    if (x.dtype !== 'float32') fail(`input 'x' has dtype ${x.dtype}; supported: float32`);
    if (x.shape.length !== 4) fail(`input 'x' must be rank 4 (NHWC), got shape [${x.shape}]`);
    const [batch, inH, inW, cin] = x.shape;

    const k = positiveInt(a, 'kernelSize');
    if (k % 2 !== 1) fail(`kernelSize ${k}; supported: odd sizes`);
    const stride = a.stride;
    if (stride !== 1 && stride !== 2) fail(`stride ${String(stride)}; supported: 1, 2`);
    if (a.padding !== undefined && a.padding !== 'same' && a.padding !== 'symmetric') {
      fail(`padding '${String(a.padding)}'; supported: same, symmetric`);
    }
    if (a.activation !== undefined && a.activation !== 'swish') fail(`activation '${String(a.activation)}'; supported: swish`);
    if (a.gate !== undefined && a.gate !== 'sigmoid') fail(`gate '${String(a.gate)}'; supported: sigmoid`);
    const pads = a.pads;
    if (
      !Array.isArray(pads) ||
      pads.length !== 4 ||
      !pads.every((p) => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < k)
    ) {
      fail(`pads [${String(pads)}]; supported: [top, bottom, left, right], integers in 0..${k - 1} for a ${k}x${k} kernel`);
    }
    const [padTop, padBottom, padLeft, padRight] = pads as number[];
    const hasExpand = bool(a, 'hasExpand');
    const residual = bool(a, 'residual');
    const attrCin = positiveInt(a, 'inChannels');
    const cexp = positiveInt(a, 'expandedChannels');
    const cse = positiveInt(a, 'seChannels');
    const cout = positiveInt(a, 'outChannels');
    if (attrCin !== cin) fail(`inChannels ${attrCin} does not match x [${x.shape}]`);
    if (!hasExpand && cexp !== cin) fail(`without an expand conv expandedChannels (${cexp}) must equal inChannels (${cin})`);

    const weights: Record<string, TensorInfo> = {};
    if (hasExpand) {
      weights.expandKernel = tensor(ins, 'expandKernel', [1, 1, cin, cexp]);
      weights.expandBias = tensor(ins, 'expandBias', [cexp]);
    } else if (ins.expandKernel != null || ins.expandBias != null) {
      fail('expandKernel/expandBias given but hasExpand is false');
    }
    weights.depthwiseKernel = tensor(ins, 'depthwiseKernel', [k, k, cexp, 1]);
    weights.depthwiseBias = tensor(ins, 'depthwiseBias', [cexp]);
    weights.seReduceKernel = tensor(ins, 'seReduceKernel', [1, 1, cexp, cse]);
    weights.seReduceBias = tensor(ins, 'seReduceBias', [cse]);
    weights.seExpandKernel = tensor(ins, 'seExpandKernel', [1, 1, cse, cexp]);
    weights.seExpandBias = tensor(ins, 'seExpandBias', [cexp]);
    weights.projectKernel = tensor(ins, 'projectKernel', [1, 1, cexp, cout]);
    weights.projectBias = tensor(ins, 'projectBias', [cout]);

    if (inH + padTop + padBottom < k || inW + padLeft + padRight < k) {
      fail(`input ${inH}x${inW} is too small for a ${k}x${k} kernel with pads [${pads as number[]}]`);
    }
    const outH = Math.floor((inH + padTop + padBottom - k) / stride) + 1;
    const outW = Math.floor((inW + padLeft + padRight - k) / stride) + 1;
    if (residual && (stride !== 1 || cin !== cout || outH !== inH || outW !== inW)) {
      fail(
        `residual needs stride 1, inChannels == outChannels and an output the size of the input; ` +
          `got stride ${stride}, ${cin} -> ${cout} channels, ${inH}x${inW} -> ${outH}x${outW}`,
      );
    }
    const outShape = [batch, outH, outW, cout];
    const out = backend.makeOutput(outShape, 'float32');
    if (util.sizeFromShape(outShape) === 0) return out;
    const options: Record<string, number | boolean> = {
      x: backend.bufferOf(x, kernel),
      out: backend.bufferOf(out, kernel),
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
    };
    for (const [name, t] of Object.entries(weights)) options[name] = backend.bufferOf(t, kernel);
    try {
      backend.run('mbconv', options);
    } catch (e) {
      backend.disposeIntermediateTensorInfo(out);
      throw e;
    }
    return out;
  },
};
