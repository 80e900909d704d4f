/**
 * Assignment 1, "gan-losses": the three losses of the original GAN, written from the discriminator's LOGITS
 * (Goodfellow et al. 2014, "Generative Adversarial Nets", eq. 1 and section 3):
 *
 *   discriminatorLoss(realLogits, fakeLogits)  = −E[log D(x)] − E[log(1 − D(G(z)))]   (D minimises −V)
 *   minimaxGeneratorLoss(fakeLogits)           =  E[log(1 − D(G(z)))]                 (G's part of V)
 *   nonSaturatingGeneratorLoss(fakeLogits)     = −E[log D(G(z))]                      (section 3's fix)
 *
 * with D = σ(ℓ) and each expectation the mean over its batch. References: closed forms in float64
 * (log σ(ℓ) = −softplus(−ℓ), log(1 − σ(ℓ)) = −softplus(ℓ)) — the values `lib/losses` (after TF-GAN) computes,
 * which the grader's test checks get full marks too.
 *
 * What the cases separate, so that one mistake costs the cases that name it and no others:
 * - values on moderate logits, batches of several: the formula, its sign, and the MEAN (a sum fails here);
 * - values and gradients at ±100 and ±1000, one logit at a time: numerical stability (log(σ(ℓ)) overflows);
 * - gradients against the analytic ∂/∂ℓ: σ(ℓ) − y for the cross-entropies;
 * - the lesson's point, quantitatively: where D rejects the fakes, ∂J/∂ℓ = −D(G(z)) vanishes for the minimax
 *   generator and ∂J/∂ℓ = −(1 − D(G(z))) does not for the non-saturating one;
 * - a scalar for [n, 1] and [n] batches; no leaked intermediates (the other cases run the functions in a tidy
 *   scope, so a missing tf.tidy costs only its own case);
 * - a short training run of a 1-D GAN on the real library with the student's losses as its objective.
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../../engine/optimizers";
import { nextSeed, seed } from "../../engine/seed";
import { disposeAbandonedTape } from "../../engine/tape";
import { mlpDiscriminator, mlpGanSpec, mlpGenerator } from "../../models/mlp";
import type { GanObjective } from "../../train/gan-spec";
import { train } from "../../train/loop";
import { callSubmission, expectClose, expectFinite, expectShape, fail, GradeCase, Grader, functionsNamed } from "../core";

/** What the student submits: the three losses, each from logits, each returning a scalar. */
export interface GanLossesSubmission {
  discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
  minimaxGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar;
  nonSaturatingGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar;
}

type LossName = keyof GanLossesSubmission;
const LOSS_NAMES: LossName[] = ["discriminatorLoss", "minimaxGeneratorLoss", "nonSaturatingGeneratorLoss"];

// ---------------------------------------------------------------------------------------------------------
// References in float64
// ---------------------------------------------------------------------------------------------------------

/** log(1 + e^x) without overflow: x + log1p(e^−x) for x > 0. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** σ(x) = 1/(1 + e^−x), without overflow for x ≪ 0. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** −mean log σ(r) − mean log(1 − σ(f)) = mean softplus(−r) + mean softplus(f). */
export const referenceDiscriminatorLoss = (real: number[], fake: number[]) =>
  mean(real.map((r) => softplus(-r))) + mean(fake.map((f) => softplus(f)));
/** mean log(1 − σ(f)) = −mean softplus(f). */
export const referenceMinimaxGeneratorLoss = (fake: number[]) => -mean(fake.map((f) => softplus(f)));
/** −mean log σ(f) = mean softplus(−f). */
export const referenceNonSaturatingGeneratorLoss = (fake: number[]) => mean(fake.map((f) => softplus(-f)));

/** The logits as the float32 tensor will hold them, so the references see the same inputs. */
const f32 = (xs: number[]) => xs.map(Math.fround);

// ---------------------------------------------------------------------------------------------------------
// Calling the submission
// ---------------------------------------------------------------------------------------------------------

const column = (xs: number[]) => tf.tensor2d(xs, [xs.length, 1]);

/**
 * Runs one call of the student's function in a tidy scope (so that only the leak case sees leaks) and reads
 * its result: a tensor of one element, or with `strict` a scalar (shape []). Only the shape case and the
 * training (whose loop needs scalars) are strict, so a loss of shape [1] costs those two cases, not all.
 */
