/**
 * Spectral normalisation: Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for Generative
 * Adversarial Networks" (ICLR, arXiv:1802.05957), Algorithm 1 (appendix A).
 *
 * A layer's Lipschitz constant is the spectral norm σ(W) (largest singular value) of its weight matrix, and a
 * network's is at most the product of its layers' (LeakyReLU and ReLU are 1-Lipschitz). Dividing every
 * weight matrix by its σ makes each layer 1-Lipschitz, hence the whole critic (section 2.1). σ is not
 * computed exactly (an SVD per step would cost more than the layer): it is estimated by power iteration with
 * a vector `u` that PERSISTS from one training call to the next. The weights change little per step, so one
 * iteration per call is enough to track the top singular vector (section 2.2, "reuse u").
 *
 * Per training call (Algorithm 1, with W the kernel viewed as a matrix [out, in·k·k]):
 *   v ← normalize(Wᵀu),  u ← normalize(W v)      (powerIterations times; u and v are constants: no gradient)
 *   σ = uᵀ W v                                     (differentiable with respect to W)
 *   the layer computes with W / σ, and stores u for the next call.
 * In an inference call (training false or absent) the stored u is used as it is — v = normalize(Wᵀu),
 * σ = uᵀ W v = ‖Wᵀu‖ — and NOT updated: evaluating or sampling must not change the function the network
 * computes. (PyTorch's first spectral_norm ran the iteration in eval mode too, as does the reference Chainer
 * code; see pytorch/pytorch#8208, fixed in #8590.)
 *
 * The gradient with respect to W treats u and v as constants, as the reference code does (sngan_projection's
 * `max_singular_value` computes them on raw arrays; PyTorch's under `torch.no_grad()`): ∂σ/∂W = u vᵀ. At the
 * fixed point of the iteration (u, v the top singular vectors) that is the exact gradient of σ_max(W), which is
 * stationary in u and v there; in inference mode it is exact for any u, since there σ = ‖Wᵀu‖ and
 * ∂‖Wᵀu‖/∂W = u vᵀ.
 *
 * Layout: tfjs keeps a dense kernel as [in, out] and a conv kernel as [kh, kw, in, out], so
 * K = reshape(kernel, [in·kh·kw, out]) is Wᵀ with no transposition (the order of the in·k·k columns of W does
 * not change σ). `u` has one entry per output unit or filter, as in the reference code and PyTorch (dim 0).
 * Note that for a convolution this bounds the reshaped matrix, as the paper does, not the operator norm of
 * the convolution itself: that is W applied to the image's patches, and with stride 1 each pixel sits in up to
 * kh·kw patches, so the convolution's norm can exceed σ(W) by up to a factor √(kh·kw).
 *
 * ε: normalize(x) = x / (‖x‖₂ + ε), the reference code's `_l2normalize` (ε = 1e-12), which keeps a zero
 * kernel from dividing by zero.
 */
import * as tf from "@tensorflow/tfjs";
import { symmetricEigen } from "../metrics/quality";
import { outsideGradientTape } from "../engine/tape";
import { nextSeed } from "../engine/seed";

/** The reference code's ε in the l2 normalisation (sngan_projection, PyTorch). */
export const SPECTRAL_NORM_EPSILON = 1e-12;

type Initializer = ReturnType<typeof tf.initializers.randomNormal>;
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Activations the layers apply after the bias (a LeakyReLU is a layer of its own, as in tf.layers). */
export type SpectralNormActivation =
  | "linear" | "relu" | "relu6" | "elu" | "selu" | "sigmoid" | "tanh" | "softplus" | "softsign" | "softmax";

const ACTIVATIONS: Record<SpectralNormActivation, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  softmax: (x) => tf.softmax(x, -1),
};

