/**
 * Assignment 2, "optimal-discriminator": the theory of the GAN objective on a 1-D grid (Goodfellow et al. 2014,
 * "Generative Adversarial Nets", Proposition 1 and Theorem 1). The student writes, on densities given as plain
 * arrays (Float64Array or number[]) on an evenly spaced grid of spacing dx:
 *
 *   optimalDiscriminator(pData, pModel)  D*(x) = p_data(x) / (p_data(x) + p_model(x)), ½ where both are 0
 *   jensenShannon(p, q, dx)              JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, natural log
 *   valueAtOptimum(pData, pModel, dx)    V(D*, G) = ∫ p_data log D* + p_model log(1 − D*) dx
 *
 * Conventions: 0·log 0 = 0 (the limit); integrals are Σᵢ fᵢ·dx. Every density the cases use vanishes at both
 * ends of its grid, so that sum equals the trapezoid rule of `lib/theory.ts`, whose functions are the
 * references (`optimalDiscriminator`, `jsDivergence`, `optimalValue`, `valueFunction`).
 *
 * What the cases separate: D*'s values, its convention where both densities vanish, its range and symmetry,
 * and that it maximises V (a perturbation along V's own gradient would find any other D); JS's zero, symmetry,
 * log 2 on disjoint supports (where 0·log 0 matters) and its values; V(D*, G)'s values, Theorem 1 with the
 * student's own two functions, and the far tails where D* rounds to exactly 1 although p_model > 0; and a
 * discriminator network trained by `train()` against a fixed generator, which must approach the student's D*
 * and the student's V(D*, G).
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../../engine/optimizers";
import { makeRandom, nextSeed, seed } from "../../engine/seed";
import { minimaxDiscriminatorLoss } from "../../losses";
import { mlpDiscriminator } from "../../models/mlp";
import { train } from "../../train/loop";
import type { Game } from "../../train/types";
import { gaussianDensity, GridArray, jsDivergence, linspace, mixtureDensity, optimalValue, valueFunction } from "../../theory";
import { callSubmission, expectClose, expectFinite, fail, GradeCase, Grader, functionsNamed } from "../core";

/** What the student submits. */
export interface OptimalDiscriminatorSubmission {
  optimalDiscriminator(pData: GridArray, pModel: GridArray): ArrayLike<number>;
  jensenShannon(p: GridArray, q: GridArray, dx: number): number;
  valueAtOptimum(pData: GridArray, pModel: GridArray, dx: number): number;
}

type FunctionName = keyof OptimalDiscriminatorSubmission;
const FUNCTION_NAMES: FunctionName[] = ["optimalDiscriminator", "jensenShannon", "valueAtOptimum"];

const LOG2 = Math.log(2);
const LOG4 = Math.log(4);
/** Theorem 1 and the references hold to rounding in float64: the tolerance of the value cases. */
const TIGHT = { rtol: 1e-9, atol: 1e-12 };

// ---------------------------------------------------------------------------------------------------------
// Grids and densities of the cases
// ---------------------------------------------------------------------------------------------------------

interface Grid {
  xs: Float64Array;
  dx: number;
}

/** n points from start to stop and their nominal spacing (the trapezoid rule sees each xᵢ − xᵢ₋₁, equal to it within 1e-14). */
function grid(start: number, stop: number, n: number): Grid {
  return { xs: linspace(start, stop, n), dx: (stop - start) / (n - 1) };
}

/**
 * A box density on the grid: constant on the points strictly inside (a, b), 0 elsewhere, scaled so that
 * Σ p·dx = 1 exactly (its ends are zeros, so the trapezoid rule gives the same).
 */
function boxDensity(g: Grid, a: number, b: number): Float64Array {
  const p = g.xs.map((x) => (x > a && x < b ? 1 : 0));
  const count = p.reduce((s, v) => s + v, 0);
  return p.map((v) => v / (count * g.dx));
}

/** The lesson's pair (lesson 01): a two-mode data mixture and a single wide Gaussian generator. */
const MIXTURE = [{ mean: -1.5, std: 0.5 }, { mean: 1.5, std: 0.5 }];
const GENERATOR = { mean: 0, std: 1.5 };

