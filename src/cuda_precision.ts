// The arithmetic of native-cuda's GEMMs (Conv2D / FusedConv2D of every filter size, BatchMatMul /
// _FusedMatMul, the fused MBConv block's projection): 'fp32' (the default) on the SIMT cores in float32,
// within 1e-4 relative of native-cpu; 'tf32', 'fp16' or 'bf16' on the tensor cores, inputs rounded to
// that format as they are read, products accumulated in float32. Tensors stay float32 in memory in every
// mode. Depthwise convolutions, the fused MBConv block's expand conv and every other op run in float32.
// A process-wide setting of the CUDA addon, read when an op is queued.
import {loadCudaAddon, cudaStatus} from './native_cuda.js';

export type CudaPrecision = 'fp32' | 'tf32' | 'fp16' | 'bf16';

/** The accepted modes, strictest first. */
export const CUDA_PRECISIONS: readonly CudaPrecision[] = ['fp32', 'tf32', 'fp16', 'bf16'];

/** The CUDA addon's precision entries (binding_cuda/precision.cc). */
interface PrecisionEntries {
  setCudaPrecision(name: string): string;
  getCudaPrecision(): string;
}

function isPrecision(value: unknown): value is CudaPrecision {
  return typeof value === 'string' && (CUDA_PRECISIONS as readonly string[]).includes(value);
}

function unknownMode(what: string, value: unknown): string {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return `${what}: unknown precision ${shown}; supported: ${CUDA_PRECISIONS.join(', ')}`;
}

/**
 * Reads a value of EFFNET_CUDA_PRECISION: unset or blank means no setting; otherwise one of
 * CUDA_PRECISIONS, case and surrounding spaces ignored. Pure: nothing is applied.
 */
export function parseCudaPrecision(value: string | undefined): {mode?: CudaPrecision; error?: string} {
  if (value === undefined || value.trim() === '') return {};
  const name = value.trim().toLowerCase();
  if (!isPrecision(name)) return {error: unknownMode('EFFNET_CUDA_PRECISION', value)};
  return {mode: name};
}

/** The CUDA addon's precision entries, or undefined (with the reason) where CUDA is not used. */
function entries(): {addon?: PrecisionEntries; reason: string} {
  const addon = loadCudaAddon() as (Partial<PrecisionEntries> & object) | undefined;
  if (addon === undefined) return {reason: `CUDA is not used (${cudaStatus().reason})`};
  if (typeof addon.setCudaPrecision !== 'function' || typeof addon.getCudaPrecision !== 'function') {
    return {reason: 'the loaded CUDA addon has no precision setting (an older build: rebuild it)'};
  }
  return {addon: addon as PrecisionEntries, reason: ''};
}

/** The precision native-cuda's GEMMs run in now; 'fp32' where CUDA is not used. */
export function getCudaPrecision(): CudaPrecision {
  const {addon} = entries();
  if (addon === undefined) return 'fp32';
  const mode = addon.getCudaPrecision();
  return isPrecision(mode) ? mode : 'fp32';
}

/**
 * Sets the precision of native-cuda's GEMMs (see CUDA_PRECISIONS; EFFNET_CUDA_PRECISION sets it at
 * load) and returns the previous one. Ops already queued keep theirs. Where CUDA is not used (no GPU,
 * no CUDA build, EFFNET_NATIVE_CUDA=0) everything runs on native-cpu in float32: 'fp32' is accepted and
 * does nothing, any other mode throws an Error saying why CUDA is not used.
 */
export function setCudaPrecision(mode: CudaPrecision): CudaPrecision {
  if (!isPrecision(mode)) throw new Error(unknownMode('setCudaPrecision', mode));
  const {addon, reason} = entries();
  if (addon === undefined) {
    if (mode === 'fp32') return 'fp32';
    throw new Error(`setCudaPrecision('${mode}'): ${reason}; only 'fp32' is accepted without it (native-cpu computes in float32)`);
  }
  const previous = addon.setCudaPrecision(mode);
  return isPrecision(previous) ? previous : 'fp32';
}

/**
 * Applies EFFNET_CUDA_PRECISION (read once, at load). An unknown value prints a warning naming the
 * accepted ones and leaves 'fp32'; where CUDA is not used the variable is ignored.
 */
export function applyCudaPrecisionEnvironment(env: Record<string, string | undefined> = process.env): void {
  const {mode, error} = parseCudaPrecision(env.EFFNET_CUDA_PRECISION);
  if (error !== undefined) {
    console.warn(`effnet-native: ${error}; using fp32`);
    return;
  }
  if (mode === undefined || entries().addon === undefined) return;
  setCudaPrecision(mode);
}
