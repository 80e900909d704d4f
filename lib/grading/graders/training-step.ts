/**
 * Assignment 3, "training-step": one round of GAN training, Goodfellow et al. 2014, "Generative Adversarial
 * Nets", Algorithm 1, written as the two players of tsgan's loop (lib/train/types.ts).
 *
 * The student writes the loss of each player's update as a function of the update's context:
 *
 *   discriminatorPlayerLoss(ctx) = { …: −E[log D(x)] − E[log(1 − D(G(z)))] }, with G(z) computed as data
 *                                  (ctx.constant): D's update must not reach G's weights;
 *   generatorPlayerLoss(ctx)     = { …: −E[log D(G(z))] }, the non-saturating cost (section 3 of the paper), with
 *                                  the gradient flowing through D into G.
 *
 * The loop owns the rest (the optimizers, which weights each player updates, the batches, the noise), so a
 * submission plugs into `train()` as `classicGame(submission, networks, latent)` and is graded against the
 * library's own compiled GanSpec (`gameFromSpec`) on the same weights and batches. Why this split rather than
 * a `trainStep` that calls the optimizers itself: it is the form the course's loop runs (every variant in
 * lib/models is a game of players), and it isolates what Algorithm 1 asks of each player — what it sees, what
 * is a constant for it, which cost it descends — from bookkeeping the loop already does right.
 */
import * as tf from "@tensorflow/tfjs";
import { CaseFailure, expectClose, expectFinite, fail, Grader, GradeCase, functionsNamed } from "../core";
import type { Batch, Game, LatentBatch, LatentSampler, LossTerms, Network, PlayerContext } from "../../train/types";
import { asScalar, trainableVariables } from "../../train/types";
import { train } from "../../train/loop";
import type { GanSpec } from "../../train/gan-spec";
import { normalLatent } from "../../train/gan-spec";
import { adam, sgd } from "../../engine/optimizers";
import { outsideGradientTape } from "../../engine/tape";
import { mlpDiscriminator, mlpGenerator } from "../../models/mlp";
import { ringOfGaussians, sampleToyTensor } from "../../data/toy";
import { modeCollapseMetrics } from "../../metrics/mode-collapse";

/** What the student hands in: the loss of each player's update. */
export interface TrainingStepSubmission {
  /** The discriminator's loss at one of its updates: named scalar terms, e.g. { adversarial }. */
  discriminatorPlayerLoss(ctx: PlayerContext): LossTerms;
  /** The generator's loss at its update: named scalar terms. */
  generatorPlayerLoss(ctx: PlayerContext): LossTerms;
}

/**
 * The classic two-player game of a submission: D's player trains only the discriminator, G's only the generator,
 * in Algorithm 1's order (k discriminator updates, then one generator update). The notebook builds the same.
 */
export function classicGame(
  submission: TrainingStepSubmission, networks: { generator: Network; discriminator: Network }, latent: LatentSampler,
  options: { discriminatorSteps?: number } = {},
): Game {
  return {
    networks: { generator: networks.generator, discriminator: networks.discriminator },
    latent,
    players: [
      {
        name: "discriminator", label: "D", trains: ["discriminator"], updates: options.discriminatorSteps ?? 1,
        loss: (ctx) => submission.discriminatorPlayerLoss(ctx),
      },
      { name: "generator", label: "G", trains: ["generator"], loss: (ctx) => submission.generatorPlayerLoss(ctx) },
    ],
    sample: (l) => networks.generator.apply(l.z, { training: false }) as tf.Tensor,
  };
}

// ---------------------------------------------------------------------------------------------------------
// A context like the loop's (lib/train/loop.ts, playerContext), for calling a player's loss directly.
// ---------------------------------------------------------------------------------------------------------