function lessonPair(g: Grid): { pData: Float64Array; pModel: Float64Array } {
  return { pData: mixtureDensity(g.xs, MIXTURE), pModel: gaussianDensity(g.xs, GENERATOR.mean, GENERATOR.std) };
}

/**
 * Pairs of Gaussians (and the lesson's mixture) on a grid wide enough that every density vanishes at its ends.
 * In each, p_model is at least as wide as p_data, so that D* → 0 in the tails and never rounds to exactly 1
 * where p_model > 0: that trap has its own case (far tails), and costs only that one.
 */
function gaussianPairs(g: Grid): [string, Float64Array, Float64Array][] {
  const n = (m: number, s: number) => gaussianDensity(g.xs, m, s);
  const { pData, pModel } = lessonPair(g);
  return [
    ["N(0, 1) and N(1, 1)", n(0, 1), n(1, 1)],
    ["N(0, 1) and N(1.5, 1.2²)", n(0, 1), n(1.5, 1.2)],
    ["N(−1, 0.7²) and N(0.5, 1.3²)", n(-1, 0.7), n(0.5, 1.3)],
    ["the mixture ½N(−1.5, 0.5²) + ½N(1.5, 0.5²) and N(0, 1.5²)", pData, pModel],
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Calling the submission
// ---------------------------------------------------------------------------------------------------------

/** The student's D* on (pData, pModel), read as numbers and checked for length; the inputs must be left unchanged. */
async function dStarOf(s: OptimalDiscriminatorSubmission, pData: GridArray, pModel: GridArray): Promise<Float64Array> {
  const copies = [Array.from(pData), Array.from(pModel)];
  const out = await callSubmission("optimalDiscriminator", () => s.optimalDiscriminator(pData, pModel));
  if (out == null || typeof (out as ArrayLike<number>).length !== "number" || typeof out === "string") {
    fail(`optimalDiscriminator returned ${out === null ? "null" : typeof out}; return an array (a Float64Array) with one value per grid point`);
  }
  if (out.length !== pData.length) fail(`optimalDiscriminator returned ${out.length} values for a grid of ${pData.length} points`);
  const values = Float64Array.from({ length: out.length }, (_, i) => {
    const v = out[i];
    if (typeof v !== "number") fail(`optimalDiscriminator returned a ${typeof v} at index ${i}; return numbers`);
    return v;
  });
  if (copies[0].some((v, i) => v !== pData[i]) || copies[1].some((v, i) => v !== pModel[i])) {
    fail("optimalDiscriminator changed its input arrays: compute D* into a new array");
  }
  return values;
}

/** A number from one of the student's scalar functions, failing when it is not one. */
async function numberOf(what: string, call: () => unknown): Promise<number> {
  const v = await callSubmission(what, call);
  if (typeof v !== "number") fail(`${what} returned ${v === null ? "null" : typeof v}; return a number`);
  return v;
}

const jsOf = (s: OptimalDiscriminatorSubmission, p: GridArray, q: GridArray, dx: number) =>
  numberOf("jensenShannon", () => s.jensenShannon(p, q, dx));
const valueOf = (s: OptimalDiscriminatorSubmission, p: GridArray, q: GridArray, dx: number) =>
  numberOf("valueAtOptimum", () => s.valueAtOptimum(p, q, dx));

/** The usual mistake behind a wrong D*: the two densities swapped (1 − D*), else the derivation. */
function dStarHint(actual: Float64Array, expected: Float64Array): string {
  if (expected.every((e, i) => Math.abs(actual[i] - (1 - e)) < 1e-9)) {
    return "you returned 1 − D*: D is the probability that x is REAL, so it is large where p_data is large";
  }
  return "D*(x) maximises p_data(x)·log D + p_model(x)·log(1 − D) at each x separately (Proposition 1): set its derivative in D to 0";
}

// ---------------------------------------------------------------------------------------------------------
// Cases: the optimal discriminator
// ---------------------------------------------------------------------------------------------------------

async function dStarHandValues(s: OptimalDiscriminatorSubmission): Promise<void> {
  // D* = p/(p + q): 1/2, 3/4, 2/2, 0.5/2, 4/5, 1e-3/4e-3 (small densities: no ε may shift them).
  const pData = [1, 3, 2, 0.5, 4, 1e-3];
  const pModel = [1, 1, 0, 1.5, 1, 3e-3];
  const expected = Float64Array.from([0.5, 0.75, 1, 0.25, 0.8, 0.25]);
  for (const [kind, p, q] of [["number[]", pData, pModel], ["Float64Array", Float64Array.from(pData), Float64Array.from(pModel)]] as const) {
    const d = await dStarOf(s, p, q);
    expectFinite(d, `optimalDiscriminator on ${kind} p_data = [${pData}], p_model = [${pModel}]`);
    expectClose(d, expected, `optimalDiscriminator(p_data = [${pData}], p_model = [${pModel}])`, {
      rtol: 1e-12, atol: 1e-15,
      hint: d.some((v, i) => v !== expected[i] && Math.abs(v - expected[i]) < 1e-4)
        ? "close but not exact: a small ε added to the denominator shifts D* where the densities are small; treat the zero case on its own"
        : dStarHint(d, expected),
    });
  }
}

async function dStarZeroDensity(s: OptimalDiscriminatorSubmission): Promise<void> {
  const pData = [0, 0, 1, 0, 2];
  const pModel = [0, 2, 0, 0, 2];
  const d = await dStarOf(s, pData, pModel);
  expectFinite(d, "optimalDiscriminator where p_data = p_model = 0", "0/0 is NaN: where both densities are 0 every D is optimal (V does not see it); return the stated convention ½ there");
  expectClose(d, [0.5, 0, 1, 0.5, 0.5], `optimalDiscriminator(p_data = [${pData}], p_model = [${pModel}])`, {
    rtol: 1e-12, atol: 1e-15, hint: "where both densities are 0 return ½ (the stated convention); where only one is 0, D* is exactly 0 or 1",
  });
}

const EPSILON_HINT =
  "if this fails only where the densities are tiny (the Gaussians' tails, 1e-20 and less), an ε added to the denominator dominates there";

/** Seeded random densities with exact zeros, tiny and ordinary values. */
function randomDensity(rng: () => number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const u = rng();
    return u < 0.15 ? 0 : u < 0.25 ? 1e-200 * rng() : 5 * rng();
  });
}

