// EfficientNet's baseline stage table, channel/depth rounding, the B0-B7 variants and compound
// scaling (Tan & Le, ICML 2019, Sec. 3.3 and Table 1).

/** Spatial padding rule of convolutions and pools. */
export type PaddingMode = 'same' | 'symmetric';

/**
 * One stage of the baseline network B0 (the paper's Table 1): MBConv blocks with this kernel,
 * repeated `repeats` times; the first block has `stride` and maps `inChannels` to `outChannels`.
 */
export interface StageSpec {
  kernelSize: number;
  repeats: number;
  stride: number;
  expandRatio: number;
  inChannels: number;
  outChannels: number;
}

/** B0's seven MBConv stages (kernel, repeats, stride, expand, in -> out). */
export const B0_STAGES: readonly StageSpec[] = Object.freeze([
  {kernelSize: 3, repeats: 1, stride: 1, expandRatio: 1, inChannels: 32, outChannels: 16},
  {kernelSize: 3, repeats: 2, stride: 2, expandRatio: 6, inChannels: 16, outChannels: 24},
  {kernelSize: 5, repeats: 2, stride: 2, expandRatio: 6, inChannels: 24, outChannels: 40},
  {kernelSize: 3, repeats: 3, stride: 2, expandRatio: 6, inChannels: 40, outChannels: 80},
  {kernelSize: 5, repeats: 3, stride: 1, expandRatio: 6, inChannels: 80, outChannels: 112},
  {kernelSize: 5, repeats: 4, stride: 2, expandRatio: 6, inChannels: 112, outChannels: 192},
  {kernelSize: 3, repeats: 1, stride: 1, expandRatio: 6, inChannels: 192, outChannels: 320},
].map((s) => Object.freeze(s)));

/** B0's stem (3x3 stride 2) and head (1x1) channel counts before width scaling. */
export const B0_STEM_CHANNELS = 32;
export const B0_HEAD_CHANNELS = 1280;
/** B0's input resolution. */
export const B0_RESOLUTION = 224;
/** SE bottleneck: max(1, floor(block input channels * SE_RATIO)). */
export const SE_RATIO = 0.25;

/**
 * Scales a channel count by `width` and rounds it to a multiple of `divisor` (the reference
 * implementations' round_filters / _make_divisible): max(divisor, floor(f*w + divisor/2) rounded
 * down to a multiple of divisor), plus one divisor if that lost more than 10%.
 */
