// Image preprocessing: torchvision's eval transform (PIL resize, centre crop, ToTensor, Normalize)
// reproduced on the committed fixture; the TF crop; decoding of PNG, JPEG and WebP; error messages.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import sharp from 'sharp';
import {describe, expect, it} from 'vitest';

import {
  cropForModel, cropImage, decodeImage, IMAGENET_MEAN, IMAGENET_STD, preprocessBatch, preprocessImage, resizeImage,
  type RgbImage,
} from '../src/image.js';
import {readSafetensors} from '../src/weights/safetensors.js';

const FIXTURES = path.join(__dirname, 'fixtures');
const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'preprocess.json'), 'utf8'));
const refs = readSafetensors(path.join(FIXTURES, 'preprocess.ref.safetensors')).tensors;
const image = path.join(FIXTURES, config.image);

/** Undoes the normalisation: values in [0, 1] units. */
function unnormalize(data: Float32Array): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * IMAGENET_STD[i % 3] + IMAGENET_MEAN[i % 3];
  return out;
}

/** Index of the first differing element, or -1 (large arrays: no slow diff on failure). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 255) / Math.max(1, width - 1);
      data[o + 1] = (y * 255) / Math.max(1, height - 1);
      data[o + 2] = (x * 31 + y * 17) % 256;
    }
  }
  return {data, width, height};
}

describe('torchvision eval preprocessing (fixture from scripts/fixtures/generate.py)', () => {
  for (const interpolation of ['bilinear', 'bicubic'] as const) {
    it(`${interpolation}: Resize(${config.resizeShorterSideTo}) + CenterCrop(${config.resolution}) within 1/255 per pixel`, async () => {
      const ref = refs.get(interpolation)!;
      expect(ref.shape).toEqual([1, config.resolution, config.resolution, 3]);
      const ours = await preprocessImage(image, {resolution: config.resolution, mode: 'torchvision', interpolation});
      expect(ours.data.length).toBe(ref.data.length);
      const a = unnormalize(ours.data);
      const b = unnormalize(ref.data as Float32Array);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      expect(maxDiff).toBeLessThanOrEqual(1 / 255 + 1e-6);
      // The normalised values themselves, too (float32 rounding only, where the pixels agree).
      let exact = 0;
      for (let i = 0; i < a.length; i++) if (Math.abs(ours.data[i] - (ref.data as Float32Array)[i]) < 1e-6) exact++;
      expect(exact / a.length).toBeGreaterThan(0.99);
    });
  }

  it('a wrong resolution or interpolation does not match (the comparison can fail)', async () => {
    const ref = refs.get('bilinear')!.data as Float32Array;
    const other = await preprocessImage(image, {resolution: config.resolution, mode: 'torchvision', interpolation: 'bicubic'});
    const tfCrop = await preprocessImage(image, {resolution: config.resolution, mode: 'tf'});
    for (const d of [other.data, tfCrop.data]) {
      let maxDiff = 0;
      for (let i = 0; i < d.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d[i] - ref[i]));
      expect(maxDiff).toBeGreaterThan(2 / 255 / 0.229);
    }
  });
});

describe('resize and crop geometry', () => {
  it('resizing to the same size is the identity; shrinking a constant image keeps it constant', () => {
    const img = gradient(13, 9);
    expect(firstDifference(resizeImage(img, 13, 9).data, img.data)).toBe(-1);
    const flat: RgbImage = {data: new Uint8Array(20 * 10 * 3).fill(77), width: 20, height: 10};
    for (const interp of ['bilinear', 'bicubic'] as const) {
      expect([...new Set(resizeImage(flat, 7, 4, interp).data)]).toEqual([77]);
      expect([...new Set(resizeImage(flat, 31, 17, interp).data)]).toEqual([77]);
    }
  });

  it('torchvision mode: shorter side to floor(res / 0.875), centre crop res x res', () => {
    // 300x200 -> shorter side 256 (384x256) -> crop 224 at (80, 16).
    const img = gradient(300, 200);
    const crop = cropForModel(img, {resolution: 224, mode: 'torchvision'});
    expect([crop.width, crop.height]).toEqual([224, 224]);
    const resized = resizeImage(img, 384, 256, 'bilinear');
    expect(crop.data.subarray(0, 6)).toEqual(resized.data.subarray((16 * 384 + 80) * 3, (16 * 384 + 80) * 3 + 6));
    // Portrait images crop vertically.
    const tall = cropForModel(gradient(50, 90), {resolution: 32, mode: 'torchvision'});
    expect([tall.width, tall.height]).toEqual([32, 32]);
  });

  it('tf mode: centre crop res / (res + 32) of the shorter side, then resize', () => {
    const img = gradient(300, 200);
    const crop = cropForModel(img, {resolution: 224, mode: 'tf'});
    expect([crop.width, crop.height]).toEqual([224, 224]);
    // crop size floor(224 / 256 * 200) = 175 at ((300 - 175 + 1) / 2, (200 - 175 + 1) / 2) = (63, 13).
    const manual = resizeImage(cropImage(img, 63, 13, 175, 175), 224, 224, 'bicubic');
    expect(firstDifference(crop.data, manual.data)).toBe(-1);
  });

  it('batches stack images in order', async () => {
    const a = gradient(40, 30);
    const b = gradient(30, 40);
    const batch = await preprocessBatch([a, b], {resolution: 16});
    expect(batch.shape).toEqual([2, 16, 16, 3]);
    const one = await preprocessImage(b, {resolution: 16});
    expect(firstDifference(batch.data.subarray(16 * 16 * 3), one.data)).toBe(-1);
  });
});

describe('decoding', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'effnet-image-'));
  const img = gradient(21, 14);
  const raw = () => sharp(Buffer.from(img.data), {raw: {width: 21, height: 14, channels: 3}});

  it('PNG (lossless) files and buffers decode to the same pixels', async () => {
    const file = path.join(dir, 'a.png');
    await raw().png().toFile(file);
    expect(firstDifference((await decodeImage(file)).data, img.data)).toBe(-1);
    expect(firstDifference((await decodeImage(fs.readFileSync(file))).data, img.data)).toBe(-1);
  });

  it('JPEG and WebP decode to RGB of the right size', async () => {
    for (const [name, enc] of [['a.jpg', raw().jpeg({quality: 95})], ['a.webp', raw().webp({quality: 95})]] as const) {
      const file = path.join(dir, name);
      await enc.toFile(file);
      const d = await decodeImage(file);
      expect([d.width, d.height, d.data.length]).toEqual([21, 14, 21 * 14 * 3]);
      // Lossy: the smooth red and green ramps survive closely (the blue channel is noise).
      let sum = 0;
      for (let i = 0; i < d.data.length; i += 3) sum += Math.abs(d.data[i] - img.data[i]) + Math.abs(d.data[i + 1] - img.data[i + 1]);
      expect(sum / ((d.data.length / 3) * 2)).toBeLessThan(8);
    }
  });

  it('greyscale and RGBA images become RGB', async () => {
    const grey = path.join(dir, 'g.png');
    await sharp(Buffer.alloc(6 * 4, 99), {raw: {width: 6, height: 4, channels: 1}}).png().toFile(grey);
    const g = await decodeImage(grey);
    expect(g.data.length).toBe(6 * 4 * 3);
    expect([...new Set(g.data)]).toEqual([99]);
    const rgba = path.join(dir, 'a4.png');
    await sharp(Buffer.alloc(5 * 3 * 4, 200), {raw: {width: 5, height: 3, channels: 4}}).png().toFile(rgba);
    expect((await decodeImage(rgba)).data.length).toBe(5 * 3 * 3);
  });

  it('errors: missing file, not an image, wrong raw size', async () => {
    await expect(decodeImage(path.join(dir, 'nope.png'))).rejects.toThrow(/nope\.png'?: file not found/);
    const text = path.join(dir, 'x.png');
    fs.writeFileSync(text, 'hello, not an image');
    await expect(decodeImage(text)).rejects.toThrow(/is not an image.*JPEG, PNG, WebP/);
    await expect(decodeImage(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not an image/);
    await expect(decodeImage({data: new Uint8Array(5), width: 2, height: 2})).rejects.toThrow(/needs 12 bytes/);
  });
});
