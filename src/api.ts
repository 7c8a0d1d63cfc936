// The user-facing API: load a model with its weights, classify images (asynchronously, off the
// JavaScript thread, or synchronously for scripts), class activation maps.
//
//   const model = await loadEfficientNet('b0', {weights: 'efficientnet_b0.safetensors'});
//   const top5 = await model.classify('cat.jpg', {topK: 5});   // [{index, label, probability, logit}]
//   const cam = await model.cam('cat.jpg');                      // heat map for the top class
//   model.dispose();
//
// Asynchronous calls (predict, classify, cam) run in a worker thread that holds its own copy of the
// folded weights on the same backend; requests are queued and answered in order. The worker is
// started on the first asynchronous call and does not keep the process alive while idle;
// dispose() ends it. Synchronous calls (predictSync, classifySync, camSync) run on the calling
// thread.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs-core';

import './index.js';
import {type ClassActivationMap, computeCam} from './cam.js';
import {activateBackend, type ModelBackend} from './classify/backends.js';
import {Runner} from './classify/runner.js';
import {
  type ImageInput, type Interpolation, type PreprocessedBatch, type PreprocessMode, type PreprocessOptions,
  preprocessBatch, type RgbImage,
} from './image.js';
import {IMAGENET_LABELS} from './labels/imagenet.js';
import {amoebaNetConfig, type AmoebaNetConfig, type AmoebaNetOptions, amoebaNetWeightSpec, randomAmoebaNetWeights} from './models/amoebanet.js';
import type {ModelConfig} from './models/count.js';
import {randomEfficientNetWeights} from './models/efficientnet.js';
import {packageRoot} from './native.js';
import {randomResNetWeights, resNetConfig, type ResNetConfig, type ResNetDepth, type ResNetOptions} from './models/resnet.js';
import {efficientNetConfig, type EfficientNetConfig, type EfficientNetOptions} from './models/scaling.js';
import {loadWeights} from './weights/load.js';
import type {WeightScheme} from './weights/names.js';
import type {ArrayResult, Reply, RunMessage} from './worker/protocol.js';

export {MODEL_BACKENDS} from './classify/backends.js';
export type {ModelBackend} from './classify/backends.js';

export interface LoadModelOptions {
  /**
   * A safetensors or Keras .h5 file (path or bytes), or 'random' for seeded random weights (tests
   * and benchmarks only: the predictions mean nothing).
   */
  weights?: string | Uint8Array;
  /** Seed of the random weights (weights: 'random'). Default 0. */
  seed?: number;
  /** tfjs backend the model runs on; it becomes tfjs's active backend. Default 'native'. */
  backend?: ModelBackend;
  /** Naming scheme of the weight file; detected from its names when absent. */
  scheme?: WeightScheme;
  /** Preprocessing: 'torchvision' or 'tf'; default from the weight family (see preprocessingFor). */
  preprocess?: PreprocessMode;
  interpolation?: Interpolation;
  /** Class names; default ImageNet-1k (with 'background' first for 1001 classes). */
  labels?: readonly string[];
  /**
   * On native-cpu, capture the model as a graph on the second run of an input shape and replay it for
   * that shape from then on (the same results, without tfjs's per-op work; up to two shapes keep a
   * graph and its intermediates' memory). Default true; false runs every call op by op.
   */
  graphs?: boolean;
}

export interface Prediction {
  index: number;
  label: string;
  probability: number;
  logit: number;
}

export interface ClassifyOptions {
  /** Number of classes to return, most probable first. Default 5. */
  topK?: number;
}

export interface CamResult extends ClassActivationMap {
  label: string;
  probability: number;
  /** The resized, cropped image the map lies over (res x res RGB). */
  image: RgbImage;
}

/** The names of a model's classes: ImageNet's for 1000 (and 1001, background first) classes. */
export function labelsFor(numClasses: number): string[] {
  if (numClasses === 1000) return [...IMAGENET_LABELS];
  if (numClasses === 1001) return ['background', ...IMAGENET_LABELS];
  return Array.from({length: numClasses}, (_, i) => `class ${i}`);
}

/** Softmax in double precision. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < logits.length; i++) out[i] /= sum;
  return out;
}

/** The top-k classes of one row of logits. */
export function topK(logits: ArrayLike<number>, k: number, labels: readonly string[]): Prediction[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`topK must be a positive integer, got ${k}`);
  const p = softmax(logits);
  const order = Array.from({length: logits.length}, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  return order.slice(0, k).map((index) => ({index, label: labels[index] ?? `class ${index}`, probability: p[index], logit: logits[index]}));
}

