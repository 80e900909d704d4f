/**
 * Small multilayer perceptrons for the toy problems of chapters 1–4 (a 1-D Gaussian, the two-city
 * temperatures, the ring and grid of Gaussians).
 *
 * Goodfellow et al. (2014) trained MLP generators and discriminators; PacGAN (Lin et al. 2018) and VEEGAN
 * (Srivastava et al. 2017) use MLPs of a few hundred units for the 2-D mixtures. The discriminator ends in a
 * single linear unit: it outputs a LOGIT, and the losses in `lib/losses` apply the sigmoid themselves in a
 * numerically stable way.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedDense } from "../layers/fused-dense";
import { GanSpec, normalLatent } from "../train/gan-spec";
import type { SpecOverrides } from "./vanilla-gan";

/** Hidden-layer nonlinearities the builders accept. */
export type MlpActivation = "relu" | "leakyRelu" | "tanh" | "elu" | "sigmoid" | "linear";

export interface MlpOptions {
  /** Features per input example (latent size for a generator, data size for a discriminator). */
  inputSize: number;
  /** Units of the output layer. */
  outputSize: number;
  /** Units of each hidden layer, in order. Default [32, 32]. */
  hiddenSizes?: number[];
  /** Nonlinearity after each hidden layer. Default "leakyRelu". */
  activation?: MlpActivation;
  /** Negative slope when activation is "leakyRelu". Default 0.2 (Radford et al. 2016). */
  leakyAlpha?: number;
  /** Nonlinearity of the output layer. Default "linear" (a logit, or an unbounded sample). */
  outputActivation?: "linear" | "tanh" | "sigmoid";
  /**
   * Size of a conditioning input (one-hot labels) concatenated to the input, as in the conditional GAN
   * (Mirza & Osindero 2014). When > 0 the model takes two inputs: [x, condition]. Default 0.
   */
  conditionSize?: number;
  /** Prefix for the layer names. */
  name?: string;
}

function assertPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`mlp: ${what} must be a positive integer, got ${value}.`);
  }
}

/**
 * One hidden layer: a `fusedDense` (Dense and its activation as one op: these networks' step time is per-op
 * overhead) for ReLU, leaky ReLU and linear; Dense with its own activation otherwise.
 */
function hiddenLayer(units: number, kind: MlpActivation, alpha: number, name: string): tf.layers.Layer {
  if (kind === "leakyRelu") return fusedDense({ units, leakyAlpha: alpha, name });
  return fusedDense({ units, activation: kind, name });
}

/**
 * A fully connected network: Dense with its activation per hidden size (`${name}_dense1`, ...), then
 * Dense(outputSize) (`${name}_out`).
 * Shapes: input [batch, inputSize] (and [batch, conditionSize]) → output [batch, outputSize].
 */
export function mlp(options: MlpOptions): tf.LayersModel {
  const hidden = options.hiddenSizes ?? [32, 32];
  const activation = options.activation ?? "leakyRelu";
  const alpha = options.leakyAlpha ?? 0.2;
  const conditionSize = options.conditionSize ?? 0;
  const prefix = options.name ?? "mlp";
  assertPositiveInteger(options.inputSize, "inputSize");
  assertPositiveInteger(options.outputSize, "outputSize");
  hidden.forEach((h, i) => assertPositiveInteger(h, `hiddenSizes[${i}]`));
  if (!Number.isInteger(conditionSize) || conditionSize < 0) {
    throw new Error(`mlp: conditionSize must be a non-negative integer, got ${conditionSize}.`);
  }

  const input = tf.input({ shape: [options.inputSize], name: `${prefix}_input` });
  const inputs: tf.SymbolicTensor[] = [input];
  let h: tf.SymbolicTensor = input;
  if (conditionSize > 0) {
    const condition = tf.input({ shape: [conditionSize], name: `${prefix}_condition` });
    inputs.push(condition);
    // Conditioning by concatenation (Mirza & Osindero 2014, section 4.1 uses it for the MLP case).
    h = tf.layers.concatenate({ name: `${prefix}_concat` }).apply([input, condition]) as tf.SymbolicTensor;
  }
  hidden.forEach((units, i) => {
    h = hiddenLayer(units, activation, alpha, `${prefix}_dense${i + 1}`).apply(h) as tf.SymbolicTensor;
  });
  const output = fusedDense({ units: options.outputSize, activation: options.outputActivation ?? "linear", name: `${prefix}_out` })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: output, name: prefix });
}

