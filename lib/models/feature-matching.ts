/**
 * Feature matching: Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen 2016, "Improved Techniques for
 * Training GANs" (NeurIPS), section 3.1. What it changes, and all this file holds: the generator stops
 * maximising D's output and instead matches the batch mean of an intermediate layer f of D on real and on
 * generated data, ‖E_x f(x) − E_z f(G(z))‖² (`featureMatchingLoss` in lib/losses); D trains as before, so f
 * keeps moving to the features that tell real from fake.
 *
 * The discriminator must return [logit, features]: the features are its second output (the layer f).
 */
import * as tf from "@tensorflow/tfjs";
import { featureMatchingLoss } from "../losses";
import { discriminateSamples, gameFromSpec, GanSpec, GanSpecOverrides, generateSamples } from "../train/gan-spec";
import { Game, toLatentBatch } from "../train/types";

/**
 * The game of a GanSpec with feature matching as the generator's loss: the discriminator player is the spec's
 * own; the generator's only term is `featureMatching`, between D's features of the round's real batch (a
 * constant) and of a fresh batch of G's samples. Score `fake` = mean D(G(z)) as in the plain game.
 */
export function featureMatchingGame(spec: GanSpec, overrides: GanSpecOverrides = {}): Game {
  const game = gameFromSpec(spec, overrides);
  const [discriminator, generator] = game.players;
  const features = (x: tf.Tensor, labels: tf.Tensor | undefined) => {
    const out = discriminateSamples(spec, x, labels, true);
    if (out.aux.length === 0) {
      throw new Error(
        "featureMatchingGame: the discriminator returned only logits; it must return [logit, features] (e.g. " +
          "tf.model({ inputs, outputs: [logit, hiddenLayer] })) so the generator can match the features.",
      );
    }
    return { logits: out.logits, features: out.aux[0] };
  };
  return {
    ...game,
    players: [
      discriminator,
      {
        ...generator,
        loss: (ctx) => {
          const latent = toLatentBatch(spec.latent(ctx.real.x.shape[0], ctx.real));
          const fake = features(generateSamples(spec, latent, true), latent.labels);
          const real = ctx.constant(() => features(ctx.real.x, ctx.real.labels).features);
          ctx.record("fake", tf.mean(tf.sigmoid(fake.logits)));
          return { featureMatching: featureMatchingLoss(real, fake.features) as tf.Scalar };
        },
      },
    ],
  };
}