/** Initialiser names taken as strings (those that need no arguments), as tf.layers takes them. */
const NAMED_INITIALIZERS: Record<string, () => Initializer> = {
  glorotNormal: () => tf.initializers.glorotNormal({}),
  glorotUniform: () => tf.initializers.glorotUniform({}),
  heNormal: () => tf.initializers.heNormal({}),
  heUniform: () => tf.initializers.heUniform({}),
  leCunNormal: () => tf.initializers.leCunNormal({}),
  leCunUniform: () => tf.initializers.leCunUniform({}),
  zeros: () => tf.initializers.zeros(),
  ones: () => tf.initializers.ones(),
};

/** An initialiser: an instance (`tf.initializers.randomNormal({...})`), a name, or its serialised form. */
export type SpectralNormInitializer = Initializer | keyof typeof NAMED_INITIALIZERS | { className: string; config: tf.serialization.ConfigDict };

// ---------------------------------------------------------------------------------------------------------
// The power iteration, as pure functions of tensors
// ---------------------------------------------------------------------------------------------------------

/**
 * x / (‖x‖₂ + ε), the reference code's `_l2normalize`. ‖x‖₂ as √Σx² in three ops: tf.norm would take six
 * (|x|, two casts, a power, the sum, the root), and this runs several times per layer and call.
 */
function l2Normalize(x: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.div(x, tf.add(tf.sqrt(tf.sum(tf.square(x))), epsilon));
}

/** The kernel as K = Wᵀ: [in·kh·kw, out] (a dense kernel [in, out] is already that). */
function kernelMatrix(kernel: tf.Tensor): tf.Tensor2D {
  const out = kernel.shape[kernel.rank - 1];
  return tf.reshape(kernel, [-1, out]);
}

/** v = normalize(Wᵀu) = normalize(K u): [out] → [in·k·k]. */
function rightVector(k: tf.Tensor2D, u: tf.Tensor, epsilon: number): tf.Tensor1D {
  return l2Normalize(tf.reshape(tf.matMul(k, tf.reshape(u, [-1, 1])), [-1]), epsilon) as tf.Tensor1D;
}

/**
 * u = normalize(W v) = normalize(Kᵀ v) = normalize(vᵀ K): [in·k·k] → [out]. As the row vᵀK, K stays the right
 * operand in its own layout (Kᵀv would copy K transposed on every call), and σ below reuses that product's
 * packed K.
 */
function leftVector(k: tf.Tensor2D, v: tf.Tensor, epsilon: number): tf.Tensor1D {
  return l2Normalize(tf.reshape(tf.matMul(tf.reshape(v, [1, -1]), k), [-1]), epsilon) as tf.Tensor1D;
}

/** Algorithm 1's inner loop from u: `iterations` times v = normalize(Wᵀu), u = normalize(W v). */
function powerIteration(k: tf.Tensor2D, u: tf.Tensor, iterations: number, epsilon: number): { u: tf.Tensor1D; v: tf.Tensor1D } {
  let left = u as tf.Tensor1D;
  let right = rightVector(k, left, epsilon);
  left = leftVector(k, right, epsilon);
  for (let i = 1; i < iterations; i++) {
    right = rightVector(k, left, epsilon);
    left = leftVector(k, right, epsilon);
  }
  return { u: left, v: right };
}

/** σ = uᵀ W v = (vᵀ K) u, a scalar (differentiable with respect to K; u and v are taken as given). */
function sigmaOf(k: tf.Tensor2D, u: tf.Tensor, v: tf.Tensor): tf.Scalar {
  return tf.reshape(tf.matMul(tf.matMul(tf.reshape(v, [1, -1]), k), tf.reshape(u, [-1, 1])), []) as tf.Scalar;
}

