/**
 * MRGAN: Che, Li, Jacob, Bengio & Li 2017, "Mode Regularized Generative Adversarial Networks" (ICLR;
 * arXiv:1612.02136). What the paper changes from the GAN, and all this file holds: an encoder E: x → z, trained
 * with the generator so that G∘E maps each data point to a point of G's output near it, and two regularisers in
 * the objectives of G and E (section 3):
 *
 *   T_G = −E_z[log D(G(z))] + E_x[λ1·d(x, G∘E(x)) + λ2·log D(G∘E(x))],   T_E = E_x[λ1·d(x, G∘E(x)) + λ2·log D(G∘E(x))].
 *
 * - the geometric metric regulariser d(x, G∘E(x)) (section 3.1): every data point, in every mode, pulls a point
 *   of G's manifold towards itself, so a mode D never shows G (a missing mode) still gets some of G's mass;
 * - the mode regulariser (section 3.2): G∘E(x) is G's output near x, and making D judge it real carries the
 *   discriminator's signal to the modes that G(z) misses, which pure −log D(G(z)) never visits.
 * The discriminator is the GAN's: real x against G(z), no new term.
 *
 * Reading of the sign: as printed, both T_G and T_E ADD λ2·log D(G∘E(x)) to what G and E minimise, which would
 * push D(G∘E(x)) to 0, i.e. make the reconstructions look fake: the opposite of the purpose section 3.2 states.
 * Here the mode term is the non-saturating −λ2·log D(G∘E(x)) (`modeRegulariser`), the same −log D the first
 * term of T_G uses for G(z). (No trustworthy public code exists to settle it; the widely copied one uses D
 * instead of log D.)
 *
 * Choices the paper leaves open, stated:
 * - d: the paper asks only for "a similarity metric in the data space"; here the squared L2 distance per
 *   example averaged over its elements (the mean squared error in pixel space, `geometricRegulariser`);
 *   pass `distance` for another.
 * - λ1 = 0.2, λ2 = 0.4 by default: small beside the adversarial term, so the regularisers steer G rather than
 *   turn it into an autoencoder; the paper tunes the weights per experiment.
 * - the optimizers: Adam(2e-4, β1 0.5) for every player (Radford et al. 2016), tsgan's default.
 * - G's adversarial term draws fresh noise, as a GanSpec's generator does (Goodfellow et al. 2014, Algorithm 1).
 *
 * MDGAN (section 3.3, the manifold-diffusion training, `mdgan: true`): the same networks with a second
 * discriminator D_M, and each round in two steps:
 * - the manifold step: D_M learns to tell x from G∘E(x); G and E together minimise λ1·d(x, G∘E(x)) − log D_M(G∘E(x))
 *   (the reconstructions land ON the data manifold, not just near it);
 * - the diffusion step: D learns to tell G∘E(x), taken as "real", from G(z), and G minimises −log D(G(z)): the
 *   mass of G(z) spreads along the manifold G∘E has found, in proportion to the data (both distributions live
 *   on G's manifold, so their divergence does not saturate the way it does against the data). Pass
 *   `diffusionTarget: "data"` to make D tell x from G(z) instead, the standard GAN step.
 * MDGAN has no mode regulariser (D_M plays its part), so `modeWeight` is refused there.
 */
import * as tf from "@tensorflow/tfjs";
import { minimaxDiscriminatorLoss, nonSaturatingGeneratorLoss } from "../losses";
import { defaultGanOptimizer, normalLatent } from "../train/gan-spec";
import {
  asScalar, Game, LatentSampler, LossTerms, Network, OptimizerChoice, Player, PlayerContext, toLatentBatch,
} from "../train/types";
import { mlp, MlpActivation, mlpDiscriminator, mlpGenerator } from "./mlp";
import { positiveOption } from "./params";

// ---------------------------------------------------------------------------------------------------------
// The regularisers, as pure functions
// ---------------------------------------------------------------------------------------------------------

/**
 * The geometric metric regulariser d(x, G∘E(x)) of Che et al. 2017, section 3.1, with d the squared L2 distance
 * per example averaged over its elements and over the batch: the mean squared error. Unweighted (λ1 is the
 * caller's).
 *
 * Args: x and reconstruction, the same shape [batch, ...]. Returns: a scalar.
 */
