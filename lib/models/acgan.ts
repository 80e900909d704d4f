/**
 * The auxiliary classifier GAN: Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary
 * Classifier GANs" (ICML; arXiv:1610.09585). The generator is conditioned as in the CGAN (G(c, z)); the
 * discriminator no longer sees the label but predicts it: it returns a source distribution P(S | X) and a
 * class distribution P(C | X). With
 *   L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
 *   L_C = E[log P(C = c | X_real)]    + E[log P(C = c | X_fake)]
 * D maximises L_S + L_C and G maximises L_C − L_S (section 3). As losses to minimise:
 *   D: the objective's discriminator loss (−L_S, cross-entropy on the source logit) + CE_real + CE_fake
 *   G: the objective's generator loss (the non-saturating −log D(G(z)) by default, in place of L_S) + CE_fake
 * where CE is `acganClassLoss` (lib/losses), the batch mean of −log P(C = c | X). These are the only changes
 * from the (conditional) GAN, and they enter the one training loop through its hooks: `discriminate` reads
 * the two-headed D as [logits, classLogits], `extraDiscriminatorLoss` / `extraGeneratorLoss` add the class
 * terms, which the history records apart: D's `classReal` and `classFake`, G's `class`.
 *
 * Networks (`trunk` option):
 *   "conv" (default; the paper's networks are convolutional): the DCGAN of `dcgan.ts`. G = the CGAN's label
 *     conditioning in front of the DCGAN generator; D = the DCGAN discriminator up to its flattened features.
 *   "mlp": the vanilla GAN of `vanilla-gan.ts` in the same roles (the chapter's CGAN generator and the
 *     vanilla discriminator's hidden layers); small and fast enough for tests.
 *   D's features then feed two dense heads: one logit for the source and numClasses logits for the class.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiscriminatorStepContext, GanSpec, GeneratorStepContext } from "../train/gan-spec";
import type { Network } from "../train/types";
import { acganClassLoss } from "../losses";
import { isDenseLayer } from "../layers/fused-dense";
import {
  CganOptions, conditionalGenerator, conditionalLatent, labelledGenerate, requireLabels, resolveCganOptions,
} from "./cgan";
import { buildDcganDiscriminator, buildDcganGenerator } from "./dcgan";
import { buildVanillaDiscriminator, buildVanillaGenerator, SpecOverrides } from "./vanilla-gan";

export type AcganTrunk = "conv" | "mlp";

export interface AcganOptions extends CganOptions {
  /** "conv": DCGAN networks (the paper's kind); "mlp": the vanilla GAN's MLPs. Default "conv". */
  trunk?: AcganTrunk;
}

export const ACGAN_DEFAULTS = { trunk: "conv" as AcganTrunk };

function resolveTrunk(opts: AcganOptions, builder: string): AcganTrunk {
  const trunk = opts.trunk ?? ACGAN_DEFAULTS.trunk;
  if (trunk !== "conv" && trunk !== "mlp") {
    throw new Error(`${builder}: trunk must be "conv" (DCGAN) or "mlp" (vanilla GAN), got ${JSON.stringify(trunk)}.`);
  }
  return trunk;
}

/** The conditional generator G(c, z): [z [n, latentDim], label [n, 1]] → images [n, H, W, C] in [-1, 1]. */
export function buildAcganGenerator(opts: AcganOptions = {}): tf.LayersModel {
  const trunk = resolveTrunk(opts, "buildAcganGenerator");
  const { imageShape } = resolveCganOptions(opts, "buildAcganGenerator");
  const build = trunk === "conv"
    ? (latentDim: number) => buildDcganGenerator({ latentDim, imageShape })
    : (latentDim: number) => buildVanillaGenerator({ latentDim, imageShape });
  return conditionalGenerator(build, opts, `acgan_${trunk}_generator`);
}

/** A Sequential discriminator without its final Dense 1: image → flattened features. */
function featuresOf(discriminator: tf.Sequential, name: string): tf.LayersModel {
  const last = discriminator.layers[discriminator.layers.length - 1];
  tf.util.assert(isDenseLayer(last), () => `${name}: expected the discriminator to end in a Dense layer.`);
  const features = discriminator.layers[discriminator.layers.length - 2].output as tf.SymbolicTensor;
  const model = tf.model({ inputs: discriminator.inputs, outputs: features, name });
  // The unconditional D's output layer is replaced by ACGAN's two heads: free its kernel and bias, which
  // nothing else references (otherwise every ACGAN build would leave two tensors behind).
  last.dispose();
  return model;
}

