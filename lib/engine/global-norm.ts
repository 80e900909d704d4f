/**
 * The global norm sqrt(Σ‖g‖²) of a list of tensors (the training loop's gradient-norm record and its
 * non-finite guard), as one engine op.
 *
 * Composed of tfjs ops it is a Square and a Sum per tensor, an AddN and a Sqrt: 26 of the toy GAN's 292 kernel
 * calls per step (issue 12 §4). On wasm, `TsganGlobalNorm` reads every tensor where the heap keeps it and
 * accumulates the squares in float64 (four partial sums, so the loop is not one long dependency chain), one
 * rounding at the end: closer to the exact norm than float32 Square + Sum, and a NaN or ±Infinity anywhere
 * still gives a non-finite norm. It has no gradient: nothing differentiates the record.
 */
import * as tf from "@tensorflow/tfjs";
import { TensorInfo, WasmBackend } from "./wasm-backend-access";

export const GLOBAL_NORM_KERNEL = "TsganGlobalNorm";

/** sqrt(Σ‖g‖²) over all tensors (0 for none); one op where the backend has the kernel. */
export function globalNorm(tensors: tf.Tensor[]): tf.Scalar {
  if (tensors.length === 0) return tf.scalar(0);
  const fused = tensors.every((t) => t.dtype === "float32") && tf.getKernel(GLOBAL_NORM_KERNEL, tf.getBackend()) !== undefined;
  if (fused) return tf.engine().runKernel(GLOBAL_NORM_KERNEL, tensors as unknown as tf.NamedTensorMap) as tf.Scalar;
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Σ x² of a float32 array in float64, four interleaved partial sums. */
export function sumOfSquares(x: Float32Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = x.length, m = n - (n % 4);
  for (let i = 0; i < m; i += 4) {
    const a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
    s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
  }
  for (let i = m; i < n; i++) s0 += x[i] * x[i];
  return (s0 + s1) + (s2 + s3);
}

/** wasm: every input's squares summed from the heap; the output is a new scalar. */
function globalNormWasm(args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend } = args;
  const out = backend.makeOutput([], "float32");
  // Views only now: nothing allocates after this point.
  let total = 0;
  for (const t of Object.values(inputs)) {
    const view = backend.typedArrayFromHeap(t);
    if (!(view instanceof Float32Array)) throw new Error(`${GLOBAL_NORM_KERNEL}: every tensor must be float32, got ${t.dtype}.`);
    total += sumOfSquares(view);
  }
  (backend.typedArrayFromHeap(out) as Float32Array)[0] = Math.sqrt(total);
  return out;
}

/** The kernel as a (name, function) pair for `installWasmKernels`. */
export const GLOBAL_NORM_WASM_KERNELS = [[GLOBAL_NORM_KERNEL, globalNormWasm]] as const;