function checkIterations(n: number, who: string): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${who}: powerIterations must be a positive integer (Algorithm 1 runs at least one), got ${n}.`);
  }
  return n;
}

function checkEpsilon(eps: number, who: string): number {
  if (!Number.isFinite(eps) || eps <= 0) throw new Error(`${who}: epsilon must be a small positive number (default 1e-12), got ${eps}.`);
  return eps;
}

/** A random unit vector of length n, N(0, I) normalised (the reference code's initial u), seeded by tsgan. */
function randomUnitVector(n: number, epsilon: number): tf.Tensor1D {
  return tf.tidy(() => l2Normalize(tf.randomNormal([n], 0, 1, "float32", nextSeed()), epsilon) as tf.Tensor1D);
}

/**
 * An estimate of σ_max of `kernel` (a dense [in, out] or conv [kh, kw, in, out] kernel, viewed as [out, in·k·k])
 * by `iterations` steps of Algorithm 1's power iteration from `u0` (length out; default a random unit vector):
 * σ = uᵀ W v, a lower bound of σ_max that converges to it. Returns σ and the final u (yours to dispose);
 * `kernel` and `u0` are not changed.
 */
export function spectralNormEstimate(
  kernel: tf.Tensor, iterations: number, u0?: tf.Tensor, epsilon = SPECTRAL_NORM_EPSILON,
): { sigma: number; u: tf.Tensor } {
  const who = "spectralNormEstimate";
  if (!(kernel instanceof tf.Tensor) || kernel.rank < 2) {
    throw new Error(`${who}: kernel must be a tensor of rank 2 or more (dense [in, out], conv [kh, kw, in, out]), got ${kernel instanceof tf.Tensor ? `shape [${kernel.shape}]` : typeof kernel}.`);
  }
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`${who}: iterations must be a positive integer, got ${iterations}.`);
  checkEpsilon(epsilon, who);
  const out = kernel.shape[kernel.rank - 1];
  if (u0 !== undefined && (!(u0 instanceof tf.Tensor) || u0.size !== out)) {
    throw new Error(`${who}: u0 must have one entry per output (${out}, the kernel's last axis), got ${u0 instanceof tf.Tensor ? `shape [${u0.shape}]` : typeof u0}.`);
  }
  const { sigma, u } = tf.tidy(() => {
    const k = kernelMatrix(kernel);
    const start = u0 === undefined ? randomUnitVector(out, epsilon) : tf.reshape(u0, [out]);
    const it = powerIteration(k, start, iterations, epsilon);
    return { sigma: sigmaOf(k, it.u, it.v), u: it.u };
  });
  const value = sigma.dataSync()[0];
  sigma.dispose();
  return { sigma: value, u };
}

// ---------------------------------------------------------------------------------------------------------
// The layers
// ---------------------------------------------------------------------------------------------------------

function toInitializer(choice: SpectralNormInitializer | undefined, fallback: string, who: string): Initializer {
  const c = choice ?? fallback;
  if (typeof c === "string") {
    const make = NAMED_INITIALIZERS[c];
    if (!make) {
      throw new Error(
        `${who}: unknown initializer "${c}"; use one of ${Object.keys(NAMED_INITIALIZERS).join(", ")}, or pass an ` +
          "instance such as tf.initializers.randomNormal({ mean: 0, stddev: 0.02 }).",
      );
    }
    return make();
  }
  if (c != null && typeof (c as Initializer).apply === "function" && typeof (c as Initializer).getClassName === "function") {
    return c as Initializer;
  }
  // The serialised form getConfig() writes, { className, config }: what a saved model loads back with.
  const serialised = c as { className?: unknown; config?: tf.serialization.ConfigDict };
  const entry = typeof serialised?.className === "string"
    ? tf.serialization.SerializationMap.getMap().classNameMap[serialised.className]
    : undefined;
  if (!entry) throw new Error(`${who}: cannot make an initializer from ${JSON.stringify(c)}.`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, serialised.config ?? {}) as unknown as Initializer;
}

function serializeInitializer(init: Initializer): tf.serialization.ConfigDict {
  return { className: init.getClassName(), config: init.getConfig() };
}

