// loadWeights: read a weight file (safetensors or Keras HDF5), detect its naming scheme, map it to
// the canonical names and layouts the models use, check it against the model's weight spec, and
// pick the padding and batch-norm epsilon the weights were trained with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import {efficientNetWeightSpec, type EfficientNetConfig} from '../models/efficientnet.js';
import {resNetWeightSpec, type ResNetConfig} from '../models/resnet.js';
import {fileLooksLikeHdf5, looksLikeHdf5, readKerasH5} from './keras.js';
import {
  detectScheme, familyNumerics, toCanonical, WEIGHT_SCHEMES,
  type ModelFamily, type PaddingMode, type WeightScheme,
} from './names.js';
import {looksLikeSafetensors, parseSafetensors, serializeSafetensors, type NamedArray} from './safetensors.js';

/** One expected tensor: canonical name and shape (what the models' weight-spec functions return). */
export interface WeightSpecEntry {
  name: string;
  shape: readonly number[];
}

export interface LoadWeightsOptions {
  /**
   * The model the weights are for: the expected tensors come from efficientNetWeightSpec /
   * resNetWeightSpec, and its name and width select torchvision's epsilon. Its padding and
   * bnEpsilon are not used: the loader reports what the weights need (build with those).
   */
  config?: EfficientNetConfig | ResNetConfig;
  /** Expected tensors, checked by name and shape (instead of, or overriding, `config`). */
  spec?: readonly WeightSpecEntry[];
  /** Model family; detected from the names when absent. */
  family?: ModelFamily;
  /** Naming scheme; detected from the names when absent. 'timm-tf' = timm names, TF numerics. */
  scheme?: WeightScheme;
  /**
   * The model variant or file description ('b5', 'efficientnet_b5', 'tf_efficientnet_b3', ...):
   * selects torchvision's B5-B7 epsilon and timm's tf_ numerics. Defaults to the file name.
   */
  variant?: string;
  /** Width multiplier, used for torchvision's epsilon when no variant names B0-B7. */
  width?: number;
  /** Override the padding the scheme implies. */
  padding?: PaddingMode;
  /** Override the batch-norm epsilon the scheme implies. */
  bnEpsilon?: number;
  /** 'safetensors' or 'keras'; detected from the file's first bytes when absent. */
  format?: 'safetensors' | 'keras';
}

export interface LoadedWeights {
  /** Canonical name -> float32 tensor (caller owns them: dispose when done). */
  weights: Map<string, tf.Tensor>;
  /** The naming scheme used (detected or given). */
  scheme: WeightScheme;
  family: ModelFamily;
  /** Padding and epsilon to build the model with (scheme defaults unless overridden). */
  padding: PaddingMode;
  bnEpsilon: number;
  format: 'safetensors' | 'keras';
  /**
   * Source names skipped on purpose: num_batches_tracked, Keras input normalisation, and the
   * classifier when the model has no top.
   */
  ignored: string[];
  /** safetensors __metadata__, if any. */
  metadata: Record<string, string>;
}

const LIST = 5;

function preview(items: string[]): string {
  const shown = items.slice(0, LIST).join(', ');
  return items.length > LIST ? `${shown}, ... (${items.length - LIST} more)` : shown;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Reads source bytes and decodes them into name -> array with the file's own names. */
async function readSource(
  source: string | Uint8Array, format: LoadWeightsOptions['format'],
): Promise<{tensors: Map<string, NamedArray>; metadata: Record<string, string>; format: 'safetensors' | 'keras'}> {
  const label = typeof source === 'string' ? source : '<buffer>';
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      // An HDF5 file is opened by h5wasm itself: look at its first bytes only.
      if ((format ?? (fileLooksLikeHdf5(source) ? 'keras' : undefined)) === 'keras') {
        return {tensors: await readKerasH5(source), metadata: {}, format: 'keras'};
      }
      bytes = fs.readFileSync(source);
    } catch (e) {
      if (!/ENOENT|EACCES|EISDIR|EPERM/.test((e as Error).message)) throw e;
      throw new Error(`loadWeights: cannot read '${source}': ${(e as Error).message}`);
    }
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw new Error(`loadWeights: expected a file path, Buffer or Uint8Array, got ${typeof source}`);
  }
  const fmt = format ?? (looksLikeHdf5(bytes) ? 'keras' : looksLikeSafetensors(bytes) ? 'safetensors' : undefined);
  if (fmt === 'keras') {
    return {tensors: await readKerasH5(typeof source === 'string' ? source : bytes), metadata: {}, format: 'keras'};
  }
  if (fmt === 'safetensors') {
    const c = parseSafetensors(bytes, label);
    return {tensors: c.tensors, metadata: c.metadata, format: 'safetensors'};
  }
  throw new Error(`loadWeights: ${label} is neither a safetensors file nor an HDF5 (Keras .h5) file; supported: .safetensors, Keras .h5`);
}