async function scalarOf(what: string, call: () => unknown, strict = false): Promise<number> {
  return callSubmission(what, () => {
    let value = NaN;
    tf.tidy(() => {
      const out = call();
      if (strict || !(out instanceof tf.Tensor) || out.size !== 1) expectShape(out, [], what);
      value = (out as tf.Tensor).dataSync()[0];
    });
    return value;
  });
}

/**
 * What the backward pass says when it meets a disposed tensor. tf.logSigmoid's gradient (TensorFlow.js 4.22)
 * keeps its input by closure, not through the tape, so it fails whenever that input is itself computed —
 * as a discriminator's logits always are.
 */
const DISPOSED_HINT =
  "the backward pass met a tensor that was already disposed: tf.logSigmoid's gradient does this in TensorFlow.js 4.22 " +
  "whenever its input is computed (as a network's logits are), and so does disposing by hand a tensor the loss uses; " +
  "write log σ(ℓ) another way";

/** Runs `fn`, cleaning up after a throw under the tape and turning tfjs's error for a disposed tensor into `DISPOSED_HINT`. */
function underTape<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    disposeAbandonedTape();
    if (error instanceof TypeError && /reading 'backend'|disposed/.test(error.message)) fail(DISPOSED_HINT);
    throw error;
  }
}

/**
 * The gradient of the student's loss with respect to each of `inputs` (columns of logits). The logits reach
 * the loss through an op, as a network's outputs do in training, not as the leaves themselves. The loss is
 * run once forward first: a loss that throws or returns a non-scalar fails there, off the gradient tape
 * (tfjs keeps the tensors a tape saves until the backward pass, so a throw under the tape would leak them).
 */
async function gradientsOf(what: string, loss: (...xs: tf.Tensor[]) => unknown, inputs: number[][]): Promise<Float32Array[]> {
  await scalarOf(what, () => loss(...inputs.map(column)));
  return callSubmission(what, () => {
    let grads: Float32Array[] = [];
    tf.tidy(() => {
      const xs = inputs.map(column);
      const g = underTape(() => tf.grads((...args: tf.Tensor[]) => loss(...args.map((a) => tf.mul(a, 1))) as tf.Tensor)(xs));
      grads = g.map((t) => t.dataSync().slice() as Float32Array);
    });
    return grads;
  });
}

/** What a value case says when the number is off: the sign, a sum over the batch, or the formula. */
function valueHint(actual: number, expected: number, batchSize: number, formula: string): string {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
  if (close(actual, -expected)) return `the sign is flipped: this loss is ${formula}`;
  if (batchSize > 1 && close(actual, batchSize * expected)) {
    return `${batchSize} times the expected value for a batch of ${batchSize}: average over the batch (a mean), do not sum`;
  }
  return `this loss is ${formula}, with D = σ(logit) and the mean over the batch`;
}

const FORMULAS: Record<LossName, string> = {
  discriminatorLoss: "−mean log D(x) − mean log(1 − D(G(z))) (≥ 0: D minimises −V)",
  minimaxGeneratorLoss: "mean log(1 − D(G(z))) (≤ 0: G minimises its part of V)",
  nonSaturatingGeneratorLoss: "−mean log D(G(z)) (≥ 0)",
};

/** What an extreme-logit case says when the value is finite but wrong. */
function extremeHint(actual: number, expected: number, name: LossName): string {
  if (Math.abs(actual + expected) <= 1e-4 * Math.max(1, Math.abs(expected))) return `the sign is flipped: this loss is ${FORMULAS[name]}`;
  return "finite but not the exact value: clipping the probability or adding a small ε inside the log changes the loss " +
    "where D is confident; compute it from the logits";
}

const STABILITY_HINT =
  "compute it from the logits, not from sigmoid(logits): in float32 σ(ℓ) rounds to exactly 0 for ℓ ≲ −88 and to 1 for ℓ ≳ 17, " +
  "and log 0 = −∞ (log σ(ℓ) and log(1 − σ(ℓ)) can be written without forming σ(ℓ))";

// ---------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------

/** Moderate logits: a batch where D is unsure, one where it is fairly sure. */
const MODERATE_REAL = [2, -1, 0.5, 0, 3.25];
const MODERATE_FAKE = [-2, 1, 0, -0.75, 4];
/** The extreme logits of the stability cases. */
const EXTREME = [-1000, -100, 100, 1000];
/** Logits where D rejects the fakes: D(G(z)) = σ(ℓ) ≈ 6.7e-3, 4.5e-5, 3.1e-7. */
const REJECTED = [-5, -10, -15];

