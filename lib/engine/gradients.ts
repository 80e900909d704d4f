/**
 * Second-order-correct gradients for TensorFlow.js 4.22.0.
 *
 * The WGAN-GP critic loss (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. 3) adds
 * λ·E[(‖∇ₓD(x̂)‖₂ − 1)²]; its gradient with respect to the critic's weights differentiates a gradient, so
 * every gradient function on the path must itself be built from differentiable, taped ops.
 *
 * Two defects in tfjs-core's gradient registry break that:
 *
 * 1. **Saved outputs are off the tape.** Tanh, Sigmoid, Exp, Elu and Pow ask the engine to save their
 *    forward OUTPUT (`outputsToSave`). The engine clones it inside the kernel call
 *    (`saveTensorsForBackwardMode`), so the clone's Identity tape node is recorded *before* the node that
 *    produced the output; `getFilteredNodesXToY` walks the tape in order, finds the output not yet reachable
 *    and prunes the clone. The first derivative is right, but a nested `tf.grad` sees the saved output as a
 *    constant and drops the curvature term: through tanh, sigmoid and exp the second derivative is silently
 *    wrong (or, when nothing else connects, "Cannot compute gradient of y=f(x)").
 *    Saved INPUTS are cloned from tensors already on the tape, so they stay connected. The overrides below
 *    therefore save inputs only and recompute what they need (tanh(x), σ(x), eˣ, ...) with ordinary ops.
 * 2. **Piecewise-constant ops have no gradient.** LeakyRelu, Prelu, Selu, Relu6, ClipByValue, Maximum and
 *    Minimum build masks with Greater, LessEqual, LogicalAnd, ZerosLike, ...; a nested `tf.grad` walks back
 *    through those masks and throws "gradient function not found for Greater". Their derivative is zero
 *    almost everywhere, so they get a zero gradient. EluGrad (the kernel tfjs's own Elu gradient runs) gets
 *    a real gradient, for code that calls it directly.
 *
 * The registry is global, so the fix holds for every backend (cpu, wasm, and the native `tensorflow`
 * backend, which uses the same gradient functions). Ops that keep tfjs's gradients and are second-order
 * correct as they stand: Relu, Softplus (σ(x) is recomputed), Sqrt, Rsqrt, Square, Log, Abs, Mean, Sum,
 * Reshape, MatMul/BatchMatMul, Add/Sub/Mul/Div.
 *
 * Not fixed here (not used by a critic): Softmax, LogSoftmax (a customGrad op in tfjs, out of reach of the
 * registry), Max/Min pooling (MaxPoolGrad has no gradient).
 */
import * as tf from "@tensorflow/tfjs";

type Tensor = tf.Tensor;
type GradConfig = tf.GradConfig;

/** Ops whose output is piecewise constant in their inputs: derivative 0 almost everywhere. */
const ZERO_GRADIENT_BINARY = [
  "Greater",
  "GreaterEqual",
  "Less",
  "LessEqual",
  "Equal",
  "NotEqual",
  "LogicalAnd",
  "LogicalOr",
  "LogicalXor",
] as const;
const ZERO_GRADIENT_UNARY = ["LogicalNot", "ZerosLike"] as const;

function zeroGradientBinary(kernelName: string): GradConfig {
  return {
    kernelName,
    inputsToSave: ["a", "b"],
    gradFunc: (_dy, saved) => {
      const [a, b] = saved as Tensor[];
      return { a: () => tf.zeros(a.shape, "float32"), b: () => tf.zeros(b.shape, "float32") };
    },
  };
}

function zeroGradientUnary(kernelName: string): GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (_dy, saved) => {
      const [x] = saved as Tensor[];
      return { x: () => tf.zeros(x.shape, "float32") };
    },
  };
}

/** d tanh(x)/dx = 1 − tanh²(x), with tanh recomputed from the saved input so it stays on the tape. */
const tanhGrad: GradConfig = {
  kernelName: "Tanh",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved as Tensor[];
    return { x: () => tf.mul(dy as Tensor, tf.sub(1, tf.square(tf.tanh(x)))) };
  },
};