/**
 * Loads weights for a model. Accepts safetensors (torchvision, timm or canonical names) and Keras
 * .h5 files. Throws, naming the detected scheme, when tensors are missing, unexpected or have the
 * wrong shape. Padding/epsilon: options > the file's `effnet.padding` / `effnet.bn_epsilon`
 * metadata > the scheme's defaults (see familyNumerics).
 */
export async function loadWeights(source: string | Uint8Array, options: LoadWeightsOptions): Promise<LoadedWeights> {
  if (!options || (!Array.isArray(options.spec) && !options.config)) {
    throw new Error('loadWeights: options.config (the model configuration) or options.spec (its weight spec) is required');
  }
  const config = options.config;
  let spec: readonly WeightSpecEntry[];
  if (Array.isArray(options.spec)) spec = options.spec;
  else if (config!.family === 'efficientnet') spec = efficientNetWeightSpec(config as EfficientNetConfig);
  else if (config!.family === 'resnet') spec = resNetWeightSpec(config as ResNetConfig);
  else throw new Error(`loadWeights: config.family '${(config as {family: string}).family}' has no weight loader; supported: efficientnet, resnet`);
  if (options.scheme && !WEIGHT_SCHEMES.includes(options.scheme)) {
    throw new Error(`loadWeights: unknown scheme '${options.scheme}'; supported: ${WEIGHT_SCHEMES.join(', ')}`);
  }
  const label = typeof source === 'string' ? source : '<buffer>';
  const {tensors, metadata, format} = await readSource(source, options.format);
  const specFamily: ModelFamily | undefined = spec.some((s) => s.name.startsWith('blocks/'))
    ? 'efficientnet' : spec.some((s) => s.name.startsWith('layers/')) ? 'resnet' : undefined;
  const family = options.family ?? config?.family ?? specFamily;
  const detection = detectScheme(tensors.keys(), family);
  if (family && !options.scheme) {
    const any = detectScheme(tensors.keys());
    if (any.family !== family && any.matched > detection.matched) {
      throw new Error(
        `loadWeights(${label}): these look like ${any.family} weights (${any.scheme} names: ${any.matched} of ${any.total} ` +
          `understood) but the model is ${family}`,
      );
    }
  }
  let scheme: WeightScheme = options.scheme ?? detection.scheme;
  const configName = config && /^(?:efficientnet[-_]?)?b[0-7]$/i.test(config.name) ? config.name : undefined;
  const fileName = typeof source === 'string' ? path.basename(source) : undefined;
  const hint = options.variant ?? configName ?? fileName ?? metadata['effnet.variant'];
  const tfHint = [options.variant, fileName, metadata['effnet.variant']].some((h) => h !== undefined && /(^|[^a-z])tf_/i.test(h));
  if (!options.scheme && scheme === 'timm' && tfHint) scheme = 'timm-tf';
  const how = options.scheme ? `scheme '${scheme}' (given)` : `scheme detected: '${scheme}'${scheme === 'timm-tf' ? ' (timm names, tf_ variant)' : ''}`;
  const describe = `${how}, family ${detection.family}, ${format}, ${tensors.size} tensors in the file`;
  const mapped = toCanonical(tensors, scheme, family ?? detection.family);

  const expected = new Map(spec.map((s) => [s.name, s.shape]));
  // A model built without its top (includeTop: false) takes a full checkpoint: drop the classifier.
  const ignored = [...mapped.ignored];
  if (!expected.has('classifier/kernel')) {
    for (const n of ['classifier/kernel', 'classifier/bias']) {
      if (mapped.tensors.has(n)) {
        mapped.tensors.delete(n);
        ignored.push(mapped.sources.get(n) ?? n);
      }
    }
  }
  const missing = [...expected.keys()].filter((n) => !mapped.tensors.has(n));
  const unexpected = [
    ...mapped.unmapped.map((n) => (n.includes(' (') ? n : `${n} (no ${scheme} rule)`)),
    ...[...mapped.tensors.keys()].filter((n) => !expected.has(n)).map((n) => {
      const src = mapped.sources.get(n);
      return src && src !== n ? `${n} (from ${src})` : n;
    }),
  ];
  const misShaped: string[] = [];
  const badDtype: string[] = [];
  for (const [n, t] of mapped.tensors) {
    const want = expected.get(n);
    if (!want) continue;
    const src = mapped.sources.get(n);
    const from = src && src !== n ? ` (from ${src})` : '';
    if (!sameShape(t.shape, want)) misShaped.push(`${n}${from} is [${t.shape.join(', ')}], the model needs [${want.join(', ')}]`);
    if (t.dtype !== 'float32') badDtype.push(`${n}${from} is ${t.storedDtype}`);
  }
  if (missing.length || unexpected.length || misShaped.length || badDtype.length) {
    const lines = [`loadWeights(${label}): the weights do not match the model (${describe}; the model needs ${expected.size}):`];
    if (missing.length) lines.push(`  missing ${missing.length}: ${preview(missing)}`);
    if (unexpected.length) lines.push(`  unexpected ${unexpected.length}: ${preview(unexpected)}`);
    if (misShaped.length) lines.push(`  mis-shaped ${misShaped.length}: ${preview(misShaped)}`);
    if (badDtype.length) lines.push(`  not floating point ${badDtype.length}: ${preview(badDtype)}`);
    if (!options.scheme && detection.matched < detection.total) {
      lines.push(`  (the detected scheme understood ${detection.matched} of ${detection.total} names; pass options.scheme to choose one)`);
    }
    throw new Error(lines.join('\n'));
  }

  const width = options.width ?? (config?.family === 'efficientnet' ? config.width : undefined);
  const defaults = familyNumerics(scheme, family ?? detection.family, hint, width);
  const metaPadding = metadata['effnet.padding'];
  const metaEps = metadata['effnet.bn_epsilon'] !== undefined ? Number(metadata['effnet.bn_epsilon']) : undefined;
  const padding = options.padding ?? (metaPadding === 'same' || metaPadding === 'symmetric' ? metaPadding : defaults.padding);
  const bnEpsilon = options.bnEpsilon ?? (metaEps !== undefined && Number.isFinite(metaEps) && metaEps > 0 ? metaEps : defaults.bnEpsilon);

  const weights = new Map<string, tf.Tensor>();
  for (const entry of spec) {
    const t = mapped.tensors.get(entry.name)!;
    weights.set(entry.name, tf.tensor(t.data as Float32Array, t.shape, 'float32'));
  }
  return {weights, scheme, family: family ?? detection.family, padding, bnEpsilon, format, ignored, metadata};
}