export function geometricRegulariser(x: tf.Tensor, reconstruction: tf.Tensor): tf.Scalar {
  if (!(x instanceof tf.Tensor) || !(reconstruction instanceof tf.Tensor) || !tf.util.arraysEqual(x.shape, reconstruction.shape)) {
    const shape = (t: unknown) => (t instanceof tf.Tensor ? `[${t.shape}]` : typeof t);
    throw new Error(
      `geometricRegulariser: x and its reconstruction G(E(x)) must have the same shape, got ${shape(x)} and ${shape(reconstruction)}; ` +
        "check that the generator's output is shaped like the data.",
    );
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(x, reconstruction)) as tf.Scalar);
}

/**
 * The mode regulariser of Che et al. 2017, section 3.2, in the non-saturating form (see the module comment on
 * the sign): −E_x[log D(G∘E(x))] = E_x[softplus(−l)] for D's logits l on the reconstructions. Unweighted (λ2 is
 * the caller's). Minimising it makes D judge G∘E(x) real.
 *
 * Args: reconstructionLogits, D's logits on G(E(x)), [batch] or [batch, 1]. Returns: a scalar.
 */
export function modeRegulariser(reconstructionLogits: tf.Tensor): tf.Scalar {
  if (!(reconstructionLogits instanceof tf.Tensor)) throw new Error("modeRegulariser: expects D's logits on G(E(x)), a tensor.");
  return asScalar(nonSaturatingGeneratorLoss(reconstructionLogits), "modeRegulariser");
}

// ---------------------------------------------------------------------------------------------------------
// The game
// ---------------------------------------------------------------------------------------------------------

/** What D in MDGAN's diffusion step takes as real: the reconstructions G∘E(x) (the paper) or the data x. */
export type DiffusionTarget = "reconstructions" | "data";

/** Player names of the two games, the keys of `optimizers`. */
export const MRGAN_PLAYERS = ["discriminator", "generator", "encoder"] as const;
export const MDGAN_PLAYERS = ["manifoldDiscriminator", "manifold", "discriminator", "generator"] as const;

export interface MrganOptions {
  /** E: data → code [batch, latentSize]. Default an MLP of `hiddenSizes`. */
  encoder?: Network;
  /** G: z [batch, latentSize] → data. Default `mlpGenerator`. */
  generator?: Network;
  /** D: data → one logit. Default `mlpDiscriminator`. */
  discriminator?: Network;
  /** MDGAN's D_M: data → one logit (only with `mdgan: true`). Default `mlpDiscriminator`. */
  manifoldDiscriminator?: Network;
  /** Size of one example, for the default MLPs. Default 1 (mlp.ts's). */
  dataSize?: number;
  /** Size of z and of E's code. Default: G's declared input width, else 8 (mlp.ts's). */
  latentSize?: number;
  /** Hidden layers of the default MLPs. Default [32, 32]. */
  hiddenSizes?: number[];
  activation?: MlpActivation;
  /** λ1, the weight of d(x, G∘E(x)). Default 0.2. */
  geometricWeight?: number;
  /** λ2, the weight of the mode regulariser. Default 0.4. MRGAN only. */
  modeWeight?: number;
  /** d(x, G∘E(x)) as a scalar. Default `geometricRegulariser` (the mean squared error). */
  distance?: (x: tf.Tensor, reconstruction: tf.Tensor) => tf.Scalar;
  /** Train with the manifold and diffusion steps (MDGAN, section 3.3). Default false. */
  mdgan?: boolean;
  /** MDGAN's diffusion step: what D takes as real. Default "reconstructions" (the paper). */
  diffusionTarget?: DiffusionTarget;
  /** Optimizers by player name (`MRGAN_PLAYERS`, or `MDGAN_PLAYERS` with mdgan). Default Adam(2e-4, β1 0.5) each. */
  optimizers?: Partial<Record<string, OptimizerChoice>>;
}

