// Parameter-name maps from torchvision, timm and Keras to the canonical names the model code uses,
// with the layout changes that go with them:
//   conv kernels     OIHW [O, I, kh, kw]  -> HWIO [kh, kw, I, O]
//   depthwise        [C, 1, kh, kw]       -> [kh, kw, C, 1]
//   linear           [out, in]            -> [in, out]
//   batch norm       weight, bias, running_mean, running_var -> gamma, beta, mean, variance
// Keras weights are HWIO already. `num_batches_tracked` and Keras's input normalisation layer
// weights are ignored. Detection reads only names; numerics that names cannot show (padding, BN
// epsilon) come from `familyNumerics`.
import type {PaddingMode} from '../models/scaling.js';
import type {NamedArray} from './safetensors.js';

export type ModelFamily = 'efficientnet' | 'resnet';
/** Naming schemes. timm's tf_efficientnet_* and efficientnet_* share names; 'timm-tf' selects TF numerics. */
export type WeightScheme = 'canonical' | 'torchvision' | 'timm' | 'timm-tf' | 'keras';
export const WEIGHT_SCHEMES: readonly WeightScheme[] = ['canonical', 'torchvision', 'timm', 'timm-tf', 'keras'];
/** 'same': TensorFlow SAME (asymmetric for stride 2 on even sizes); 'symmetric': (k-1)/2 each side. */
export type {PaddingMode};

type Layout = 'conv' | 'depthwise' | 'linear' | 'none';

/** A parsed source name: where it goes, and the layout change it needs. */
interface Parsed {
  /** Canonical name, with `{block}` standing for the global block index when `block` is set. */
  name: string;
  layout: Layout;
  /** Block position in the source: stage and index within the stage. */
  block?: [number, number];
}

const TORCH_BN: Record<string, string> = {weight: 'gamma', bias: 'beta', running_mean: 'mean', running_var: 'variance'};
const KERAS_BN: Record<string, string> = {gamma: 'gamma', beta: 'beta', moving_mean: 'mean', moving_variance: 'variance'};
const BN_TORCH: Record<string, string> = {gamma: 'weight', beta: 'bias', mean: 'running_mean', variance: 'running_var'};
const BN_KERAS: Record<string, string> = {gamma: 'gamma', beta: 'beta', mean: 'moving_mean', variance: 'moving_variance'};

/** Names that carry no model weights in any scheme. */
export function isIgnoredName(name: string): boolean {
  return /(^|[./])num_batches_tracked$/.test(name) ||
    /^(normalization|rescaling)(_\d+)?\//.test(name);
}

// ---------------------------------------------------------------------------------------------
// Source -> canonical, one parser per scheme. Returning undefined means "not a name of this scheme".

function torchBn(prefix: string, param: string): Parsed | undefined {
  const p = TORCH_BN[param];
  return p ? {name: `${prefix}/${p}`, layout: 'none'} : undefined;
}

/** Per-block facts a parser needs about the whole file (which blocks have an expansion). */
interface BlockContext {
  /** torchvision: "s.j" -> number of submodules in block.* ; timm: "s.j" -> has conv_pwl. */
  has: (key: string) => boolean;
  /** torchvision: index of the head in `features` (one past the last stage). */
  headIndex: number;
}

