/**
 * Binary cross-entropy on logits, −[y·log σ(l) + (1 − y)·log(1 − σ(l))], as ONE engine op each way (issue 12
 * §4: the toy GANs' steps are dominated by per-op overhead, not arithmetic).
 *
 * Composed of tfjs ops, the stable form max(l, 0) − l·y + log(1 + exp(−|l|)) is eight kernels forward and,
 * under a gradient tape, about twenty backward (Relu, Abs, Exp and Log1p each bring their own derivative:
 * Step, Sign, Multiply, RealDiv, Cast, Neg…), with a saved copy per input of each: the toy GAN's three losses
 * were ~90 of its 292 kernel calls per step. Here the forward pass is one `TsganSigmoidCrossEntropy` kernel and
 * the backward pass one `TsganSigmoidCrossEntropyGrad`, dy·(σ(l) − y), the closed form of the same
 * derivative (Goodfellow et al. 2016, Deep Learning §6.2.2.3: the softplus form "saturates only when the
 * answer is already right").
 *
 * Each element is computed in float64 and rounded once to float32, so the loss is within one rounding of the
 * exact value; the composed form rounds after every op (and its gradient adds −sign(l)·e/(1 + e) to the
 * step function's 0/1, which is σ(l) only up to roundings). The tests hold the kernels to the cpu backend's
 * composed form and the gradients to finite differences. Labels may be a tensor (soft or per-example
 * targets): ∂/∂y = −dy·l. The backward kernel has its own gradient, so double backprop (a penalty on a
 * gradient of the loss) works through it.
 *
 * On backends without the kernels (cpu, webgl, tfjs-node) the composed form runs, as before.
 */
import * as tf from "@tensorflow/tfjs";
import { TensorInfo, WasmBackend, floatView } from "./wasm-backend-access";

export const CROSS_ENTROPY_KERNEL = "TsganSigmoidCrossEntropy";
export const CROSS_ENTROPY_GRAD_KERNEL = "TsganSigmoidCrossEntropyGrad";

/** The composed stable form, in tfjs ops: what every backend without the kernels runs. */
function composedCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.relu(logits).sub(logits.mul(labels)).add(tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

/** Whether labels broadcast the way the kernels do: one value for every element, or one per element. */
function labelsFit(labels: tf.Tensor, logits: tf.Tensor): boolean {
  return labels.size === 1 || tf.util.arraysEqual(labels.shape, logits.shape);
}

/** Whether the active backend runs the fused kernels for these tensors. */
function fused(labels: tf.Tensor, logits: tf.Tensor): boolean {
  return (
    logits.dtype === "float32" && labels.dtype === "float32" && labelsFit(labels, logits) &&
    tf.getKernel(CROSS_ENTROPY_KERNEL, tf.getBackend()) !== undefined
  );
}

/**
 * Element-wise binary cross-entropy of `logits` against `labels` (a number, or a tensor broadcast against the
 * logits), in the stable form; one op each way where the backend has the kernels.
 */
export function sigmoidCrossEntropy(labels: tf.Tensor | number, logits: tf.Tensor): tf.Tensor {
  const y = typeof labels === "number" ? tf.scalar(labels) : labels;
  try {
    if (fused(y, logits)) return tf.engine().runKernel(CROSS_ENTROPY_KERNEL, { logits, labels: y }) as tf.Tensor;
    return composedCrossEntropy(y, logits);
  } finally {
    if (y !== labels) y.dispose();
  }
}

/** dy·(σ(l) − y) where the backend has the kernel, composed of tfjs ops elsewhere. */
function crossEntropyGrad(dy: tf.Tensor, logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  if (tf.getKernel(CROSS_ENTROPY_GRAD_KERNEL, tf.getBackend()) !== undefined && dy.dtype === "float32") {
    return tf.engine().runKernel(CROSS_ENTROPY_GRAD_KERNEL, { dy, logits, labels }) as tf.Tensor;
  }
  return tf.tidy(() => tf.mul(dy, tf.sub(tf.sigmoid(logits), labels)));
}

/** Sums a gradient computed at the logits' shape down to the labels' shape (a label shared by all). */
function toLabelShape(g: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  return labels.size === 1 && g.size !== 1 ? tf.reshape(tf.sum(g), labels.shape) : tf.reshape(g, labels.shape);
}

tf.registerGradient({
  kernelName: CROSS_ENTROPY_KERNEL,
  inputsToSave: ["logits", "labels"],
  gradFunc: (dy, saved) => {
    const [logits, labels] = saved;
    return {
      logits: () => crossEntropyGrad(dy as tf.Tensor, logits, labels),
      labels: () => toLabelShape(tf.mul(tf.neg(dy as tf.Tensor), logits), labels),
    };
  },
});

tf.registerGradient({
  kernelName: CROSS_ENTROPY_GRAD_KERNEL,
  inputsToSave: ["dy", "logits", "labels"],
  gradFunc: (ddx, saved) => {
    const [dy, logits, labels] = saved;
    const upstream = ddx as tf.Tensor;
    return {
      // The output is linear in dy, with the same coefficient σ(l) − y.
      dy: () => crossEntropyGrad(upstream, logits, labels),
      // ∂σ(l)/∂l = σ(l)(1 − σ(l)).
      logits: () => {
        const s = tf.sigmoid(logits);
        return tf.mul(tf.mul(upstream, dy), tf.mul(s, tf.sub(1, s)));
      },
      labels: () => toLabelShape(tf.neg(tf.mul(upstream, dy)), labels),
    };
  },
});

/** max(l, 0) − l·y + log(1 + exp(−|l|)) in float64, one rounding on store. */
function crossEntropyOf(l: number, y: number): number {
  return Math.max(l, 0) - l * y + Math.log1p(Math.exp(-Math.abs(l)));
}

/** σ(l) without overflow: exp of a non-positive number only. */
function sigmoidOf(l: number): number {
  if (l >= 0) return 1 / (1 + Math.exp(-l));
  const e = Math.exp(l);
  return e / (1 + e);
}

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> };