export function roundFilters(filters: number, width: number, divisor = 8): number {
  const scaled = filters * width;
  let rounded = Math.max(divisor, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

/** Scales a stage's block count by `depth`, rounding up: ceil(depth * repeats). */
export function roundRepeats(repeats: number, depth: number): number {
  return Math.ceil(depth * repeats);
}

/** Coefficients of one EfficientNet: width and depth multipliers, input size, dropout rate. */
export interface EfficientNetScaling {
  width: number;
  depth: number;
  resolution: number;
  dropout: number;
}

/** The paper's B0-B7 (width, depth, resolution, dropout), as in the reference implementations. */
export const EFFICIENTNET_VARIANTS: Readonly<Record<EfficientNetVariant, Readonly<EfficientNetScaling>>> =
  Object.freeze({
    b0: {width: 1.0, depth: 1.0, resolution: 224, dropout: 0.2},
    b1: {width: 1.0, depth: 1.1, resolution: 240, dropout: 0.2},
    b2: {width: 1.1, depth: 1.2, resolution: 260, dropout: 0.3},
    b3: {width: 1.2, depth: 1.4, resolution: 300, dropout: 0.3},
    b4: {width: 1.4, depth: 1.8, resolution: 380, dropout: 0.4},
    b5: {width: 1.6, depth: 2.2, resolution: 456, dropout: 0.4},
    b6: {width: 1.8, depth: 2.6, resolution: 528, dropout: 0.5},
    b7: {width: 2.0, depth: 3.1, resolution: 600, dropout: 0.5},
  });

export type EfficientNetVariant = 'b0' | 'b1' | 'b2' | 'b3' | 'b4' | 'b5' | 'b6' | 'b7';

/** Options shared by every EfficientNet configuration. */
export interface EfficientNetOptions {
  /**
   * 'same' (TF/Keras and timm `tf_efficientnet_*`: TF's SAME rule, the smaller half of the padding
   * before) or 'symmetric' (torchvision and timm `efficientnet_*`: (k-1)/2 on each side).
   * Default 'same'.
   */
  padding?: PaddingMode;
  /** Batch-norm epsilon. Default 1e-3 (TF/Keras/timm tf_, torchvision B5-B7; torchvision B0-B4 use 1e-5). */
  bnEpsilon?: number;
  /** Classifier outputs. Default 1000. */
  numClasses?: number;
  /** Whether to add global pooling and the classifier after the head conv. Default true. */
  includeTop?: boolean;
}

/** A complete EfficientNet configuration. */
export interface EfficientNetConfig extends EfficientNetScaling {
  family: 'efficientnet';
  /** 'b0'..'b7' or a description of a custom scaling. */
  name: string;
  padding: PaddingMode;
  bnEpsilon: number;
  numClasses: number;
  includeTop: boolean;
}

/** Accepts 'b3', 'B3', 'efficientnet-b3', 'efficientnet_b3'. */
function parseVariant(name: string): EfficientNetVariant | null {
  const m = /^(?:efficientnet[-_]?)?b([0-7])$/i.exec(name.trim());
  return m ? (`b${m[1]}` as EfficientNetVariant) : null;
}

/**
 * An EfficientNet configuration: a variant by name ('b0'..'b7') or any custom scaling
 * {width, depth, resolution, dropout?}.
 */
export function efficientNetConfig(
  variant: string | (Omit<EfficientNetScaling, 'dropout'> & {dropout?: number; name?: string}),
  options: EfficientNetOptions = {},
): EfficientNetConfig {
  let scaling: EfficientNetScaling;
  let name: string;
  if (typeof variant === 'string') {
    const v = parseVariant(variant);
    if (v == null) {
      throw new Error(`efficientNetConfig: unknown variant '${variant}'; supported: b0..b7 or {width, depth, resolution}`);
    }
    scaling = {...EFFICIENTNET_VARIANTS[v]};
    name = v;
  } else {
    const {width, depth, resolution} = variant;
    for (const [key, value] of Object.entries({width, depth, resolution})) {
      if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        throw new Error(`efficientNetConfig: ${key} must be a positive number, got ${value}`);
      }
    }
    if (!Number.isInteger(resolution)) {
      throw new Error(`efficientNetConfig: resolution must be an integer, got ${resolution}`);
    }
    scaling = {width, depth, resolution, dropout: variant.dropout ?? 0.2};
    name = variant.name ?? `custom(w=${width}, d=${depth}, r=${resolution})`;
  }
  const padding = options.padding ?? 'same';
  if (padding !== 'same' && padding !== 'symmetric') {
    throw new Error(`efficientNetConfig: padding '${padding}' is not supported; supported: same, symmetric`);
  }
  const numClasses = options.numClasses ?? 1000;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`efficientNetConfig: numClasses must be a positive integer, got ${numClasses}`);
  }
  return {
    family: 'efficientnet',
    name,
    ...scaling,
    padding,
    bnEpsilon: options.bnEpsilon ?? 1e-3,
    numClasses,
    includeTop: options.includeTop ?? true,
  };
}

/** Base of compound scaling: depth alpha^phi, width beta^phi, resolution gamma^phi. */
export interface CompoundCoefficients {
  alpha: number;
  beta: number;
  gamma: number;
}

/** The paper's grid-searched coefficients for B0 (Sec. 4.2). */
export const PAPER_COEFFICIENTS: Readonly<CompoundCoefficients> = Object.freeze({alpha: 1.2, beta: 1.1, gamma: 1.15});