export const MRGAN_DEFAULTS = {
  dataSize: 1,
  latentSize: 8,
  hiddenSizes: [32, 32],
  geometricWeight: 0.2,
  modeWeight: 0.4,
  mdgan: false,
  diffusionTarget: "reconstructions" as DiffusionTarget,
};

const WHO = "mrganGame";

function weightOption(value: number, name: string): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${WHO}: ${name} must be a finite number ≥ 0, got ${value}.`);
  return value;
}

/** A network's declared shape (a tf.LayersModel's first input or output), or null when it declares none. */
function declared(network: Network, which: "inputs" | "outputs"): (number | null)[] | null {
  const list = (network as unknown as Record<string, { shape: (number | null)[] }[] | undefined>)[which];
  return Array.isArray(list) && list.length > 0 && Array.isArray(list[0].shape) ? list[0].shape : null;
}

/** Checks that `a`'s declared shape fits `b`'s (ignoring the batch axis and unknown sizes), naming both. */
function checkFits(a: (number | null)[] | null, b: (number | null)[] | null, what: string, fix: string): void {
  if (a === null || b === null) return;
  const x = a.slice(1), y = b.slice(1);
  if (x.length !== y.length || x.some((d, i) => d != null && y[i] != null && d !== y[i])) {
    throw new Error(`${WHO}: ${what}: [${x.map((d) => d ?? "?")}] vs [${y.map((d) => d ?? "?")}]; ${fix}.`);
  }
}

/** Mean sigmoid probability: the score the history records, as a GanSpec's discriminator does. */
function meanProbability(logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sigmoid(logits));
}

/**
 * An MRGAN (or, with `mdgan: true`, an MDGAN) as a Game for `train()`: networks `encoder`, `generator`,
 * `discriminator` (and `manifoldDiscriminator`), z ~ N(0, I), players in the order of a round:
 *
 * MRGAN: discriminator (trains D: `adversarial` = BCE of D(x) against D(G(z)); scores real, fake);
 *        generator (trains G: `adversarial` = −log D(G(z)), `geometric` = λ1·d(x, G(E(x))), `mode` = λ2·(−log D(G(E(x)))));
 *        encoder (trains E: `geometric`, `mode`, the same terms; score reconstruction = mean D(G(E(x)))).
 * MDGAN: manifoldDiscriminator (trains D_M: `adversarial` = BCE of D_M(x) against D_M(G(E(x))));
 *        manifold (trains G and E: `adversarial` = −log D_M(G(E(x))), `geometric` = λ1·d(x, G(E(x))));
 *        discriminator (trains D: `adversarial` = BCE of D(G(E(x))) — or D(x) — against D(G(z)));
 *        generator (trains G: `adversarial` = −log D(G(z))).
 */
export function mrganGame(opts: MrganOptions = {}): Game {
  const mdgan = opts.mdgan ?? MRGAN_DEFAULTS.mdgan;
  if (typeof mdgan !== "boolean") throw new Error(`${WHO}: mdgan must be true or false, got ${JSON.stringify(mdgan)}.`);
  const lambda1 = weightOption(opts.geometricWeight ?? MRGAN_DEFAULTS.geometricWeight, "geometricWeight");
  const lambda2 = weightOption(opts.modeWeight ?? MRGAN_DEFAULTS.modeWeight, "modeWeight");
  const target = opts.diffusionTarget ?? MRGAN_DEFAULTS.diffusionTarget;
  if (target !== "reconstructions" && target !== "data") {
    throw new Error(`${WHO}: diffusionTarget must be "reconstructions" or "data", got ${JSON.stringify(target)}.`);
  }
  if (mdgan && opts.modeWeight !== undefined) {
    throw new Error(`${WHO}: modeWeight has no role in MDGAN (its manifold discriminator replaces the mode regulariser); leave it out, or set mdgan: false.`);
  }
  if (!mdgan && (opts.manifoldDiscriminator !== undefined || opts.diffusionTarget !== undefined)) {
    throw new Error(`${WHO}: manifoldDiscriminator and diffusionTarget belong to MDGAN's two-step training; pass mdgan: true to use them.`);
  }
  if (!mdgan && lambda1 === 0 && lambda2 === 0) {
    throw new Error(`${WHO}: with geometricWeight and modeWeight both 0 the encoder has nothing to learn and G is a plain GAN's; give one a positive weight.`);
  }
  const players = mdgan ? MDGAN_PLAYERS : MRGAN_PLAYERS;
  for (const name of Object.keys(opts.optimizers ?? {})) {
    if (!(players as readonly string[]).includes(name)) {
      throw new Error(`${WHO}: optimizers.${name}: ${mdgan ? "MDGAN" : "MRGAN"} has no player "${name}"; its players are ${players.join(", ")}.`);
    }
  }
  const distance = opts.distance ?? geometricRegulariser;
  if (typeof distance !== "function") throw new Error(`${WHO}: distance must be a function (x, reconstruction) => scalar.`);

  // Sizes: the options, else what the given networks declare, else mlp.ts's defaults.
  const givenLatent = opts.generator ? declared(opts.generator, "inputs")?.[1] : undefined;
  const latentSize = positiveOption(opts.latentSize ?? givenLatent ?? MRGAN_DEFAULTS.latentSize, "latentSize", WHO, true);
  const dataSize = positiveOption(opts.dataSize ?? MRGAN_DEFAULTS.dataSize, "dataSize", WHO, true);
  const mlpShape = { hiddenSizes: opts.hiddenSizes ?? MRGAN_DEFAULTS.hiddenSizes, activation: opts.activation };
  const networks: Record<string, Network> = {
    encoder: opts.encoder ?? mlp({ inputSize: dataSize, outputSize: latentSize, ...mlpShape, name: "encoder" }),
    generator: opts.generator ?? mlpGenerator({ latentSize, dataSize, ...mlpShape }),
    discriminator: opts.discriminator ?? mlpDiscriminator({ dataSize, ...mlpShape }),
  };
  if (mdgan) networks.manifoldDiscriminator = opts.manifoldDiscriminator ?? mlpDiscriminator({ dataSize, ...mlpShape, name: "manifold_discriminator" });

  const { encoder: e, generator: g, discriminator: d } = networks;
  try {
    checkFits([null, latentSize], declared(g, "inputs"), "latentSize and the generator's input differ", "make them equal");
    checkFits(declared(e, "outputs"), declared(g, "inputs"), "the encoder's code and the generator's input differ", "E must output what G takes, [batch, latentSize]");
    checkFits(declared(g, "outputs"), declared(e, "inputs"), "the generator's output and the encoder's input differ", "E must take what G outputs, the data's shape");
    checkFits(declared(g, "outputs"), declared(d, "inputs"), "the generator's output and the discriminator's input differ", "D must take the data's shape");
    if (mdgan) {
      checkFits(declared(g, "outputs"), declared(networks.manifoldDiscriminator, "inputs"), "the generator's output and the manifold discriminator's input differ", "D_M must take the data's shape");
    }
  } catch (error) {
    // The networks built here are of no use to anyone: free them (the caller's own are the caller's).
    for (const [name, net] of Object.entries(networks)) {
      if ((opts as Record<string, unknown>)[name] === undefined) (net as tf.LayersModel).dispose();
    }
    throw error;
  }

  const latent: LatentSampler = normalLatent(latentSize);
  const optimizer = (name: string): OptimizerChoice => opts.optimizers?.[name] ?? defaultGanOptimizer;
  /** G(fresh z) and D's logits on it: the generator's adversarial input. */
  const freshFakeLogits = (ctx: PlayerContext): tf.Tensor => {
    const z = toLatentBatch(latent(ctx.real.x.shape[0], ctx.real)).z;
    return ctx.run("discriminator", ctx.run("generator", z));
  };
  /** G(z) for the round's latent, as data for a discriminator. */
  const constantFake = (ctx: PlayerContext) => ctx.constant(() => ctx.run("generator", ctx.latent.z));
  const constantReconstruction = (ctx: PlayerContext) => ctx.constant(() => ctx.run("generator", ctx.run("encoder", ctx.real.x)));
  const regularisers = (ctx: PlayerContext, reconstruction: tf.Tensor) => {
    const logits = ctx.run("discriminator", reconstruction);
    return {
      geometric: tf.mul(lambda1, asScalar(distance(ctx.real.x, reconstruction), `${WHO}: distance`)) as tf.Scalar,
      mode: tf.mul(lambda2, modeRegulariser(logits)) as tf.Scalar,
      logits,
    };
  };

  /**
   * A player training `network` to tell `realOf(ctx)` (the data, or MDGAN's reconstructions) from `fakeOf(ctx)`,
   * both constants for it: the cross-entropy on logits, with the two mean probabilities as scores.
   */
  const discriminatorPlayer = (
    name: string, label: string, realOf: (ctx: PlayerContext) => tf.Tensor,
    fakeOf: (ctx: PlayerContext) => tf.Tensor, fakeScore: string,
  ): Player => ({
    name,
    label,
    trains: [name],
    optimizer: optimizer(name),
    loss: (ctx) => {
      const realLogits = ctx.run(name, realOf(ctx));
      const fakeLogits = ctx.run(name, fakeOf(ctx));
      ctx.record("real", meanProbability(realLogits));
      ctx.record(fakeScore, meanProbability(fakeLogits));
      return { adversarial: asScalar(minimaxDiscriminatorLoss(realLogits, fakeLogits), "minimaxDiscriminatorLoss") };
    },
  });

  /** G's player: the non-saturating term on a fresh batch of G(z), plus `extra` terms (MRGAN's regularisers). */
  const generatorPlayer = (extra?: (ctx: PlayerContext) => LossTerms): Player => ({
    name: "generator",
    label: "G",
    trains: ["generator"],
    optimizer: optimizer("generator"),
    loss: (ctx) => {
      const fakeLogits = freshFakeLogits(ctx);
      ctx.record("fake", meanProbability(fakeLogits));
      return { adversarial: asScalar(nonSaturatingGeneratorLoss(fakeLogits), "nonSaturatingGeneratorLoss"), ...(extra ? extra(ctx) : {}) };
    },
  });

  const mrganPlayers: Player[] = [
    discriminatorPlayer("discriminator", "D", (ctx) => ctx.real.x, constantFake, "fake"),
    // E is not this player's: its code is data here, and the backward pass keeps none of E's activations.
    generatorPlayer((ctx) => {
      const { geometric, mode } = regularisers(ctx, ctx.run("generator", ctx.constant(() => ctx.run("encoder", ctx.real.x))));
      return { geometric, mode };
    }),
    {
      name: "encoder",
      label: "E",
      trains: ["encoder"],
      optimizer: optimizer("encoder"),
      loss: (ctx) => {
        const { geometric, mode, logits } = regularisers(ctx, ctx.run("generator", ctx.run("encoder", ctx.real.x)));
        ctx.record("reconstruction", meanProbability(logits));
        return { geometric, mode };
      },
    },
  ];

  const mdganPlayers: Player[] = [
    discriminatorPlayer("manifoldDiscriminator", "D_M", (ctx) => ctx.real.x, constantReconstruction, "reconstruction"),
    {
      name: "manifold",
      label: "G∘E",
      trains: ["generator", "encoder"],
      optimizer: optimizer("manifold"),
      loss: (ctx) => {
        const reconstruction = ctx.run("generator", ctx.run("encoder", ctx.real.x));
        const logits = ctx.run("manifoldDiscriminator", reconstruction);
        ctx.record("reconstruction", meanProbability(logits));
        return {
          adversarial: asScalar(nonSaturatingGeneratorLoss(logits), "nonSaturatingGeneratorLoss"),
          geometric: tf.mul(lambda1, asScalar(distance(ctx.real.x, reconstruction), `${WHO}: distance`)) as tf.Scalar,
        };
      },
    },
    discriminatorPlayer(
      "discriminator", "D", (ctx) => (target === "reconstructions" ? constantReconstruction(ctx) : ctx.real.x), constantFake, "fake",
    ),
    generatorPlayer(),
  ];

  return {
    networks,
    players: mdgan ? mdganPlayers : mrganPlayers,
    latent,
    sample: (batch) => {
      const out = g.apply(batch.z, { training: false });
      if (!(out instanceof tf.Tensor)) throw new Error(`${WHO}: the generator returned several outputs; it must return one tensor.`);
      return out;
    },
  };
}