async function discriminatorValues(s: GanLossesSubmission): Promise<void> {
  const real = f32(MODERATE_REAL), fake = f32(MODERATE_FAKE);
  const got = await scalarOf("discriminatorLoss", () => s.discriminatorLoss(column(real), column(fake)));
  const expected = referenceDiscriminatorLoss(real, fake);
  expectClose(got, expected, `discriminatorLoss on real logits [${real}], fake logits [${fake}]`, {
    rtol: 1e-5, hint: valueHint(got, expected, real.length, FORMULAS.discriminatorLoss),
  });
  // Batches of different sizes: the two expectations are two separate means (real 3, fake 5 here).
  const real3 = real.slice(0, 3);
  const got35 = await scalarOf("discriminatorLoss", () => s.discriminatorLoss(column(real3), column(fake)));
  expectClose(got35, referenceDiscriminatorLoss(real3, fake), `discriminatorLoss on 3 real and 5 fake logits`, {
    rtol: 1e-5, hint: "the two expectations are separate means, one over the real batch and one over the fake batch (they may differ in size)",
  });
}

async function generatorValues(s: GanLossesSubmission, name: "minimaxGeneratorLoss" | "nonSaturatingGeneratorLoss"): Promise<void> {
  const reference = name === "minimaxGeneratorLoss" ? referenceMinimaxGeneratorLoss : referenceNonSaturatingGeneratorLoss;
  for (const logits of [f32(MODERATE_FAKE), f32(MODERATE_REAL)]) {
    const got = await scalarOf(name, () => s[name](column(logits)));
    const expected = reference(logits);
    expectClose(got, expected, `${name} on fake logits [${logits}]`, { rtol: 1e-5, hint: valueHint(got, expected, logits.length, FORMULAS[name]) });
  }
}

async function discriminatorExtremes(s: GanLossesSubmission): Promise<void> {
  for (const r of EXTREME) {
    for (const f of EXTREME) {
      const what = `discriminatorLoss(real [${r}], fake [${f}])`;
      const got = await scalarOf("discriminatorLoss", () => s.discriminatorLoss(column([r]), column([f])));
      expectFinite([got], what, STABILITY_HINT);
      const expected = referenceDiscriminatorLoss([r], [f]);
      expectClose(got, expected, what, { rtol: 1e-5, atol: 1e-5, hint: extremeHint(got, expected, "discriminatorLoss") });
    }
  }
}

async function generatorExtremes(s: GanLossesSubmission, name: "minimaxGeneratorLoss" | "nonSaturatingGeneratorLoss"): Promise<void> {
  const reference = name === "minimaxGeneratorLoss" ? referenceMinimaxGeneratorLoss : referenceNonSaturatingGeneratorLoss;
  for (const f of EXTREME) {
    const what = `${name}(fake [${f}])`;
    const got = await scalarOf(name, () => s[name](column([f])));
    expectFinite([got], what, STABILITY_HINT);
    const expected = reference([f]);
    expectClose(got, expected, what, { rtol: 1e-5, atol: 1e-5, hint: extremeHint(got, expected, name) });
  }
}

/**
 * ∂/∂ℓ of each per-sample cross-entropy: −log σ(ℓ) has −(1 − σ(ℓ)), −log(1 − σ(ℓ)) has σ(ℓ). Checked one
 * logit at a time (a batch of one, so that a mean and a sum agree: the value cases check the mean).
 */
const GRADIENT_LOGITS = [...f32([-3, -0.5, 0, 1.25, 4]), ...EXTREME];

function gradientHint(name: LossName): string {
  return `check the formula and its sign: this loss is ${FORMULAS[name]}`;
}

async function discriminatorGradients(s: GanLossesSubmission): Promise<void> {
  for (const l of GRADIENT_LOGITS) {
    const [dReal, dFake] = await gradientsOf("discriminatorLoss", (r, f) => s.discriminatorLoss(r, f), [[l], [l]]);
    const hint = gradientHint("discriminatorLoss");
    expectFinite([dReal[0], dFake[0]], `gradient of discriminatorLoss at logits ${l}`, STABILITY_HINT);
    expectClose(dReal[0], -(1 - sigmoid(l)), `∂ discriminatorLoss / ∂ real logit at ${l}`, { rtol: 1e-4, atol: 1e-6, hint });
    expectClose(dFake[0], sigmoid(l), `∂ discriminatorLoss / ∂ fake logit at ${l}`, { rtol: 1e-4, atol: 1e-6, hint });
  }
}

