/**
 * GAN losses, one small pure function per player and paper (after TF-GAN's `losses_impl.py`).
 *
 * Conventions, stated once for every function in this module:
 * - Inputs are the discriminator's raw outputs: LOGITS for the cross-entropy family (minimax, non-saturating,
 *   maximum likelihood), and the unbounded critic score for Wasserstein, hinge and least squares (there the
 *   "logit" is used as is, no sigmoid is applied).
 * - `realLogits` = D's output on data x, `generatedLogits` = D's output on G(z). Any shape; typically [batch, 1].
 * - Every function returns the quantity its player MINIMISES (so the discriminator's minimax loss is −V(D, G)).
 * - `reduction`: 'mean' (default) = Σ wᵢ·ℓᵢ / #{i : wᵢ ≠ 0} (TF's SUM_BY_NONZERO_WEIGHTS; the plain mean when no
 *   weights are given), 'sum' = Σ wᵢ·ℓᵢ, 'none' = the per-element wᵢ·ℓᵢ. A discriminator loss reduces the real
 *   and the generated terms separately and adds them; with 'none' both inputs must have the same shape.
 * - `realWeights` / `generatedWeights` (discriminator) and `weights` (generator): a number or a tensor
 *   broadcastable to the logits, multiplying each element's loss, as in TF-GAN.
 * - `labelSmoothing` α (one-sided, Salimans et al. 2016, "Improved Techniques for Training GANs", §3.4): the
 *   discriminator's target for real data becomes 1 − α (α = 0.1 gives the paper's 0.9); generated targets stay 0.
 *   NOTE: this is not tf.losses' convention (which moves targets to 1 − α/2). It exists only where the loss has
 *   a target (minimax and least-squares discriminators); elsewhere a non-zero value is an error.
 */
import * as tf from "@tensorflow/tfjs";
import { nextSeed } from "../engine/seed";
import { sigmoidCrossEntropy } from "../engine/fused-cross-entropy";

export type Reduction = "mean" | "sum" | "none";

/** Options of every discriminator loss. */
export interface DiscriminatorLossOptions {
  reduction?: Reduction;
  /** One-sided label smoothing α ∈ [0, 1): the real target becomes 1 − α. Default 0. */
  labelSmoothing?: number;
  realWeights?: tf.Tensor | number;
  generatedWeights?: tf.Tensor | number;
}

/** Options of every generator loss. */
export interface GeneratorLossOptions {
  reduction?: Reduction;
  weights?: tf.Tensor | number;
}

export type DiscriminatorLoss = (
  realLogits: tf.Tensor,
  generatedLogits: tf.Tensor,
  options?: DiscriminatorLossOptions,
) => tf.Scalar | tf.Tensor;
export type GeneratorLoss = (generatedLogits: tf.Tensor, options?: GeneratorLossOptions) => tf.Scalar | tf.Tensor;

// ---------------------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------------------

/**
 * Element-wise binary cross-entropy −[y·log σ(l) + (1 − y)·log(1 − σ(l))] from logits, in the stable form
 * max(l, 0) − l·y + log(1 + exp(−|l|)): no exp of a large positive number, no log of 0, so l = ±50 (or ±1e4)
 * gives finite values and gradients σ(l) − y.
 */
export function sigmoidCrossEntropyWithLogits(labels: tf.Tensor | number, logits: tf.Tensor): tf.Tensor {
  // One engine op each way on wasm, the composed form elsewhere (lib/engine/fused-cross-entropy.ts).
  return sigmoidCrossEntropy(labels, logits);
}

