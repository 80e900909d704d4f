/**
 * A dense layer's y = act(x·W + b) as ONE engine op, forward and backward, for the small networks whose
 * training step is dominated by per-op overhead rather than by arithmetic (issue 12 §4: the toy GANs of
 * chapters 1–4 spend over half of each step outside kernels).
 *
 * What tfjs does for `tf.layers.dense` followed by `tf.layers.leakyReLU` while a gradient tape records:
 * three Reshapes, `_FusedMatMul` (bias only: tfjs fuses no activation but linear under a tape), a Reshape, a
 * `LeakyRelu`, five saved-tensor copies, and in the backward pass Greater + Multiply + Select for the
 * activation, two matmuls with their Reshapes, a Sum and a Reshape for the bias — about twenty engine ops per
 * layer. Here: forward one `TsganDense` kernel (wasm's `_FusedMatMul` with the activation fused), three saved
 * copies; backward one `TsganActivationGrad` and then only the products that are asked for (the generator's
 * update needs ∂/∂x through D, not D's weight gradients).
 *
 * The numbers are the same kernels' in the same order — the tests check bit-identity with the unfused layers
 * on wasm, and agreement with the cpu backend — and the backward pass is written in differentiable ops, so
 * double backprop (WGAN-GP's penalty, Gulrajani et al. 2017) works through it.
 *
 * The mask for ReLU/leaky ReLU is read from the OUTPUT: for a slope α ≥ 0, y > 0 exactly when x·W + b > 0,
 * so the pre-activation need not be kept.
 *
 * On backends without these kernels (cpu, webgl, tfjs-node) `denseActivation` composes tfjs's own ops.
 */
import * as tf from "@tensorflow/tfjs";
import { simdLoopsFor } from "./perf-simd";
import { gemmProduct } from "./wasm-gemm";
import { TensorInfo, WasmBackend, floatView, viewAs, wasmKernelFunc, wasmMemoryOf } from "./wasm-backend-access";

/** Activations fused into the op; others are applied by the caller after a linear `denseActivation`. */
export type FusedDenseActivation = "linear" | "relu" | "leakyRelu";

export const DENSE_KERNEL = "TsganDense";
export const ACTIVATION_GRAD_KERNEL = "TsganActivationGrad";

/** The slope for x < 0 that a fused activation has: 0 for ReLU, α for leaky ReLU (null: linear). */
function negativeSlope(activation: FusedDenseActivation, alpha: number): number | null {
  if (activation === "linear") return null;
  return activation === "relu" ? 0 : alpha;
}

function checkArguments(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined, activation: string, alpha: number): void {
  if (x.rank !== 2 || kernel.rank !== 2) {
    throw new Error(`denseActivation: x and kernel must be matrices, got shapes [${x.shape}] and [${kernel.shape}]; reshape x to [batch, features].`);
  }
  if (x.shape[1] !== kernel.shape[0]) {
    throw new Error(`denseActivation: x has ${x.shape[1]} features but the kernel expects ${kernel.shape[0]} (kernel shape [${kernel.shape}]).`);
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== kernel.shape[1])) {
    throw new Error(`denseActivation: bias must have shape [${kernel.shape[1]}], got [${bias.shape}].`);
  }
  if (activation !== "linear" && activation !== "relu" && activation !== "leakyRelu") {
    throw new Error(`denseActivation: activation must be "linear", "relu" or "leakyRelu", got "${activation}"; apply others after a linear one.`);
  }
  if (activation === "leakyRelu" && !(Number.isFinite(alpha) && alpha >= 0)) {
    // The backward pass reads the mask from the output's sign, which needs α ≥ 0.
    throw new Error(`denseActivation: the leaky ReLU slope must be a finite number >= 0, got ${alpha}.`);
  }
}

/** Whether the active backend has the fused kernels (wasm with tsgan's kernels installed). */
export function fusedDenseAvailable(): boolean {
  return tf.getKernel(DENSE_KERNEL, tf.getBackend()) !== undefined;
}

