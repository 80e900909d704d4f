/**
 * Two fixes for costs that profiling the vanilla GAN's training step on wasm turned up (scratch/perf):
 *
 * 1. `Identity` on wasm copies its input. The engine runs Identity for every tensor a gradient saves
 *    (engine.clone in runKernel's saveTensors), so one GAN step made 234 copies of activations and weights.
 *    tfjs's data is immutable, and the cpu backend's Identity already shares the buffer by reference count;
 *    this one does the same on wasm (as wasm's own Reshape does).
 *
 * 2. The gradient of `FusedBatchNorm` with respect to x tiles rsqrt(variance + ε) to the input's shape with
 *    the generic (slow) Tile kernel before multiplying. Broadcasting gives the same numbers without Tile:
 *    ∂L/∂x = dy · rsqrt(var + ε) · γ, the multiplications in tfjs's order (Ioffe & Szegedy 2015, "Batch
 *    Normalization", §3; the terms through the batch mean and variance are tfjs's, unchanged).
 *
 * Both give bit-identical results to what they replace in the tests here (forward, first-order gradients,
 * a training step). BUT the shared-buffer Identity makes the WGAN-GP penalty on wasm wrong
 * (test/engine/gradients.test.ts, "WGAN-GP penalty ... matches float64 finite differences", penalty value
 * off by ~0.1): some code on that path writes into a buffer that Identity now shares. Until that writer is
 * found, `installPerfKernels()` installs only the batch-norm gradient; `{ shareIdentity: true }` opts in.
 */
import * as tf from "@tensorflow/tfjs";

interface WasmBackendLike {
  incRef(dataId: tf.DataId): void;
  readSync(dataId: tf.DataId): unknown;
}

/** Identity that shares its input's buffer (reference-counted) instead of copying it. */
const sharingIdentityConfig: tf.KernelConfig = {
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === "string") {
      // Strings live outside the heap; keep wasm's own handling (a fresh tensor).
      return tf.tensor((backend as unknown as WasmBackendLike).readSync(x.dataId) as string[], x.shape, "string");
    }
    (backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};

let originalIdentity: tf.KernelConfig | undefined;

/** tfjs-core's FusedBatchNorm gradient with the Tile in ∂L/∂x replaced by broadcasting. */
const batchNormGradConfig: tf.GradConfig = {
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved;
    const scaleValue = scale == null ? tf.scalar(1) : scale;
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const perChannel = mean.rank === 1;
    const reduce = (t: tf.Tensor) => (perChannel ? tf.sum(t, reductionAxes) : t);
    const xMinusMean = tf.sub(x, mean);
    const dyTimesScale = tf.mul(g, scaleValue);
    const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), tf.scalar(-0.5));
    return {
      x: () => tf.reshape(tf.mul(tf.mul(g, oneOverSqrtVariance), scaleValue), x.shape),
      mean: () => tf.reshape(reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScale)), mean.shape),
      variance: () => tf.reshape(reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)), mean.shape),
      scale: () => tf.reshape(reduce(tf.mul(g, tf.mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
      offset: () => tf.reshape(reduce(g), mean.shape),
    };
  },
};

let originalBatchNormGrad: tf.GradConfig | undefined;

/**
 * Installs the batch-norm gradient fix (every backend) and, with `shareIdentity`, the wasm Identity
 * (idempotent). Call once at engine start, after the wasm backend package is loaded (its kernels registered).
 */
export function installPerfKernels(options: { shareIdentity?: boolean } = {}): void {
  const identity = tf.getKernel("Identity", "wasm");
  if (options.shareIdentity && identity && identity !== sharingIdentityConfig) {
    originalIdentity = identity;
    tf.unregisterKernel("Identity", "wasm");
    tf.registerKernel(sharingIdentityConfig);
  }
  const grad = tf.getGradient("FusedBatchNorm");
  if (grad && grad !== batchNormGradConfig) {
    originalBatchNormGrad = grad;
    tf.registerGradient(batchNormGradConfig);
  }
}

/** Which fixes are in place. */
export function perfKernelsInstalled(): { batchNormGradient: boolean; shareIdentity: boolean } {
  return {
    batchNormGradient: tf.getGradient("FusedBatchNorm") === batchNormGradConfig,
    shareIdentity: tf.getKernel("Identity", "wasm") === sharingIdentityConfig,
  };
}

/** Puts tfjs's own Identity (wasm) and FusedBatchNorm gradient back; for tests and A/B measurements. */
export function uninstallPerfKernels(): void {
  if (originalIdentity && tf.getKernel("Identity", "wasm") === sharingIdentityConfig) {
    tf.unregisterKernel("Identity", "wasm");
    tf.registerKernel(originalIdentity);
  }
  if (originalBatchNormGrad && tf.getGradient("FusedBatchNorm") === batchNormGradConfig) {
    tf.registerGradient(originalBatchNormGrad);
  }
}