/** Applies weights and a reduction to per-element losses (see the module comment for the convention). */
export function reduceWeightedLoss(
  losses: tf.Tensor,
  weights: tf.Tensor | number | undefined,
  reduction: Reduction = "mean",
): tf.Tensor {
  return tf.tidy(() => {
    const w = weights === undefined ? undefined : typeof weights === "number" ? tf.scalar(weights) : weights;
    const weighted = w === undefined ? losses : losses.mul(w);
    if (reduction === "none") return weighted;
    if (reduction === "sum") return weighted.sum();
    if (reduction !== "mean") {
      throw new Error(`tsgan.losses: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'.`);
    }
    if (w === undefined) return weighted.mean();
    // Divide by the number of elements whose (broadcast) weight is non-zero; 0/0 → 0 like TF's safe division.
    const nonZero = tf.notEqual(tf.broadcastTo(w, losses.shape), 0).cast("float32").sum();
    return tf.divNoNan(weighted.sum(), nonZero);
  });
}

function checkLabelSmoothing(alpha: number | undefined, lossName: string, allowed: boolean): number {
  const a = alpha ?? 0;
  if (!allowed && a !== 0) {
    throw new Error(`tsgan.losses.${lossName}: labelSmoothing has no meaning for this loss (it has no target); leave it 0.`);
  }
  if (!(a >= 0 && a < 1)) {
    throw new Error(`tsgan.losses.${lossName}: labelSmoothing must be in [0, 1) (0.1 makes the real target 0.9), got ${a}.`);
  }
  return a;
}

