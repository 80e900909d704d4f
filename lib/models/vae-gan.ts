/**
 * VAE-GAN: Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a learned similarity
 * metric" (ICML; arXiv:1512.09300), and the plain VAE it starts from (Kingma & Welling 2014, "Auto-Encoding
 * Variational Bayes"). What the paper changes, and all this file holds:
 *
 * - a VAE's encoder q(z|x) = N(μ(x), diag σ²(x)) sampled by the reparameterisation z = μ + σ ⊙ ε, and its
 *   decoder, which is also the GAN's generator;
 * - the reconstruction error is measured in the discriminator's l-th layer instead of in pixels:
 *   L_llike = −E_q[log N(Dis_l(x) | Dis_l(x̃), I)] = ½‖Dis_l(x) − Dis_l(x̃)‖² + const (eq. 9), a similarity that
 *   a blur does not satisfy the way the pixel loss does;
 * - three losses and who gets which gradient (Algorithm 1): the encoder minimises L_prior + L_llike (no GAN
 *   term: the paper's code stops the GAN gradient at the encoder); the decoder minimises γ·L_llike − L_GAN;
 *   the discriminator maximises L_GAN, where both the decoder's samples from the prior, G(z), and its
 *   reconstructions, x̃ = G(E(x)), count as fake (eq. 10). γ = 10⁻² in the reference (aegan.py).
 *
 * The generator's GAN term is the non-saturating −log D (as the reference code trains it). The plain VAE
 * (`vaeGame`) uses the same encoder and decoder with a pixel-wise Gaussian likelihood, for comparison.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedDense } from "../layers/fused-dense";
import { adam } from "../engine/optimizers";
import { nextSeed } from "../engine/seed";
import { minimaxDiscriminatorLoss, minimaxGeneratorLoss, nonSaturatingGeneratorLoss } from "../losses";
import { normalLatent } from "../train/gan-spec";
import type { Game, Network, OptimizerChoice, PlayerContext } from "../train/types";
import { positiveOption } from "./params";

export interface VaeNetworkOptions {
  imageShape?: [number, number, number];
  latentDim?: number;
  /** Hidden units of the encoder and the discriminator. Default [512, 256]. */
  hiddenSizes?: number[];
  /** Hidden units of the decoder. Default [256, 512, 1024]: the vanilla GAN's generator. */
  decoderHiddenSizes?: number[];
}

export const VAE_GAN_DEFAULTS = {
  imageShape: [28, 28, 1] as [number, number, number],
  latentDim: 32,
  hiddenSizes: [512, 256],
  decoderHiddenSizes: [256, 512, 1024],
  /** γ, the decoder's weight of the feature reconstruction against its GAN term (aegan.py). */
  gamma: 1e-2,
  /** σ of the feature-space likelihood: ×100 on ½‖ΔDis_l‖², a weight like that of a layer of ~25,000 features at σ = 1. */
  featureSigma: 0.1,
  /** σ of the VAE's pixel likelihood N(x | x̃, σ²I), in the [−1, 1] pixel scale. */
  pixelSigma: 0.3,
  learningRate: 3e-4,
  beta1: 0.5,
};

const LEAKY_SLOPE = 0.2;