function toActivation(name: string | undefined, who: string): SpectralNormActivation {
  const a = (name ?? "linear") as SpectralNormActivation;
  if (!(a in ACTIVATIONS)) {
    throw new Error(
      `${who}: activation must be one of ${Object.keys(ACTIVATIONS).join(", ")}, got ${JSON.stringify(name)}; ` +
        "add a tf.layers.leakyReLU (or another activation layer) after this one instead.",
    );
  }
  return a;
}

function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/** What both layers take besides their shape options. */
export interface SpectralNormCommonArgs extends LayerArgs {
  /** Power iterations per training call. Default 1 (Miyato et al.: "one round of power iteration suffices"). */
  powerIterations?: number;
  /** ε of the l2 normalisation, x / (‖x‖ + ε). Default 1e-12, as the reference code. */
  epsilon?: number;
  /** Default true. */
  useBias?: boolean;
  /** Applied after the bias. Default "linear". */
  activation?: SpectralNormActivation;
  /** Default "glorotNormal" (tf.layers' default). */
  kernelInitializer?: SpectralNormInitializer;
  /** Default "zeros". */
  biasInitializer?: SpectralNormInitializer;
}

/**
 * What the dense and conv layers share: the kernel, the bias, the persistent u (a NON-trainable weight, so
 * `model.save`, `getWeights` and tsgan's checkpoints carry it) and the normalised kernel of a call.
 */
export abstract class SpectralNormLayer extends tf.layers.Layer {
  readonly powerIterations: number;
  readonly epsilon: number;
  readonly useBias: boolean;
  readonly activation: SpectralNormActivation;
  protected readonly kernelInitializer: Initializer;
  protected readonly biasInitializer: Initializer;
  protected kernel: tf.LayerVariable | null = null;
  protected bias: tf.LayerVariable | null = null;
  protected u: tf.LayerVariable | null = null;

  constructor(args: SpectralNormCommonArgs, who: string) {
    super(args);
    this.powerIterations = checkIterations(args.powerIterations ?? 1, who);
    this.epsilon = checkEpsilon(args.epsilon ?? SPECTRAL_NORM_EPSILON, who);
    this.useBias = args.useBias ?? true;
    this.activation = toActivation(args.activation, who);
    this.kernelInitializer = toInitializer(args.kernelInitializer, "glorotNormal", who);
    this.biasInitializer = toInitializer(args.biasInitializer, "zeros", who);
  }

  /** Output units or filters: the length of u. */
  protected abstract outputUnits(): number;

  /** Adds the kernel, bias and u weights (from the subclass's build). */
  protected addSpectralNormWeights(kernelShape: number[]): void {
    const out = this.outputUnits();
    this.kernel = this.addWeight("kernel", kernelShape, "float32", this.kernelInitializer, undefined, true);
    if (this.useBias) this.bias = this.addWeight("bias", [out], "float32", this.biasInitializer, undefined, true);
    // u ~ N(0, I), normalised (the reference code draws it so; PyTorch normalises it). Not trainable: the
    // optimizer never sees it, the power iteration writes it.
    this.u = this.addWeight("sn_u", [out], "float32", tf.initializers.randomNormal({ mean: 0, stddev: 1 }), undefined, false);
    const u = this.u;
    tf.tidy(() => void u.write(l2Normalize(u.read(), this.epsilon)));
  }

  private weightsOrThrow(): { kernel: tf.LayerVariable; u: tf.LayerVariable } {
    if (!this.kernel || !this.u) throw new Error(`${this.name}: the layer is not built yet; call it on an input (or add it to a model) first.`);
    return { kernel: this.kernel, u: this.u };
  }