async function generatorGradients(s: GanLossesSubmission, name: "minimaxGeneratorLoss" | "nonSaturatingGeneratorLoss"): Promise<void> {
  // minimax: ∂/∂ℓ log(1 − σ(ℓ)) = −σ(ℓ); non-saturating: ∂/∂ℓ −log σ(ℓ) = −(1 − σ(ℓ)).
  const analytic = name === "minimaxGeneratorLoss" ? (l: number) => -sigmoid(l) : (l: number) => -(1 - sigmoid(l));
  for (const l of GRADIENT_LOGITS) {
    const [g] = await gradientsOf(name, (f) => s[name](f), [[l]]);
    expectFinite(g, `gradient of ${name} at logit ${l}`, STABILITY_HINT);
    expectClose(g[0], analytic(l), `∂ ${name} / ∂ logit at ${l}`, { rtol: 1e-4, atol: 1e-6, hint: gradientHint(name) });
  }
}

async function scalarShapes(s: GanLossesSubmission): Promise<void> {
  const real = f32(MODERATE_REAL), fake = f32(MODERATE_FAKE);
  const calls: [LossName, (shape: "column" | "vector") => unknown][] = [
    ["discriminatorLoss", (k) => s.discriminatorLoss(k === "column" ? column(real) : tf.tensor1d(real), k === "column" ? column(fake) : tf.tensor1d(fake))],
    ["minimaxGeneratorLoss", (k) => s.minimaxGeneratorLoss(k === "column" ? column(fake) : tf.tensor1d(fake))],
    ["nonSaturatingGeneratorLoss", (k) => s.nonSaturatingGeneratorLoss(k === "column" ? column(fake) : tf.tensor1d(fake))],
  ];
  for (const [name, call] of calls) {
    const onColumn = await scalarOf(`${name} on logits of shape [${fake.length}, 1]`, () => call("column"), true);
    const onVector = await scalarOf(`${name} on logits of shape [${fake.length}]`, () => call("vector"), true);
    expectClose(onVector, onColumn, `${name} on logits of shape [${fake.length}] vs [${fake.length}, 1]`, {
      rtol: 1e-6, hint: "the loss should not depend on whether the batch is a column [n, 1] or a vector [n]: reduce over every element",
    });
  }
}

/** Each function called outside any tidy scope: whatever it leaves alive besides its result is a leak. */
async function noLeaks(s: GanLossesSubmission): Promise<void> {
  const calls: [LossName, (r: tf.Tensor, f: tf.Tensor) => unknown][] = [
    ["discriminatorLoss", (r, f) => s.discriminatorLoss(r, f)],
    ["minimaxGeneratorLoss", (_r, f) => s.minimaxGeneratorLoss(f)],
    ["nonSaturatingGeneratorLoss", (_r, f) => s.nonSaturatingGeneratorLoss(f)],
  ];
  for (const [name, call] of calls) {
    const real = column(f32(MODERATE_REAL)), fake = column(f32(MODERATE_FAKE));
    const before = tf.memory().numTensors;
    const out = await callSubmission(name, () => call(real, fake));
    const inputsAlive = !real.isDisposed && !fake.isDisposed;
    const leaked = tf.memory().numTensors - before - (out instanceof tf.Tensor && !out.isDisposed && out !== real && out !== fake ? 1 : 0);
    tf.dispose([real, fake, ...(out instanceof tf.Tensor ? [out] : [])]);
    if (!inputsAlive) fail(`${name} disposed its input logits: they belong to the caller (the training loop still needs them)`);
    if (leaked > 0) {
      fail(`${name} left ${leaked} intermediate tensor${leaked === 1 ? "" : "s"} alive besides its result: wrap its body in tf.tidy(() => ...)`);
    }
  }
}

/**
 * Goodfellow et al. 2014, section 3 (and Goodfellow 2016, NIPS tutorial, fig. 16): early in training D
 * rejects the fakes, D(G(z)) = σ(ℓ) ≈ 0. The minimax generator's ∂J/∂ℓ = −σ(ℓ) then vanishes; the
 * non-saturating one's, −(1 − σ(ℓ)), is close to −1. Their ratio is (1 − σ)/σ = e^(−ℓ): checked to 0.1 %.
 */
