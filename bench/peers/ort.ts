// The strongest CPU peer: onnxruntime-node on torchvision's models exported to ONNX (opset 13,
// torch.onnx.export of torchvision.models.<name>(weights=None)): files named `<torchvision name>.onnx`
// (efficientnet_b0.onnx ... efficientnet_b7.onnx, resnet50.onnx, resnet101.onnx, resnet152.onnx),
// input 'x' NCHW [1, 3, R, R] at the model's standard resolution, fixed batch 1.
//
// onnxruntime-node is not a dependency of this package: it is loaded at run time, from the
// project's node_modules or from the folder ORT_PATH names.
import {existsSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join} from 'node:path';

export const ORT_INSTALL_HINT =
  'install it with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node` ' +
  '(the variable skips its install script, which downloads CUDA parts), or install it in another folder ' +
  'and set ORT_PATH=<folder>/node_modules/onnxruntime-node';

/** The parts of onnxruntime-node's API the benchmark uses. */
export interface OrtModule {
  InferenceSession: {
    create(path: string, options: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}

export interface OrtSession {
  inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<unknown>;
  release(): Promise<void>;
}

export interface LoadedOrt {
  ort: OrtModule;
  version: string;
  from: string;
}

/** Loads onnxruntime-node (ORT_PATH first when set); throws with installation advice when missing. */
export async function loadOrt(): Promise<LoadedOrt> {
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  const override = process.env.ORT_PATH;
  if (override) {
    try {
      const ort = require(override) as OrtModule;
      const version = (require(join(override, 'package.json')) as {version: string}).version;
      return {ort, version, from: override};
    } catch (e) {
      errors.push(`ORT_PATH=${override}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    const name = 'onnxruntime-node';
    const mod = (await import(name)) as {default?: OrtModule} & OrtModule;
    const ort = mod.InferenceSession ? mod : (mod.default as OrtModule);
    let version = '?';
    try {
      version = (require('onnxruntime-node/package.json') as {version: string}).version;
    } catch {
      // version unknown
    }
    return {ort, version, from: 'node_modules'};
  } catch (e) {
    errors.push(`import('onnxruntime-node'): ${(e as Error).message.split('\n')[0]}`);
  }
  throw new Error(`onnxruntime-node is not available (${errors.join('; ')}); ${ORT_INSTALL_HINT}`);
}

/** Standard input sizes of the exported models. */
export const ONNX_RESOLUTIONS: Readonly<Record<string, number>> = {
  efficientnet_b0: 224,
  efficientnet_b1: 240,
  efficientnet_b2: 260,
  efficientnet_b3: 300,
  efficientnet_b4: 380,
  efficientnet_b5: 456,
  efficientnet_b6: 528,
  efficientnet_b7: 600,
  resnet50: 224,
  resnet101: 224,
  resnet152: 224,
};

/**
 * The ONNX file for a model, or why there is none usable: `name` is the torchvision name
 * ('efficientnet_b1', 'resnet152'; null for models torchvision does not have).
 */
export function onnxFile(dir: string, name: string | null, resolution: number, batch: number): {path: string} | {reason: string} {
  if (name == null) return {reason: 'torchvision has no such model, so there is no ONNX export'};
  const path = join(dir, `${name}.onnx`);
  if (!existsSync(path)) return {reason: `no ${name}.onnx in ${dir}`};
  const fixed = ONNX_RESOLUTIONS[name];
  if (fixed != null && fixed !== resolution) return {reason: `${name}.onnx is fixed at ${fixed}x${fixed}, not ${resolution}`};
  if (batch !== 1) return {reason: 'the exported models have a fixed batch of 1'};
  return {path};
}

/** Opens a model with one session of `threads` intra-op threads; returns the call to time. */
export async function ortRunner(
  loaded: LoadedOrt,
  path: string,
  resolution: number,
  threads: number,
): Promise<{run: () => Promise<void>; release: () => Promise<void>}> {
  const session = await loaded.ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const data = new Float32Array(3 * resolution * resolution);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s / 4294967296 - 0.5;
  }
  const x = new loaded.ort.Tensor('float32', data, [1, 3, resolution, resolution]);
  const feeds = {[session.inputNames[0]]: x};
  return {
    run: async () => {
      await session.run(feeds);
    },
    release: () => session.release(),
  };
}