function parseTorchvisionEfficientNet(name: string, ctx: BlockContext): Parsed | undefined {
  let m = /^features\.0\.([01])\.(\w+)$/.exec(name);
  if (m) return m[1] === '0' ? (m[2] === 'weight' ? {name: 'stem/conv/kernel', layout: 'conv'} : undefined) : torchBn('stem/bn', m[2]);
  m = /^features\.(\d+)\.(\d+)\.block\.(\d+)\.(.+)$/.exec(name);
  if (m) {
    const s = Number(m[1]);
    const j = Number(m[2]);
    const expand = ctx.has(`${s}.${j}`);
    const parts = (expand ? ['expand', 'depthwise', 'se', 'project'] : ['depthwise', 'se', 'project'])[Number(m[3])];
    if (!parts) return undefined;
    const rest = m[4];
    const block: [number, number] = [s - 1, j];
    if (parts === 'se') {
      const se = /^(fc1|fc2)\.(weight|bias)$/.exec(rest);
      if (!se) return undefined;
      const which = se[1] === 'fc1' ? 'reduce' : 'expand';
      return se[2] === 'weight'
        ? {name: `blocks/{block}/se/${which}/kernel`, layout: 'conv', block}
        : {name: `blocks/{block}/se/${which}/bias`, layout: 'none', block};
    }
    const cb = /^([01])\.(\w+)$/.exec(rest);
    if (!cb) return undefined;
    if (cb[1] === '0') {
      return cb[2] === 'weight'
        ? {name: `blocks/{block}/${parts}/conv/kernel`, layout: parts === 'depthwise' ? 'depthwise' : 'conv', block}
        : undefined;
    }
    const bn = torchBn(`blocks/{block}/${parts}/bn`, cb[2]);
    return bn && {...bn, block};
  }
  m = /^features\.(\d+)\.([01])\.(\w+)$/.exec(name);
  if (m && Number(m[1]) === ctx.headIndex) return m[2] === '0' ? (m[3] === 'weight' ? {name: 'head/conv/kernel', layout: 'conv'} : undefined) : torchBn('head/bn', m[3]);
  m = /^classifier\.1\.(weight|bias)$/.exec(name);
  if (m) return m[1] === 'weight' ? {name: 'classifier/kernel', layout: 'linear'} : {name: 'classifier/bias', layout: 'none'};
  return undefined;
}

