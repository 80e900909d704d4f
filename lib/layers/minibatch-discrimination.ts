/**
 * Minibatch discrimination: Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen 2016, "Improved Techniques for
 * Training GANs" (NeurIPS; arXiv:1606.03498), section 3.2. A discriminator layer that lets D look at the whole
 * batch: each example gets B extra features saying how close it is to the other examples of the batch, so a
 * generator that collapses onto a few points produces batches D can tell from real ones.
 *
 * For features f(x_i) ∈ R^A of the n examples and a learnt tensor T ∈ R^{A×B×C} (B kernels of C dimensions):
 *   M_i = f(x_i)·T ∈ R^{B×C},   c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖_L1),   o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j) + bias_b,
 * and the output is concat(f(x_i), o(x_i)) ∈ R^{A+B}.
 *
 * As the reference code (openai/improved-gan, mnist_svhn_cifar10/nn.py, `MinibatchLayer`):
 * - 100 kernels of 5 dimensions by default, T drawn from N(0, 0.05²);
 * - self-pairs are excluded: the reference adds 1e6 to the diagonal distances, so exp(−1e6) = 0; here the full
 *   sum's self term, exactly exp(0) = 1, is subtracted;
 * - a learnt per-kernel bias IS added to o (`f += self.b.dimshuffle('x', 0)`), initialised to −1.
 * What the reference does besides, and this layer does not: it weight-normalises T (θ scaled by a learnt
 * exp(log scale) over ‖θ‖ along the input axis) and sets that scale and the bias from the first batch
 * (data-dependent initialisation, bias = −mean o). Here T is used as the paper's equation writes it.
 *
 * Memory: the pairwise differences are an [n, n, B·C] tensor (and as much again in the backward pass): with
 * the defaults 256 examples take 131 MB, fine; 1,024 take 2 GB, which the layer refuses with a clear error.
 *
 * Shapes: [n, A] → [n, A + B]. A feature-map input goes through `tf.layers.flatten()` first.
 */
import * as tf from "@tensorflow/tfjs";

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface MinibatchDiscriminationArgs extends LayerArgs {
  /** B, the number of kernels: the features the layer appends. Default 100 (Salimans et al., the reference code). */
  kernels?: number;
  /** C, the dimensions of each kernel's projection M_{i,b}. Default 5 (the reference code's `dim_per_kernel`). */
  kernelDims?: number;
}

export const MINIBATCH_DISCRIMINATION_DEFAULTS = {
  kernels: 100,
  kernelDims: 5,
  /** Standard deviation of T's normal initialiser (the reference's `lasagne.init.Normal(0.05)`). */
  kernelStddev: 0.05,
  /** The bias's initial value (the reference's `lasagne.init.Constant(-1.)`). */
  biasInit: -1,
};

/** The most floats the pairwise tensor [n, n, B·C] may hold: 2²⁷ (512 MB in float32). */
const MAX_PAIRWISE_ELEMENTS = 2 ** 27;

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`minibatchDiscrimination: ${name} must be a positive integer, got ${value}.`);
  return value;
}

function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/**
 * o(x)_b without the bias, for features [n, A] and T [A, B, C]: Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖₁). A pure
 * function of tensors, so the tests can differentiate it with respect to T as well as the inputs.
 */
export function minibatchSimilarity(features: tf.Tensor2D, kernel: tf.Tensor3D): tf.Tensor2D {
  const [a, b, c] = kernel.shape;
  if (features.rank !== 2 || features.shape[1] !== a) {
    throw new Error(`minibatchDiscrimination: expected features [n, ${a}], got shape [${features.shape}].`);
  }
  return tf.tidy(() => {
    const n = features.shape[0];
    const m = tf.matMul(features, tf.reshape(kernel, [a, b * c])); // [n, B·C]: the rows M_i
    // [n, 1, B·C] − [1, n, B·C] → [n, n, B·C] → L1 over each kernel's C dims → [n, n, B]
    const l1 = tf.sum(tf.reshape(tf.abs(tf.sub(tf.expandDims(m, 1), tf.expandDims(m, 0))), [n, n, b, c]), 3);
    // Σ_j includes j = i, whose distance is exactly 0: subtract its exp(0) = 1.
    return tf.sub(tf.sum(tf.exp(tf.neg(l1)), 1), 1) as tf.Tensor2D;
  });
}

export class MinibatchDiscrimination extends tf.layers.Layer {
  static className = "TsganMinibatchDiscrimination";
  readonly kernels: number;
  readonly kernelDims: number;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: MinibatchDiscriminationArgs = {}) {
    super(args);
    this.kernels = positiveInteger(args.kernels ?? MINIBATCH_DISCRIMINATION_DEFAULTS.kernels, "kernels");
    this.kernelDims = positiveInteger(args.kernelDims ?? MINIBATCH_DISCRIMINATION_DEFAULTS.kernelDims, "kernelDims");
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const features = shape[1];
    if (shape.length !== 2 || features == null) {
      throw new Error(
        `${this.name}: minibatchDiscrimination takes [n, features] inputs, got input shape [${shape}]; ` +
          "put tf.layers.flatten() before it for feature maps.",
      );
    }
    const { kernelStddev, biasInit } = MINIBATCH_DISCRIMINATION_DEFAULTS;
    this.kernel = this.addWeight(
      "kernel", [features, this.kernels, this.kernelDims], "float32",
      tf.initializers.randomNormal({ mean: 0, stddev: kernelStddev }), undefined, true,
    );
    this.bias = this.addWeight("bias", [this.kernels], "float32", tf.initializers.constant({ value: biasInit }), undefined, true);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    const features = shape[shape.length - 1];
    return [shape[0], features == null ? null : features + this.kernels];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (this.kernel === null || this.bias === null) throw new Error(`${this.name}: the layer was called before it was built.`);
    const kernel = this.kernel.read() as tf.Tensor3D;
    if (x.rank !== 2 || x.shape[1] !== kernel.shape[0]) {
      throw new Error(
        `${this.name}: minibatchDiscrimination expected [n, ${kernel.shape[0]}] inputs, got shape [${x.shape}]; ` +
          "put tf.layers.flatten() before it for feature maps.",
      );
    }
    const n = x.shape[0];
    const pairwise = n * n * this.kernels * this.kernelDims;
    if (pairwise > MAX_PAIRWISE_ELEMENTS) {
      throw new Error(
        `${this.name}: the pairwise distances of a batch of ${n} take n²·B·C = ${pairwise} floats ` +
          `(${Math.round((pairwise * 4) / 2 ** 20)} MB); use a batch of at most ${Math.floor(Math.sqrt(MAX_PAIRWISE_ELEMENTS / (this.kernels * this.kernelDims)))} ` +
          "or fewer kernels or kernel dimensions.",
      );
    }
    const bias = this.bias.read();
    return tf.tidy(() => tf.concat([x, tf.add(minibatchSimilarity(x as tf.Tensor2D, kernel), bias)], 1));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernels: this.kernels, kernelDims: this.kernelDims };
  }
}
tf.serialization.registerClass(MinibatchDiscrimination);

/** A `MinibatchDiscrimination` layer, as `tf.layers.dense(...)` makes a Dense one. */
export function minibatchDiscrimination(args: MinibatchDiscriminationArgs = {}): MinibatchDiscrimination {
  return new MinibatchDiscrimination(args);
}