/** dy masked by the activation's derivative, read from its output y: dy where y > 0, else slope·dy. */
export function activationGrad(dy: tf.Tensor, y: tf.Tensor, slope: number): tf.Tensor {
  if (tf.getKernel(ACTIVATION_GRAD_KERNEL, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(ACTIVATION_GRAD_KERNEL, { dy, y }, { slope }) as tf.Tensor;
  }
  return tf.tidy(() => tf.where(tf.greater(y, 0), dy, tf.mul(dy, tf.scalar(slope))));
}

/**
 * y = activation(x·kernel + bias) for x [batch, in], kernel [in, out], bias [out] (optional); leaky ReLU's
 * slope `alpha` (≥ 0). One op with its own gradient where the backend has the kernels, tfjs's ops elsewhere.
 */
export function denseActivation(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias?: tf.Tensor,
  activation: FusedDenseActivation = "linear",
  alpha = 0.2,
): tf.Tensor {
  checkArguments(x, kernel, bias, activation, alpha);
  if (fusedDenseAvailable()) {
    const inputs: Record<string, tf.Tensor> = bias === undefined ? { x, kernel } : { x, kernel, bias };
    return tf.engine().runKernel(DENSE_KERNEL, inputs, { activation, alpha }) as tf.Tensor;
  }
  return tf.tidy(() => {
    let z = tf.matMul(x, kernel);
    if (bias !== undefined) z = tf.add(z, bias);
    if (activation === "relu") return tf.relu(z);
    if (activation === "leakyRelu") return tf.leakyRelu(z, alpha);
    return z;
  });
}

tf.registerGradient({
  kernelName: DENSE_KERNEL,
  inputsToSave: ["x", "kernel"],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, kernel, y] = saved;
    const { activation, alpha } = attrs as unknown as { activation: FusedDenseActivation; alpha: number };
    const slope = negativeSlope(activation, alpha);
    // Computed here, not in the closures: the engine runs each closure in its own tidy, so a tensor one closure
    // made would be gone for the next. The backward pass's own tidy frees it (tfjs's fused matMul does the same).
    const dz = slope === null ? (dy as tf.Tensor) : activationGrad(dy as tf.Tensor, y, slope);
    return {
      x: () => tf.matMul(dz, kernel, false, true),
      kernel: () => tf.matMul(x, dz, true, false),
      bias: () => tf.sum(dz, 0),
    };
  },
});

tf.registerGradient({
  kernelName: ACTIVATION_GRAD_KERNEL,
  inputsToSave: ["y"],
  gradFunc: (ddz, saved, attrs) => {
    const [y] = saved;
    const { slope } = attrs as unknown as { slope: number };
    // Linear in dy with the same mask; the mask is piecewise constant in y, so ∂/∂y is 0 (as for tfjs's Step).
    return { dy: () => activationGrad(ddz as tf.Tensor, y, slope), y: () => tf.zerosLike(y) };
  },
});

/**
 * wasm: tsgan's product (wasm-gemm.ts) with bias and activation in the same call; where it does not take the
 * shapes (units not a multiple of 4), `_FusedMatMul` on [1, batch, in]·[1, in, out] views.
 */
function denseWasm(args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, kernel, bias } = inputs;
  const activation = attrs.activation as FusedDenseActivation;
  const [batch, features] = x.shape;
  const units = kernel.shape[1];
  const fused = activation === "leakyRelu" ? "leakyrelu" : activation;
  const direct = gemmProduct(backend, { a: x, b: kernel, transposeA: false, transposeB: false, bias, activation: fused, alpha: attrs.alpha as number });
  if (direct) return direct;
  const matrices = { a: viewAs(x, [1, batch, features]), b: viewAs(kernel, [1, features, units]) };
  const out = wasmKernelFunc("_FusedMatMul")({
    inputs: bias ? { ...matrices, bias } : matrices,
    backend,
    attrs: { transposeA: false, transposeB: false, activation: fused, leakyreluAlpha: attrs.alpha },
  }) as TensorInfo;
  // Record the 2-D shape in the backend too: some wasm kernels read a buffer's shape from there.
  const data = backend.dataIdMap.get(out.dataId);
  if (data) data.shape = [batch, units];
  return viewAs(out, [batch, units]);
}

/** wasm: dz = y > 0 ? dy : slope·dy on the heap: a SIMD loop (perf-simd.ts), the last 0–3 elements in JS. */
function activationGradWasm(args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, y } = inputs;
  if (dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) {
    throw new Error(`TsganActivationGrad: dy [${dy.shape}] and y [${y.shape}] must have the same shape.`);
  }
  const out = backend.makeOutput(dy.shape, "float32");
  const slope = Math.fround(attrs.slope as number);
  const n = dy.shape.reduce((a, b) => a * b, 1);
  const memory = wasmMemoryOf(backend);
  const loops = memory ? simdLoopsFor(memory) : null;
  let done = 0;
  if (loops) {
    done = n - (n % 4);
    const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    loops.maskedScale(offset(dy), offset(y), offset(out), done, slope, 0);
  }
  if (done < n) {
    // Views only now: nothing allocates after this point.
    const dyv = floatView(backend, dy);
    const yv = floatView(backend, y);
    const outv = floatView(backend, out);
    for (let i = done; i < n; i++) outv[i] = yv[i] > 0 ? dyv[i] : slope * dyv[i]; // exact product, one rounding on store
  }
  return out;
}

/** The two kernels as (name, function) pairs for `installWasmKernels`. */
export const FUSED_DENSE_WASM_KERNELS = [
  [DENSE_KERNEL, denseWasm],
  [ACTIVATION_GRAD_KERNEL, activationGradWasm],
] as const;