function workerScript(): string {
  const here = fileURLToPath(new URL('./worker/predict_worker.js', import.meta.url));
  if (fs.existsSync(here)) return here;
  // Running from the TypeScript sources (tests): use the compiled worker.
  const built = path.join(packageRoot(), 'dist', 'src', 'worker', 'predict_worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`effnet-native: the prediction worker is missing (looked for ${here} and ${built}); build the package: npm run build:ts`);
}

interface Pending {
  resolve: (r: {logits: ArrayResult; features?: ArrayResult}) => void;
  reject: (e: Error) => void;
}

/** A classifier: a model, its weights on one backend, its preprocessing and class names. */
export class ImageClassifier<C extends ModelConfig = ModelConfig> {
  readonly labels: readonly string[];
  private runner: Runner | null;
  private worker: Worker | null = null;
  private workerReady: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private classifier: {data: Float32Array; shape: number[]} | null = null;

  constructor(
    readonly config: C,
    readonly backend: ModelBackend,
    runner: Runner,
    readonly preprocessing: PreprocessOptions,
    labels?: readonly string[],
  ) {
    this.runner = runner;
    this.labels = labels ?? labelsFor(config.numClasses);
  }

  private live(): Runner {
    if (this.runner == null) throw new Error(`${this.config.name}: the model was disposed`);
    return this.runner;
  }

  // ---- the worker ----

  private startWorker(): Promise<void> {
    if (this.workerReady) return this.workerReady;
    const runner = this.live();
    const worker = new Worker(workerScript());
    this.worker = worker;
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        if (this.worker === worker) {
          this.worker = null;
          this.workerReady = null;
        }
        void worker.terminate();
      };
      worker.on('message', (msg: Reply) => {
        if (msg.type === 'ready') return resolve();
        if (msg.type === 'init-error') return fail(new Error(`${this.config.name}: the prediction worker could not load the model: ${msg.message}`));
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (this.pending.size === 0) worker.unref();
        if (msg.type === 'result') p.resolve({logits: msg.logits, features: msg.features});
        else p.reject(new Error(msg.message));
      });
      worker.on('error', (e) => fail(new Error(`${this.config.name}: the prediction worker failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (this.worker === worker) fail(new Error(`${this.config.name}: the prediction worker exited (code ${code})`));
      });
    });
    worker.postMessage({type: 'init', config: this.config, backend: this.backend, layers: runner.toArrays(), graphs: runner.graphsEnabled});
    this.workerReady = ready;
    return ready;
  }

  private async runAsync(data: Float32Array, shape: number[], features: boolean): Promise<{logits: ArrayResult; features?: ArrayResult}> {
    this.live();
    const ready = this.startWorker();
    const worker = this.worker!;
    const id = this.nextId++;
    const result = new Promise<{logits: ArrayResult; features?: ArrayResult}>((resolve, reject) => {
      this.pending.set(id, {resolve, reject});
    });
    worker.ref();
    const msg: RunMessage = {type: 'run', id, data, shape, features};
    worker.postMessage(msg, [data.buffer as ArrayBuffer]);
    // Both awaited together: a failed start rejects both, and neither rejection goes unhandled.
    const [, out] = await Promise.all([ready, result]);
    return out;
  }

  // ---- tensors ----

  /** Logits [N, numClasses] of an NHWC float32 batch (or one HWC image), computed off the JavaScript thread. */
  async predict(x: tf.Tensor): Promise<tf.Tensor> {
    const single = x.rank === 3;
    if ((x.rank !== 3 && x.rank !== 4) || x.shape[x.rank - 1] !== 3 || x.dtype !== 'float32') {
      throw new Error(`${this.config.name}: input must be a float32 NHWC batch or HWC image with 3 channels, got ${x.dtype} [${x.shape}]`);
    }
    const shape = single ? [1, ...x.shape] : x.shape.slice();
    const data = Float32Array.from((await x.data()) as Float32Array);
    const {logits} = await this.runAsync(data, shape, false);
    return single ? tf.tensor1d(logits.data) : tf.tensor2d(logits.data, logits.shape as [number, number]);
  }

  /** Logits of an NHWC float32 batch (or one HWC image), computed on the calling thread. */
  predictSync(x: tf.Tensor): tf.Tensor {
    const runner = this.live();
    return tf.tidy(() => {
      const batch = x.rank === 3 ? tf.expandDims(x, 0) : x;
      const {logits} = runner.run(batch);
      return x.rank === 3 ? tf.squeeze(logits, [0]) : logits;
    });
  }

  // ---- images ----

  /** Decodes, resizes, crops and normalises images the way this model's weights were trained. */
  preprocess(images: ImageInput | readonly ImageInput[]): Promise<PreprocessedBatch> {
    return preprocessBatch(Array.isArray(images) ? images : [images as ImageInput], this.preprocessing);
  }

  private ranked(logits: Float32Array, shape: number[], k: number): Prediction[][] {
    const [n, classes] = shape;
    return Array.from({length: n}, (_, i) => topK(logits.subarray(i * classes, (i + 1) * classes), Math.min(k, classes), this.labels));
  }

  /**
   * Classifies one image (returns its top-k predictions) or several (one list per image, batched
   * into one forward pass). Off the JavaScript thread.
   */
  async classify(images: ImageInput, options?: ClassifyOptions): Promise<Prediction[]>;
  async classify(images: readonly ImageInput[], options?: ClassifyOptions): Promise<Prediction[][]>;
  async classify(images: ImageInput | readonly ImageInput[], options: ClassifyOptions = {}): Promise<Prediction[] | Prediction[][]> {
    const batch = await this.preprocess(images);
    const {logits} = await this.runAsync(batch.data, batch.shape, false);
    const ranked = this.ranked(logits.data, logits.shape, options.topK ?? 5);
    return Array.isArray(images) ? ranked : ranked[0];
  }

  /** Classifies a preprocessed batch (see preprocess) on the calling thread: one list per image. */
  classifySync(batch: PreprocessedBatch, options: ClassifyOptions = {}): Prediction[][] {
    const logits = tf.tidy(() => this.predictSync(tf.tensor(batch.data, batch.shape, 'float32')));
    const data = logits.dataSync() as Float32Array;
    const shape = logits.shape.slice();
    logits.dispose();
    return this.ranked(data, shape, options.topK ?? 5);
  }

  private classifierKernel(): {data: Float32Array; shape: number[]} {
    this.classifier ??= this.live().classifierKernel();
    return this.classifier;
  }

  private camFrom(logits: ArrayResult, features: ArrayResult, crop: RgbImage, classIndex?: number): CamResult {
    const probs = softmax(logits.data.subarray(0, this.config.numClasses));
    let index = classIndex;
    if (index === undefined) {
      index = 0;
      for (let i = 1; i < probs.length; i++) if (probs[i] > probs[index]) index = i;
    }
    const kernel = this.classifierKernel();
    const [, h, w, c] = features.shape;
    const cam = computeCam(features.data.subarray(0, h * w * c), [h, w, c], kernel.data, kernel.shape, index, crop.width, crop.height);
    return {...cam, label: this.labels[index] ?? `class ${index}`, probability: probs[index], image: crop};
  }

  /**
   * Class activation map of one image for `classIndex` (default: the most probable class): the
   * heat map in [0, 1] at the input size, and the cropped image it lies over. Off the JavaScript thread.
   */
  async cam(image: ImageInput, classIndex?: number): Promise<CamResult> {
    const batch = await this.preprocess(image);
    const out = await this.runAsync(batch.data, batch.shape, true);
    return this.camFrom(out.logits, out.features!, batch.crops[0], classIndex);
  }

  /** Class activation map of the first image of a preprocessed batch, on the calling thread. */
  camSync(batch: PreprocessedBatch, classIndex?: number): CamResult {
    const runner = this.live();
    const x = tf.tensor(batch.data.subarray(0, batch.shape[1] * batch.shape[2] * 3), [1, batch.shape[1], batch.shape[2], 3], 'float32');
    const out = runner.run(x, true);
    x.dispose();
    const logits = {data: out.logits.dataSync() as Float32Array, shape: out.logits.shape.slice()};
    const features = {data: out.features!.dataSync() as Float32Array, shape: out.features!.shape.slice()};
    out.logits.dispose();
    out.features!.dispose();
    return this.camFrom(logits, features, batch.crops[0], classIndex);
  }

  /** Frees the weights and ends the worker thread; pending asynchronous calls are rejected. */
  dispose(): void {
    const worker = this.worker;
    this.worker = null;
    this.workerReady = null;
    for (const p of this.pending.values()) p.reject(new Error(`${this.config.name}: the model was disposed`));
    this.pending.clear();
    if (worker) void worker.terminate();
    this.runner?.dispose();
    this.runner = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading.

type ModelLoadOptions = LoadModelOptions & {numClasses?: number};

function noWeights(what: string): Error {
  return new Error(
    `${what}: no weights given. Pass {weights: 'path/to/file.safetensors'} (or a Keras .h5 file); ` +
      `for seeded random weights (tests, benchmarks) pass {weights: 'random', seed}`,
  );
}

/** Default preprocessing for a weight family. */
export function preprocessingFor(
  config: ModelConfig, scheme: WeightScheme | 'random', options: Pick<LoadModelOptions, 'preprocess' | 'interpolation'> = {},
): PreprocessOptions {
  let mode: PreprocessMode;
  if (options.preprocess) mode = options.preprocess;
  else if (scheme === 'keras' || scheme === 'timm-tf') mode = 'tf';
  else if (scheme === 'torchvision' || scheme === 'timm') mode = 'torchvision';
  else if (config.family === 'resnet') mode = 'torchvision';
  else if (config.family === 'efficientnet') mode = config.padding === 'same' ? 'tf' : 'torchvision';
  else mode = 'tf';
  const interpolation = options.interpolation ?? (mode === 'tf' || config.family === 'efficientnet' ? 'bicubic' : 'bilinear');
  return {resolution: config.resolution, mode, interpolation};
}

async function finish<C extends ModelConfig>(
  config: C, weights: Map<string, tf.Tensor>, backend: ModelBackend, scheme: WeightScheme | 'random', options: LoadModelOptions,
): Promise<ImageClassifier<C>> {
  try {
    const runner = Runner.fromCanonical(config, weights, {graphs: options.graphs});
    if (options.labels && options.labels.length !== config.numClasses) {
      runner.dispose();
      throw new Error(`${config.name}: ${options.labels.length} labels given for ${config.numClasses} classes`);
    }
    return new ImageClassifier(config, backend, runner, preprocessingFor(config, scheme, options), options.labels);
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}

/**
 * loadWeights, with a hint when only the classifier differs: the file was trained for another
 * number of classes.
 */
async function loadFor(source: string | Uint8Array, options: Parameters<typeof loadWeights>[1]): ReturnType<typeof loadWeights> {
  try {
    return await loadWeights(source, options);
  } catch (e) {
    const message = (e as Error).message;
    const m = /classifier\/bias[^,]* is \[(\d+)\], the model needs \[(\d+)\]/.exec(message);
    if (m && !/missing \d+|unexpected \d+/.test(message) && /mis-shaped 2:/.test(message)) {
      throw new Error(`${message}\n  (the file's classifier has ${m[1]} classes, the model ${m[2]}: set numClasses to ${m[1]})`);
    }
    throw e;
  }
}

function checkSeed(options: LoadModelOptions): number {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  return seed;
}

/**
 * Loads an EfficientNet ('b0'..'b7' or {width, depth, resolution}) with weights from a safetensors
 * or Keras .h5 file (torchvision, timm, Keras or canonical names): padding and batch-norm epsilon
 * follow the weight family. `{weights: 'random', seed}` gives seeded random weights.
 */
export async function loadEfficientNet(
  variant: Parameters<typeof efficientNetConfig>[0] = 'b0',
  options: LoadModelOptions & EfficientNetOptions = {},
): Promise<ImageClassifier<EfficientNetConfig>> {
  const what = `loadEfficientNet(${typeof variant === 'string' ? `'${variant}'` : JSON.stringify(variant)})`;
  let config = efficientNetConfig(variant, {...options, includeTop: true});
  if (options.weights == null) throw noWeights(what);
  const backend = await activateBackend(options.backend ?? 'native');
  if (options.weights === 'random') {
    return finish(config, randomEfficientNetWeights(config, checkSeed(options)), backend, 'random', options);
  }
  const loaded = await loadFor(options.weights, {config, scheme: options.scheme, padding: options.padding, bnEpsilon: options.bnEpsilon});
  config = {...config, padding: loaded.padding, bnEpsilon: loaded.bnEpsilon};
  return finish(config, loaded.weights, backend, loaded.scheme, options);
}

/** Loads a ResNet (50, 101 or 152) with weights from a file (torchvision or canonical names), or random ones. */
export async function loadResNet(
  depth: ResNetDepth | string = 152, options: LoadModelOptions & ResNetOptions = {},
): Promise<ImageClassifier<ResNetConfig>> {
  let config = resNetConfig(depth, {...options, includeTop: true});
  if (options.weights == null) throw noWeights(`loadResNet(${depth})`);
  const backend = await activateBackend(options.backend ?? 'native');
  if (options.weights === 'random') {
    return finish(config, randomResNetWeights(config, checkSeed(options)), backend, 'random', options);
  }
  const loaded = await loadFor(options.weights, {config, scheme: options.scheme, padding: options.padding, bnEpsilon: options.bnEpsilon});
  config = {...config, padding: loaded.padding, bnEpsilon: loaded.bnEpsilon};
  return finish(config, loaded.weights, backend, loaded.scheme, options);
}

/** Loads GPipe's AmoebaNet-B (canonical safetensors weights, or random ones). */
export async function loadAmoebaNet(options: LoadModelOptions & AmoebaNetOptions = {}): Promise<ImageClassifier<AmoebaNetConfig>> {
  const config = amoebaNetConfig({...options, includeTop: true});
  if (options.weights == null) throw noWeights('loadAmoebaNet()');
  const backend = await activateBackend(options.backend ?? 'native');
  if (options.weights === 'random') {
    return finish(config, randomAmoebaNetWeights(config, checkSeed(options)), backend, 'random', options);
  }
  const loaded = await loadWeights(options.weights, {spec: amoebaNetWeightSpec(config), scheme: options.scheme ?? 'canonical'});
  return finish(config, loaded.weights, backend, loaded.scheme, options);
}

export type {ModelLoadOptions};
