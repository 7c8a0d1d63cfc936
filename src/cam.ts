// Class activation maps (Zhou et al., 2016; the EfficientNet paper's Figure 7): the last feature
// map before global pooling, weighted per channel by the classifier's weights for one class,
// summed over channels, ReLU'd, normalised to [0, 1] and upsampled to the image. Because the
// logit is the spatial mean of this map plus the bias, the map shows where the class evidence is.
import * as fs from 'node:fs';

import {encodePng, type RgbImage} from './image.js';

export interface ClassActivationMap {
  /** [height, width] values in [0, 1], row-major, at the network's input size. */
  heatmap: Float32Array;
  width: number;
  height: number;
  /** The map at the feature map's size, before upsampling (after ReLU, not normalised). */
  raw: Float32Array;
  rawWidth: number;
  rawHeight: number;
  /** The class the map is for. */
  classIndex: number;
}

/**
 * Computes the CAM of one image from its feature map [h, w, C] (row-major, channels last) and the
 * classifier kernel [C, numClasses].
 */
export function computeCam(
  features: Float32Array, featureShape: readonly number[], kernel: Float32Array, kernelShape: readonly number[],
  classIndex: number, outWidth: number, outHeight: number,
): ClassActivationMap {
  const [h, w, c] = featureShape.length === 4 ? featureShape.slice(1) : featureShape;
  const [kc, classes] = kernelShape;
  if (kc !== c) throw new Error(`cam: the feature map has ${c} channels but the classifier takes ${kc}`);
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classes) {
    throw new Error(`cam: class index ${classIndex} is out of range; the model has ${classes} classes (0..${classes - 1})`);
  }
  if (features.length < h * w * c) throw new Error(`cam: expected ${h * w * c} feature values, got ${features.length}`);
  const raw = new Float32Array(h * w);
  let max = 0;
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += features[p * c + ch] * kernel[ch * classes + classIndex];
    raw[p] = s > 0 ? s : 0;
    if (raw[p] > max) max = raw[p];
  }
  const norm = new Float32Array(h * w);
  if (max > 0) for (let p = 0; p < h * w; p++) norm[p] = raw[p] / max;
  return {
    heatmap: upsampleBilinear(norm, w, h, outWidth, outHeight),
    width: outWidth,
    height: outHeight,
    raw,
    rawWidth: w,
    rawHeight: h,
    classIndex,
  };
}

/** Bilinear upsampling with half-pixel centres (align_corners=False), edges clamped. */
export function upsampleBilinear(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (h / outH) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / outW) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, w - 1);
      const fx = sx - x0;
      const top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
      const bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** The 'jet' colour map: 0 dark blue, 0.5 green-yellow, 1 dark red. */
export function jet(v: number): [number, number, number] {
  const t = Math.min(Math.max(v, 0), 1);
  const ramp = (x: number) => Math.round(255 * Math.min(Math.max(1.5 - Math.abs(4 * t - x), 0), 1));
  return [ramp(3), ramp(2), ramp(1)];
}

/** Blends the heat map (as a jet colour map) over an RGB image of the same size. */
export function overlayCam(image: RgbImage, cam: ClassActivationMap, alpha = 0.5): RgbImage {
  if (image.width !== cam.width || image.height !== cam.height) {
    throw new Error(`overlayCam: the image is ${image.width}x${image.height} but the map is ${cam.width}x${cam.height}`);
  }
  const data = new Uint8Array(image.data.length);
  for (let p = 0; p < cam.width * cam.height; p++) {
    const colour = jet(cam.heatmap[p]);
    for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.round((1 - alpha) * image.data[p * 3 + c] + alpha * colour[c]);
  }
  return {data, width: image.width, height: image.height};
}

/** Writes the CAM over the image as a PNG file. */
export async function writeCamPng(file: string, image: RgbImage, cam: ClassActivationMap, alpha = 0.5): Promise<void> {
  fs.writeFileSync(file, await encodePng(overlayCam(image, cam, alpha)));
}
