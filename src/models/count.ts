// Parameter and multiply-add counts, computed by walking the same model definitions the builders
// run (graph.ts ShapeTracer), so they cannot drift from the built models.
//
// Parameters: conv kernels and biases, batch-norm gamma and beta (running mean and variance are
// not parameters), dense kernels and biases: torchvision's numel() over parameters().
// Multiply-adds: convs (out_h * out_w * k * k * in_channels * out_channels, depthwise without the
// in_channels factor) and dense layers, for one image; batch norm, activations, pools, additions
// and the SE gate multiplication are not counted (the paper's "FLOPS" are these multiply-adds).
import {amoebaNetGraph, type AmoebaNetConfig} from './amoebanet.js';
import {efficientNetGraph} from './efficientnet.js';
import {type LayerRecord, type ModelGraph, type Trace, traceGraph, type WeightSpec} from './graph.js';
import {resNetGraph, type ResNetConfig} from './resnet.js';
import type {EfficientNetConfig} from './scaling.js';

/** Any model configuration this package builds. */
export type ModelConfig = EfficientNetConfig | ResNetConfig | AmoebaNetConfig;

function graphOf(config: ModelConfig): ModelGraph<ModelConfig> {
  switch (config?.family) {
    case 'efficientnet':
      return efficientNetGraph as ModelGraph<ModelConfig>;
    case 'resnet':
      return resNetGraph as ModelGraph<ModelConfig>;
    case 'amoebanet':
      return amoebaNetGraph as ModelGraph<ModelConfig>;
    default:
      throw new Error(
        `unknown model family '${(config as {family?: string})?.family}'; supported: efficientnet, resnet, amoebanet`,
      );
  }
}

/** Walks a model for one `resolution` x `resolution` image (default: the config's resolution). */
export function traceModel(config: ModelConfig, resolution: number = config.resolution): Trace {
  return traceGraph(graphOf(config), config, resolution);
}

/** Trainable parameters (BN gamma and beta count, running statistics do not). */
export function countParams(config: ModelConfig): number {
  return traceModel(config).params;
}

/** Multiply-adds of convs and dense layers for one image at `resolution` (default: the config's). */
export function countMultiplyAdds(config: ModelConfig, resolution: number = config.resolution): number {
  return traceModel(config, resolution).multiplyAdds;
}

/** Canonical weight names and shapes of any model. */
export function weightSpec(config: ModelConfig): WeightSpec[] {
  return traceModel(config).weights;
}

/** Per-layer breakdown (conv and dense layers with their shapes and multiply-adds). */
export function layerSummary(config: ModelConfig, resolution: number = config.resolution): LayerRecord[] {
  return traceModel(config, resolution).layers;
}