/** Reduces the real and generated halves of a discriminator loss and adds them. */
function combineDiscriminatorTerms(
  lossName: string,
  onReal: tf.Tensor,
  onGenerated: tf.Tensor,
  options: DiscriminatorLossOptions,
): tf.Tensor {
  const reduction = options.reduction ?? "mean";
  if (reduction === "none" && !tf.util.arraysEqual(onReal.shape, onGenerated.shape)) {
    throw new Error(
      `tsgan.losses.${lossName}: reduction 'none' needs real and generated logits of one shape, got ` +
        `[${onReal.shape}] and [${onGenerated.shape}]; use 'mean' or 'sum' for batches of different sizes.`,
    );
  }
  return reduceWeightedLoss(onReal, options.realWeights, reduction).add(
    reduceWeightedLoss(onGenerated, options.generatedWeights, reduction),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Minimax game and its generator variants (Goodfellow et al. 2014; Goodfellow 2016, NIPS tutorial §3.2)
// ---------------------------------------------------------------------------------------------------------

/**
 * Discriminator loss of the minimax game, Goodfellow et al. 2014 (eq. 1): −E[log D(x)] − E[log(1 − D(G(z)))],
 * i.e. cross-entropy with targets 1 (real, 1 − α with label smoothing) and 0 (generated). Equals −V(D, G).
 * Shared by the minimax, non-saturating and maximum-likelihood games, which differ only in the generator.
 */
export function minimaxDiscriminatorLoss(
  realLogits: tf.Tensor,
  generatedLogits: tf.Tensor,
  options: DiscriminatorLossOptions = {},
): tf.Tensor {
  const alpha = checkLabelSmoothing(options.labelSmoothing, "minimaxDiscriminatorLoss", true);
  return tf.tidy(() =>
    combineDiscriminatorTerms(
      "minimaxDiscriminatorLoss",
      sigmoidCrossEntropyWithLogits(1 - alpha, realLogits),
      sigmoidCrossEntropyWithLogits(0, generatedLogits),
      options,
    ),
  );
}

/**
 * Saturating generator cost of the minimax game, Goodfellow et al. 2014: E[log(1 − D(G(z)))] = −E[softplus(l)].
 * Its derivative with respect to the logit is −σ(l) = −D(G(z)), which vanishes where D(G(z)) ≈ 0, i.e. early in
 * training when D rejects every sample (NIPS tutorial fig. 16; the chapter's fig. 6.6): the generator gets no signal.
 */
export function minimaxGeneratorLoss(generatedLogits: tf.Tensor, options: GeneratorLossOptions = {}): tf.Tensor {
  return tf.tidy(() =>
    reduceWeightedLoss(tf.neg(sigmoidCrossEntropyWithLogits(0, generatedLogits)), options.weights, options.reduction),
  );
}

/**
 * Non-saturating generator cost, Goodfellow et al. 2014 §3 / Goodfellow 2016 (NIPS tutorial §3.2.3): −E[log D(G(z))] =
 * E[softplus(−l)]. Gradient −1/D: steep exactly where the generator is still bad.
 */
export function nonSaturatingGeneratorLoss(generatedLogits: tf.Tensor, options: GeneratorLossOptions = {}): tf.Tensor {
  return tf.tidy(() =>
    reduceWeightedLoss(sigmoidCrossEntropyWithLogits(1, generatedLogits), options.weights, options.reduction),
  );
}

/**
 * Maximum-likelihood generator cost, Goodfellow 2016 (NIPS tutorial §3.2.4; Goodfellow 2014, "On
 * distinguishability criteria"): J = −½·E[exp(σ⁻¹(D(G(z))))] = −½·E[exp(l)] = −½·E[D/(1 − D)]. With an optimal
 * D its expected gradient equals that of KL(p_data ‖ p_g). exp(l) is finite in float32 up to l ≈ 88.
 */
export function maximumLikelihoodGeneratorLoss(
  generatedLogits: tf.Tensor,
  options: GeneratorLossOptions = {},
): tf.Tensor {
  return tf.tidy(() => reduceWeightedLoss(tf.exp(generatedLogits).mul(-0.5), options.weights, options.reduction));
}

// ---------------------------------------------------------------------------------------------------------
// Wasserstein, hinge and least squares: these act on the raw critic output, no sigmoid
// ---------------------------------------------------------------------------------------------------------

/** Wasserstein critic loss, Arjovsky et al. 2017 (eq. 3): E[D(G(z))] − E[D(x)] (needs a Lipschitz critic). */
export function wassersteinDiscriminatorLoss(
  realLogits: tf.Tensor,
  generatedLogits: tf.Tensor,
  options: DiscriminatorLossOptions = {},
): tf.Tensor {
  checkLabelSmoothing(options.labelSmoothing, "wassersteinDiscriminatorLoss", false);
  return tf.tidy(() =>
    combineDiscriminatorTerms("wassersteinDiscriminatorLoss", tf.neg(realLogits), generatedLogits, options),
  );
}

/** Wasserstein generator loss, Arjovsky et al. 2017: −E[D(G(z))]. */
export function wassersteinGeneratorLoss(generatedLogits: tf.Tensor, options: GeneratorLossOptions = {}): tf.Tensor {
  return tf.tidy(() => reduceWeightedLoss(tf.neg(generatedLogits), options.weights, options.reduction));
}

/**
 * Hinge discriminator loss, Lim & Ye 2017 ("Geometric GAN") as used by Miyato et al. 2018 (SN-GAN):
 * E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))].
 */
export function hingeDiscriminatorLoss(
  realLogits: tf.Tensor,
  generatedLogits: tf.Tensor,
  options: DiscriminatorLossOptions = {},
): tf.Tensor {
  checkLabelSmoothing(options.labelSmoothing, "hingeDiscriminatorLoss", false);
  return tf.tidy(() =>
    combineDiscriminatorTerms(
      "hingeDiscriminatorLoss",
      tf.relu(tf.sub(1, realLogits)),
      tf.relu(tf.add(1, generatedLogits)),
      options,
    ),
  );
}

/** Hinge generator loss, Lim & Ye 2017 / Miyato et al. 2018: −E[D(G(z))]. */
export function hingeGeneratorLoss(generatedLogits: tf.Tensor, options: GeneratorLossOptions = {}): tf.Tensor {
  return wassersteinGeneratorLoss(generatedLogits, options);
}

/**
 * Least-squares discriminator loss, Mao et al. 2017 (LSGAN, eq. 2 with a = 0, b = 1):
 * ½·E[(D(x) − 1)²] + ½·E[D(G(z))²], on the RAW output D (no sigmoid). Label smoothing moves b to 1 − α.
 */
export function leastSquaresDiscriminatorLoss(
  realLogits: tf.Tensor,
  generatedLogits: tf.Tensor,
  options: DiscriminatorLossOptions = {},
): tf.Tensor {
  const alpha = checkLabelSmoothing(options.labelSmoothing, "leastSquaresDiscriminatorLoss", true);
  return tf.tidy(() =>
    combineDiscriminatorTerms(
      "leastSquaresDiscriminatorLoss",
      tf.square(tf.sub(realLogits, 1 - alpha)).mul(0.5),
      tf.square(generatedLogits).mul(0.5),
      options,
    ),
  );
}

/** Least-squares generator loss, Mao et al. 2017 (eq. 2 with c = 1): ½·E[(D(G(z)) − 1)²], on the raw output. */
export function leastSquaresGeneratorLoss(generatedLogits: tf.Tensor, options: GeneratorLossOptions = {}): tf.Tensor {
  return tf.tidy(() =>
    reduceWeightedLoss(tf.square(tf.sub(generatedLogits, 1)).mul(0.5), options.weights, options.reduction),
  );
}

// ---------------------------------------------------------------------------------------------------------
// The table the training loop takes a name from
// ---------------------------------------------------------------------------------------------------------

export type GanLossName = "minimax" | "non-saturating" | "maximum-likelihood" | "wasserstein" | "hinge" | "least-squares";

export interface GanLossPair {
  discriminatorLoss: DiscriminatorLoss;
  generatorLoss: GeneratorLoss;
  /**
   * True when the discriminator is a critic whose raw output is the score (Wasserstein, hinge, least squares);
   * false when its output is the logit of a probability (the minimax family). The training history reports
   * mean raw scores for critics and mean sigmoid probabilities otherwise.
   */
  critic: boolean;
}

/** Each game by name: its discriminator loss, its generator loss and whether D is a critic. */
export const GAN_LOSSES: Readonly<Record<GanLossName, GanLossPair>> = Object.freeze({
  minimax: { discriminatorLoss: minimaxDiscriminatorLoss, generatorLoss: minimaxGeneratorLoss, critic: false },
  "non-saturating": { discriminatorLoss: minimaxDiscriminatorLoss, generatorLoss: nonSaturatingGeneratorLoss, critic: false },
  "maximum-likelihood": { discriminatorLoss: minimaxDiscriminatorLoss, generatorLoss: maximumLikelihoodGeneratorLoss, critic: false },
  wasserstein: { discriminatorLoss: wassersteinDiscriminatorLoss, generatorLoss: wassersteinGeneratorLoss, critic: true },
  hinge: { discriminatorLoss: hingeDiscriminatorLoss, generatorLoss: hingeGeneratorLoss, critic: true },
  "least-squares": { discriminatorLoss: leastSquaresDiscriminatorLoss, generatorLoss: leastSquaresGeneratorLoss, critic: true },
});

/** Looks a game up by name, with an error listing the names when it is unknown. */
export function ganLoss(name: string): GanLossPair {
  const pair = (GAN_LOSSES as Record<string, GanLossPair>)[name];
  if (pair === undefined) {
    throw new Error(`tsgan.losses: unknown GAN loss '${name}'; choose one of ${Object.keys(GAN_LOSSES).join(", ")}.`);
  }
  return pair;
}

// ---------------------------------------------------------------------------------------------------------
// Auxiliary terms: ACGAN's class loss and WGAN-GP's gradient penalty
// ---------------------------------------------------------------------------------------------------------

/**
 * Class labels as a [batch] int32 vector of ids. Accepts [batch] ids, a [batch, 1] column or
 * [batch, numClasses] one-hot rows (their argmax).
 */
export function classIds(labels: tf.Tensor, numClasses: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (labels.rank === 1) return labels.toInt() as tf.Tensor1D;
    if (labels.rank === 2 && labels.shape[1] === 1) return labels.toInt().reshape([-1]) as tf.Tensor1D;
    if (labels.rank === 2 && labels.shape[1] === numClasses) return tf.argMax(labels, 1).toInt() as tf.Tensor1D;
    throw new Error(
      `labels must be [batch] class ids, a [batch, 1] column or [batch, ${numClasses}] one-hot rows; got shape [${labels.shape}].`,
    );
  });
}

