// Image input: decode JPEG / PNG / WebP files or buffers with sharp (loaded lazily, an optional
// dependency), then resize, centre-crop and normalise them the way a weight family was trained:
//
//   torchvision (torchvision and timm weights, ResNets): resize the shorter side to
//     floor(res / 0.875) (the longer side keeps the aspect ratio, truncated), centre crop res x res
//     (offsets rounded half to even, as Python's round), scale to [0, 1], subtract the ImageNet
//     mean and divide by its standard deviation. Interpolation: bilinear or bicubic.
//   tf (Keras / TF / timm tf_ weights, the EfficientNet reference's eval preprocessing): centre
//     crop a square of floor(res / (res + 32) * shorter side) (offset ((side - crop) + 1) / 2),
//     resize it to res x res with bicubic interpolation, then the same normalisation.
//
// Resizing is done here, not by libvips: it reproduces Pillow's resampling (Image.resize, which
// torchvision's PIL path calls) exactly: separable filters widened by the scale factor when
// shrinking (antialiasing), coefficients in 22-bit fixed point, the horizontal pass first with
// 8-bit rounding between the passes. torchvision's eval transform is matched to the integer.
import * as fs from 'node:fs';

/** An 8-bit RGB image, rows top to bottom, 3 interleaved channels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** What the image functions take: a file path, the bytes of an encoded image, or decoded RGB. */
export type ImageInput = string | Uint8Array | RgbImage;

export type Interpolation = 'bilinear' | 'bicubic';
export type PreprocessMode = 'torchvision' | 'tf';

export interface PreprocessOptions {
  /** Output size (res x res). */
  resolution: number;
  /** 'torchvision' (resize to res / 0.875, centre crop) or 'tf' (centre crop with 32 px padding, resize). */
  mode?: PreprocessMode;
  /** Default: bilinear for 'torchvision', bicubic for 'tf'. */
  interpolation?: Interpolation;
  /** torchvision's crop fraction (0.875). */
  cropFraction?: number;
  /** TF's crop padding (32). */
  cropPadding?: number;
  /** Per-channel mean and standard deviation in [0, 1] units (ImageNet's by default). */
  mean?: readonly number[];
  std?: readonly number[];
}

export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

/** One preprocessed image: the network input and the RGB crop it was made from. */
export interface PreprocessedImage {
  /** [res, res, 3] normalised float32, NHWC order. */
  data: Float32Array;
  /** The resized and cropped image before normalisation (what the network sees), res x res. */
  crop: RgbImage;
}

// ---------------------------------------------------------------------------------------------
// sharp, loaded on first use.

// sharp's types say `export =`: as an ES module import that is the `default` export, compiled as
// CommonJS the module itself (the package's CommonJS build compiles this file too).
type SharpImport = typeof import('sharp');
type SharpModule = SharpImport extends {default: infer D} ? D : SharpImport;
let sharpPromise: Promise<SharpModule> | undefined;

/** Loads sharp (an optional dependency); the error says how to install it. */
export async function loadSharp(): Promise<SharpModule> {
  sharpPromise ??= import('sharp')
    .then((m) => ((m as unknown as {default?: SharpModule}).default ?? m) as SharpModule)
    .catch((e: Error) => {
      sharpPromise = undefined;
      throw new Error(
        `effnet-native: reading and writing images needs the 'sharp' package, which could not be loaded ` +
          `(${e.message.split('\n')[0]}). Install it with: npm install sharp`,
      );
    });
  return sharpPromise;
}

function isRgbImage(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) &&
    (x as RgbImage).data instanceof Uint8Array && Number.isInteger((x as RgbImage).width) && Number.isInteger((x as RgbImage).height);
}

/** A short description of an input for error messages. */
export function describeInput(input: ImageInput): string {
  if (typeof input === 'string') return `'${input}'`;
  if (input instanceof Uint8Array) return `<buffer of ${input.length} bytes>`;
  return `<${input.width}x${input.height} RGB image>`;
}

/**
 * Decodes an image to 8-bit RGB: JPEG, PNG, WebP (and whatever else sharp reads). Alpha is dropped
 * (as PIL's convert('RGB') does), greyscale is expanded to three channels. EXIF orientation is not
 * applied (PIL, and so torchvision, does not apply it either).
 */