  /**
   * W / σ for one call. Training: `powerIterations` steps from the stored u, off the gradient tape, and the
   * new u is stored. Inference: the stored u, unchanged. Call inside a tidy scope.
   */
  protected normalizedKernelOf(training: boolean): tf.Tensor {
    const { kernel: kernelVar, u: uVar } = this.weightsOrThrow();
    const kernel = kernelVar.read();
    const k = kernelMatrix(kernel);
    // u and v are constants for the gradient (as in the reference code), and the tape need not save the
    // iteration's intermediates for a backward pass that never uses them.
    const { u, v } = outsideGradientTape(() => {
      const stored = uVar.read();
      if (!training) return { u: stored, v: rightVector(k, stored, this.epsilon) };
      const next = powerIteration(k, stored, this.powerIterations, this.epsilon);
      uVar.write(next.u);
      return next;
    });
    return tf.div(kernel, sigmaOf(k, u, v));
  }

  /** Bias and activation, the last steps of both layers. */
  protected finish(y: tf.Tensor): tf.Tensor {
    const withBias = this.bias ? tf.add(y, this.bias.read()) : y;
    return ACTIVATIONS[this.activation](withBias);
  }

  /** The current estimate σ = ‖Wᵀu‖ from the stored u (what an inference call divides by); u is not changed. */
  sigma(): number {
    const { kernel, u } = this.weightsOrThrow();
    return tf.tidy(() => {
      const k = kernelMatrix(kernel.read());
      return sigmaOf(k, u.read(), rightVector(k, u.read(), this.epsilon)).dataSync()[0];
    });
  }

  /** W / σ as an inference call uses it (a new tensor, yours to dispose); u is not changed. */
  normalizedKernel(): tf.Tensor {
    return tf.tidy(() => this.normalizedKernelOf(false));
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      powerIterations: this.powerIterations,
      epsilon: this.epsilon,
      useBias: this.useBias,
      activation: this.activation,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}

export interface SpectralNormDenseArgs extends SpectralNormCommonArgs {
  units: number;
}

/** A dense layer whose kernel [in, out] is divided by its spectral norm (Miyato et al. 2018). */
export class SpectralNormDense extends SpectralNormLayer {
  static className = "TsganSpectralNormDense";
  readonly units: number;

  constructor(args: SpectralNormDenseArgs) {
    super(args, "spectralNormDense");
    if (!Number.isInteger(args?.units) || args.units < 1) {
      throw new Error(`spectralNormDense: units must be a positive integer, got ${args?.units}.`);
    }
    this.units = args.units;
  }

  protected outputUnits(): number {
    return this.units;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const inputs = shape[shape.length - 1];
    if (inputs == null || shape.length < 2) {
      throw new Error(`${this.name}: spectralNormDense needs a known last input axis, got input shape [${shape}].`);
    }
    this.addSpectralNormWeights([inputs, this.units]);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    return [...shape.slice(0, -1), this.units];
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = singleInput(inputs);
    return tf.tidy(() => {
      const w = this.normalizedKernelOf(kwargs?.training === true);
      const inDim = w.shape[0];
      if (x.shape[x.rank - 1] !== inDim) {
        throw new Error(`${this.name}: expected inputs with ${inDim} features on the last axis, got shape [${x.shape}].`);
      }
      const y = this.finish(tf.matMul(tf.reshape(x, [-1, inDim]), w));
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.units]);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}
tf.serialization.registerClass(SpectralNormDense);

export type SpectralNormPadding = "same" | "valid";

export interface SpectralNormConv2DArgs extends SpectralNormCommonArgs {
  filters: number;
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** Default "valid", as tf.layers.conv2d. */
  padding?: SpectralNormPadding;
}

function pair(value: number | [number, number] | number[], what: string): [number, number] {
  const p = (Array.isArray(value) ? value : [value, value]) as number[];
  if (p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`spectralNormConv2d: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(value)}.`);
  }
  return [p[0], p[1]];
}

/** Output length of a convolution along one axis (tf.layers' convOutputLength). */
function convOutputLength(n: number | null, kernel: number, stride: number, padding: SpectralNormPadding): number | null {
  if (n == null) return null;
  return padding === "same" ? Math.ceil(n / stride) : Math.ceil((n - kernel + 1) / stride);
}

/** A 2-D convolution (channels last) whose kernel [kh, kw, in, out], viewed as [out, in·kh·kw], is divided by σ. */
export class SpectralNormConv2D extends SpectralNormLayer {
  static className = "TsganSpectralNormConv2D";
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: SpectralNormPadding;