async function saturation(s: GanLossesSubmission): Promise<void> {
  for (const l of REJECTED) {
    const [minimax] = await gradientsOf("minimaxGeneratorLoss", (f) => s.minimaxGeneratorLoss(f), [[l]]);
    const [nonSaturating] = await gradientsOf("nonSaturatingGeneratorLoss", (f) => s.nonSaturatingGeneratorLoss(f), [[l]]);
    const d = sigmoid(l);
    const where = `at logit ${l} (D(G(z)) = ${d.toExponential(2)})`;
    expectClose(minimax[0], -d, `∂ minimaxGeneratorLoss / ∂ logit ${where}`, {
      rtol: 1e-3, atol: 0, hint: "the minimax generator's gradient should be tiny and negative here, about −D(G(z)): it saturates",
    });
    expectClose(nonSaturating[0], -(1 - d), `∂ nonSaturatingGeneratorLoss / ∂ logit ${where}`, {
      rtol: 1e-3, atol: 0, hint: "the non-saturating generator's gradient should stay close to −1 here, where D rejects the fake",
    });
    expectClose(nonSaturating[0] / minimax[0], Math.exp(-l), `ratio of the non-saturating to the minimax gradient ${where}`, { rtol: 1e-3 });
  }
}

/**
 * The training case's settings, measured with assignments/margins/gan-losses.js over seeds 1401 (the
 * case's) and 1–15 with the reference losses: |mean − 3| ≤ 0.28 and spread 0.31–0.75. A wrong sign in G's loss
 * sends the samples to about −1,300; a wrong sign in D's loss, or D's targets swapped, leaves them at −0.5 to −2.2.
 */
export const TRAINING = {
  steps: 300,
  batchSize: 128,
  latentSize: 2,
  hiddenSizes: [16, 16],
  discriminatorLearningRate: 0.01,
  generatorLearningRate: 0.003,
  dataMean: 3,
  dataStd: 0.5,
  /** |mean of G(z) − 3| must be below this. */
  meanTolerance: 0.5,
  /** The spread of G(z) must lie in this range. */
  stdRange: [0.2, 1.0] as [number, number],
  seed: 1401,
};

/** Mean and standard deviation of n samples of the generator, from fixed noise. */
function generatedMoments(generator: tf.LayersModel, latentSize: number, n = 4000): { mean: number; std: number } {
  return tf.tidy(() => {
    const z = tf.randomNormal([n, latentSize], 0, 1, "float32", 99);
    const m = tf.moments(generator.predict(z) as tf.Tensor);
    return { mean: m.mean.dataSync()[0], std: Math.sqrt(m.variance.dataSync()[0]) };
  });
}

/**
 * A 1-D GAN (two small MLPs, `mlpGanSpec`) trained by `train()` with the student's discriminatorLoss and
 * nonSaturatingGeneratorLoss as its objective, Adam for both players: from a generator whose samples start
 * near 0, the samples must reach N(3, 0.5²) — their mean within 0.5 and their spread between 0.2 and 1.
 * (A GAN's spread oscillates around the data's as the players chase each other; the range is wide for that.)
 */
export async function trainWithLosses(objective: GanObjective, settings = TRAINING): Promise<{ mean: number; std: number }> {
  seed(settings.seed);
  const generator = mlpGenerator({ latentSize: settings.latentSize, hiddenSizes: settings.hiddenSizes });
  const discriminator = mlpDiscriminator({ hiddenSizes: settings.hiddenSizes });
  const optimizers = { generator: adam(settings.generatorLearningRate, 0.5), discriminator: adam(settings.discriminatorLearningRate, 0.5) };
  try {
    await train({
      gan: mlpGanSpec({ latentSize: settings.latentSize, generator, discriminator, objective, optimizers }),
      data: (n: number) => tf.randomNormal([n, 1], settings.dataMean, settings.dataStd, "float32", nextSeed()),
      steps: settings.steps,
      batchSize: settings.batchSize,
      seed: settings.seed,
    });
    return generatedMoments(generator, settings.latentSize);
  } finally {
    generator.dispose();
    discriminator.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
  }
}