export async function decodeImage(input: ImageInput): Promise<RgbImage> {
  if (isRgbImage(input)) {
    if (input.data.length !== input.width * input.height * 3) {
      throw new Error(`decodeImage: an RGB image of ${input.width}x${input.height} needs ${input.width * input.height * 3} bytes, got ${input.data.length}`);
    }
    return input;
  }
  const label = describeInput(input);
  if (typeof input === 'string') {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      throw new Error(`${label}: file not found`);
    }
    if (!stat.isFile()) throw new Error(`${label}: not a file`);
  } else if (!(input instanceof Uint8Array)) {
    throw new Error(`decodeImage: expected a file path, a Buffer/Uint8Array of an encoded image or {data, width, height}, got ${typeof input}`);
  }
  const sharp = await loadSharp();
  let out: {data: Buffer; info: {width: number; height: number; channels: number}};
  try {
    out = await sharp(input as string | Buffer, {failOn: 'error'})
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({resolveWithObject: true});
  } catch (e) {
    const msg = (e as Error).message;
    if (/unsupported image format|bad seek|Input (buffer|file) (is empty|contains)|VipsForeignLoad|premature end|not a known/i.test(msg)) {
      throw new Error(`${label} is not an image sharp can read (supported: JPEG, PNG, WebP): ${msg.split('\n')[0]}`);
    }
    throw new Error(`${label}: cannot decode the image: ${msg.split('\n')[0]}`);
  }
  const {width, height, channels} = out.info;
  const src = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
  if (channels === 3) return {data: new Uint8Array(src), width, height};
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = src[i * channels + Math.min(c, channels - 1)];
  }
  return {data, width, height};
}

// ---------------------------------------------------------------------------------------------
// Pillow-compatible resampling (libImaging/Resample.c).

interface Filter {
  support: number;
  fn(x: number): number;
}