function probeContext(networks: Record<string, Network>, real: Batch, latent: LatentBatch): PlayerContext {
  const runNet = (name: string, inputs: tf.Tensor | tf.Tensor[], training = true): unknown => {
    const net = networks[name];
    if (net === undefined) throw new Error(`run: the game has no network "${name}" (it has "generator", "discriminator")`);
    return net.apply(inputs, { training });
  };
  return {
    step: 1,
    update: 0,
    real,
    latent,
    networks,
    run(name, inputs, options) {
      const out = runNetwork(runNet, name, inputs, options?.training);
      if (Array.isArray(out)) throw new Error(`run: network "${name}" returned several outputs`);
      return out;
    },
    runHeads(name, inputs, options) {
      const out = runNetwork(runNet, name, inputs, options?.training);
      return Array.isArray(out) ? out : [out];
    },
    constant: (fn) => outsideGradientTape(fn),
    // Scores are not graded; what a loss records belongs to the tidy that called it.
    record(name, value) {
      asScalar(value, `record("${name}")`);
    },
  };
}

function runNetwork(
  runNet: (name: string, inputs: tf.Tensor | tf.Tensor[], training?: boolean) => unknown,
  name: string, inputs: tf.Tensor | tf.Tensor[], training: boolean | undefined,
): tf.Tensor | tf.Tensor[] {
  const out = runNet(name, inputs, training ?? true);
  if (out instanceof tf.Tensor) return out;
  if (Array.isArray(out) && out.every((t) => t instanceof tf.Tensor)) return out as tf.Tensor[];
  throw new Error(`run: network "${name}" returned no tensor`);
}

/** The sum of a player's terms, failing with a hint when they are not a non-empty record of scalars. */
function totalOf(terms: unknown, who: string): tf.Scalar {
  if (terms instanceof tf.Tensor) {
    fail(`${who} returned a tensor; return named terms instead, an object like { adversarial: loss } (the history records each name)`);
  }
  if (terms == null || typeof terms !== "object" || Array.isArray(terms)) {
    fail(`${who} returned ${terms === null ? "null" : Array.isArray(terms) ? "an array" : typeof terms}; return named scalar terms, an object like { adversarial: loss }`);
  }
  const entries = Object.entries(terms as Record<string, unknown>);
  if (entries.length === 0) fail(`${who} returned no terms; return at least one, e.g. { adversarial: loss }`);
  for (const [name, t] of entries) {
    if (!(t instanceof tf.Tensor)) fail(`${who}: term "${name}" is ${typeof t}, not a tf.Scalar`);
    if (t.isDisposed) fail(`${who}: term "${name}" was already disposed; return a tensor the loop can read`);
    if (t.rank !== 0) fail(`${who}: term "${name}" has shape [${t.shape}]; each term must be a scalar (the mean over the batch)`);
  }
  const scalars = entries.map(([, t]) => t as tf.Scalar);
  return (scalars.length === 1 ? scalars[0] : tf.addN(scalars)) as tf.Scalar;
}

const D_LOSS = "discriminatorPlayerLoss";
const G_LOSS = "generatorPlayerLoss";

/** Calls one of the submission's losses on a context and returns the sum of its terms. */
function lossOf(submission: TrainingStepSubmission, which: typeof D_LOSS | typeof G_LOSS, ctx: PlayerContext): tf.Scalar {
  let terms: unknown;
  try {
    terms = submission[which](ctx);
  } catch (error) {
    if (error instanceof CaseFailure) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    fail(`${which} threw ${message.split("\n")[0]}`);
  }
  return totalOf(terms, which);
}

// ---------------------------------------------------------------------------------------------------------
// A hand-checkable pair of networks: G(z) = z·A + c and D(x) = x·w + b, float64 references for both losses.
// ---------------------------------------------------------------------------------------------------------

interface LinearPair {
  networks: { generator: Network; discriminator: Network };
  gVars: tf.Variable[];
  dVars: tf.Variable[];
  dispose(): void;
}