export interface CompoundScaled {
  phi: number;
  /** alpha^phi */
  depth: number;
  /** beta^phi */
  width: number;
  /** gamma^phi */
  resolutionMultiplier: number;
  /** round(224 * gamma^phi) */
  resolution: number;
  /** (alpha * beta^2 * gamma^2)^phi: the expected growth of multiply-adds over B0. */
  flopsMultiplier: number;
  config: EfficientNetConfig;
}

/**
 * Compound scaling (the paper's Eq. 3): depth alpha^phi, width beta^phi, resolution gamma^phi,
 * the resolution rounded to the nearest integer number of pixels. The multipliers themselves are
 * kept exact (round_filters and round_repeats do the rounding inside the network). The named
 * variants B1-B7 are not exactly compound-scaled B0: use efficientNetConfig('b1') etc. for those.
 */
export function compoundScale(
  phi: number,
  coefficients: CompoundCoefficients = PAPER_COEFFICIENTS,
  options: EfficientNetOptions & {dropout?: number} = {},
): CompoundScaled {
  if (!Number.isFinite(phi)) throw new Error(`compoundScale: phi must be a finite number, got ${phi}`);
  const {alpha, beta, gamma} = coefficients;
  for (const [key, value] of Object.entries({alpha, beta, gamma})) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new Error(`compoundScale: ${key} must be a positive number, got ${value}`);
    }
  }
  const depth = alpha ** phi;
  const width = beta ** phi;
  const resolutionMultiplier = gamma ** phi;
  const resolution = Math.max(1, Math.round(B0_RESOLUTION * resolutionMultiplier));
  const config = efficientNetConfig(
    {width, depth, resolution, dropout: options.dropout, name: `compound(phi=${phi})`},
    options,
  );
  return {
    phi,
    depth,
    width,
    resolutionMultiplier,
    resolution,
    flopsMultiplier: (alpha * beta * beta * gamma * gamma) ** phi,
    config,
  };
}

/** One MBConv block of a scaled network, with every channel count resolved. */
export interface MBConvBlockSpec {
  /** 0-based index over all blocks of the network (the weight-name index). */
  index: number;
  /** 0-based stage (row of B0_STAGES). */
  stage: number;
  /** 0-based position inside the stage. */
  indexInStage: number;
  kernelSize: number;
  stride: number;
  expandRatio: number;
  inChannels: number;
  /** inChannels * expandRatio (equal to inChannels when expandRatio is 1: no expand conv). */
  expandedChannels: number;
  /** max(1, floor(inChannels * 0.25)). */
  seChannels: number;
  outChannels: number;
  /** stride 1 and inChannels == outChannels. */
  residual: boolean;
}

/** Every MBConv block of a configuration, in order. */
export function efficientNetBlocks(config: Pick<EfficientNetScaling, 'width' | 'depth'>): MBConvBlockSpec[] {
  const blocks: MBConvBlockSpec[] = [];
  B0_STAGES.forEach((stage, s) => {
    const repeats = roundRepeats(stage.repeats, config.depth);
    const stageIn = roundFilters(stage.inChannels, config.width);
    const out = roundFilters(stage.outChannels, config.width);
    for (let j = 0; j < repeats; j++) {
      const inChannels = j === 0 ? stageIn : out;
      const stride = j === 0 ? stage.stride : 1;
      blocks.push({
        index: blocks.length,
        stage: s,
        indexInStage: j,
        kernelSize: stage.kernelSize,
        stride,
        expandRatio: stage.expandRatio,
        inChannels,
        expandedChannels: inChannels * stage.expandRatio,
        seChannels: Math.max(1, Math.floor(inChannels * SE_RATIO)),
        outChannels: out,
        residual: stride === 1 && inChannels === out,
      });
    }
  });
  return blocks;
}
