/**
 * BiGAN / ALI: Donahue, Krähenbühl & Darrell 2016, "Adversarial Feature Learning" (ICLR 2017; arXiv:1605.09782),
 * and Dumoulin, Belghazi, Poole, Mastropietro, Lamb, Arjovsky & Courville 2016, "Adversarially Learned Inference"
 * (ICLR 2017; arXiv:1606.00704) — the same game, found twice. What they add to the GAN, and all this file holds:
 *
 * - an encoder E: x → z beside the generator G: z → x;
 * - a discriminator on PAIRS: D(x, z) tells (x, E(x)), x from the data, from (G(z), z), z from the prior. Here
 *   x and z each pass through their own trunk and then a joint one (the ALI discriminator's D(x), D(z), D(x, z));
 * - the value V(D, E, G) = E_x[log D(x, E(x))] + E_z[log(1 − D(G(z), z))], maximised by D and minimised by E and
 *   G together (one optimizer, as in the BiGAN code). At the optimum the two joint distributions are equal, and
 *   so E = G⁻¹ almost everywhere (Donahue et al., Theorem 2): the GAN gains an inverse without ever being shown
 *   a reconstruction. `biganJointTables` / `biganCriterion` check the optimum exactly on discrete toys.
 *
 * Defaults follow the BiGAN MNIST code (jeffdonahue/bigan): z ~ U(−1, 1)^50, Adam(2e-4, β1 0.5); the networks
 * are MLPs (two hidden layers of 512 here where the reference has 1024, for the CPU budget) and G ends in tanh
 * because the course scales images to [−1, 1].
 */
import * as tf from "@tensorflow/tfjs";
import { fusedDense } from "../layers/fused-dense";
import { adam } from "../engine/optimizers";
import { nextSeed } from "../engine/seed";
import { minimaxDiscriminatorLoss, minimaxGeneratorLoss, nonSaturatingGeneratorLoss } from "../losses";
import type { Game, LatentSampler, Network, OptimizerChoice, PlayerContext } from "../train/types";
import { normalLatent } from "../train/gan-spec";
import { positiveOption } from "./params";

export type BiganLatent = "uniform" | "normal";

export interface BiganNetworkOptions {
  /** Shape of one example: [28, 28, 1] for MNIST, [d] for toy vectors. */
  dataShape?: number[];
  latentDim?: number;
  /** Units of each hidden layer of every network. Default [512, 512]. */
  hiddenSizes?: number[];
}

export interface BiganOptions extends BiganNetworkOptions {
  /** The prior p(z): "uniform" on [−1, 1] (BiGAN's code, the default) or "normal". */
  latent?: BiganLatent;
  /**
   * How E and G are trained. "non-saturating" (default): each minimises −log of the discriminator being fooled,
   * G on −log D(G(z), z) and E on −log(1 − D(x, E(x))) (the "inverted labels" of the BiGAN and ALI code);
   * "minimax": they minimise V itself (the theorem's game, which saturates early).
   */
  objective?: "non-saturating" | "minimax";
  /** Networks to use instead of freshly built ones. D takes [x, z]. */
  encoder?: Network;
  generator?: Network;
  discriminator?: Network;
  /** Adam's learning rate and β1 for both players. Default 2e-4, 0.5. */
  learningRate?: number;
  beta1?: number;
  optimizers?: { discriminator?: OptimizerChoice; encoderGenerator?: OptimizerChoice };
}

export const BIGAN_DEFAULTS = {
  dataShape: [28, 28, 1],
  latentDim: 50,
  hiddenSizes: [512, 512],
  latent: "uniform" as BiganLatent,
  learningRate: 2e-4,
  beta1: 0.5,
};

const LEAKY_SLOPE = 0.2;

/** A BiGAN as a game: its three networks by name, under the names the players use. */
export interface BiganGame extends Game {
  networks: { encoder: Network; generator: Network; discriminator: Network };
}