interface LinearParams {
  A: number[][]; // [latent, data]
  c: number[];
  w: number[]; // [data]
  b: number;
}

function linearPair(p: LinearParams): LinearPair {
  // Inside a tidy: the initial values are freed, the variables (never tidied) stay.
  const [A, c, w, b] = tf.tidy(() => [
    tf.variable(tf.tensor2d(p.A)), tf.variable(tf.tensor1d(p.c)), tf.variable(tf.tensor2d(p.w, [p.w.length, 1])), tf.variable(tf.tensor1d([p.b])),
  ]);
  const asInput = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x[0] : x);
  return {
    networks: {
      generator: { apply: (z) => tf.add(tf.matMul(asInput(z), A), c), trainableWeights: [A, c] },
      discriminator: { apply: (x) => tf.add(tf.matMul(asInput(x), w), b), trainableWeights: [w, b] },
    },
    gVars: [A, c],
    dVars: [w, b],
    dispose: () => tf.dispose([A, c, w, b]),
  };
}

const softplus = (u: number) => (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)));
const sigmoid = (u: number) => 1 / (1 + Math.exp(-u));
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function generate64(p: LinearParams, z: number[][]): number[][] {
  return z.map((row) => p.c.map((cj, j) => cj + row.reduce((s, zk, k) => s + zk * p.A[k][j], 0)));
}
function discriminate64(p: LinearParams, x: number[][]): number[] {
  return x.map((row) => p.b + row.reduce((s, v, j) => s + v * p.w[j], 0));
}

// The fixture: 4 real points, 4 noise vectors, weights with moderate logits (|l| < 4) for D's loss.
const REAL = [[0.9, 0.3], [-0.4, 1.1], [0.2, -0.8], [1.4, 0.6]];
const NOISE = [[0.5, -1.2], [-0.7, 0.4], [1.3, 0.9], [-0.2, -0.6]];
const MODERATE: LinearParams = { A: [[0.8, -0.3], [0.4, 0.6]], c: [0.1, -0.2], w: [1.5, -0.9], b: 0.3 };
// D confidently rejects every generated sample (logits ≈ −6: D(G(z)) ≈ 0.002), the start of training where
// the saturating cost log(1 − D(G(z))) gives the generator almost no gradient.
const REJECTING: LinearParams = { A: [[0.3, 0.1], [-0.2, 0.25]], c: [-2.0, 1.5], w: [1.8, -1.4], b: -0.6 };

function withFixture<T>(p: LinearParams, fn: (pair: LinearPair, ctx: PlayerContext) => T): T {
  const pair = linearPair(p);
  const real = tf.tensor2d(REAL), z = tf.tensor2d(NOISE);
  try {
    return fn(pair, probeContext(pair.networks, { x: real }, { z }));
  } finally {
    tf.dispose([real, z]);
    pair.dispose();
  }
}

/** D's loss on the fixture in float64, and the values of the usual mistakes (for the hint). */
function discriminatorValues(p: LinearParams) {
  const lr = discriminate64(p, REAL), lf = discriminate64(p, generate64(p, NOISE));
  return {
    expected: mean(lr.map((l) => softplus(-l))) + mean(lf.map((l) => softplus(l))),
    swapped: mean(lr.map((l) => softplus(l))) + mean(lf.map((l) => softplus(-l))),
    summed: lr.map((l) => softplus(-l)).reduce((a, b) => a + b, 0) + lf.map((l) => softplus(l)).reduce((a, b) => a + b, 0),
    realOnly: mean(lr.map((l) => softplus(-l))),
    fakeOnly: mean(lf.map((l) => softplus(l))),
    onNoise: mean(lr.map((l) => softplus(-l))) + mean(discriminate64(p, NOISE).map((l) => softplus(l))),
    negated: -(mean(lr.map((l) => softplus(-l))) + mean(lf.map((l) => softplus(l)))),
  };
}