/** dσ(x)/dx = σ(x)(1 − σ(x)), σ recomputed from the saved input. */
const sigmoidGrad: GradConfig = {
  kernelName: "Sigmoid",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved as Tensor[];
    return {
      x: () => {
        const s = tf.sigmoid(x);
        return tf.mul(dy as Tensor, tf.mul(s, tf.sub(1, s)));
      },
    };
  },
};

/** d eˣ/dx = eˣ, recomputed from the saved input. */
const expGrad: GradConfig = {
  kernelName: "Exp",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved as Tensor[];
    return { x: () => tf.mul(dy as Tensor, tf.exp(tf.cast(x, "float32"))) };
  },
};

/**
 * ELU with α = 1 (Clevert et al. 2016), the only α tfjs's Elu kernel has: f'(x) = 1 for x > 0, eˣ otherwise.
 * exp(min(x, 0)) keeps the unused branch finite for large x (where(…, 1, inf) is fine, but inf·0 is not).
 */
function eluDerivative(x: Tensor): Tensor {
  const xf = tf.cast(x, "float32");
  return tf.where(tf.greater(xf, 0), tf.onesLike(xf), tf.exp(tf.minimum(xf, 0)));
}

const eluGrad: GradConfig = {
  kernelName: "Elu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved as Tensor[];
    return { x: () => tf.mul(dy as Tensor, eluDerivative(x)) };
  },
};

/**
 * EluGrad(dy, y) = dy for y ≥ 0, dy·(y + 1) otherwise (y is the ELU output). Only reached by code that runs
 * the kernel itself; its own gradient is linear in dy and piecewise linear in y.
 */
const eluGradGrad: GradConfig = {
  kernelName: "EluGrad",
  inputsToSave: ["dy", "y"],
  gradFunc: (ddx, saved) => {
    const [dy, y] = saved as Tensor[];
    return {
      dy: () => {
        const positive = tf.greaterEqual(y, 0);
        return tf.mul(ddx as Tensor, tf.where(positive, tf.onesLike(y), tf.add(y, 1)));
      },
      y: () => {
        const positive = tf.greaterEqual(y, 0);
        return tf.mul(ddx as Tensor, tf.where(positive, tf.zerosLike(dy), dy));
      },
    };
  },
};

/**
 * Pow: tfjs saves the output y = aᵇ for ∂/∂b = y·ln a, which is off the tape; recompute it. ∂/∂a is tfjs's.
 */
const powGrad: GradConfig = {
  kernelName: "Pow",
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as Tensor[];
    const d = dy as Tensor;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const reduceTo = (t: Tensor, shape: number[]): Tensor => {
      const axes = tf.backend_util.getReductionAxes(shape, outShape);
      return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
    };
    return {
      a: () => {
        const bf = tf.cast(b, "float32");
        return reduceTo(tf.mul(d, tf.mul(bf, tf.pow(a, tf.sub(bf, 1)))), a.shape);
      },
      b: () => {
        const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
        return reduceTo(tf.mul(d, tf.mul(tf.pow(a, b), logA)), b.shape);
      },
    };
  },
};

/** Every gradient this module registers, in registration order. */
export function secondOrderGradientConfigs(): GradConfig[] {
  return [
    ...ZERO_GRADIENT_BINARY.map(zeroGradientBinary),
    ...ZERO_GRADIENT_UNARY.map(zeroGradientUnary),
    tanhGrad,
    sigmoidGrad,
    expGrad,
    eluGrad,
    eluGradGrad,
    powGrad,
  ];
}

let installed = false;

/**
 * Registers gradient configs in tfjs's global registry without tfjs's "Overriding the gradient for ..."
 * warning (printed per kernel when tfjs's DEBUG flag is on): its logger is silent while IS_TEST is set.
 */
export function registerGradientsQuietly(configs: readonly GradConfig[]): void {
  const env = tf.env();
  const wasTest = env.getBool("IS_TEST");
  env.set("IS_TEST", true);
  try {
    for (const config of configs) tf.registerGradient(config);
  } finally {
    env.set("IS_TEST", wasTest);
  }
}

/**
 * Makes second-order gradients through every critic activation correct, on all backends (the registry is
 * global). Called by the engine's `ready()` before any backend is used; later calls do nothing.
 */
export function installSecondOrderGradients(): void {
  if (installed) return;
  registerGradientsQuietly(secondOrderGradientConfigs());
  installed = true;
}