function resolveNetworkOptions(opts: BiganNetworkOptions, who: string) {
  const dataShape = opts.dataShape ?? BIGAN_DEFAULTS.dataShape;
  if (!Array.isArray(dataShape) || dataShape.length === 0 || !dataShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${who}: dataShape must be a list of positive integers such as [28, 28, 1] or [2], got ${JSON.stringify(dataShape)}.`);
  }
  const latentDim = positiveOption(opts.latentDim ?? BIGAN_DEFAULTS.latentDim, "latentDim", who, true);
  const hiddenSizes = opts.hiddenSizes ?? BIGAN_DEFAULTS.hiddenSizes;
  hiddenSizes.forEach((h, i) => positiveOption(h, `hiddenSizes[${i}]`, who, true));
  const features = dataShape.reduce((a, b) => a * b, 1);
  return { dataShape, latentDim, hiddenSizes, features, images: dataShape.length === 3 };
}

/**
 * E: x → z. [dataShape] → flatten → (Dense → LeakyReLU 0.2 → batch norm) per hidden size → Dense(latentDim),
 * linear: E must be free to place codes anywhere D can check them (the BiGAN MNIST encoder is the same stack).
 */
export function buildBiganEncoder(opts: BiganNetworkOptions = {}): tf.Sequential {
  const { dataShape, latentDim, hiddenSizes } = resolveNetworkOptions(opts, "buildBiganEncoder");
  const model = tf.sequential({ name: "bigan_encoder" });
  if (dataShape.length > 1) model.add(tf.layers.flatten({ inputShape: dataShape }));
  else model.add(tf.layers.inputLayer({ inputShape: dataShape }));
  for (const units of hiddenSizes) {
    model.add(fusedDense({ units, leakyAlpha: LEAKY_SLOPE })); // Dense → LeakyReLU, one op each way
    model.add(tf.layers.batchNormalization());
  }
  model.add(tf.layers.dense({ units: latentDim }));
  return model;
}

/**
 * G: z → x. [latentDim] → (Dense → ReLU → batch norm) per hidden size → Dense(features), tanh for images in
 * [−1, 1] (the reference has sigmoid for [0, 1]) and linear for toy vectors → [dataShape].
 */
export function buildBiganGenerator(opts: BiganNetworkOptions = {}): tf.Sequential {
  const { dataShape, latentDim, hiddenSizes, features, images } = resolveNetworkOptions(opts, "buildBiganGenerator");
  const model = tf.sequential({ name: "bigan_generator" });
  hiddenSizes.forEach((units, i) => {
    model.add(fusedDense(i === 0 ? { units, activation: "relu", inputShape: [latentDim] } : { units, activation: "relu" }));
    model.add(tf.layers.batchNormalization());
  });
  if (hiddenSizes.length === 0) model.add(tf.layers.inputLayer({ inputShape: [latentDim] }));
  model.add(tf.layers.dense({ units: features, activation: images ? "tanh" : "linear" }));
  model.add(tf.layers.reshape({ targetShape: dataShape }));
  return model;
}

/**
 * D(x, z) → one logit. x: flatten → Dense(h₁) → LeakyReLU; z: Dense(h₁) → LeakyReLU; the two concatenated →
 * Dense(h₂) → LeakyReLU per further hidden size → Dense(1). No batch norm: a pair's score should depend on the
 * pair, not on the batch it came in (the ALI discriminator has none on the joint path either).
 */
export function buildBiganDiscriminator(opts: BiganNetworkOptions = {}): tf.LayersModel {
  const { dataShape, latentDim, hiddenSizes } = resolveNetworkOptions(opts, "buildBiganDiscriminator");
  if (hiddenSizes.length === 0) throw new Error("buildBiganDiscriminator: give at least one hidden size (the x and z trunks).");
  const x = tf.input({ shape: dataShape, name: "bigan_d_x" });
  const z = tf.input({ shape: [latentDim], name: "bigan_d_z" });
  const trunk = (input: tf.SymbolicTensor, name: string) => {
    const flat = dataShape.length > 1 && name === "x" ? (tf.layers.flatten().apply(input) as tf.SymbolicTensor) : input;
    return fusedDense({ units: hiddenSizes[0], leakyAlpha: LEAKY_SLOPE, name: `bigan_d_${name}_dense` }).apply(flat) as tf.SymbolicTensor;
  };
  let h = tf.layers.concatenate().apply([trunk(x, "x"), trunk(z, "z")]) as tf.SymbolicTensor;
  hiddenSizes.slice(1).forEach((units, i) => {
    h = fusedDense({ units, leakyAlpha: LEAKY_SLOPE, name: `bigan_d_joint_dense${i + 1}` }).apply(h) as tf.SymbolicTensor;
  });
  const logit = tf.layers.dense({ units: 1, name: "bigan_d_logit" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [x, z], outputs: logit, name: "bigan_discriminator" });
}

/** z ~ U(−1, 1)^size (BiGAN's prior), seeded from tsgan's stream. */
export function uniformLatent(size: number): LatentSampler {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`uniformLatent: size must be a positive integer, got ${size}.`);
  return (batchSize: number) => tf.randomUniform([batchSize, size], -1, 1, "float32", nextSeed());
}

function sigmoidMean(logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sigmoid(logits));
}

/**
 * A BiGAN for `train()`: networks `encoder`, `generator`, `discriminator`; players
 *
 * - `discriminator` (trains D): adversarial = −E[log D(x, E(x))] − E[log(1 − D(G(z), z))], with E(x) and G(z)
 *   as constants; scores `real` = mean D(x, E(x)), `fake` = mean D(G(z), z);
 * - `encoderGenerator` (trains E and G with one optimizer, on the same batch and noise): terms `generator`
 *   (the G(z) pairs) and `encoder` (the E(x) pairs), in the chosen objective's form.
 */
export function biganGame(opts: BiganOptions = {}): BiganGame {
  const net = resolveNetworkOptions(opts, "biganGame");
  const latentKind = opts.latent ?? BIGAN_DEFAULTS.latent;
  if (latentKind !== "uniform" && latentKind !== "normal") {
    throw new Error(`biganGame: latent must be "uniform" or "normal", got ${JSON.stringify(latentKind)}.`);
  }
  const objective = opts.objective ?? "non-saturating";
  if (objective !== "non-saturating" && objective !== "minimax") {
    throw new Error(`biganGame: objective must be "non-saturating" or "minimax", got ${JSON.stringify(objective)}.`);
  }
  const lr = positiveOption(opts.learningRate ?? BIGAN_DEFAULTS.learningRate, "learningRate", "biganGame");
  const beta1 = opts.beta1 ?? BIGAN_DEFAULTS.beta1;
  const networks = {
    encoder: opts.encoder ?? buildBiganEncoder(net),
    generator: opts.generator ?? buildBiganGenerator(net),
    discriminator: opts.discriminator ?? buildBiganDiscriminator(net),
  };
  // E and G are fooled-by-D terms: the generator wants D(G(z), z) → 1, the encoder D(x, E(x)) → 0.
  const fooled = (logits: tf.Tensor): tf.Scalar =>
    (objective === "minimax" ? minimaxGeneratorLoss(logits) : nonSaturatingGeneratorLoss(logits)) as tf.Scalar;

  const pairLogits = (ctx: PlayerContext, encoded: tf.Tensor, generated: tf.Tensor) => ({
    real: ctx.run("discriminator", [ctx.real.x, encoded]),
    fake: ctx.run("discriminator", [generated, ctx.latent.z]),
  });

  return {
    networks,
    latent: latentKind === "uniform" ? uniformLatent(net.latentDim) : normalLatent(net.latentDim),
    players: [
      {
        name: "discriminator",
        label: "D",
        trains: ["discriminator"],
        optimizer: opts.optimizers?.discriminator ?? (() => adam(lr, beta1)),
        loss: (ctx) => {
          const [encoded, generated] = ctx.constant(() => [ctx.run("encoder", ctx.real.x), ctx.run("generator", ctx.latent.z)]);
          const { real, fake } = pairLogits(ctx, encoded, generated);
          ctx.record("real", sigmoidMean(real));
          ctx.record("fake", sigmoidMean(fake));
          return { adversarial: minimaxDiscriminatorLoss(real, fake) as tf.Scalar };
        },
      },
      {
        name: "encoderGenerator",
        label: "EG",
        trains: ["encoder", "generator"],
        optimizer: opts.optimizers?.encoderGenerator ?? (() => adam(lr, beta1)),
        loss: (ctx) => {
          const { real, fake } = pairLogits(ctx, ctx.run("encoder", ctx.real.x), ctx.run("generator", ctx.latent.z));
          ctx.record("real", sigmoidMean(real));
          ctx.record("fake", sigmoidMean(fake));
          // −real: the encoder is fooling D when D scores its pair as generated.
          return { generator: fooled(fake), encoder: fooled(tf.neg(real)) };
        },
      },
    ],
    sample: (latent) => networks.generator.apply(latent.z, { training: false }) as tf.Tensor,
  };
}

/** E(x) in inference mode. */
export function encode(game: BiganGame | { networks: { encoder: Network } }, x: tf.Tensor): tf.Tensor {
  return game.networks.encoder.apply(x, { training: false }) as tf.Tensor;
}

/** G(E(x)) in inference mode: what the generator makes of the code the encoder gives x. */
export function reconstruct(game: BiganGame | { networks: { encoder: Network; generator: Network } }, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => game.networks.generator.apply(encode(game, x), { training: false }) as tf.Tensor);
}

// ---------------------------------------------------------------------------------------------------------
// The optimum, exactly, on discrete toys (Donahue et al. 2016, section 3.1 and Theorem 2)
// ---------------------------------------------------------------------------------------------------------

/**
 * The two joint distributions a BiGAN's D compares, for x on nx points and z on nz points with deterministic
 * maps: P_EX(x, z) = p_x(x)·[z = E(x)] and P_GZ(x, z) = p_z(z)·[x = G(z)], each as an nx × nz table (row x).
 * `encoder[i]` is the z-index E gives x-index i; `generator[j]` the x-index G gives z-index j.
 */
export function biganJointTables(
  px: ArrayLike<number>, pz: ArrayLike<number>, encoder: ArrayLike<number>, generator: ArrayLike<number>,
): { encoderJoint: Float64Array; generatorJoint: Float64Array; nx: number; nz: number } {
  const nx = px.length, nz = pz.length;
  if (encoder.length !== nx) throw new Error(`biganJointTables: the encoder maps ${encoder.length} x values, but px has ${nx}.`);
  if (generator.length !== nz) throw new Error(`biganJointTables: the generator maps ${generator.length} z values, but pz has ${nz}.`);
  const encoderJoint = new Float64Array(nx * nz), generatorJoint = new Float64Array(nx * nz);
  for (let i = 0; i < nx; i++) {
    const j = encoder[i];
    if (!(Number.isInteger(j) && j >= 0 && j < nz)) throw new Error(`biganJointTables: encoder[${i}] = ${j} is not a z index in [0, ${nz}).`);
    encoderJoint[i * nz + j] += px[i];
  }
  for (let j = 0; j < nz; j++) {
    const i = generator[j];
    if (!(Number.isInteger(i) && i >= 0 && i < nx)) throw new Error(`biganJointTables: generator[${j}] = ${i} is not an x index in [0, ${nx}).`);
    generatorJoint[i * nz + j] += pz[j];
  }
  return { encoderJoint, generatorJoint, nx, nz };
}

/**
 * The BiGAN value at the optimal discriminator D*(x, z) = P_EX / (P_EX + P_GZ) (Donahue et al., Proposition 1),
 * for two joint tables: C(E, G) = Σ P_EX log D* + Σ P_GZ log(1 − D*). Also the Jensen–Shannon divergence of the
 * two tables, computed separately, so a caller can check C = 2·JS − log 4 (Theorem 1): C = −log 4 exactly when
 * the joints agree, which for deterministic maps means E and G invert each other where the data lives.
 */
export function biganCriterion(encoderJoint: ArrayLike<number>, generatorJoint: ArrayLike<number>): { value: number; js: number; optimalD: Float64Array } {
  if (encoderJoint.length !== generatorJoint.length) {
    throw new Error(`biganCriterion: the tables differ in size (${encoderJoint.length} vs ${generatorJoint.length}).`);
  }
  const optimalD = new Float64Array(encoderJoint.length);
  let value = 0, js = 0;
  for (let k = 0; k < encoderJoint.length; k++) {
    const p = encoderJoint[k], q = generatorJoint[k];
    optimalD[k] = p + q > 0 ? p / (p + q) : 0.5;
    if (p > 0) value += p * Math.log(optimalD[k]);
    if (q > 0) value += q * Math.log(1 - optimalD[k]);
    const m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * Math.log(p / m);
    if (q > 0) js += 0.5 * q * Math.log(q / m);
  }
  return { value, js, optimalD };
}