/** G's loss on the fixture in float64, the usual mistakes, and its hand gradient with respect to (A, c). */
function generatorValues(p: LinearParams) {
  const x = generate64(p, NOISE), l = discriminate64(p, x), n = l.length;
  // dL/dl_i = −σ(−l_i)/n for L = mean softplus(−l); dl_i/dx_i = w; x_i = z_i·A + c.
  const dl = l.map((li) => -sigmoid(-li) / n);
  const gradA = p.A.map((row, k) => row.map((_, j) => NOISE.reduce((s, zi, i) => s + zi[k] * dl[i] * p.w[j], 0)));
  const gradC = p.c.map((_, j) => dl.reduce((s, d) => s + d * p.w[j], 0));
  return {
    expected: mean(l.map((li) => softplus(-li))),
    saturating: -mean(l.map((li) => softplus(li))),
    maximised: -mean(l.map((li) => softplus(-li))),
    gradient: [...gradA.flat(), ...gradC],
    meanFake: mean(l.map(sigmoid)),
  };
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * (1 + Math.abs(b));

// ---------------------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------------------

const returnsTerms: GradeCase<TrainingStepSubmission> = {
  name: "both losses return named scalar terms ({ name: tf.Scalar })",
  run: (s) => {
    withFixture(MODERATE, (_pair, ctx) => {
      tf.tidy(() => {
        lossOf(s, D_LOSS, ctx);
        lossOf(s, G_LOSS, ctx);
      });
    });
  },
};

const discriminatorValue: GradeCase<TrainingStepSubmission> = {
  name: "D's loss: −E[log D(x)] − E[log(1 − D(G(z)))] on a linear D and G (float64 by hand)",
  points: 2,
  run: (s) => {
    const got = withFixture(MODERATE, (_pair, ctx) => tf.tidy(() => lossOf(s, D_LOSS, ctx).dataSync()[0]));
    const v = discriminatorValues(MODERATE);
    expectFinite([got], "D's loss");
    let hint = "D's loss is the cross-entropy of D's logits with target 1 on the real batch (ctx.real.x) and 0 on G's samples of ctx.latent.z, each averaged over its batch";
    if (near(got, v.swapped)) hint = "the value is that of the real and generated batches swapped: the real batch gets target 1, G's samples target 0";
    else if (near(got, v.negated)) hint = "the sign is flipped: this is V(D, G), which D maximises; the loop minimises, so D's loss is −V";
    else if (near(got, v.summed)) hint = "the value is the SUM over the batch: average each term over its batch (a scalar that does not grow with the batch size)";
    else if (near(got, v.realOnly)) hint = "only the real half is there: D's loss also has the term of the generated batch";
    else if (near(got, v.fakeOnly)) hint = "only the generated half is there: D's loss also has the term of the real batch";
    else if (near(got, v.onNoise)) hint = "D was run on the noise itself: the generated batch is G applied to ctx.latent.z";
    expectClose(got, v.expected, "D's loss", { rtol: 1e-4, hint });
  },
};

const discriminatorConstant: GradeCase<TrainingStepSubmission> = {
  name: "D's loss treats G(z) as a constant: no gradient reaches G's weights",
  points: 2,
  run: (s) => {
    withFixture(MODERATE, (pair, ctx) => {
      const reached = tf.tidy(() => {
        // Every variable of the game, as an optimizer given no variable list would take them: only D's may move.
        const { grads } = tf.variableGrads(() => lossOf(s, D_LOSS, ctx), [...pair.gVars, ...pair.dVars]);
        const dMoves = pair.dVars.some((v) => grads[v.name] !== undefined && tf.any(tf.notEqual(grads[v.name], 0)).dataSync()[0] === 1);
        if (!dMoves) fail("D's loss has no gradient with respect to D's own weights: D's logits must come from running the discriminator inside the loss");
        return pair.gVars.filter((v) => grads[v.name] !== undefined).map((v) => tf.max(tf.abs(grads[v.name])).dataSync()[0]);
      });
      if (reached.length > 0) {
        fail(
          `D's loss sends a gradient into G's weights (largest ${Math.max(...reached).toExponential(2)}): G(z) is data for D's update ` +
            "(Algorithm 1 updates D with G fixed), so compute it off the gradient tape, as the context's constant() does; otherwise an " +
            "optimizer given every variable would move G in D's update, and the tape keeps all of G's activations for nothing",
        );
      }
    });
  },
};

const generatorValue: GradeCase<TrainingStepSubmission> = {
  name: "G's loss: the non-saturating −E[log D(G(z))] when D rejects the samples (float64 by hand)",
  points: 2,
  run: (s) => {
    const got = withFixture(REJECTING, (_pair, ctx) => tf.tidy(() => lossOf(s, G_LOSS, ctx).dataSync()[0]));
    const v = generatorValues(REJECTING);
    expectFinite([got], "G's loss");
    let hint = "G's loss is the cross-entropy of D's logits on G(ctx.latent.z) with target 1 (Goodfellow et al. 2014, section 3), averaged over the batch";
    if (near(got, v.saturating)) {
      hint = "the value is the saturating minimax cost log(1 − D(G(z))): with D(G(z)) ≈ " + v.meanFake.toFixed(4) + " its gradient all but vanishes; " +
        "the paper trains G to maximise log D(G(z)) instead";
    } else if (near(got, v.maximised)) hint = "the sign is flipped: the loop minimises the loss, and G wants log D(G(z)) large";
    expectClose(got, v.expected, "G's loss", { rtol: 1e-4, hint });
  },
};

const generatorGradient: GradeCase<TrainingStepSubmission> = {
  name: "G's loss: gradient through D into G's weights when D rejects the samples (by hand)",
  points: 2,
  run: (s) => {
    const got = withFixture(REJECTING, (pair, ctx) => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => lossOf(s, G_LOSS, ctx), [...pair.gVars, ...pair.dVars]);
      if (pair.gVars.every((v) => grads[v.name] === undefined)) {
        fail("no gradient reaches G's weights from G's loss: in G's update G(z) must stay on the gradient tape (only D's update treats it as a constant)");
      }
      return pair.gVars.flatMap((v) => (grads[v.name] ? Array.from(grads[v.name].dataSync()) : new Array<number>(v.size).fill(0)));
    }));
    const v = generatorValues(REJECTING);
    expectFinite(got, "the gradient of G's loss");
    expectClose(got, v.gradient, "∂(G's loss)/∂(G's weights)", {
      rtol: 1e-3, atol: 1e-6,
      hint: "with D(G(z)) ≈ 0 the non-saturating cost keeps a gradient of about 1 per logit; a gradient near 0 is the saturating cost's",
    });
  },
};