async function dStarRange(s: OptimalDiscriminatorSubmission): Promise<void> {
  const rng = makeRandom(2014);
  const g = grid(-8, 8, 801);
  const pairs: [string, Float64Array, Float64Array][] = [
    ...gaussianPairs(g),
    ["random densities with zeros", randomDensity(rng, 400), randomDensity(rng, 400)],
  ];
  for (const [name, p, q] of pairs) {
    const d = await dStarOf(s, p, q);
    expectFinite(d, `optimalDiscriminator on ${name}`, "where both densities are 0 return ½");
    const outside = d.findIndex((v) => !(v >= 0 && v <= 1));
    if (outside >= 0) fail(`optimalDiscriminator on ${name}: D* = ${d[outside]} at index ${outside}, outside [0, 1]: D is a probability`);
    const swapped = await dStarOf(s, q, p);
    expectClose(swapped, d.map((v) => 1 - v), `optimalDiscriminator(p_model, p_data) against 1 − optimalDiscriminator(p_data, p_model) on ${name}`, {
      rtol: 0, atol: 1e-12,
      hint: `swapping the two densities swaps the roles of real and fake: D* becomes 1 − D*; ${EPSILON_HINT}`,
    });
    const same = await dStarOf(s, p, p);
    expectClose(same, new Float64Array(p.length).fill(0.5), `optimalDiscriminator(p, p) on ${name}`, {
      rtol: 0, atol: 1e-15, hint: `where the two densities are equal the best D cannot tell real from fake: ½; ${EPSILON_HINT}`,
    });
  }
}