const FILTERS: Record<Interpolation, Filter> = {
  bilinear: {
    support: 1,
    fn: (x) => {
      x = Math.abs(x);
      return x < 1 ? 1 - x : 0;
    },
  },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

interface Coefficients {
  ksize: number;
  /** Per output index: first input index and count. */
  bounds: Int32Array;
  /** Fixed-point coefficients, ksize per output index. */
  kk: Int32Array;
}

function precomputeCoefficients(inSize: number, in0: number, in1: number, outSize: number, filter: Filter): Coefficients {
  const scale = (in1 - in0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    k.fill(0);
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      if (ww !== 0) k[x] /= ww;
    }
    for (let x = 0; x < ksize; x++) {
      kk[xx * ksize + x] = k[x] < 0 ? Math.trunc(-0.5 + k[x] * ONE) : Math.trunc(0.5 + k[x] * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return {ksize, bounds, kk};
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes an RGB image to width x height as Pillow's Image.resize(size, filter, box) does (box: the
 * source region [x0, y0, x1, y1], default the whole image).
 */
export function resizeImage(
  img: RgbImage, width: number, height: number, interpolation: Interpolation = 'bilinear',
  box: readonly [number, number, number, number] = [0, 0, img.width, img.height],
): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resizeImage: size must be positive integers, got ${width}x${height}`);
  }
  const filter = FILTERS[interpolation];
  if (!filter) throw new Error(`resizeImage: unknown interpolation '${interpolation}'; supported: bilinear, bicubic`);
  const needH = width !== img.width || box[0] !== 0 || box[2] !== width;
  const needV = height !== img.height || box[1] !== 0 || box[3] !== height;
  const horiz = precomputeCoefficients(img.width, box[0], box[2], width, filter);
  const vert = precomputeCoefficients(img.height, box[1], box[3], height, filter);
  let src = img;
  if (needH) {
    // Only the rows the vertical pass reads.
    const first = vert.bounds[0];
    const last = vert.bounds[height * 2 - 2] + vert.bounds[height * 2 - 1];
    const rows = needV ? last - first : img.height;
    const rowOffset = needV ? first : 0;
    if (needV) for (let i = 0; i < height; i++) vert.bounds[i * 2] -= first;
    const out = new Uint8Array(width * rows * 3);
    const {ksize, bounds, kk} = horiz;
    for (let y = 0; y < rows; y++) {
      const inRow = (y + rowOffset) * img.width * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2];
        const xmax = bounds[xx * 2 + 1];
        let s0 = ONE / 2;
        let s1 = ONE / 2;
        let s2 = ONE / 2;
        for (let x = 0; x < xmax; x++) {
          const w = kk[xx * ksize + x];
          const p = inRow + (x + xmin) * 3;
          s0 += img.data[p] * w;
          s1 += img.data[p + 1] * w;
          s2 += img.data[p + 2] * w;
        }
        const o = (y * width + xx) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    src = {data: out, width, height: rows};
  }
  if (needV) {
    const out = new Uint8Array(src.width * height * 3);
    const {ksize, bounds, kk} = vert;
    const stride = src.width * 3;
    for (let yy = 0; yy < height; yy++) {
      const ymin = bounds[yy * 2];
      const ymax = bounds[yy * 2 + 1];
      for (let x = 0; x < src.width; x++) {
        let s0 = ONE / 2;
        let s1 = ONE / 2;
        let s2 = ONE / 2;
        for (let y = 0; y < ymax; y++) {
          const w = kk[yy * ksize + y];
          const p = (y + ymin) * stride + x * 3;
          s0 += src.data[p] * w;
          s1 += src.data[p + 1] * w;
          s2 += src.data[p + 2] * w;
        }
        const o = (yy * src.width + x) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    src = {data: out, width: src.width, height};
  }
  return src === img ? {data: new Uint8Array(img.data), width: img.width, height: img.height} : src;
}

/** Copies the region [left, top, left + width, top + height) (inside the image). */
export function cropImage(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height || width < 1 || height < 1) {
    throw new Error(`cropImage: region ${width}x${height} at (${left}, ${top}) is outside the ${img.width}x${img.height} image`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return {data, width, height};
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The resized and cropped RGB image a network of `resolution` sees (before normalisation). */
export function cropForModel(img: RgbImage, options: PreprocessOptions): RgbImage {
  const res = options.resolution;
  if (!Number.isInteger(res) || res < 1) throw new Error(`preprocess: resolution must be a positive integer, got ${res}`);
  const mode = options.mode ?? 'torchvision';
  if (mode === 'torchvision') {
    const interpolation = options.interpolation ?? 'bilinear';
    const size = Math.floor(res / (options.cropFraction ?? 0.875));
    // torchvision.transforms.Resize(size): the shorter side becomes `size`, the longer is truncated.
    const short = Math.min(img.width, img.height);
    const long = Math.max(img.width, img.height);
    let w = img.width;
    let h = img.height;
    if (short !== size) {
      const newLong = Math.floor((size * long) / short);
      [w, h] = img.width <= img.height ? [size, newLong] : [newLong, size];
    }
    const resized = w === img.width && h === img.height ? img : resizeImage(img, w, h, interpolation);
    if (w < res || h < res) throw new Error(`preprocess: the resized image ${w}x${h} is smaller than the ${res}x${res} crop`);
    // torchvision.transforms.CenterCrop: int(round((side - crop) / 2)).
    return cropImage(resized, roundHalfEven((w - res) / 2), roundHalfEven((h - res) / 2), res, res);
  }
  if (mode === 'tf') {
    const interpolation = options.interpolation ?? 'bicubic';
    const padding = options.cropPadding ?? 32;
    const crop = Math.max(1, Math.floor((res / (res + padding)) * Math.min(img.width, img.height)));
    const top = Math.floor((img.height - crop + 1) / 2);
    const left = Math.floor((img.width - crop + 1) / 2);
    return resizeImage(cropImage(img, left, top, crop, crop), res, res, interpolation);
  }
  throw new Error(`preprocess: unknown mode '${mode as string}'; supported: torchvision, tf`);
}

/** Scales an RGB image to [0, 1] and normalises it per channel: float32 [h, w, 3]. */
export function normalizeImage(img: RgbImage, mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD): Float32Array {
  const out = new Float32Array(img.width * img.height * 3);
  // As torchvision: ToTensor (x / 255 in float32), then Normalize ((x - mean) / std in float32).
  const m = Float32Array.from(mean);
  const s = Float32Array.from(std);
  for (let i = 0; i < out.length; i++) {
    const c = i % 3;
    out[i] = Math.fround(Math.fround(Math.fround(img.data[i] / 255) - m[c]) / s[c]);
  }
  return out;
}

/** Decodes (if needed), resizes, crops and normalises one image. */
export async function preprocessImage(input: ImageInput, options: PreprocessOptions): Promise<PreprocessedImage> {
  return preprocessDecoded(await decodeImage(input), options);
}

/** Resizes, crops and normalises one decoded image. */
export function preprocessDecoded(img: RgbImage, options: PreprocessOptions): PreprocessedImage {
  const crop = cropForModel(img, options);
  return {data: normalizeImage(crop, options.mean, options.std), crop};
}

/** A batch of preprocessed images: data is [N, res, res, 3]. */
export interface PreprocessedBatch {
  data: Float32Array;
  shape: [number, number, number, number];
  crops: RgbImage[];
}

/** Preprocesses several images into one NHWC batch. */
export async function preprocessBatch(inputs: readonly ImageInput[], options: PreprocessOptions): Promise<PreprocessedBatch> {
  if (inputs.length === 0) throw new Error('preprocess: no images given');
  const images = await Promise.all(inputs.map((i) => preprocessImage(i, options)));
  return stackBatch(images, options.resolution);
}

/** Stacks preprocessed images into one NHWC batch. */
export function stackBatch(images: readonly PreprocessedImage[], resolution: number): PreprocessedBatch {
  const per = resolution * resolution * 3;
  const data = new Float32Array(per * images.length);
  images.forEach((im, i) => data.set(im.data, i * per));
  return {data, shape: [images.length, resolution, resolution, 3], crops: images.map((im) => im.crop)};
}

/** Encodes an RGB image as PNG (with sharp). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: {width: img.width, height: img.height, channels: 3},
  }).png().toBuffer();
}