// One round through train() on the library's compiled GanSpec and on the submission's game, from the same weights.
const SMALL = { latentSize: 2, dataSize: 2, hiddenSizes: [8], activation: "tanh" as const };

/** A small G and D for the comparison and the leak count. */
function smallNetworks(): { generator: tf.LayersModel; discriminator: tf.LayersModel } {
  return { generator: mlpGenerator({ ...SMALL }), discriminator: mlpDiscriminator({ dataSize: 2, hiddenSizes: [8], activation: "tanh" }) };
}

/** Two copies of the same small G and D (built once, weights copied). */
function twinNetworks(): { a: { generator: tf.LayersModel; discriminator: tf.LayersModel }; b: { generator: tf.LayersModel; discriminator: tf.LayersModel } } {
  const a = smallNetworks(), b = smallNetworks();
  b.generator.setWeights(a.generator.getWeights());
  b.discriminator.setWeights(a.discriminator.getWeights());
  return { a, b };
}

/** Runs train() on a submission's game; what the loop throws is the submission's (its losses are all that is theirs). */
async function trainTheirs(options: Parameters<typeof train>[0]): Promise<void> {
  try {
    await train(options);
  } catch (error) {
    if (error instanceof CaseFailure) throw error;
    fail(`train() with your losses threw ${error instanceof Error ? `${error.name}: ${error.message.split("\n")[0]}` : String(error)}`);
  }
}