  constructor(args: SpectralNormConv2DArgs) {
    super(args, "spectralNormConv2d");
    if (!Number.isInteger(args?.filters) || args.filters < 1) {
      throw new Error(`spectralNormConv2d: filters must be a positive integer, got ${args?.filters}.`);
    }
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize, "kernelSize");
    this.strides = pair(args.strides ?? 1, "strides");
    const padding = args.padding ?? "valid";
    if (padding !== "same" && padding !== "valid") {
      throw new Error(`spectralNormConv2d: padding must be "same" or "valid", got ${JSON.stringify(args.padding)}.`);
    }
    this.padding = padding;
  }

  protected outputUnits(): number {
    return this.filters;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const channels = shape[3];
    if (shape.length !== 4 || channels == null) {
      throw new Error(`${this.name}: spectralNormConv2d needs [batch, height, width, channels] inputs with known channels, got [${shape}].`);
    }
    this.addSpectralNormWeights([...this.kernelSize, channels, this.filters]);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    return [
      shape[0],
      convOutputLength(shape[1], this.kernelSize[0], this.strides[0], this.padding),
      convOutputLength(shape[2], this.kernelSize[1], this.strides[1], this.padding),
      this.filters,
    ];
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = singleInput(inputs);
    if (x.rank !== 4) throw new Error(`${this.name}: expected [batch, height, width, channels] inputs, got shape [${x.shape}].`);
    return tf.tidy(() => {
      const w = this.normalizedKernelOf(kwargs?.training === true) as tf.Tensor4D;
      if (x.shape[3] !== w.shape[2]) {
        throw new Error(`${this.name}: expected inputs with ${w.shape[2]} channels, got shape [${x.shape}].`);
      }
      return this.finish(tf.conv2d(x as tf.Tensor4D, w, this.strides, this.padding));
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding };
  }
}
tf.serialization.registerClass(SpectralNormConv2D);

/** A `SpectralNormDense` layer, as `tf.layers.dense(...)` makes a Dense one. */
export function spectralNormDense(args: SpectralNormDenseArgs): SpectralNormDense {
  return new SpectralNormDense(args);
}

/** A `SpectralNormConv2D` layer, as `tf.layers.conv2d(...)` makes a Conv2D one. */
export function spectralNormConv2d(args: SpectralNormConv2DArgs): SpectralNormConv2D {
  return new SpectralNormConv2D(args);
}

/**
 * The exact largest singular value of a kernel viewed as the matrix [in·k·k, out], from the eigenvalues of
 * its smaller Gram matrix (cyclic Jacobi, `symmetricEigen` in lib/metrics): the reference the power iteration
 * converges to. For small kernels (tests, lessons): the cost is cubic in min(rows, columns).
 */
export function exactSpectralNorm(kernel: tf.Tensor): number {
  if (!(kernel instanceof tf.Tensor) || kernel.rank < 2) throw new Error("exactSpectralNorm: kernel must be a tensor of rank 2 or more.");
  const out = kernel.shape[kernel.rank - 1];
  const rows = kernel.size / out;
  const w = kernel.dataSync();
  const n = Math.min(rows, out);
  const gram = new Float64Array(n * n);
  // WᵀW (out × out) or WWᵀ (rows × rows), whichever is smaller: both have the squared singular values.
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      if (n === out) for (let r = 0; r < rows; r++) s += w[r * out + a] * w[r * out + b];
      else for (let c = 0; c < out; c++) s += w[a * out + c] * w[b * out + c];
      gram[a * n + b] = gram[b * n + a] = s;
    }
  }
  return Math.sqrt(Math.max(0, symmetricEigen(gram, n).values[0]));
}
