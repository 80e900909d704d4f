/**
 * A fix for a cost that profiling the GANs' training steps turned up: the gradient of `FusedBatchNorm` with
 * respect to x tiles rsqrt(variance + ε) to the input's shape with the generic (slow) Tile kernel before
 * multiplying. Broadcasting gives the same numbers without Tile: ∂L/∂x = dy · rsqrt(var + ε) · γ, the
 * multiplications in tfjs's order (Ioffe & Szegedy 2015, "Batch Normalization", §3; the terms through the
 * batch mean and variance are tfjs's, unchanged). Bit-identical to what it replaces in the tests
 * (first-order gradients, a training step).
 *
 * (The Identity kernel that shares its input's buffer, once tried here and withdrawn when WGAN-GP came out
 * wrong, is in wasm-kernels.ts with the cause found and fixed: tfjs-wasm's operator cache, not a write.)
 */
import * as tf from "@tensorflow/tfjs";

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

/** Installs the batch-norm gradient fix (idempotent). Called once at engine start. */
export function installPerfKernels(): void {
  const grad = tf.getGradient("FusedBatchNorm");
  if (grad && grad !== batchNormGradConfig) {
    originalBatchNormGrad = grad;
    tf.registerGradient(batchNormGradConfig);
  }
}

/** Whether the fix is in place. */
export function perfKernelsInstalled(): { batchNormGradient: boolean } {
  return { batchNormGradient: tf.getGradient("FusedBatchNorm") === batchNormGradConfig };
}

/** Puts tfjs's own FusedBatchNorm gradient back; for tests and A/B measurements. */
export function uninstallPerfKernels(): void {
  if (originalBatchNormGrad && tf.getGradient("FusedBatchNorm") === batchNormGradConfig) {
    tf.registerGradient(originalBatchNormGrad);
  }
}
