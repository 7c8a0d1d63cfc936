import type {backend_util} from '@tensorflow/tfjs-core';

/**
 * The sliding-window geometry the native convolution, depthwise and pooling entries read: batch,
 * input and output sizes, filter size, strides, dilations and the top/left padding (bottom/right
 * padding follows from the sizes).
 */
export function windowOptions(info: backend_util.Conv2DInfo): Record<string, number> {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