/**
 * Serialises canonical weights (e.g. loadWeights' result, or randomEfficientNetWeights) to
 * safetensors bytes under their canonical names, with the padding and epsilon they need recorded in
 * the metadata (`effnet.padding`, `effnet.bn_epsilon`), so that loadWeights restores them.
 */
export async function serializeWeights(
  weights: Map<string, tf.Tensor>, numerics?: {padding?: PaddingMode; bnEpsilon?: number; variant?: string},
): Promise<Uint8Array> {
  const arrays = new Map<string, {dtype: 'float32'; shape: number[]; data: Float32Array}>();
  for (const [name, t] of weights) {
    if (t.dtype !== 'float32') throw new Error(`serializeWeights: '${name}' is ${t.dtype}; expected float32`);
    arrays.set(name, {dtype: 'float32', shape: t.shape.slice(), data: (await t.data()) as Float32Array});
  }
  const metadata: Record<string, string> = {format: 'effnet-native'};
  if (numerics?.padding) metadata['effnet.padding'] = numerics.padding;
  if (numerics?.bnEpsilon !== undefined) metadata['effnet.bn_epsilon'] = String(numerics.bnEpsilon);
  if (numerics?.variant) metadata['effnet.variant'] = numerics.variant;
  return serializeSafetensors(arrays, metadata);
}

/** Writes canonical weights to a safetensors file (see serializeWeights). */
export async function saveWeights(
  file: string, weights: Map<string, tf.Tensor>, numerics?: {padding?: PaddingMode; bnEpsilon?: number; variant?: string},
): Promise<void> {
  fs.writeFileSync(file, await serializeWeights(weights, numerics));
}
