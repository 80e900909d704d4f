/**
 * The Wasserstein GAN: Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN" (ICML; arXiv:1701.07875), in the
 * book chapter's form. What the paper changes, and all this file holds:
 *
 * - the discriminator is a **critic**: its last layer is linear (a score, not the logit of a probability) —
 *   tsgan's discriminators already end in a linear unit, so the chapter's networks serve unchanged;
 * - the loss is the Wasserstein pair of `lib/losses` (the chapter's labels −1 / +1 times the score, averaged):
 *   critic E[D(G(z))] − E[D(x)], generator −E[D(G(z))]; −(critic loss) estimates W₁(p_data, p_g) up to the
 *   critic's Lipschitz constant (the Kantorovich–Rubinstein duality);
 * - the critic is kept K-Lipschitz by clipping every weight to [−c, c] after each of its updates, c = 0.01
 *   (Algorithm 1; the reference main.py clamps before each critic update instead, which differs only in the
 *   critic the first update and the generator see);
 * - n_critic = 5 critic updates per generator update — or the reference code's schedule, 100 for the first 25
 *   generator steps and on every 500th (`schedule: "reference"`), which gets the critic near its optimum first;
 * - RMSProp with learning rate 5e-5 for both players (momentum-based optimizers were unstable, section 4.3).
 */
import type * as tf from "@tensorflow/tfjs";
import { rmsprop } from "../engine/optimizers";
import { clipWeights, GanSpec, normalLatent } from "../train/gan-spec";
import { buildDcganDiscriminator, buildDcganGenerator } from "./dcgan";
import { positiveOption } from "./params";
import { buildVanillaDiscriminator, buildVanillaGenerator, SpecOverrides } from "./vanilla-gan";

export type WganTrunk = "mlp" | "conv";
export type WganSchedule = "constant" | "reference";

export interface WganOptions extends SpecOverrides {
  /** "mlp": the vanilla GAN's networks; "conv": the DCGAN's. Default "mlp" (fast on a CPU). */
  trunk?: WganTrunk;
  latentDim?: number;
  imageShape?: [number, number, number];
  /** c, the clipping bound of every critic weight. Default 0.01. */
  clipValue?: number;
  /** Critic updates per generator update under the "constant" schedule. Default 5. */
  criticSteps?: number;
  /** "constant" (default): criticSteps every step; "reference": 100 in the first 25 steps and every 500th. */
  schedule?: WganSchedule;
  /** RMSProp's learning rate for both players. Default 5e-5. */
  learningRate?: number;
}

export const WGAN_DEFAULTS = {
  trunk: "mlp" as WganTrunk,
  latentDim: 100,
  imageShape: [28, 28, 1] as [number, number, number],
  clipValue: 0.01,
  criticSteps: 5,
  schedule: "constant" as WganSchedule,
  learningRate: 5e-5,
};

/**
 * The reference code's critic schedule (martinarjovsky/WassersteinGAN, main.py): `Diters = 100 if
 * gen_iterations < 25 or gen_iterations % 500 == 0 else 5`, with gen_iterations the generator steps done
 * before this one — step s (1-based) has s − 1 of them.
 */
export function wganReferenceSchedule(step: number, criticSteps = WGAN_DEFAULTS.criticSteps): number {
  const done = step - 1;
  return done < 25 || done % 500 === 0 ? 100 : criticSteps;
}

/** The critic: the vanilla or DCGAN discriminator, which already ends in one linear unit (a score). */
export function buildWganCritic(opts: Pick<WganOptions, "trunk" | "imageShape"> = {}): tf.LayersModel {
  const trunk = checkTrunk(opts.trunk ?? WGAN_DEFAULTS.trunk, "buildWganCritic");
  const imageShape = opts.imageShape ?? WGAN_DEFAULTS.imageShape;
  return trunk === "conv" ? buildDcganDiscriminator({ imageShape }) : buildVanillaDiscriminator({ imageShape });
}

function checkTrunk(trunk: string, who: string): WganTrunk {
  if (trunk !== "mlp" && trunk !== "conv") throw new Error(`${who}: trunk must be "mlp" or "conv", got ${JSON.stringify(trunk)}.`);
  return trunk;
}

/** A WGAN for `train()`: the chapter's networks as generator and critic, with the paper's defaults (above). */
export function wganSpec(opts: WganOptions = {}): GanSpec {
  const who = "wganSpec";
  const trunk = checkTrunk(opts.trunk ?? WGAN_DEFAULTS.trunk, who);
  const latentDim = positiveOption(opts.latentDim ?? WGAN_DEFAULTS.latentDim, "latentDim", who, true);
  const imageShape = opts.imageShape ?? WGAN_DEFAULTS.imageShape;
  const c = positiveOption(opts.clipValue ?? WGAN_DEFAULTS.clipValue, "clipValue", who);
  const k = positiveOption(opts.criticSteps ?? WGAN_DEFAULTS.criticSteps, "criticSteps", who, true);
  const lr = positiveOption(opts.learningRate ?? WGAN_DEFAULTS.learningRate, "learningRate", who);
  const schedule = opts.schedule ?? WGAN_DEFAULTS.schedule;
  if (schedule !== "constant" && schedule !== "reference") {
    throw new Error(`${who}: schedule must be "constant" or "reference", got ${JSON.stringify(schedule)}.`);
  }
  const generator = opts.generator
    ?? (trunk === "conv" ? buildDcganGenerator({ latentDim, imageShape }) : buildVanillaGenerator({ latentDim, imageShape }));
  return {
    generator,
    discriminator: opts.discriminator ?? buildWganCritic({ trunk, imageShape }),
    latent: normalLatent(latentDim),
    objective: opts.objective ?? "wasserstein",
    afterDiscriminatorStep: (critic) => clipWeights(critic, c),
    discriminatorSteps: opts.discriminatorSteps ?? (schedule === "reference" ? (step: number) => wganReferenceSchedule(step, k) : k),
    optimizers: {
      generator: opts.optimizers?.generator ?? (() => rmsprop(lr)),
      discriminator: opts.optimizers?.discriminator ?? (() => rmsprop(lr)),
    },
  };
}