async function training(s: GanLossesSubmission): Promise<void> {
  const objective: GanObjective = {
    discriminatorLoss: (real, fake) => s.discriminatorLoss(real, fake),
    generatorLoss: (fake) => s.nonSaturatingGeneratorLoss(fake),
  };
  const t = TRAINING;
  // Each loss once, with its gradient, before training: a loss that throws, returns a non-scalar or has no
  // gradient fails here, with its own message, rather than inside train(), which keeps (tf.keep) the scores
  // it records in an update and would lose them to a throw.
  await scalarOf("discriminatorLoss", () => s.discriminatorLoss(column([0.5, -1]), column([1, -0.5])), true);
  await scalarOf("nonSaturatingGeneratorLoss", () => s.nonSaturatingGeneratorLoss(column([1, -0.5])), true);
  await gradientsOf("discriminatorLoss", (r, f) => s.discriminatorLoss(r, f), [[0.5, -1], [1, -0.5]]);
  await gradientsOf("nonSaturatingGeneratorLoss", (f) => s.nonSaturatingGeneratorLoss(f), [[1, -0.5]]);
  const { mean: m, std } = await callSubmission(`training with your losses`, async () => {
    try {
      return await trainWithLosses(objective);
    } catch (error) {
      return underTape(() => {
        throw error;
      });
    }
  });
  const got = `after ${t.steps} steps the generated samples have mean ${m.toFixed(3)} and spread ${std.toFixed(3)}`;
  const want = `the data is N(${t.dataMean}, ${t.dataStd}²)`;
  if (!Number.isFinite(m) || !Number.isFinite(std)) fail(`${got}: training diverged; ${STABILITY_HINT}`);
  if (!(Math.abs(m - t.dataMean) < t.meanTolerance) || !(std > t.stdRange[0] && std < t.stdRange[1])) {
    fail(
      `${got}, ${want} (tolerance: mean within ${t.meanTolerance}, spread in (${t.stdRange[0]}, ${t.stdRange[1]})); check the signs: ` +
        "D lowers its loss by scoring real samples high and fakes low, G lowers its loss by making D score the fakes high",
    );
  }
}

const cases: GradeCase<GanLossesSubmission>[] = [
  { name: "discriminatorLoss: values on moderate logits (batches of 5, and of 3 real and 5 fake)", run: discriminatorValues },
  { name: "discriminatorLoss: finite, correct values at logits ±100 and ±1000", run: discriminatorExtremes },
  { name: "discriminatorLoss: gradients with respect to both logits, moderate and extreme, against σ(ℓ) − y", run: discriminatorGradients },
  { name: "minimaxGeneratorLoss: values on moderate logits", run: (s) => generatorValues(s, "minimaxGeneratorLoss") },
  { name: "minimaxGeneratorLoss: finite, correct values at logits ±100 and ±1000", run: (s) => generatorExtremes(s, "minimaxGeneratorLoss") },
  { name: "minimaxGeneratorLoss: gradient, moderate and extreme logits, against −σ(ℓ)", run: (s) => generatorGradients(s, "minimaxGeneratorLoss") },
  { name: "nonSaturatingGeneratorLoss: values on moderate logits", run: (s) => generatorValues(s, "nonSaturatingGeneratorLoss") },
  { name: "nonSaturatingGeneratorLoss: finite, correct values at logits ±100 and ±1000 (−log σ(−1000) = 1000)", run: (s) => generatorExtremes(s, "nonSaturatingGeneratorLoss") },
  { name: "nonSaturatingGeneratorLoss: gradient, moderate and extreme logits, against −(1 − σ(ℓ))", run: (s) => generatorGradients(s, "nonSaturatingGeneratorLoss") },
  { name: "every loss returns a scalar, the same for batches of shape [n, 1] and [n]", run: scalarShapes },
  { name: "no tensors leak: each function disposes its intermediates", run: noLeaks },
  { name: "where D rejects the fakes, the minimax gradient vanishes (≈ −D(G(z))) and the non-saturating one does not (≈ −1)", points: 2, run: saturation },
  { name: `training: a 1-D GAN with your discriminatorLoss and nonSaturatingGeneratorLoss learns N(3, 0.5²) in ${TRAINING.steps} steps`, points: 3, run: training },
];

export const ganLossesGrader: Grader<GanLossesSubmission> = {
  id: "gan-losses",
  title: "Assignment 1: GAN losses from logits",
  expects: "an object { discriminatorLoss(realLogits, fakeLogits), minimaxGeneratorLoss(fakeLogits), nonSaturatingGeneratorLoss(fakeLogits) }, each returning a tf.Scalar",
  validate: functionsNamed(LOSS_NAMES),
  cases,
};
