import {ResizeBilinear, ResizeBilinearAttrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeKernelConfig} from './types.js';

/** Bilinear resize of NHWC images (float32 or int32 in, float32 out), tfjs-backend-cpu's mapping. */
export const resizeBilinearConfig: NativeKernelConfig = {
  kernelName: ResizeBilinear,
  kernelFunc: ({inputs, backend, attrs}) => {
    const kernel = ResizeBilinear;
    const images = inputs.images as TensorInfo;
    const {alignCorners, halfPixelCenters, size} = attrs as unknown as ResizeBilinearAttrs;
    if (images == null) throw new Error(`${kernel}: missing input 'images'`);
    if (images.dtype !== 'float32' && images.dtype !== 'int32') {
      throw new Error(`${kernel}: input 'images' has dtype ${images.dtype}; supported: float32, int32`);
    }
    if (images.shape.length !== 4) {
      throw new Error(`${kernel}: input 'images' must be rank 4 (NHWC), got shape [${images.shape}]`);
    }
    if (!Array.isArray(size) || size.length !== 2 || !size.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new Error(`${kernel}: size must be [newHeight, newWidth] of non-negative integers, got ${JSON.stringify(size)}`);
    }
    const [batch, inH, inW, channels] = images.shape;
    const [outH, outW] = size;
    const outShape = [batch, outH, outW, channels];
    const out = backend.makeOutput(outShape, 'float32');
    if (util.sizeFromShape(outShape) === 0) return out;
    if (inH === 0 || inW === 0) {
      throw new Error(`${kernel}: cannot resize empty images [${images.shape}] to [${size}]`);
    }
    backend.run('resizeBilinear', {
      x: backend.bufferOf(images, kernel),
      out: backend.bufferOf(out, kernel),
      dtype: images.dtype,
      batch,
      inH,
      inW,
      channels,
      outH,
      outW,
      alignCorners: Boolean(alignCorners),
      halfPixelCenters: Boolean(halfPixelCenters),
    });
    return out;
  },
};
