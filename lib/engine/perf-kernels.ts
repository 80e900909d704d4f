/**
 * A fix for a cost that profiling the GANs' training steps turned up: the gradient of `FusedBatchNorm` with
 * respect to x tiles rsqrt(variance + ε) to the input's shape with the generic (slow) Tile kernel before
 * multiplying. Broadcasting gives the same numbers without Tile: ∂L/∂x = dy · rsqrt(var + ε) · γ, the
 * multiplications in tfjs's order (Ioffe & Szegedy 2015, "Batch Normalization", §3; the terms through the
 * batch mean and variance are tfjs's, unchanged). Bit-identical to what it replaces in the tests
 * (first-order gradients, a training step).
 *
 *
 * A second one, in every reduction's gradient: tfjs-core's Sum and Mean gradients broadcast dy back to x's
 * shape as dy · ones(x.shape), and `ones` builds its array in a JavaScript loop and copies it onto the heap — for
 * a batch norm's moments in the DCGAN that is millions of floats per call, 5 % of a step's main-thread time.
 * Here the ones come from the backend's OnesLike kernel (a native fill) and the rest is unchanged: the same
 * multiply (and, for Mean, the same division by the count), so the same bits (tested against tfjs's gradients).
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

/** dy reshaped to x's rank with 1 on the reduced axes, times ones of x's shape made by the backend's OnesLike. */
function broadcastToInput(dy: tf.Tensor, x: tf.Tensor, axis: unknown): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const expandedShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  // float32 ones like tfjs's `ones(x.shape, 'float32')`, whatever x's dtype.
  const ones = x.dtype === "float32" ? tf.onesLike(x) : tf.ones(x.shape, "float32");
  return tf.mul(tf.reshape(dy, expandedShape), ones);
}

/** tfjs-core's Sum gradient (dy broadcast back to x), its ones from OnesLike. */
const sumGradConfig: tf.GradConfig = {
  kernelName: "Sum",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x] = saved;
    const dx = broadcastToInput(dy as tf.Tensor, x, attrs.axis);
    return { x: () => dx };
  },
};

/** tfjs-core's Mean gradient (dy broadcast back to x, divided by the count), its ones from OnesLike. */
const meanGradConfig: tf.GradConfig = {
  kernelName: "Mean",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x] = saved;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    return { x: () => tf.div(broadcastToInput(dy as tf.Tensor, x, axes), count) };
  },
};

const FIXES = [batchNormGradConfig, sumGradConfig, meanGradConfig];
const originals = new Map<string, tf.GradConfig>();

/** Installs the gradient fixes (idempotent). Called once at engine start. */
export function installPerfKernels(): void {
  for (const fix of FIXES) {
    const grad = tf.getGradient(fix.kernelName);
    if (grad && grad !== fix) {
      originals.set(fix.kernelName, grad);
      tf.registerGradient(fix);
    }
  }
}

/** Whether each fix is in place. */
export function perfKernelsInstalled(): { batchNormGradient: boolean; reductionGradients: boolean } {
  return {
    batchNormGradient: tf.getGradient("FusedBatchNorm") === batchNormGradConfig,
    reductionGradients: tf.getGradient("Sum") === sumGradConfig && tf.getGradient("Mean") === meanGradConfig,
  };
}

/** Puts tfjs's own gradients back; for tests and A/B measurements. */
export function uninstallPerfKernels(): void {
  for (const fix of FIXES) {
    const original = originals.get(fix.kernelName);
    if (original && tf.getGradient(fix.kernelName) === fix) tf.registerGradient(original);
  }
}