/**
 * The two-headed discriminator: images [n, H, W, C] → [source logits [n, 1], class logits [n, numClasses]].
 * Both are logits (no sigmoid, no softmax): the losses apply them stably.
 */
export function buildAcganDiscriminator(opts: AcganOptions = {}): tf.LayersModel {
  const trunk = resolveTrunk(opts, "buildAcganDiscriminator");
  const { imageShape, numClasses } = resolveCganOptions(opts, "buildAcganDiscriminator");
  const name = `acgan_${trunk}_discriminator`;
  // conv: [H, W, C] → … → [⌈H/8⌉·⌈W/8⌉·256] (MNIST: 4096);  mlp: [H, W, C] → [512] → [256]
  const body = trunk === "conv"
    ? featuresOf(buildDcganDiscriminator({ imageShape }), `${name}_features`)
    : featuresOf(buildVanillaDiscriminator({ imageShape }), `${name}_features`);
  const image = tf.input({ shape: imageShape, name: `${name}_image` });
  const features = body.apply(image) as tf.SymbolicTensor;
  const source = tf.layers.dense({ units: 1, name: `${name}_source` }).apply(features) as tf.SymbolicTensor;
  const classes = tf.layers.dense({ units: numClasses, name: `${name}_classes` }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: image, outputs: [source, classes], name });
  tf.util.assert(
    model.outputs[0].shape[1] === 1 && model.outputs[1].shape[1] === numClasses,
    () => `buildAcganDiscriminator: heads ${JSON.stringify(model.outputs.map((o) => o.shape))} differ from [[null,1],[null,${numClasses}]].`,
  );
  return model;
}

/** The class-logit head of a discriminator output, with a message that says what is missing. */
function classLogitsOf(output: { aux: tf.Tensor[] }, who: string): tf.Tensor {
  if (output.aux.length === 0) {
    throw new Error(`${who}: the discriminator returned no class logits; ACGAN's D must return [logits, classLogits].`);
  }
  return output.aux[0];
}

/** The networks' options, the caller's overrides (the source objective defaults to "non-saturating"), and: */
export interface AcganSpecOptions extends AcganOptions, SpecOverrides {
  /** Weight of the class terms against the source terms. The paper adds them unweighted: 1. */
  classLossWeight?: number;
}

/** An ACGAN for `train()`: the two-headed D and the class terms of Odena et al. 2017 as the loop's hooks. */
export function acganSpec(opts: AcganSpecOptions = {}): GanSpec {
  const { latentDim, numClasses } = resolveCganOptions(opts, "acganSpec");
  const weight = opts.classLossWeight ?? 1;
  if (!Number.isFinite(weight) || weight < 0) {
    throw new Error(`acganSpec: classLossWeight must be a finite number ≥ 0, got ${weight}.`);
  }
  return {
    generator: opts.generator ?? buildAcganGenerator(opts),
    discriminator: opts.discriminator ?? buildAcganDiscriminator(opts),
    latent: conditionalLatent(latentDim, numClasses),
    objective: opts.objective ?? "non-saturating",
    generate: labelledGenerate(numClasses, "acganSpec"),
    // D sees only the image: the label is what it must predict.
    discriminate: (d: Network, x: tf.Tensor, _labels: tf.Tensor | undefined, training: boolean) =>
      d.apply(x, { training }) as tf.Tensor[],
    // −L_C on real and on generated images, recorded apart.
    extraDiscriminatorLoss: ({ real, latent, realOutput, fakeOutput }: DiscriminatorStepContext) => ({
      classReal: tf.mul(weight, acganClassLoss(classLogitsOf(realOutput, "acganSpec"), requireLabels(real.labels, "acganSpec"))) as tf.Scalar,
      classFake: tf.mul(weight, acganClassLoss(classLogitsOf(fakeOutput, "acganSpec"), requireLabels(latent.labels, "acganSpec"))) as tf.Scalar,
    }),
    // −L_C on generated images: G is rewarded when D recognises the class it was asked for.
    extraGeneratorLoss: ({ latent, fakeOutput }: GeneratorStepContext) => ({
      class: tf.mul(weight, acganClassLoss(classLogitsOf(fakeOutput, "acganSpec"), requireLabels(latent.labels, "acganSpec"))) as tf.Scalar,
    }),
    optimizers: opts.optimizers,
    discriminatorSteps: opts.discriminatorSteps,
  };
}