function checkShapes(kernel: string, logits: TensorInfo, labels: TensorInfo, dy?: TensorInfo): number {
  const n = logits.shape.reduce((a, b) => a * b, 1);
  const labelCount = labels.shape.reduce((a, b) => a * b, 1);
  if (labelCount !== 1 && labelCount !== n) {
    throw new Error(`${kernel}: labels [${labels.shape}] must be one value or one per logit (logits [${logits.shape}]).`);
  }
  if (dy && dy.shape.reduce((a, b) => a * b, 1) !== n) {
    throw new Error(`${kernel}: dy [${dy.shape}] must have the logits' shape [${logits.shape}].`);
  }
  return n;
}

/** wasm: the loss per element, read from and written to the heap. */
function crossEntropyWasm({ inputs, backend }: KernelArgs): TensorInfo {
  const { logits, labels } = inputs;
  const n = checkShapes(CROSS_ENTROPY_KERNEL, logits, labels);
  const out = backend.makeOutput(logits.shape, "float32");
  // Views only now: nothing allocates after this point.
  const l = floatView(backend, logits);
  const y = floatView(backend, labels);
  const o = floatView(backend, out);
  if (y.length === 1) {
    const label = y[0];
    for (let i = 0; i < n; i++) o[i] = crossEntropyOf(l[i], label);
  } else {
    for (let i = 0; i < n; i++) o[i] = crossEntropyOf(l[i], y[i]);
  }
  return out;
}

/** wasm: dy·(σ(l) − y) per element. */
function crossEntropyGradWasm({ inputs, backend }: KernelArgs): TensorInfo {
  const { dy, logits, labels } = inputs;
  const n = checkShapes(CROSS_ENTROPY_GRAD_KERNEL, logits, labels, dy);
  const out = backend.makeOutput(logits.shape, "float32");
  const d = floatView(backend, dy);
  const l = floatView(backend, logits);
  const y = floatView(backend, labels);
  const o = floatView(backend, out);
  const shared = y.length === 1;
  for (let i = 0; i < n; i++) o[i] = d[i] * (sigmoidOf(l[i]) - (shared ? y[0] : y[i]));
  return out;
}

/** The two kernels as (name, function) pairs for `installWasmKernels`. */
export const CROSS_ENTROPY_WASM_KERNELS = [
  [CROSS_ENTROPY_KERNEL, crossEntropyWasm],
  [CROSS_ENTROPY_GRAD_KERNEL, crossEntropyGradWasm],
] as const;