function resolve(opts: VaeNetworkOptions, who: string) {
  const imageShape = opts.imageShape ?? VAE_GAN_DEFAULTS.imageShape;
  if (!Array.isArray(imageShape) || imageShape.length !== 3 || !imageShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${who}: imageShape must be [height, width, channels] of positive integers, got ${JSON.stringify(imageShape)}.`);
  }
  const latentDim = positiveOption(opts.latentDim ?? VAE_GAN_DEFAULTS.latentDim, "latentDim", who, true);
  const hiddenSizes = opts.hiddenSizes ?? VAE_GAN_DEFAULTS.hiddenSizes;
  if (hiddenSizes.length === 0) throw new Error(`${who}: give at least one hidden size.`);
  hiddenSizes.forEach((h, i) => positiveOption(h, `hiddenSizes[${i}]`, who, true));
  const decoderHiddenSizes = opts.decoderHiddenSizes ?? VAE_GAN_DEFAULTS.decoderHiddenSizes;
  if (decoderHiddenSizes.length === 0) throw new Error(`${who}: give at least one decoder hidden size.`);
  decoderHiddenSizes.forEach((h, i) => positiveOption(h, `decoderHiddenSizes[${i}]`, who, true));
  return { imageShape, latentDim, hiddenSizes, decoderHiddenSizes };
}

/** flatten → (Dense → LeakyReLU 0.2) per hidden size, on a symbolic input; returns the last hidden layer. */
function mlpTrunk(input: tf.SymbolicTensor, hiddenSizes: number[], prefix: string): tf.SymbolicTensor {
  let h = tf.layers.flatten({ name: `${prefix}_flatten` }).apply(input) as tf.SymbolicTensor;
  hiddenSizes.forEach((units, i) => {
    // Dense → LeakyReLU as one layer, one op each way (lib/layers/fused-dense.ts): the same numbers.
    h = fusedDense({ units, leakyAlpha: LEAKY_SLOPE, name: `${prefix}_dense${i + 1}` }).apply(h) as tf.SymbolicTensor;
  });
  return h;
}

/** The encoder q(z|x): image → MLP trunk → two heads, [μ, log σ²], each [batch, latentDim]. */
export function buildVaeEncoder(opts: VaeNetworkOptions = {}): tf.LayersModel {
  const { imageShape, latentDim, hiddenSizes } = resolve(opts, "buildVaeEncoder");
  const x = tf.input({ shape: imageShape, name: "vae_encoder_x" });
  const h = mlpTrunk(x, hiddenSizes, "vae_encoder");
  const mean = tf.layers.dense({ units: latentDim, name: "vae_encoder_mean" }).apply(h) as tf.SymbolicTensor;
  // Initialised at zero so every σ starts at 1 (log σ² = 0): the posterior starts as the prior, not at a random scale.
  const logVariance = tf.layers.dense({ units: latentDim, kernelInitializer: "zeros", name: "vae_encoder_log_variance" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [mean, logVariance], name: "vae_encoder" });
}

/**
 * The decoder p(x|z), also VAE-GAN's generator: the vanilla GAN's MLP generator, with its sizes by default
 * (Dense → LeakyReLU 0.2 → batch norm, momentum 0.8, per hidden size, then a tanh image in [−1, 1]).
 */
export function buildVaeDecoder(opts: VaeNetworkOptions = {}): tf.Sequential {
  const { imageShape, latentDim, decoderHiddenSizes } = resolve(opts, "buildVaeDecoder");
  const model = tf.sequential({ name: "vae_decoder" });
  decoderHiddenSizes.forEach((units, i) => {
    model.add(fusedDense(i === 0 ? { units, leakyAlpha: LEAKY_SLOPE, inputShape: [latentDim] } : { units, leakyAlpha: LEAKY_SLOPE }));
    model.add(tf.layers.batchNormalization({ momentum: 0.8 }));
  });
  model.add(tf.layers.dense({ units: imageShape[0] * imageShape[1] * imageShape[2], activation: "tanh" }));
  model.add(tf.layers.reshape({ targetShape: imageShape }));
  return model;
}

/**
 * The discriminator, with two outputs: [logit, features], the features being its last hidden layer (the
 * paper's Dis_l, l the layer before the output). image → MLP trunk → features → Dense(1).
 */
export function buildVaeGanDiscriminator(opts: VaeNetworkOptions = {}): tf.LayersModel {
  const { imageShape, hiddenSizes } = resolve(opts, "buildVaeGanDiscriminator");
  const x = tf.input({ shape: imageShape, name: "vae_gan_d_x" });
  const features = mlpTrunk(x, hiddenSizes, "vae_gan_d");
  const logit = tf.layers.dense({ units: 1, name: "vae_gan_d_logit" }).apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [logit, features], name: "vae_gan_discriminator" });
}

// ---------------------------------------------------------------------------------------------------------
// The pieces of the objective, as pure functions
// ---------------------------------------------------------------------------------------------------------

/**
 * KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (μ_k² + σ_k² − log σ_k² − 1), summed over latent dimensions and averaged
 * over the batch (Kingma & Welling 2014, appendix B): L_prior.
 */
export function gaussianKlToStandardNormal(mean: tf.Tensor, logVariance: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(mean.shape, logVariance.shape) || mean.rank !== 2) {
    throw new Error(`gaussianKlToStandardNormal: μ and log σ² must both be [batch, latentDim]; got [${mean.shape}] and [${logVariance.shape}].`);
  }
  return tf.tidy(() => tf.mean(tf.sum(tf.square(mean).add(tf.exp(logVariance)).sub(logVariance).sub(1), 1)).mul(0.5));
}

/**
 * z = μ + σ ⊙ ε with ε ~ N(0, I) (Kingma & Welling 2014, section 2.4): a sample of q(z|x) that is a
 * differentiable function of μ and log σ², so gradients reach the encoder. σ = exp(½ log σ²).
 */
export function reparameterize(mean: tf.Tensor, logVariance: tf.Tensor, epsilon?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const eps = epsilon ?? tf.randomNormal(mean.shape, 0, 1, "float32", nextSeed());
    return mean.add(tf.exp(logVariance.mul(0.5)).mul(eps));
  });
}

/**
 * −log N(a | b, σ²I) up to its constant: Σ (a − b)² / (2σ²) over every axis but the first, averaged over the
 * batch. With a = Dis_l(x), b = Dis_l(x̃) and σ = 1 it is L_llike^{Dis_l} (Larsen et al., eq. 9); with pixels,
 * the VAE's reconstruction term.
 */
export function gaussianReconstructionLoss(target: tf.Tensor, reconstruction: tf.Tensor, sigma = 1): tf.Scalar {
  if (!tf.util.arraysEqual(target.shape, reconstruction.shape)) {
    throw new Error(`gaussianReconstructionLoss: target [${target.shape}] and reconstruction [${reconstruction.shape}] differ in shape.`);
  }
  if (!(sigma > 0)) throw new Error(`gaussianReconstructionLoss: sigma must be > 0, got ${sigma}.`);
  return tf.tidy(() => {
    const n = target.shape[0];
    return tf.sum(tf.squaredDifference(target, reconstruction)).div(2 * sigma * sigma * n) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------------------
// The games
// ---------------------------------------------------------------------------------------------------------

export interface VaeGameOptions extends VaeNetworkOptions {
  encoder?: Network;
  decoder?: Network;
  /** σ of the pixel likelihood (see VAE_GAN_DEFAULTS.pixelSigma). */
  pixelSigma?: number;
  learningRate?: number;
  beta1?: number;
  optimizer?: OptimizerChoice;
}

export interface VaeGanOptions extends VaeNetworkOptions {
  encoder?: Network;
  decoder?: Network;
  discriminator?: Network;
  /** γ: the decoder's weight of L_llike against its GAN term. Default 1e-2 (the reference code). */
  gamma?: number;
  /**
   * σ of the Gaussian in D's feature space, N(Dis_l(x) | Dis_l(x̃), σ²I). The paper's eq. 9 has σ = 1 on a conv
   * layer of thousands of features; on this MLP's 256 the term would then be too weak beside the KL for the
   * encoder to put information in its code, so the default is 0.1 (see VAE_GAN_DEFAULTS).
   */
  featureSigma?: number;
  learningRate?: number;
  beta1?: number;
  optimizers?: { encoder?: OptimizerChoice; decoder?: OptimizerChoice; discriminator?: OptimizerChoice };
}

/** A VAE-family game's networks under the names the players use. */
export interface VaeGame extends Game {
  networks: { encoder: Network; decoder: Network; discriminator?: Network };
}

/** q(z|x)'s parameters and a reparameterised draw, in the context's mode (training unless said otherwise). */
function encodeAndSample(ctx: PlayerContext): { mean: tf.Tensor; logVariance: tf.Tensor; z: tf.Tensor } {
  const [mean, logVariance] = ctx.runHeads("encoder", ctx.real.x);
  return { mean, logVariance, z: reparameterize(mean, logVariance) };
}

/**
 * The plain VAE: one player `vae` training encoder and decoder on the negative ELBO, terms `prior`
 * (gaussianKlToStandardNormal) and `reconstruction` (the pixel Gaussian likelihood with σ = pixelSigma).
 */
export function vaeGame(opts: VaeGameOptions = {}): VaeGame {
  const net = resolve(opts, "vaeGame");
  const sigma = positiveOption(opts.pixelSigma ?? VAE_GAN_DEFAULTS.pixelSigma, "pixelSigma", "vaeGame");
  const lr = positiveOption(opts.learningRate ?? VAE_GAN_DEFAULTS.learningRate, "learningRate", "vaeGame");
  const beta1 = opts.beta1 ?? VAE_GAN_DEFAULTS.beta1;
  const networks = { encoder: opts.encoder ?? buildVaeEncoder(net), decoder: opts.decoder ?? buildVaeDecoder(net) };
  return {
    networks,
    latent: normalLatent(net.latentDim),
    players: [{
      name: "vae",
      label: "VAE",
      trains: ["encoder", "decoder"],
      optimizer: opts.optimizer ?? (() => adam(lr, beta1)),
      loss: (ctx) => {
        const { mean, logVariance, z } = encodeAndSample(ctx);
        const reconstruction = ctx.run("decoder", z);
        return {
          prior: gaussianKlToStandardNormal(mean, logVariance),
          reconstruction: gaussianReconstructionLoss(ctx.real.x, reconstruction, sigma),
        };
      },
    }],
    sample: (latent) => networks.decoder.apply(latent.z, { training: false }) as tf.Tensor,
  };
}

/**
 * VAE-GAN for `train()`, Larsen et al. 2016, Algorithm 1, with the three players updating in turn on the same
 * batch and prior draw:
 *
 * - `discriminator` (trains D): adversarial = −log D(x) − log(1 − D(G(z))) − log(1 − D(x̃)) (eq. 10, with x̃ and
 *   G(z) as constants); scores `real`, `fake` (G(z)) and `reconstruction` (x̃), mean probabilities;
 * - `encoder` (trains E): terms `prior` (L_prior) and `featureReconstruction` (L_llike in D's features);
 * - `decoder` (trains G): terms `featureReconstruction` (γ·L_llike) and `adversarial` (−log D(G(z)) − log D(x̃)).
 */
export function vaeGanGame(opts: VaeGanOptions = {}): VaeGame & { networks: { discriminator: Network } } {
  const net = resolve(opts, "vaeGanGame");
  const gamma = opts.gamma ?? VAE_GAN_DEFAULTS.gamma;
  if (!(Number.isFinite(gamma) && gamma >= 0)) throw new Error(`vaeGanGame: gamma must be a finite number ≥ 0, got ${gamma}.`);
  const lr = positiveOption(opts.learningRate ?? VAE_GAN_DEFAULTS.learningRate, "learningRate", "vaeGanGame");
  const featureSigma = positiveOption(opts.featureSigma ?? VAE_GAN_DEFAULTS.featureSigma, "featureSigma", "vaeGanGame");
  const beta1 = opts.beta1 ?? VAE_GAN_DEFAULTS.beta1;
  const networks = {
    encoder: opts.encoder ?? buildVaeEncoder(net),
    decoder: opts.decoder ?? buildVaeDecoder(net),
    discriminator: opts.discriminator ?? buildVaeGanDiscriminator(net),
  };
  const optimizer = (which: "encoder" | "decoder" | "discriminator") => opts.optimizers?.[which] ?? (() => adam(lr, beta1));
  const discriminate = (ctx: PlayerContext, x: tf.Tensor) => {
    const [logit, features] = ctx.runHeads("discriminator", x);
    return { logit, features };
  };

  return {
    networks,
    latent: normalLatent(net.latentDim),
    players: [
      {
        name: "discriminator",
        label: "D",
        trains: ["discriminator"],
        optimizer: optimizer("discriminator"),
        loss: (ctx) => {
          const [reconstruction, generated] = ctx.constant(() => {
            const { z } = encodeAndSample(ctx);
            return [ctx.run("decoder", z), ctx.run("decoder", ctx.latent.z)];
          });
          const real = discriminate(ctx, ctx.real.x).logit;
          const fake = discriminate(ctx, generated).logit;
          const recon = discriminate(ctx, reconstruction).logit;
          ctx.record("real", tf.mean(tf.sigmoid(real)));
          ctx.record("fake", tf.mean(tf.sigmoid(fake)));
          ctx.record("reconstruction", tf.mean(tf.sigmoid(recon)));
          // −log D(x) − log(1 − D(G(z))) plus the reconstructions' −log(1 − D(x̃)): both count as fake.
          // (minimaxGeneratorLoss(l) = E[log(1 − σ(l))], so subtracting it adds −log(1 − D(x̃)).)
          const adversarial = minimaxDiscriminatorLoss(real, fake).sub(minimaxGeneratorLoss(recon));
          return { adversarial: adversarial as tf.Scalar };
        },
      },
      {
        name: "encoder",
        label: "E",
        trains: ["encoder"],
        optimizer: optimizer("encoder"),
        loss: (ctx) => {
          const { mean, logVariance, z } = encodeAndSample(ctx);
          const reconstruction = ctx.run("decoder", z);
          const target = ctx.constant(() => discriminate(ctx, ctx.real.x).features);
          return {
            prior: gaussianKlToStandardNormal(mean, logVariance),
            featureReconstruction: gaussianReconstructionLoss(target, discriminate(ctx, reconstruction).features, featureSigma),
          };
        },
      },
      {
        name: "decoder",
        label: "G",
        trains: ["decoder"],
        optimizer: optimizer("decoder"),
        loss: (ctx) => {
          // The code is data for the decoder's update: the encoder is not what this player trains.
          const z = ctx.constant(() => encodeAndSample(ctx).z);
          const reconstruction = ctx.run("decoder", z);
          const generated = ctx.run("decoder", ctx.latent.z);
          const target = ctx.constant(() => discriminate(ctx, ctx.real.x).features);
          const recon = discriminate(ctx, reconstruction);
          const fake = discriminate(ctx, generated).logit;
          ctx.record("fake", tf.mean(tf.sigmoid(fake)));
          return {
            featureReconstruction: gaussianReconstructionLoss(target, recon.features, featureSigma).mul(gamma) as tf.Scalar,
            adversarial: nonSaturatingGeneratorLoss(fake).add(nonSaturatingGeneratorLoss(recon.logit)) as tf.Scalar,
          };
        },
      },
    ],
    sample: (latent) => networks.decoder.apply(latent.z, { training: false }) as tf.Tensor,
  };
}

/** E's mean code μ(x) and the decoder's reconstruction G(μ(x)), in inference mode (the usual way to show one). */
export function vaeReconstruct(game: { networks: { encoder: Network; decoder: Network } }, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [mean] = game.networks.encoder.apply(x, { training: false }) as tf.Tensor[];
    return game.networks.decoder.apply(mean, { training: false }) as tf.Tensor;
  });
}