function parseTimmEfficientNet(name: string, ctx: BlockContext): Parsed | undefined {
  let m = /^(conv_stem|conv_head)\.weight$/.exec(name);
  if (m) return {name: m[1] === 'conv_stem' ? 'stem/conv/kernel' : 'head/conv/kernel', layout: 'conv'};
  m = /^(bn1|bn2)\.(\w+)$/.exec(name);
  if (m) return torchBn(m[1] === 'bn1' ? 'stem/bn' : 'head/bn', m[2]);
  m = /^classifier\.(weight|bias)$/.exec(name);
  if (m) return m[1] === 'weight' ? {name: 'classifier/kernel', layout: 'linear'} : {name: 'classifier/bias', layout: 'none'};
  m = /^blocks\.(\d+)\.(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const s = Number(m[1]);
  const j = Number(m[2]);
  const block: [number, number] = [s, j];
  const rest = m[3];
  const inverted = ctx.has(`${s}.${j}`);  // has conv_pwl: InvertedResidual, else DepthwiseSeparable
  const se = /^se\.(conv_reduce|conv_expand)\.(weight|bias)$/.exec(rest);
  if (se) {
    const which = se[1] === 'conv_reduce' ? 'reduce' : 'expand';
    return se[2] === 'weight'
      ? {name: `blocks/{block}/se/${which}/kernel`, layout: 'conv', block}
      : {name: `blocks/{block}/se/${which}/bias`, layout: 'none', block};
  }
  const convs: Record<string, [string, Layout]> = inverted
    ? {conv_pw: ['expand', 'conv'], conv_dw: ['depthwise', 'depthwise'], conv_pwl: ['project', 'conv']}
    : {conv_dw: ['depthwise', 'depthwise'], conv_pw: ['project', 'conv']};
  const bns: Record<string, string> = inverted
    ? {bn1: 'expand', bn2: 'depthwise', bn3: 'project'}
    : {bn1: 'depthwise', bn2: 'project'};
  const c = /^(\w+)\.weight$/.exec(rest);
  if (c && convs[c[1]]) return {name: `blocks/{block}/${convs[c[1]][0]}/conv/kernel`, layout: convs[c[1]][1], block};
  const b = /^(bn\d)\.(\w+)$/.exec(rest);
  if (b && bns[b[1]]) {
    const bn = torchBn(`blocks/{block}/${bns[b[1]]}/bn`, b[2]);
    return bn && {...bn, block};
  }
  return undefined;
}

const KERAS_LAYERS: Record<string, [string, 'conv' | 'bn' | 'dw' | 'se']> = {
  expand_conv: ['expand', 'conv'], expand_bn: ['expand', 'bn'], dwconv: ['depthwise', 'dw'], bn: ['depthwise', 'bn'],
  se_reduce: ['se/reduce', 'se'], se_expand: ['se/expand', 'se'], project_conv: ['project', 'conv'], project_bn: ['project', 'bn'],
};

/** Keras names as `layer/variable` (the reader strips `:0` and the duplicated layer directory). */
function parseKerasEfficientNet(name: string): Parsed | undefined {
  const m = /^([^/]+)\/([^/]+)$/.exec(name);
  if (!m) return undefined;
  const [, layer, v] = m;
  if (layer === 'stem_conv' || layer === 'top_conv') {
    return v === 'kernel' ? {name: `${layer === 'stem_conv' ? 'stem' : 'head'}/conv/kernel`, layout: 'none'} : undefined;
  }
  if (layer === 'stem_bn' || layer === 'top_bn') {
    const p = KERAS_BN[v];
    return p ? {name: `${layer === 'stem_bn' ? 'stem' : 'head'}/bn/${p}`, layout: 'none'} : undefined;
  }
  if (layer === 'predictions') {
    return v === 'kernel' || v === 'bias' ? {name: `classifier/${v}`, layout: 'none'} : undefined;
  }
  const b = /^block(\d+)([a-z]+)_(\w+)$/.exec(layer);
  if (!b) return undefined;
  const what = KERAS_LAYERS[b[3]];
  if (!what) return undefined;
  let j = 0;
  for (const ch of b[2]) j = j * 26 + (ch.charCodeAt(0) - 97);
  const block: [number, number] = [Number(b[1]) - 1, j];
  const [part, kind] = what;
  if (kind === 'conv') return v === 'kernel' ? {name: `blocks/{block}/${part}/conv/kernel`, layout: 'none', block} : undefined;
  if (kind === 'dw') return v === 'depthwise_kernel' ? {name: `blocks/{block}/depthwise/conv/kernel`, layout: 'none', block} : undefined;
  if (kind === 'se') return v === 'kernel' || v === 'bias' ? {name: `blocks/{block}/${part}/${v}`, layout: 'none', block} : undefined;
  const p = KERAS_BN[v];
  return p ? {name: `blocks/{block}/${part}/bn/${p}`, layout: 'none', block} : undefined;
}

/** torchvision and timm ResNets share these names. */
function parseTorchResNet(name: string): Parsed | undefined {
  let m = /^conv1\.weight$/.exec(name);
  if (m) return {name: 'stem/conv/kernel', layout: 'conv'};
  m = /^bn1\.(\w+)$/.exec(name);
  if (m) return torchBn('stem/bn', m[1]);
  m = /^fc\.(weight|bias)$/.exec(name);
  if (m) return m[1] === 'weight' ? {name: 'classifier/kernel', layout: 'linear'} : {name: 'classifier/bias', layout: 'none'};
  m = /^layer([1-9])\.(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const prefix = `layers/${Number(m[1]) - 1}/${Number(m[2])}`;
  const rest = m[3];
  let r = /^conv([123])\.weight$/.exec(rest);
  if (r) return {name: `${prefix}/conv${r[1]}/kernel`, layout: 'conv'};
  r = /^bn([123])\.(\w+)$/.exec(rest);
  if (r) return torchBn(`${prefix}/bn${r[1]}`, r[2]);
  r = /^downsample\.0\.weight$/.exec(rest);
  if (r) return {name: `${prefix}/downsample/conv/kernel`, layout: 'conv'};
  r = /^downsample\.1\.(\w+)$/.exec(rest);
  if (r) return torchBn(`${prefix}/downsample/bn`, r[1]);
  return undefined;
}

const CANONICAL_EFFNET = /^(stem\/conv\/kernel|(stem|head)\/bn\/(gamma|beta|mean|variance)|head\/conv\/kernel|classifier\/(kernel|bias)|blocks\/\d+\/(expand|depthwise|project)\/conv\/kernel|blocks\/\d+\/(expand|depthwise|project)\/bn\/(gamma|beta|mean|variance)|blocks\/\d+\/se\/(reduce|expand)\/(kernel|bias))$/;
const CANONICAL_RESNET = /^(stem\/conv\/kernel|stem\/bn\/(gamma|beta|mean|variance)|classifier\/(kernel|bias)|layers\/\d+\/\d+\/(conv[123]|downsample\/conv)\/kernel|layers\/\d+\/\d+\/(bn[123]|downsample\/bn)\/(gamma|beta|mean|variance))$/;

function blockContext(names: string[], scheme: WeightScheme): BlockContext {
  const set = new Set<string>();
  let lastStage = 0;
  for (const n of names) {
    if (scheme === 'torchvision') {
      const b = /^features\.(\d+)\.\d+\.block\./.exec(n);
      if (b) lastStage = Math.max(lastStage, Number(b[1]));
      const m = /^features\.(\d+)\.(\d+)\.block\.3\./.exec(n);
      if (m) set.add(`${m[1]}.${m[2]}`);
    } else if (scheme === 'timm' || scheme === 'timm-tf') {
      const m = /^blocks\.(\d+)\.(\d+)\.conv_pwl\./.exec(n);
      if (m) set.add(`${m[1]}.${m[2]}`);
    }
  }
  return {has: (k) => set.has(k), headIndex: lastStage + 1};
}

function parserFor(scheme: WeightScheme, family: ModelFamily, ctx: BlockContext): (name: string) => Parsed | undefined {
  if (scheme === 'canonical') {
    const re = family === 'efficientnet' ? CANONICAL_EFFNET : CANONICAL_RESNET;
    return (n) => (re.test(n) ? {name: n, layout: 'none'} : undefined);
  }
  if (family === 'resnet') {
    return scheme === 'torchvision' || scheme === 'timm' || scheme === 'timm-tf' ? parseTorchResNet : () => undefined;
  }
  switch (scheme) {
    case 'torchvision': return (n) => parseTorchvisionEfficientNet(n, ctx);
    case 'timm':
    case 'timm-tf': return (n) => parseTimmEfficientNet(n, ctx);
    case 'keras': return parseKerasEfficientNet;
  }
}

export interface SchemeDetection {
  scheme: WeightScheme;
  family: ModelFamily;
  /** How many of the (non-ignored) names the scheme understands. */
  matched: number;
  total: number;
}

/**
 * Detects the naming scheme (and model family) from the tensor names: the scheme that understands
 * the most names wins. ResNet names are the same in torchvision and timm: reported as 'torchvision'.
 * timm's tf_efficientnet_* cannot be told from efficientnet_* by names: reported as 'timm'.
 */
export function detectScheme(names: Iterable<string>, family?: ModelFamily): SchemeDetection {
  const list = [...names].filter((n) => !isIgnoredName(n));
  const families: ModelFamily[] = family ? [family] : ['efficientnet', 'resnet'];
  let best: SchemeDetection | undefined;
  for (const fam of families) {
    for (const scheme of ['canonical', 'torchvision', 'timm', 'keras'] as WeightScheme[]) {
      const parse = parserFor(scheme, fam, blockContext(list, scheme));
      let matched = 0;
      for (const n of list) if (parse(n)) matched++;
      if (!best || matched > best.matched) best = {scheme, family: fam, matched, total: list.length};
    }
  }
  return best!;
}

function transposeData(data: Float32Array, shape: number[], perm: number[]): {data: Float32Array; shape: number[]} {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const out = new Float32Array(data.length);
  const strides = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strides[d];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return {data: out, shape: outShape};
}

// Layout changes, source -> canonical. The inverse of each is its inverse permutation.
const PERM_TO_CANONICAL: Record<Exclude<Layout, 'none'>, number[]> = {
  conv: [2, 3, 1, 0],       // [O, I, H, W] -> [H, W, I, O]
  depthwise: [2, 3, 0, 1],  // [C, 1, H, W] -> [H, W, C, 1]
  linear: [1, 0],           // [out, in] -> [in, out]
};
const PERM_FROM_CANONICAL: Record<Exclude<Layout, 'none'>, number[]> = {
  conv: [3, 2, 0, 1],       // [H, W, I, O] -> [O, I, H, W]
  depthwise: [2, 3, 0, 1],  // [H, W, C, 1] -> [C, 1, H, W]
  linear: [1, 0],
};

function relayout(t: NamedArray, layout: Layout, perms: typeof PERM_TO_CANONICAL, name: string): NamedArray {
  if (layout === 'none') return t;
  const perm = perms[layout];
  if (t.shape.length !== perm.length) {
    throw new Error(`weights: '${name}' has shape [${t.shape.join(', ')}]; a ${layout} weight needs rank ${perm.length}`);
  }
  if (t.dtype !== 'float32') throw new Error(`weights: '${name}' has dtype ${t.dtype}; expected float32`);
  const r = transposeData(t.data as Float32Array, t.shape, perm);
  return {...t, data: r.data, shape: r.shape};
}

export interface MappedWeights {
  /** Canonical name -> tensor in canonical layout. */
  tensors: Map<string, NamedArray>;
  /** Source names no rule of the scheme covers (reported as unexpected by the loader). */
  unmapped: string[];
  /** Source names skipped on purpose (num_batches_tracked, Keras input normalisation). */
  ignored: string[];
  /** Canonical name -> source name, for messages. */
  sources: Map<string, string>;
}

/**
 * Maps source tensors to canonical names and layouts. Blocks are numbered globally in source
 * order (stage, then index within the stage).
 */
export function toCanonical(source: Map<string, NamedArray>, scheme: WeightScheme, family: ModelFamily): MappedWeights {
  const names = [...source.keys()];
  const ignored = names.filter(isIgnoredName);
  const live = names.filter((n) => !isIgnoredName(n));
  const parse = parserFor(scheme, family, blockContext(live, scheme));
  const parsed = new Map<string, Parsed>();
  const unmapped: string[] = [];
  const blocks = new Map<string, [number, number]>();
  for (const n of live) {
    const p = parse(n);
    if (!p) {
      unmapped.push(n);
      continue;
    }
    parsed.set(n, p);
    if (p.block) blocks.set(`${p.block[0]}.${p.block[1]}`, p.block);
  }
  const order = [...blocks.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const globalIndex = new Map(order.map((b, i) => [`${b[0]}.${b[1]}`, i]));
  const tensors = new Map<string, NamedArray>();
  const sources = new Map<string, string>();
  for (const [n, p] of parsed) {
    const name = p.block ? p.name.replace('{block}', String(globalIndex.get(`${p.block[0]}.${p.block[1]}`))) : p.name;
    if (tensors.has(name)) {
      unmapped.push(`${n} (maps to '${name}' like ${sources.get(name)})`);
      continue;
    }
    tensors.set(name, relayout(source.get(n)!, p.layout, PERM_TO_CANONICAL, n));
    sources.set(name, n);
  }
  return {tensors, unmapped, ignored, sources};
}

/**
 * Maps canonical tensors to a scheme's names and layouts (the inverse of toCanonical). EfficientNet
 * needs `stageRepeats`, the number of blocks in each stage, to place global block indices.
 */
export function fromCanonical(
  canonical: Map<string, NamedArray>, scheme: WeightScheme, family: ModelFamily, stageRepeats?: number[],
): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  const put = (name: string, t: NamedArray, layout: Layout, from: string) => {
    if (out.has(name)) throw new Error(`weights: two tensors map to '${name}'`);
    out.set(name, relayout(t, layout, PERM_FROM_CANONICAL, from));
  };
  if (scheme === 'canonical') {
    for (const [k, v] of canonical) out.set(k, v);
    return out;
  }
  if (family === 'resnet') {
    if (scheme === 'keras') throw new Error(`weights: no Keras names for ResNet; supported: canonical, torchvision, timm`);
    for (const [k, t] of canonical) {
      let m: RegExpExecArray | null;
      let name: string;
      let layout: Layout = 'none';
      if (k === 'stem/conv/kernel') [name, layout] = ['conv1.weight', 'conv'];
      else if ((m = /^stem\/bn\/(\w+)$/.exec(k))) name = `bn1.${BN_TORCH[m[1]]}`;
      else if (k === 'classifier/kernel') [name, layout] = ['fc.weight', 'linear'];
      else if (k === 'classifier/bias') name = 'fc.bias';
      else if ((m = /^layers\/(\d+)\/(\d+)\/(.+)$/.exec(k))) {
        const prefix = `layer${Number(m[1]) + 1}.${m[2]}`;
        const rest = m[3];
        let r: RegExpExecArray | null;
        if ((r = /^(conv[123])\/kernel$/.exec(rest))) [name, layout] = [`${prefix}.${r[1]}.weight`, 'conv'];
        else if ((r = /^(bn[123])\/(\w+)$/.exec(rest))) name = `${prefix}.${r[1]}.${BN_TORCH[r[2]]}`;
        else if (rest === 'downsample/conv/kernel') [name, layout] = [`${prefix}.downsample.0.weight`, 'conv'];
        else if ((r = /^downsample\/bn\/(\w+)$/.exec(rest))) name = `${prefix}.downsample.1.${BN_TORCH[r[1]]}`;
        else throw new Error(`weights: unknown canonical name '${k}'`);
      } else throw new Error(`weights: unknown canonical name '${k}'`);
      put(name, t, layout, k);
    }
    return out;
  }
  if (!stageRepeats) throw new Error('weights: fromCanonical needs stageRepeats for EfficientNet');
  const position: [number, number][] = [];
  stageRepeats.forEach((r, s) => {
    for (let j = 0; j < r; j++) position.push([s, j]);
  });
  const hasExpand = (i: number) => canonical.has(`blocks/${i}/expand/conv/kernel`);
  const letters = (j: number) => {
    let s = '';
    do {
      s = String.fromCharCode(97 + (j % 26)) + s;
      j = Math.floor(j / 26) - 1;
    } while (j >= 0);
    return s;
  };
  for (const [k, t] of canonical) {
    let m: RegExpExecArray | null;
    let name: string | undefined;
    let layout: Layout = 'none';
    const torch = scheme !== 'keras';
    if (k === 'stem/conv/kernel' || k === 'head/conv/kernel') {
      const stem = k.startsWith('stem');
      layout = torch ? 'conv' : 'none';
      name = scheme === 'torchvision' ? (stem ? 'features.0.0.weight' : `features.${stageRepeats.length + 1}.0.weight`)
        : torch ? (stem ? 'conv_stem.weight' : 'conv_head.weight') : (stem ? 'stem_conv/kernel' : 'top_conv/kernel');
    } else if ((m = /^(stem|head)\/bn\/(\w+)$/.exec(k))) {
      const stem = m[1] === 'stem';
      name = scheme === 'torchvision' ? `features.${stem ? 0 : stageRepeats.length + 1}.1.${BN_TORCH[m[2]]}`
        : torch ? `${stem ? 'bn1' : 'bn2'}.${BN_TORCH[m[2]]}` : `${stem ? 'stem_bn' : 'top_bn'}/${BN_KERAS[m[2]]}`;
    } else if ((m = /^classifier\/(kernel|bias)$/.exec(k))) {
      const w = m[1] === 'kernel';
      layout = w && torch ? 'linear' : 'none';
      name = scheme === 'torchvision' ? `classifier.1.${w ? 'weight' : 'bias'}`
        : torch ? `classifier.${w ? 'weight' : 'bias'}` : `predictions/${m[1]}`;
    } else if ((m = /^blocks\/(\d+)\/(.+)$/.exec(k))) {
      const i = Number(m[1]);
      if (i >= position.length) throw new Error(`weights: '${k}' is beyond the ${position.length} blocks of stageRepeats`);
      const [s, j] = position[i];
      const rest = m[2];
      const ex = hasExpand(i);
      let r: RegExpExecArray | null;
      if (scheme === 'torchvision') {
        const idx: Record<string, number> = ex ? {expand: 0, depthwise: 1, se: 2, project: 3} : {depthwise: 0, se: 1, project: 2};
        const prefix = `features.${s + 1}.${j}.block`;
        if ((r = /^(expand|depthwise|project)\/conv\/kernel$/.exec(rest))) {
          [name, layout] = [`${prefix}.${idx[r[1]]}.0.weight`, r[1] === 'depthwise' ? 'depthwise' : 'conv'];
        } else if ((r = /^(expand|depthwise|project)\/bn\/(\w+)$/.exec(rest))) {
          name = `${prefix}.${idx[r[1]]}.1.${BN_TORCH[r[2]]}`;
        } else if ((r = /^se\/(reduce|expand)\/(kernel|bias)$/.exec(rest))) {
          [name, layout] = [`${prefix}.${idx.se}.${r[1] === 'reduce' ? 'fc1' : 'fc2'}.${r[2] === 'kernel' ? 'weight' : 'bias'}`, r[2] === 'kernel' ? 'conv' : 'none'];
        }
      } else if (torch) {
        const prefix = `blocks.${s}.${j}`;
        const convs: Record<string, string> = ex ? {expand: 'conv_pw', depthwise: 'conv_dw', project: 'conv_pwl'} : {depthwise: 'conv_dw', project: 'conv_pw'};
        const bns: Record<string, string> = ex ? {expand: 'bn1', depthwise: 'bn2', project: 'bn3'} : {depthwise: 'bn1', project: 'bn2'};
        if ((r = /^(expand|depthwise|project)\/conv\/kernel$/.exec(rest))) {
          [name, layout] = [`${prefix}.${convs[r[1]]}.weight`, r[1] === 'depthwise' ? 'depthwise' : 'conv'];
        } else if ((r = /^(expand|depthwise|project)\/bn\/(\w+)$/.exec(rest))) {
          name = `${prefix}.${bns[r[1]]}.${BN_TORCH[r[2]]}`;
        } else if ((r = /^se\/(reduce|expand)\/(kernel|bias)$/.exec(rest))) {
          [name, layout] = [`${prefix}.se.conv_${r[1]}.${r[2] === 'kernel' ? 'weight' : 'bias'}`, r[2] === 'kernel' ? 'conv' : 'none'];
        }
      } else {
        const prefix = `block${s + 1}${letters(j)}`;
        if ((r = /^(expand|project)\/conv\/kernel$/.exec(rest))) name = `${prefix}_${r[1]}_conv/kernel`;
        else if (rest === 'depthwise/conv/kernel') name = `${prefix}_dwconv/depthwise_kernel`;
        else if ((r = /^(expand|depthwise|project)\/bn\/(\w+)$/.exec(rest))) {
          name = `${prefix}_${r[1] === 'depthwise' ? 'bn' : `${r[1]}_bn`}/${BN_KERAS[r[2]]}`;
        } else if ((r = /^se\/(reduce|expand)\/(kernel|bias)$/.exec(rest))) name = `${prefix}_se_${r[1]}/${r[2]}`;
      }
    }
    if (!name) throw new Error(`weights: unknown canonical name '${k}'`);
    put(name, t, layout, k);
  }
  return out;
}

export interface FamilyNumerics {
  padding: PaddingMode;
  bnEpsilon: number;
}

/**
 * Padding and batch-norm epsilon that weights of a scheme were trained with (DESIGN.md):
 * Keras and timm tf_efficientnet_*: SAME + 1e-3; torchvision EfficientNet B0-B4 symmetric + 1e-5,
 * B5-B7 symmetric + 1e-3; timm efficientnet_*: symmetric + 1e-5; ResNets symmetric + 1e-5.
 * `variant` ('b5', 'efficientnet_b6', ...) picks torchvision's epsilon; without it, width >= 1.6
 * (B5 and up) does.
 */
export function familyNumerics(scheme: WeightScheme, family: ModelFamily, variant?: string, width?: number): FamilyNumerics {
  if (family === 'resnet') return {padding: 'symmetric', bnEpsilon: scheme === 'keras' ? 1.001e-5 : 1e-5};
  switch (scheme) {
    case 'keras':
    case 'timm-tf':
      return {padding: 'same', bnEpsilon: 1e-3};
    case 'timm':
      return {padding: 'symmetric', bnEpsilon: 1e-5};
    case 'torchvision':
    case 'canonical': {
      const m = variant ? /b([0-9])\b|b([0-9])$/i.exec(variant) : null;
      const big = m ? Number(m[1] ?? m[2]) >= 5 : (width ?? 1) >= 1.6;
      return {padding: 'symmetric', bnEpsilon: big ? 1e-3 : 1e-5};
    }
  }
}