/** Batch i of the comparison: the same tensors for both runs. */
const comparisonData = (n: number, i: number) => tf.randomNormal([n, 2], 0.5, 1, "float32", 1000 + i);
/**
 * The noise is a function of the real batch it goes with, so the library's generator (which draws its own
 * latent for the round's first batch) and the submission's (which reads ctx.latent of that batch) see the same z.
 */
const comparisonLatent: LatentSampler = (_n, real) => tf.tidy(() => tf.sin(tf.matMul((real as Batch).x, tf.tensor2d([[1.7, -0.6], [0.9, 2.1]]))));

function weightsOf(nets: { generator: tf.LayersModel; discriminator: tf.LayersModel }): { generator: number[]; discriminator: number[] } {
  const flat = (m: tf.LayersModel) => trainableVariables(m).flatMap((v) => Array.from(v.dataSync()));
  return { generator: flat(nets.generator), discriminator: flat(nets.discriminator) };
}

const matchesLibrary: GradeCase<TrainingStepSubmission> = {
  name: "two rounds through train() (k = 2 D updates, SGD) equal the library's GanSpec step: every weight to 1e-5",
  points: 3,
  run: async (s) => {
    const { a, b } = twinNetworks();
    const ours = { generator: sgd(0.2), discriminator: sgd(0.2) }, theirs = { generator: sgd(0.2), discriminator: sgd(0.2) };
    const before = weightsOf(a);
    try {
      const spec: GanSpec = { generator: a.generator, discriminator: a.discriminator, latent: comparisonLatent, objective: "non-saturating", discriminatorSteps: 2 };
      await train({ gan: spec, data: comparisonData, steps: 2, batchSize: 16, seed: 7, optimizers: ours });
      const game = classicGame(s, b, comparisonLatent, { discriminatorSteps: 2 });
      await trainTheirs({ gan: game, data: comparisonData, steps: 2, batchSize: 16, seed: 7, optimizers: theirs });
      const want = weightsOf(a), got = weightsOf(b);
      const moved = (x: number[], y: number[]) => x.some((v, i) => Math.abs(v - y[i]) > 1e-6);
      if (!moved(got.generator, before.generator)) fail("G's weights did not change in the round: G's loss gives its update no gradient");
      if (!moved(got.discriminator, before.discriminator)) fail("D's weights did not change in the round: D's loss gives its update no gradient");
      expectClose(got.discriminator, want.discriminator, "D's weights after two rounds", {
        rtol: 0, atol: 1e-5,
        hint: "D's update differs from the library's: check D's loss (the batches are ctx.real.x and G(ctx.latent.z) of the update it is given)",
      });
      expectClose(got.generator, want.generator, "G's weights after two rounds", {
        rtol: 0, atol: 1e-5,
        hint: "D's update matches but G's does not: check G's cost (non-saturating, on the round's noise ctx.latent.z)",
      });
    } finally {
      [...Object.values(ours), ...Object.values(theirs)].forEach((o) => o.dispose());
      [a.generator, a.discriminator, b.generator, b.discriminator].forEach((m) => m.dispose());
    }
  },
};