/** σ and its inverse in float64. */
const sigmoid = (l: number) => (l >= 0 ? 1 / (1 + Math.exp(-l)) : Math.exp(l) / (1 + Math.exp(l)));
const logit = (d: number) => Math.log(d) - Math.log1p(-d);

/**
 * Proposition 1 checked as a maximum: V(D, G) (the library's `valueFunction`) at the student's D* against D*
 * perturbed in logit space, D_ε = σ(logit D* + ε·h), for fixed directions h and for the steepest-ascent
 * direction of V at the student's D — h(x) ∝ p_data(1 − D) − p_model·D, V's derivative in the logit — which
 * raises V for every D that is not the maximiser. A raise above 1e-7 fails (the true D* gives rounding, ~1e-16).
 */
async function dStarMaximises(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-8, 8, 1601);
  const { pData, pModel } = lessonPair(g);
  const d = await dStarOf(s, pData, pModel);
  expectFinite(d, "optimalDiscriminator on the mixture and N(0, 1.5²)");
  const outside = d.findIndex((v) => !(v >= 0 && v <= 1));
  if (outside >= 0) fail(`optimalDiscriminator returned ${d[outside]} at index ${outside}, outside [0, 1]: D is a probability`);
  const v = valueFunction(g.xs, pData, pModel, d);
  if (!(v > -Infinity)) {
    fail(
      "V(D, G) at your D* is −∞: it is 0 where p_data > 0 or 1 where p_model > 0 (certain, and wrong); " +
        "D*(x) maximises p_data(x)·log D + p_model(x)·log(1 − D) at each x (Proposition 1)",
    );
  }
  const ascent = d.map((di, i) => pData[i] * (1 - di) - pModel[i] * di);
  const scale = Math.max(...ascent.map(Math.abs));
  const directions: [string, (x: number, i: number) => number][] = [
    ["h = 1", () => 1],
    ["h = sin(2x)", (x) => Math.sin(2 * x)],
    ["h = a bump at x = 1.5", (x) => Math.exp(-((x - 1.5) ** 2))],
    ["h = V's gradient at your D", (_x, i) => (scale > 0 ? ascent[i] / scale : 0)],
  ];
  for (const [name, h] of directions) {
    for (const eps of [-0.1, -0.01, 0.01, 0.1]) {
      const perturbed = d.map((di, i) => sigmoid(logit(di) + eps * h(g.xs[i], i)));
      const raise = valueFunction(g.xs, pData, pModel, perturbed) - v;
      if (raise > 1e-7) {
        fail(
          `perturbing your D* (${name}, ε = ${eps}) raises V(D, G) by ${raise.toExponential(2)}: it is not the maximiser; ` +
            "D*(x) maximises p_data(x)·log D + p_model(x)·log(1 − D) at each x (Proposition 1)",
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cases: the Jensen–Shannon divergence
// ---------------------------------------------------------------------------------------------------------

async function jsEqual(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-10, 10, 2001);
  for (const [name, p] of gaussianPairs(g).map(([n, p]) => [n.split(" and ")[0], p] as const)) {
    const js = await jsOf(s, p, p, g.dx);
    expectClose(js, 0, `jensenShannon(p, p) for p = ${name}`, {
      rtol: 0, atol: 1e-12, hint: "the divergence of a density from itself is 0: check the mixture m = (p + q)/2 and the logarithm's argument",
    });
  }
}

async function jsSymmetric(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-10, 10, 2001);
  for (const [name, p, q] of gaussianPairs(g)) {
    const pq = await jsOf(s, p, q, g.dx);
    const qp = await jsOf(s, q, p, g.dx);
    expectFinite([pq, qp], `jensenShannon on ${name}`);
    expectClose(qp, pq, `jensenShannon(q, p) against jensenShannon(p, q) for ${name}`, {
      rtol: 1e-12, atol: 1e-14, hint: "JS is symmetric: each density is compared with their mixture m = (p + q)/2, not with the other density (that would be KL)",
    });
  }
}

async function jsDisjoint(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-4, 4, 801);
  const left = boxDensity(g, -3, -1), right = boxDensity(g, 1, 3), middle = boxDensity(g, -2, 0);
  const hint = "where a density is 0 its term is 0 (0·log 0 = 0, the limit), not NaN";
  const disjoint = await jsOf(s, left, right, g.dx);
  expectFinite([disjoint], "jensenShannon of two densities with disjoint supports", hint);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  expectClose(disjoint, LOG2, "jensenShannon of two densities with disjoint supports (log 2 = 0.693147…)", {
    ...TIGHT,
    hint: near(disjoint, 1) ? "that is log 2 in bits: use the natural logarithm"
      : near(disjoint, 2 * LOG2) ? "twice log 2: JS averages the two KL divergences (the ½ in front of each)"
        : "on disjoint supports m = p/2 where p > 0 and q/2 where q > 0, so each KL is log 2",
  });
  const overlapping = await jsOf(s, left, middle, g.dx);
  expectFinite([overlapping], "jensenShannon of two half-overlapping boxes", hint);
  expectClose(overlapping, jsDivergence(g.xs, left, middle), "jensenShannon of two half-overlapping boxes", { ...TIGHT, hint });
}

async function jsValues(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-10, 10, 2001);
  for (const [name, p, q] of gaussianPairs(g)) {
    const js = await jsOf(s, p, q, g.dx);
    expectFinite([js], `jensenShannon on ${name}`);
    expectClose(js, jsDivergence(g.xs, p, q), `jensenShannon on ${name}`, {
      ...TIGHT, hint: "JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m) with m = (p + q)/2, natural log, integrals as Σ f·dx",
    });
    if (!(js >= 0 && js <= LOG2 + 1e-12)) fail(`jensenShannon on ${name} is ${js}, outside [0, log 2]`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cases: the value at the optimum and Theorem 1
// ---------------------------------------------------------------------------------------------------------

const VALUE_HINT = "V(D*, G) = Σ [p_data·log D* + p_model·log(1 − D*)]·dx, natural log, a term with zero density counting 0";

async function valueOnGaussians(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-10, 10, 2001);
  for (const [name, p, q] of gaussianPairs(g)) {
    const v = await valueOf(s, p, q, g.dx);
    expectFinite([v], `valueAtOptimum on ${name}`);
    expectClose(v, optimalValue(g.xs, p, q), `valueAtOptimum on ${name}`, { ...TIGHT, hint: VALUE_HINT });
  }
}

/**
 * Theorem 1, V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g), with the student's own two functions, to 1e-9; and its
 * consequence, the minimum −log 4 at p_g = p_data (and 0 when the supports are disjoint).
 */
async function theoremOne(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-10, 10, 2001);
  const boxes = grid(-4, 4, 801);
  const standard = gaussianDensity(g.xs, 0, 1);
  const cases: [string, Grid, Float64Array, Float64Array][] = [
    ...gaussianPairs(g).map(([n, p, q]) => [n, g, p, q] as [string, Grid, Float64Array, Float64Array]),
    ["p_g = p_data = N(0, 1)", g, standard, standard],
    ["disjoint boxes", boxes, boxDensity(boxes, -3, -1), boxDensity(boxes, 1, 3)],
  ];
  for (const [name, gr, p, q] of cases) {
    const v = await valueOf(s, p, q, gr.dx);
    const js = await jsOf(s, p, q, gr.dx);
    expectFinite([v, js], `valueAtOptimum and jensenShannon on ${name}`, "a term whose density is 0 counts 0 (0·log 0 = 0), not NaN");
    expectClose(v, -LOG4 + 2 * js, `valueAtOptimum against −log 4 + 2·jensenShannon on ${name}`, {
      ...TIGHT, hint: "Theorem 1 holds exactly for densities that integrate to 1: check both functions use the natural log, the same Σ f·dx and 0·log 0 = 0",
    });
  }
  const atOptimum = await valueOf(s, standard, standard, g.dx);
  expectClose(atOptimum, -LOG4, "valueAtOptimum at p_g = p_data (the global minimum −log 4)", { ...TIGHT, hint: VALUE_HINT });
}

/**
 * N(0, 1) against N(0, 0.3²) on [−12, 12]: for 2.7 ≲ |x| ≲ 11 the model's density is positive but more than
 * 1e16 times smaller than the data's, so p_data/(p_data + p_model) rounds to exactly 1, and log(1 − D*) is
 * −∞ although its weight p_model is not 0. V itself is finite (`optimalValue` writes each term from the
 * densities' logarithms).
 */
async function valueFarTails(s: OptimalDiscriminatorSubmission): Promise<void> {
  const g = grid(-12, 12, 2401);
  const p = gaussianDensity(g.xs, 0, 1), q = gaussianDensity(g.xs, 0, 0.3);
  for (const [name, a, b] of [["p_data = N(0, 1), p_model = N(0, 0.3²)", p, q], ["p_data = N(0, 0.3²), p_model = N(0, 1)", q, p]] as const) {
    const v = await valueOf(s, a, b, g.dx);
    const hint =
      "where one density is more than 1e16 times the other, D* rounds to exactly 0 or 1 and log D* or log(1 − D*) is −∞ " +
      "although its weight is positive: do not form 1 − D* by subtraction, or write each term through the logarithms of the densities";
    expectFinite([v], `valueAtOptimum on ${name}`, hint);
    expectClose(v, optimalValue(g.xs, a, b), `valueAtOptimum on ${name}`, { ...TIGHT, hint: VALUE_HINT });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The training case
// ---------------------------------------------------------------------------------------------------------

/** Settings of the training case, measured over seeds 0–9 with assignments/margins/optimal-discriminator.js. */
export const TRAINING = {
  steps: 300,
  batchSize: 256,
  learningRate: 0.005,
  hiddenSizes: [32, 32],
  seed: 1402,
  /** Grid of the check: the lesson's [−8, 8]. */
  gridPoints: 1601,
  /** Mean |σ(D) − D*| where p_data + p_g > 0.1 must be below this: 0.017–0.046 over seeds 0–9. */
  meanAbsTolerance: 0.08,
  /** V(D*, G) − V(D, G) must lie in [0, this]: 0.004–0.018 over seeds 0–9. */
  valueGapTolerance: 0.05,
};

/**
 * A discriminator network trained by `train()` for `steps` updates against samples of the lesson's fixed pair:
 * data ½N(−1.5, 0.5²) + ½N(1.5, 0.5²), generator N(0, 1.5²) (sampled directly: no generator network), with the
 * library's minimax cross-entropy. Returns D(x) = σ(logit) on the grid, in float64.
 */
export async function trainDiscriminator(xs: Float64Array, settings = TRAINING): Promise<Float64Array> {
  seed(settings.seed);
  const discriminator = mlpDiscriminator({ hiddenSizes: settings.hiddenSizes });
  const optimizer = adam(settings.learningRate);
  const sampleData = (n: number) => tf.tidy(() => {
    const left = tf.randomUniform([n, 1], 0, 1, "float32", nextSeed()).less(0.5);
    const noise = tf.randomNormal([n, 1], 0, MIXTURE[0].std, "float32", nextSeed());
    return tf.where(left, noise.add(MIXTURE[0].mean), noise.add(MIXTURE[1].mean));
  });
  const game: Game = {
    networks: { discriminator },
    players: [{
      name: "discriminator",
      trains: ["discriminator"],
      optimizer,
      loss: (ctx) => ({
        crossEntropy: minimaxDiscriminatorLoss(
          ctx.run("discriminator", ctx.real.x),
          ctx.run("discriminator", tf.randomNormal([settings.batchSize, 1], GENERATOR.mean, GENERATOR.std, "float32", nextSeed())),
        ) as tf.Scalar,
      }),
    }],
  };
  try {
    await train({ gan: game, data: (n: number) => sampleData(n), steps: settings.steps, batchSize: settings.batchSize, seed: settings.seed });
    const logits = tf.tidy(() => (discriminator.predict(tf.tensor2d(Array.from(xs), [xs.length, 1])) as tf.Tensor).dataSync());
    // σ in float64: a float32 σ would round to 0 or 1 in the tails, where V would see log 0.
    return Float64Array.from(logits, sigmoid);
  } finally {
    discriminator.dispose();
    optimizer.dispose();
  }
}

async function training(s: OptimalDiscriminatorSubmission): Promise<void> {
  const t = TRAINING;
  const g = grid(-8, 8, t.gridPoints);
  const { pData, pModel } = lessonPair(g);
  // The student's functions first: a wrong form fails here, before the training.
  const dStar = await dStarOf(s, pData, pModel);
  const vStar = await valueOf(s, pData, pModel, g.dx);
  expectFinite([...dStar, vStar], "optimalDiscriminator and valueAtOptimum on the mixture and N(0, 1.5²)");
  const dNet = await trainDiscriminator(g.xs);
  const where = Array.from(g.xs.keys()).filter((i) => pData[i] + pModel[i] > 0.1);
  const meanAbs = where.reduce((a, i) => a + Math.abs(dNet[i] - dStar[i]), 0) / where.length;
  if (!(meanAbs < t.meanAbsTolerance)) {
    fail(
      `after ${t.steps} updates the network's D(x) is on average ${meanAbs.toFixed(3)} from your D* where the densities ` +
        `are not negligible (tolerance ${t.meanAbsTolerance}; the network, trained on samples, approaches the true D*): ` +
        "D is the probability that x is real — check your optimalDiscriminator",
    );
  }
  const gap = vStar - valueFunction(g.xs, pData, pModel, dNet);
  if (!(gap >= 0 && gap < t.valueGapTolerance)) {
    fail(
      `your V(D*, G) = ${vStar.toFixed(5)} but the trained network reaches V(D, G) = ${(vStar - gap).toFixed(5)}: ` +
        (gap < 0 ? "no discriminator can beat D*, so your value is too low" : `the gap ${gap.toFixed(4)} exceeds ${t.valueGapTolerance}`) +
        " — check valueAtOptimum",
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

const cases: GradeCase<OptimalDiscriminatorSubmission>[] = [
  { name: "optimalDiscriminator: hand values, for number[] and Float64Array inputs", run: dStarHandValues },
  { name: "optimalDiscriminator: ½ where both densities are 0 (no NaN), 0 or 1 where only one is", run: dStarZeroDensity },
  { name: "optimalDiscriminator: in [0, 1], 1 − D* when the densities are swapped, ½ where they are equal", run: dStarRange },
  { name: "optimalDiscriminator maximises V(D, G): no perturbation of your D* raises it", run: dStarMaximises },
  { name: "jensenShannon: 0 for equal densities", run: jsEqual },
  { name: "jensenShannon: symmetric, JS(p, q) = JS(q, p)", run: jsSymmetric },
  { name: "jensenShannon: log 2 for disjoint supports (0·log 0 = 0), the reference on overlapping boxes", run: jsDisjoint },
  { name: "jensenShannon: values on Gaussians against the reference, to 1e-9", run: jsValues },
  { name: "valueAtOptimum: V(D*, G) on Gaussians against the reference, to 1e-9", run: valueOnGaussians },
  { name: "Theorem 1: valueAtOptimum = −log 4 + 2·jensenShannon to 1e-9, and −log 4 at p_g = p_data", points: 2, run: theoremOne },
  { name: "valueAtOptimum: finite and exact where one density is 1e16 times the other (far tails)", run: valueFarTails },
  { name: `training: a discriminator network trained against a fixed generator approaches your D* and your V(D*, G)`, points: 2, run: training },
];

export const optimalDiscriminatorGrader: Grader<OptimalDiscriminatorSubmission> = {
  id: "optimal-discriminator",
  title: "Assignment 2: the optimal discriminator and the Jensen–Shannon divergence",
  expects: "an object { optimalDiscriminator(pData, pModel), jensenShannon(p, q, dx), valueAtOptimum(pData, pModel, dx) } on plain arrays",
  validate: functionsNamed(FUNCTION_NAMES),
  cases,
};