/**
 * ACGAN's class loss, the negative log-likelihood of the correct class (−L_C for one set of images, Odena,
 * Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs", eq. 2): the batch mean of
 * −log softmax(classLogits)[label], through logSoftmax so that large logits stay finite.
 *
 * Args: classLogits [n, numClasses]; labels [n] class ids, a [n, 1] column or [n, numClasses] one-hot rows.
 * Returns: a scalar.
 */
export function acganClassLoss(classLogits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (classLogits.rank !== 2) {
    throw new Error(`acganClassLoss: classLogits must be [batch, numClasses], got shape [${classLogits.shape}].`);
  }
  const [n, numClasses] = classLogits.shape;
  if (labels.shape[0] !== n) {
    throw new Error(`acganClassLoss: ${n} rows of logits but ${labels.shape[0]} labels; give one label per image.`);
  }
  return tf.tidy(() => {
    const picked = tf.oneHot(classIds(labels, numClasses), numClasses).toFloat().mul(tf.logSoftmax(classLogits)).sum(1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** Where the gradient penalty is evaluated. */
export type PenaltyPoints = "interpolates" | "perturbed-real";

export interface GradientPenaltyOptions {
  /** λ. Default 10 (Gulrajani et al. 2017, section 4; their toy experiments use 0.1). */
  weight?: number;
  /** The gradient norm the penalty pulls towards. Default 1 (a 1-Lipschitz critic). */
  target?: number;
  /** Penalise only norms above the target, max(0, ‖∇‖ − 1)² (the paper's appendix; Petzka et al. 2018). Default false. */
  oneSided?: boolean;
  /**
   * "interpolates" (default): x̂ = ε·x + (1 − ε)·x̃ between real and generated examples (Gulrajani et al. 2017,
   * Algorithm 1). "perturbed-real": DRAGAN's points around the data, x̂ = x + ε·δ with δ = 0.5·std(x)·U[0, 1]
   * per element (Kodali et al. 2017, "On Convergence and Stability of GANs"); `fake` is then unused.
   */
  points?: PenaltyPoints;
  /**
   * Added inside the square root of the norm, so that a zero gradient (a constant critic) gives a finite
   * penalty and a zero, not NaN, gradient (d√s/ds = 1/(2√s) is infinite at 0). Default 1e-10, as TF-GAN's
   * `wasserstein_gradient_penalty`.
   */
  epsilon?: number;
  /** The mixing weights ε, [batch] or broadcastable to x, for tests; default one U[0, 1] draw per example. */
  mix?: tf.Tensor;
}

/**
 * WGAN-GP's gradient penalty, Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. 3:
 * λ·E[(‖∇_x̂ D(x̂)‖₂ − 1)²], the norm taken per example over all non-batch axes, on points x̂ between real and
 * generated examples (one ε ~ U[0, 1] per example). The gradient with respect to x̂ is taken inside the caller's
 * gradient tape, so the penalty's own gradient with respect to the critic's weights is a double backprop.
 * Needs a critic whose outputs depend on each example alone: no batch normalisation (the paper's point).
 *
 * Args: critic, a function x → scores [batch] or [batch, 1]; real and fake, same shape [batch, ...].
 * Returns: a scalar (already multiplied by λ).
 */
export function gradientPenalty(
  critic: (x: tf.Tensor) => tf.Tensor, real: tf.Tensor, fake: tf.Tensor, options: GradientPenaltyOptions = {},
): tf.Scalar {
  const weight = options.weight ?? 10;
  const target = options.target ?? 1;
  const epsilon = options.epsilon ?? 1e-10;
  const points = options.points ?? "interpolates";
  if (typeof critic !== "function") throw new Error("gradientPenalty: critic must be a function x => scores.");
  if (!(real instanceof tf.Tensor) || real.rank < 1) throw new Error("gradientPenalty: real must be a tensor [batch, ...].");
  if (points === "interpolates" && !(fake instanceof tf.Tensor && tf.util.arraysEqual(real.shape, fake.shape))) {
    throw new Error(
      `gradientPenalty: real and fake must have the same shape, got [${real.shape}] and [${fake instanceof tf.Tensor ? fake.shape : typeof fake}].`,
    );
  }
  if (points !== "interpolates" && points !== "perturbed-real") {
    throw new Error(`gradientPenalty: points must be "interpolates" or "perturbed-real", got ${JSON.stringify(points)}.`);
  }
  for (const [name, v] of [["weight", weight], ["epsilon", epsilon]] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`gradientPenalty: ${name} must be a finite number ≥ 0, got ${v}.`);
  }
  const n = real.shape[0];
  const perExample = [n, ...real.shape.slice(1).map(() => 1)];
  return tf.tidy(() => {
    const mix = options.mix !== undefined
      ? (options.mix.rank === 1 ? options.mix.reshape(perExample) : options.mix)
      : tf.randomUniform(perExample, 0, 1, "float32", nextSeed());
    let xHat: tf.Tensor;
    if (points === "interpolates") {
      xHat = tf.add(tf.mul(mix, real), tf.mul(tf.sub(1, mix), fake));
    } else {
      const std = tf.sqrt(tf.moments(real).variance);
      const delta = tf.mul(tf.mul(0.5, std), tf.randomUniform(real.shape, 0, 1, "float32", nextSeed()));
      xHat = tf.add(real, tf.mul(mix, delta));
    }
    // Each score depends on its own example only, so the gradient of their sum holds every ∇_x̂ D(x̂_i).
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(xHat);
    const axes = real.shape.slice(1).map((_, i) => i + 1);
    const norms = tf.sqrt(tf.add(axes.length > 0 ? tf.sum(tf.square(gradient), axes) : tf.square(gradient), epsilon));
    const gap = options.oneSided ? tf.relu(tf.sub(norms, target)) : tf.sub(norms, target);
    return tf.mul(weight, tf.mean(tf.square(gap))) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Feature matching (Salimans et al. 2016, section 3.1)
// ---------------------------------------------------------------------------------------------------------

/**
 * Feature matching, Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen 2016, "Improved Techniques for Training
 * GANs", section 3.1: the generator matches the expected value of the features f(x) on an intermediate layer of
 * the discriminator, ‖E_x f(x) − E_z f(G(z))‖₂², instead of maximising D's output.
 *
 * The scale: the paper writes the squared L2 norm (a sum over features); the reference code
 * (openai/improved-gan, train_mnist_feature_matching.py: `loss_gen = T.mean(T.square(mom_gen - mom_real))`)
 * takes the MEAN over features of the squared difference of the batch means, and so does this function: its
 * value (and a weight chosen for it) does not grow with the width of the layer. Multiply by the number of
 * features for the paper's norm.
 *
 * Gradients flow into both arguments; the generator's player trains only G, so the real features are data
 * for it, as in the reference (its generator's update lists only the generator's parameters).
 *
 * Args: realFeatures [n, ...] and fakeFeatures [m, ...]: the same feature shape, batch sizes may differ.
 * Returns: a scalar, mean over features of (mean_batch f(x) − mean_batch f(G(z)))².
 */
export function featureMatchingLoss(realFeatures: tf.Tensor, fakeFeatures: tf.Tensor): tf.Scalar {
  if (!(realFeatures instanceof tf.Tensor) || !(fakeFeatures instanceof tf.Tensor) || realFeatures.rank < 1) {
    throw new Error("featureMatchingLoss: realFeatures and fakeFeatures must be tensors [batch, ...features].");
  }
  if (!tf.util.arraysEqual(realFeatures.shape.slice(1), fakeFeatures.shape.slice(1))) {
    throw new Error(
      `featureMatchingLoss: real and fake features must have the same shape after the batch axis, got ` +
        `[${realFeatures.shape}] and [${fakeFeatures.shape}]; take both from the same layer of D.`,
    );
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(tf.mean(realFeatures, 0), tf.mean(fakeFeatures, 0))) as tf.Scalar);
}