const noLeaks: GradeCase<TrainingStepSubmission> = {
  name: "no tensors left behind: the tensor count is the same after each of 10 rounds",
  run: async (s) => {
    const nets = smallNetworks();
    const optimizers = { generator: sgd(0.05), discriminator: sgd(0.05) };
    const counts: number[] = [];
    try {
      await trainTheirs({
        gan: classicGame(s, nets, normalLatent(2)), data: (n) => tf.randomNormal([n, 2], 0, 1, "float32", 5), steps: 10, batchSize: 16,
        seed: 3, optimizers, callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
      });
    } finally {
      Object.values(optimizers).forEach((o) => o.dispose());
      nets.generator.dispose();
      nets.discriminator.dispose();
    }
    // The first round creates the optimizers' state; from then on a round must leave the count where it was.
    const growth = counts[counts.length - 1] - counts[1];
    if (growth > 0) {
      fail(
        `${growth} more tensors after round 10 than after round 2 (${(growth / (counts.length - 2)).toFixed(1)} per round): something a loss ` +
          "creates outlives the update — a tensor kept with tf.keep or stored outside the loss is never disposed",
      );
    }
  },
};

/** The training case's settings, measured with the reference solution (see the grader's test). */
export const RING_TRAINING = {
  steps: 400, batchSize: 64, seed: 4, hiddenSizes: [32, 32], learningRate: 2e-3, beta1: 0.5, std: 0.05, samples: 2500,
  /**
   * Measured with the reference solution over 10 seeds (assignments/margins/training-step.js): 8 of 8 modes
   * every time, high-quality share 0.076–0.368 (an untrained G: 0 or 1 mode, 0 %). Real and generated swapped in
   * D's loss: 0 modes.
   */
  minModes: 7, minHighQuality: 0.05,
};

const trainsRing: GradeCase<TrainingStepSubmission> = {
  name: `trains on the ring of 8 Gaussians (σ = 0.05) in ${RING_TRAINING.steps} rounds: ≥ ${RING_TRAINING.minModes} modes, ≥ ${100 * RING_TRAINING.minHighQuality} % of samples within 3σ`,
  points: 3,
  run: async (s) => {
    const c = RING_TRAINING;
    const ring = ringOfGaussians({ std: c.std });
    const generator = mlpGenerator({ latentSize: 2, dataSize: 2, hiddenSizes: c.hiddenSizes });
    const discriminator = mlpDiscriminator({ dataSize: 2, hiddenSizes: c.hiddenSizes });
    const optimizers = { generator: adam(c.learningRate, c.beta1), discriminator: adam(c.learningRate, c.beta1) };
    try {
      const game = classicGame(s, { generator, discriminator }, normalLatent(2));
      await trainTheirs({ gan: game, data: (n) => sampleToyTensor(ring, n), steps: c.steps, batchSize: c.batchSize, seed: c.seed, optimizers });
      const samples = tf.tidy(() => generator.apply(tf.randomNormal([c.samples, 2], 0, 1, "float32", 11), { training: false }) as tf.Tensor);
      const m = modeCollapseMetrics(samples, ring);
      samples.dispose();
      if (m.modesCaptured < c.minModes || m.highQualityShare < c.minHighQuality) {
        fail(
          `after ${c.steps} rounds G covers ${m.modesCaptured} of 8 modes with ${(100 * m.highQualityShare).toFixed(1)} % of its samples within 3σ ` +
            `(the reference: 8 modes and 7.6–36.8 % over 10 seeds); look at which batch D's loss labels real, and at G's cost`,
        );
      }
    } finally {
      Object.values(optimizers).forEach((o) => o.dispose());
      generator.dispose();
      discriminator.dispose();
    }
  },
};

export const trainingStepGrader: Grader<TrainingStepSubmission> = {
  id: "training-step",
  title: "Assignment 3: one round of GAN training (Goodfellow et al. 2014, Algorithm 1)",
  expects: "an object { discriminatorPlayerLoss, generatorPlayerLoss } of two functions (ctx: PlayerContext) => named scalar terms",
  validate: functionsNamed([D_LOSS, G_LOSS]),
  cases: [returnsTerms, discriminatorValue, discriminatorConstant, generatorValue, generatorGradient, matchesLibrary, noLeaks, trainsRing],
};