export interface MlpGeneratorOptions {
  /** Size of the noise vector z. Default 8. */
  latentSize?: number;
  /** Size of one generated example: 1 for 1-D data, 2 for the ring/grid. Default 1. */
  dataSize?: number;
  hiddenSizes?: number[];
  activation?: MlpActivation;
  leakyAlpha?: number;
  /** Output nonlinearity; "linear" suits unbounded toy data. Default "linear". */
  outputActivation?: "linear" | "tanh" | "sigmoid";
  conditionSize?: number;
  name?: string;
}

/** An MLP generator G(z) for 1-D or 2-D toy data: [batch, latentSize] → [batch, dataSize]. */
export function mlpGenerator(options: MlpGeneratorOptions = {}): tf.LayersModel {
  return mlp({
    inputSize: options.latentSize ?? 8,
    outputSize: options.dataSize ?? 1,
    hiddenSizes: options.hiddenSizes,
    activation: options.activation,
    leakyAlpha: options.leakyAlpha,
    outputActivation: options.outputActivation ?? "linear",
    conditionSize: options.conditionSize,
    name: options.name ?? "generator",
  });
}

export interface MlpDiscriminatorOptions {
  /** Size of one example: 1 for 1-D data, 2 for the ring/grid. Default 1. */
  dataSize?: number;
  hiddenSizes?: number[];
  activation?: MlpActivation;
  leakyAlpha?: number;
  conditionSize?: number;
  name?: string;
}

/** An MLP discriminator D(x) returning one LOGIT per example: [batch, dataSize] → [batch, 1]. */
export function mlpDiscriminator(options: MlpDiscriminatorOptions = {}): tf.LayersModel {
  return mlp({
    inputSize: options.dataSize ?? 1,
    outputSize: 1,
    hiddenSizes: options.hiddenSizes,
    activation: options.activation,
    leakyAlpha: options.leakyAlpha,
    outputActivation: "linear",
    conditionSize: options.conditionSize,
    name: options.name ?? "discriminator",
  });
}

export interface MlpGanSpecOptions extends SpecOverrides<tf.LayersModel> {
  /** Size of the noise vector z. Default 8. */
  latentSize?: number;
  /** Size of one example: 1 for 1-D data, 2 for the ring and grid. Default 1. */
  dataSize?: number;
  /** Hidden layers of both networks. Default [32, 32]. */
  hiddenSizes?: number[];
  activation?: MlpActivation;
}

/**
 * A toy GAN of two MLPs for `train()` (chapters 1–4: 1-D Gaussians, the two cities, the ring and the grid):
 * `mlpGenerator` and `mlpDiscriminator` of the same hidden sizes, z ~ N(0, I), the non-saturating objective and
 * Adam(2e-4, β1 0.5) for each player — each overridable (the lessons pass their own learning rates).
 */
export function mlpGanSpec(options: MlpGanSpecOptions = {}): GanSpec {
  const latentSize = options.latentSize ?? 8;
  const dataSize = options.dataSize ?? 1;
  const shared = { hiddenSizes: options.hiddenSizes, activation: options.activation };
  return {
    generator: options.generator ?? mlpGenerator({ latentSize, dataSize, ...shared }),
    discriminator: options.discriminator ?? mlpDiscriminator({ dataSize, ...shared }),
    latent: normalLatent(latentSize),
    objective: options.objective ?? "non-saturating",
    optimizers: options.optimizers,
    discriminatorSteps: options.discriminatorSteps,
  };
}
