/**
 * Assignment 4, "gradient-penalty": WGAN-GP's penalty, Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville 2017,
 * "Improved Training of Wasserstein GANs", eq. 3 and Algorithm 1 (lines 6–8):
 *
 *   x̂ = ε·x + (1 − ε)·x̃,   penalty = λ·mean_i (‖∇_x̂ D(x̂_i)‖₂ − 1)²,   λ = 10,
 *
 * the norm per example over all non-batch axes, with a small ε' inside the square root so that a zero gradient
 * has a finite derivative (TF-GAN's `wasserstein_gradient_penalty`; the library's `gradientPenalty` in
 * lib/losses, the reference here). The mixing weights are an argument, so every value is deterministic and can
 * be checked by hand; in training they are drawn U[0, 1], one per example, as Algorithm 1 does.
 *
 * The cases follow how the library's penalty is tested (test/losses/losses.test.ts, test/models/wgan-gp.test.ts):
 * a linear critic (the gradient is the weight vector), per-example norms, image-shaped inputs, float64 finite
 * differences on an MLP critic for the value and for the double-backprop gradient with respect to the weights,
 * the constant critic (a zero gradient), and a short WGAN-GP critic run whose slope lands on the soft optimum.
 */
import * as tf from "@tensorflow/tfjs";
import { callSubmission, expectClose, expectFinite, expectShape, fail, Grader, GradeCase, valuesOf, aFunction } from "../core";
import { nextSeed } from "../../engine/seed";
import { sgd } from "../../engine/optimizers";
import { train } from "../../train/loop";
import { wganGpSpec } from "../../models/wgan-gp";
import { mlpDiscriminator, mlpGenerator } from "../../models/mlp";
import { wasserstein1DFromSamples } from "../../metrics/statistics";

/** The student's penalty: λ = 10 inside; `mix` holds one ε per example, shape [n, 1, …, 1] (broadcasts against real). */
export type GradientPenaltySubmission = (critic: (x: tf.Tensor) => tf.Tensor, real: tf.Tensor, fake: tf.Tensor, mix: tf.Tensor) => tf.Scalar;

const LAMBDA = 10;
const WHAT = "your gradientPenalty";

/** Calls the submission inside a tidy and reads its value; fails unless it is a scalar. */
async function penaltyValue(s: GradientPenaltySubmission, critic: (x: tf.Tensor) => tf.Tensor, real: number[][] | tf.Tensor, fake: number[][] | tf.Tensor, mix: number[]): Promise<number> {
  return callSubmission(WHAT, () => tf.tidy(() => {
    const r = real instanceof tf.Tensor ? real : tf.tensor2d(real);
    const f = fake instanceof tf.Tensor ? fake : tf.tensor2d(fake);
    const m = tf.tensor(mix, [mix.length, ...r.shape.slice(1).map(() => 1)]);
    const out = s(critic, r, f, m);
    expectShape(out, [], "the penalty");
    return valuesOf(out, "the penalty")[0];
  }));
}

/** Per-example x̂ = ε·x + (1 − ε)·x̃ in float64, rows flattened. */
function interpolates(real: number[][], fake: number[][], mix: number[]): number[][] {
  return real.map((r, i) => r.map((v, k) => mix[i] * v + (1 - mix[i]) * fake[i][k]));
}
const norm = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** λ·mean (√(‖g_i‖² + 1e-10) − 1)² from per-example squared norms. */
const penaltyFromSquares = (squares: number[]) => LAMBDA * mean(squares.map((s) => (Math.sqrt(s + 1e-10) - 1) ** 2));
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * (1 + Math.abs(b));

/** Diagnoses a value of λ·mean(gap²) by the usual slips, given the per-example gradient norms. */
function slipHint(got: number, norms: number[], extra: Array<[number, string]> = []): string {
  const candidates: Array<[number, string]> = [
    [mean(norms.map((g) => (g - 1) ** 2)), "the value is 1/λ of the expected: multiply by λ = 10"],
    [LAMBDA * mean(norms.map((g) => Math.abs(g - 1))), "the value is λ·|‖∇‖ − 1|: the gap to 1 is squared"],
    [LAMBDA * mean(norms.map((g) => (g * g - 1) ** 2)), "the value uses the squared norm ‖∇‖² in place of the norm ‖∇‖: take the square root of the sum of squares"],
    [LAMBDA * mean(norms.map((g) => g * g)), "the value is λ·‖∇‖²: the penalty pulls the norm towards 1, so it is the gap (‖∇‖ − 1) that is squared"],
    [LAMBDA * mean(norms.map((g) => Math.max(0, g - 1) ** 2)), "the value is one-sided (only norms above 1): eq. 3 penalises a slope below 1 as well"],
    [LAMBDA * (norm(norms) - 1) ** 2, "the value is that of ONE norm over the whole batch: take the norm of each example's gradient, then average the squared gaps"],
    [LAMBDA * (mean(norms) - 1) ** 2, "the norms were averaged before the gap was squared: square each example's gap, then average"],
    ...extra,
  ];
  return candidates.find(([v]) => near(got, v))?.[1] ?? "";
}

// ---------------------------------------------------------------------------------------------------------
// Critics with known gradients
// ---------------------------------------------------------------------------------------------------------

/** x ↦ Σ w·x over all non-batch axes: ∇ₓD = w for every example. */
const linearCritic = (w: tf.Tensor) => (x: tf.Tensor) => tf.sum(tf.mul(x, w), x.shape.slice(1).map((_, i) => i + 1));
/** x ↦ ½‖x‖² per example: ∇ₓD(x̂) = x̂, so each example has its own gradient norm ‖x̂_i‖. */
const quadraticCritic = (x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(x), x.shape.slice(1).map((_, i) => i + 1)));

const LIN_REAL = [[0.3, -1.2, 0.8], [1.1, 0.4, -0.5], [-0.7, 0.9, 0.2], [0.5, 0.5, 1.5], [-1.3, -0.2, 0.6]];
const LIN_FAKE = [[2.1, 0.3, -0.4], [-0.6, 1.8, 1.0], [0.9, -1.1, 2.2], [1.7, -0.8, 0.1], [0.2, 2.4, -1.6]];
const LIN_MIX = [0.15, 0.4, 0.55, 0.7, 0.95];

async function linearValue(s: GradientPenaltySubmission, w: number[]): Promise<number> {
  const wT = tf.tensor1d(w);
  try {
    return await penaltyValue(s, linearCritic(wT), LIN_REAL, LIN_FAKE, LIN_MIX);
  } finally {
    wT.dispose();
  }
}

const returnsScalar: GradeCase<GradientPenaltySubmission> = {
  name: "returns a scalar tf.Tensor (the mean over the batch, times λ)",
  run: async (s) => {
    await linearValue(s, [2, 2, 1]);
  },
};

const linearNormThree: GradeCase<GradientPenaltySubmission> = {
  name: "linear critic, ‖w‖ = 3: λ(‖w‖ − 1)² = 40 (the gradient of x ↦ w·x is w)",
  points: 2,
  run: async (s) => {
    const got = await linearValue(s, [2, 2, 1]);
    expectFinite([got], "the penalty");
    expectClose(got, LAMBDA * (3 - 1) ** 2, "the penalty", { rtol: 1e-4, hint: slipHint(got, [3, 3, 3, 3, 3]) || "check λ = 10, the norm of each example's gradient, and the square of its gap to 1" });
  },
};

const twoSided: GradeCase<GradientPenaltySubmission> = {
  name: "linear critics, ‖w‖ = 1 and ‖w‖ = 0.5: 0 and 2.5 (a slope below 1 is penalised too)",
  run: async (s) => {
    const atOne = await linearValue(s, [0.6, 0.8, 0]);
    expectClose(atOne, 0, "the penalty for ‖w‖ = 1", { atol: 1e-4, hint: "a critic of slope exactly 1 pays nothing: the penalty is about the gap ‖∇‖ − 1" });
    const atHalf = await linearValue(s, [0.3, 0.4, 0]);
    expectClose(atHalf, LAMBDA * 0.25, "the penalty for ‖w‖ = 0.5", { rtol: 1e-4, hint: slipHint(atHalf, [0.5, 0.5, 0.5, 0.5, 0.5]) || "λ·(0.5 − 1)² = 2.5" });
  },
};

// Rows chosen so the interpolates have clearly different norms (0.55 … 2.9).
const Q_REAL = [[0.5, 0.2], [1.2, -0.4], [-0.3, 2.6], [2.0, 1.5]];
const Q_FAKE = [[-0.1, 0.6], [0.3, 0.9], [1.1, -0.8], [-0.5, 2.2]];
const Q_MIX = [0.8, 0.3, 0.9, 0.6];

const perExample: GradeCase<GradientPenaltySubmission> = {
  name: "per-example norms: a critic whose gradient norm differs from example to example (½‖x‖², by hand)",
  points: 2,
  run: async (s) => {
    const got = await penaltyValue(s, quadraticCritic, Q_REAL, Q_FAKE, Q_MIX);
    const xHat = interpolates(Q_REAL, Q_FAKE, Q_MIX);
    const norms = xHat.map(norm);
    const swapped = interpolates(Q_REAL, Q_FAKE, Q_MIX.map((e) => 1 - e)).map(norm);
    const hint = slipHint(got, norms, [
      [penaltyFromSquares(swapped.map((g) => g * g)), "the value is that of x̂ = (1 − ε)·x + ε·x̃: ε multiplies the REAL example (Algorithm 1, line 6)"],
    ]) || "∇D(x̂) = x̂ for this critic: check x̂, then the norm of each row";
    expectClose(got, penaltyFromSquares(norms.map((g) => g * g)), "the penalty", { rtol: 1e-4, hint });
  },
};

const IMG_SHAPE = [3, 2, 3, 2];
const imageRows = (phase: number) => Array.from({ length: 3 }, (_, n) => Array.from({ length: 12 }, (_, k) => Math.sin(1.3 * k + 2.1 * n + phase)));

const images: GradeCase<GradientPenaltySubmission> = {
  name: "images [n, h, w, c]: the norm of each example's gradient over all of h, w and c",
  points: 2,
  run: async (s) => {
    const real = imageRows(0), fake = imageRows(1.7).map((r) => r.map((v) => 0.5 * v)), mix = [0.25, 0.6, 0.9];
    const got = await callSubmission(WHAT, () => tf.tidy(() => {
      const out = s(quadraticCritic, tf.tensor(real.flat(), IMG_SHAPE), tf.tensor(fake.flat(), IMG_SHAPE), tf.tensor(mix, [3, 1, 1, 1]));
      expectShape(out, [], "the penalty on images");
      return valuesOf(out, "the penalty on images")[0];
    }));
    const xHat = interpolates(real, fake, mix);
    const expected = penaltyFromSquares(xHat.map((r) => norm(r) ** 2));
    // The usual slip: the norm over one axis (tf.norm(g, "euclidean", 1) or −1), then the mean over the rest.
    const overAxis = (groups: (k: number) => number) => LAMBDA * mean(xHat.flatMap((r) => {
      const sums = new Map<number, number>();
      r.forEach((v, k) => sums.set(groups(k), (sums.get(groups(k)) ?? 0) + v * v));
      return [...sums.values()].map((sq) => (Math.sqrt(sq) - 1) ** 2);
    }));
    // NHWC, row-major [2, 3, 2]: k = (h·3 + w)·2 + c.
    const lastAxis = overAxis((k) => Math.floor(k / 2));
    const firstAxis = overAxis((k) => k % 6);
    let hint = "the norm of example i runs over every entry of its gradient, [h, w, c] alike";
    if (near(got, lastAxis)) hint = "the norm was taken over the last axis (c) only: take it over all non-batch axes [1, 2, 3]";
    else if (near(got, firstAxis)) hint = "the norm was taken over axis 1 (h) only, as for [n, d] data: for images take it over all non-batch axes";
    expectClose(got, expected, "the penalty on images", { rtol: 1e-4, hint });
  },
};

// ---------------------------------------------------------------------------------------------------------
// A small tanh MLP critic, D(x) = v·tanh(xW + b) + c, in tfjs and in float64
// ---------------------------------------------------------------------------------------------------------

const W0 = [[0.9, -0.6, 0.3, 1.2], [0.4, 1.1, -0.8, 0.2], [-0.7, 0.5, 0.6, -1.0]]; // [3 in, 4 hidden]
const B0 = [0.1, -0.3, 0.2, 0.05];
const V0 = [1.3, -0.9, 1.6, 0.7];
const C0 = 0.2;
const M_REAL = [[0.5, -1.0, 0.3], [1.5, 0.2, -0.4], [-0.3, 0.7, 1.1], [0.0, -0.6, 0.8]];
const M_FAKE = [[-1.0, 0.4, 0.9], [0.2, -0.6, 0.1], [0.9, 1.1, -0.7], [1.4, 0.3, -1.2]];
const M_MIX = [0.25, 0.6, 0.9, 0.45];

/** Flat parameters: W (12, row-major [in][hidden]), b (4), v (4), c (1). */
const P0 = [...W0.flat(), ...B0, ...V0, C0];

function critic64(p: number[], x: number[]): number {
  let out = p[20];
  for (let j = 0; j < 4; j++) {
    let u = p[12 + j];
    for (let k = 0; k < 3; k++) u += x[k] * p[k * 4 + j];
    out += p[16 + j] * Math.tanh(u);
  }
  return out;
}

/** The penalty in float64, ∇ₓD by central differences (h = 1e-5: error ~1e-10 on this smooth critic). */
function penalty64(p: number[]): number {
  const h = 1e-5;
  const squares = interpolates(M_REAL, M_FAKE, M_MIX).map((x) => {
    let sq = 0;
    for (let k = 0; k < x.length; k++) {
      const up = [...x], down = [...x];
      up[k] += h;
      down[k] -= h;
      sq += ((critic64(p, up) - critic64(p, down)) / (2 * h)) ** 2;
    }
    return sq;
  });
  return penaltyFromSquares(squares);
}

interface MlpCritic {
  critic: (x: tf.Tensor) => tf.Tensor;
  variables: tf.Variable[];
  dispose(): void;
}

function mlpCritic(): MlpCritic {
  const variables = tf.tidy(() => [
    tf.variable(tf.tensor2d(W0)), tf.variable(tf.tensor1d(B0)), tf.variable(tf.tensor2d(V0, [4, 1])), tf.variable(tf.tensor1d([C0])),
  ]);
  const [W, b, v, c] = variables;
  return {
    critic: (x) => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, W), b)), v), c),
    variables,
    dispose: () => tf.dispose(variables),
  };
}

const mlpValue: GradeCase<GradientPenaltySubmission> = {
  name: "tanh MLP critic: the value against float64 finite differences of the critic",
  points: 2,
  run: async (s) => {
    const net = mlpCritic();
    try {
      const got = await penaltyValue(s, net.critic, M_REAL, M_FAKE, M_MIX);
      expectFinite([got], "the penalty");
      const norms = interpolates(M_REAL, M_FAKE, M_MIX).map((x) => {
        const g = [0, 1, 2].map((k) => {
          const up = [...x], down = [...x];
          up[k] += 1e-5;
          down[k] -= 1e-5;
          return (critic64(P0, up) - critic64(P0, down)) / 2e-5;
        });
        return norm(g);
      });
      expectClose(got, penalty64(P0), "the penalty", { rtol: 1e-4, hint: slipHint(got, norms) || "the gradient is that of the critic's output with respect to its input x̂" });
    } finally {
      net.dispose();
    }
  },
};

const mlpWeightGradient: GradeCase<GradientPenaltySubmission> = {
  name: "tanh MLP critic: the penalty's gradient w.r.t. the critic's weights (double backprop) against finite differences",
  points: 3,
  run: async (s) => {
    const net = mlpCritic();
    try {
      const analytic = await callSubmission(WHAT, () => tf.tidy((): number[] => {
        const real = tf.tensor2d(M_REAL), fake = tf.tensor2d(M_FAKE), mix = tf.tensor2d(M_MIX, [4, 1]);
        let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
        try {
          result = tf.variableGrads(() => {
            const out = s(net.critic, real, fake, mix);
            expectShape(out, [], "the penalty");
            return out;
          }, net.variables);
        } catch (error) {
          if (error instanceof Error && /Cannot find a connection/.test(error.message)) {
            fail("the penalty does not depend on the critic's weights: ∇D(x̂) must stay a tensor on the gradient tape (no dataSync/arraySync, no new tensor from its numbers), so that the critic's update can differentiate through it");
          }
          throw error;
        }
        // W is [in, hidden] in both; a weight the penalty does not reach (the output bias c) has no entry.
        return net.variables.flatMap((v) => (result.grads[v.name] ? Array.from(result.grads[v.name].dataSync()) : new Array<number>(v.size).fill(0)));
      }));
      expectFinite(analytic, "the gradient w.r.t. the critic's weights");
      const h = 1e-5;
      const numeric = P0.map((_, k) => {
        const up = [...P0], down = [...P0];
        up[k] += h;
        down[k] -= h;
        return (penalty64(up) - penalty64(down)) / (2 * h);
      });
      expectClose(analytic, numeric, "∂penalty/∂(critic's weights)", {
        rtol: 1e-3, atol: 1e-3,
        hint: "the value may be right while its gradient is not if part of the computation left the tape; compute ∇D(x̂) with tf.grad inside the penalty, on tensors only",
      });
    } finally {
      net.dispose();
    }
  },
};

const constantCritic: GradeCase<GradientPenaltySubmission> = {
  name: "a constant critic (∇D = 0): a finite penalty λ(√ε − 1)² ≈ 10 and a zero, not NaN, gradient w.r.t. its weights",
  points: 2,
  run: async (s) => {
    const w = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -0.5, 1])));
    try {
      // D(x) = Σ (0·x)·w: the output does not depend on x, yet it is a function of the weights w.
      const critic = (x: tf.Tensor) => tf.sum(tf.mul(tf.mul(x, 0), w), 1);
      const [value, ...gradient] = await callSubmission(WHAT, () => tf.tidy((): number[] => {
        const real = tf.tensor2d(LIN_REAL), fake = tf.tensor2d(LIN_FAKE), mix = tf.tensor2d(LIN_MIX, [5, 1]);
        const { value: v, grads } = tf.variableGrads(() => {
          const out = s(critic, real, fake, mix);
          expectShape(out, [], "the penalty");
          return out;
        }, [w]);
        return [v.dataSync()[0], ...(grads[w.name] ? Array.from(grads[w.name].dataSync()) : [0, 0, 0])];
      }));
      expectFinite([value], "the penalty of a constant critic", "a zero gradient has norm 0; the penalty is then λ·(0 − 1)² up to the ε inside the root");
      // √ε with ε anywhere from 0 to 1e-6 changes λ(√ε − 1)² by at most 0.2 %.
      expectClose(value, LAMBDA * (Math.sqrt(1e-10) - 1) ** 2, "the penalty of a constant critic", { rtol: 3e-3 });
      expectFinite(gradient, "the gradient w.r.t. the weights of a constant critic",
        "d√s/ds = 1/(2√s) is infinite at s = 0, and 0·∞ is NaN: add a small ε (e.g. 1e-10) to the sum of squares inside the square root");
      expectClose(gradient, [0, 0, 0], "the gradient w.r.t. the weights of a constant critic", { atol: 1e-6 });
    } finally {
      w.dispose();
    }
  },
};

const noLeaks: GradeCase<GradientPenaltySubmission> = {
  name: "no tensors left behind: a call leaves only the scalar it returns",
  run: async (s) => {
    const w = tf.tensor1d([2, 2, 1]);
    const real = tf.tensor2d(LIN_REAL), fake = tf.tensor2d(LIN_FAKE), mix = tf.tensor2d(LIN_MIX, [5, 1]);
    try {
      const before = tf.memory().numTensors;
      const out = await callSubmission(WHAT, () => s(linearCritic(w), real, fake, mix));
      const extra = tf.memory().numTensors - before - (out instanceof tf.Tensor ? 1 : 0);
      tf.dispose(out);
      if (extra > 0) {
        fail(`one call left ${extra} tensor${extra === 1 ? "" : "s"} besides the result: wrap the computation in tf.tidy (its intermediates — x̂, the gradient, the norms — are freed, the returned scalar kept)`);
      }
    } finally {
      tf.dispose([w, real, fake, mix]);
    }
  },
};

/**
 * The training case: the critic of a WGAN-GP, penalised by the submission, trained against a FIXED generator
 * (its optimizer's learning rate 0, as in lesson 13 and test/models/wgan-gp.test.ts) on data N(3, 0.5²). The
 * penalty is soft: a critic of slope s on the stretch between the two distributions gains s·W₁ and pays
 * λ(s − 1)², so its slope settles at s* = 1 + W₁/(2λ) (≈ 1.15 here), which the run must reach.
 */
export const PENALTY_TRAINING = {
  steps: 60, criticSteps: 5, batchSize: 64, learningRate: 1e-2, seed: 3, samples: 20000, interpolates: 1000,
  /**
   * Measured with the reference over 10 seeds (assignments/margins/gradient-penalty.js): the mean slope lands
   * 0.001–0.039 from s* = 1.145–1.164, so the tolerance is twice the worst. The slips, same seeds: |gap| in
   * place of gap² settles near 1 (0.93–1.09, 0.06–0.22 below s*; the value cases catch it anyway); without λ the
   * slope is 2.4–2.55; with one norm over the whole batch 0.13 (1/√64 of the target).
   */
  tolerance: 0.08,
};

const trainsCritic: GradeCase<GradientPenaltySubmission> = {
  name: "WGAN-GP critic through train(): its slope on interpolates settles at the soft optimum 1 + W₁/(2λ) (≈ 1.15, within 0.08)",
  points: 3,
  run: async (s) => {
    const c = PENALTY_TRAINING;
    const generator = mlpGenerator({ latentSize: 2, dataSize: 1, hiddenSizes: [16], activation: "relu" });
    const discriminator = mlpDiscriminator({ dataSize: 1, hiddenSizes: [16, 16], activation: "relu" });
    const spec = wganGpSpec({ latentDim: 2, learningRate: c.learningRate, criticSteps: c.criticSteps, generator, discriminator });
    // The student's penalty in place of the library's, with one ε ~ U[0, 1] per example (Algorithm 1, line 4).
    spec.extraDiscriminatorLoss = ({ real, fake, discriminate }) => ({
      gradientPenalty: s((x) => discriminate(x).logits, real.x, fake, tf.randomUniform([real.x.shape[0], 1], 0, 1, "float32", nextSeed())),
    });
    const frozen = sgd(0);
    let result: Awaited<ReturnType<typeof train>>;
    try {
      try {
        result = await train({
          gan: spec, data: (n) => tf.randomNormal([n, 1], 3, 0.5, "float32", nextSeed()), steps: c.steps, batchSize: c.batchSize,
          seed: c.seed, optimizers: { generator: frozen },
        });
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        fail(`train() with your penalty threw ${message.split("\n")[0]}`);
      }
      Object.values(result.optimizers).forEach((o) => o !== frozen && o.dispose());
      const { w1, slope } = tf.tidy(() => {
        const fake = generator.apply(tf.randomNormal([c.samples, 2], 0, 1, "float32", 11)) as tf.Tensor;
        const real = tf.randomNormal([c.samples, 1], 3, 0.5, "float32", 12);
        const w1 = wasserstein1DFromSamples(fake.dataSync(), real.dataSync());
        const e = tf.randomUniform([c.interpolates, 1], 0, 1, "float32", 13);
        const xHat = tf.add(tf.mul(e, real.slice(0, c.interpolates)), tf.mul(tf.sub(1, e), fake.slice(0, c.interpolates)));
        const g = tf.grad((x: tf.Tensor) => tf.sum(discriminator.apply(x) as tf.Tensor))(xHat);
        return { w1, slope: tf.mean(tf.abs(g)).dataSync()[0] };
      });
      const target = 1 + w1 / (2 * LAMBDA);
      if (!(Math.abs(slope - target) <= c.tolerance)) {
        let why = "";
        if (slope > target + 0.5) why = ": far too steep, as when the penalty is too weak (is λ = 10 in it?)";
        else if (slope < 0.5) why = ": far too flat, as when one norm is taken over the whole batch instead of one per example";
        fail(
          `after ${c.steps} steps the critic's mean slope on interpolates is ${slope.toFixed(3)}, the soft optimum 1 + W₁/(2λ) = ${target.toFixed(3)} ` +
            `(W₁ = ${w1.toFixed(3)}; the reference lands within 0.04)${why}`,
        );
      }
    } finally {
      frozen.dispose();
      generator.dispose();
      discriminator.dispose();
    }
  },
};

export const gradientPenaltyGrader: Grader<GradientPenaltySubmission> = {
  id: "gradient-penalty",
  title: "Assignment 4: the WGAN-GP gradient penalty (Gulrajani et al. 2017, eq. 3)",
  expects: "a function (critic, real, fake, mix) => tf.Scalar",
  validate: aFunction(4, "(critic, real, fake, mix)"),
  cases: [returnsScalar, linearNormThree, twoSided, perExample, images, mlpValue, mlpWeightGradient, constantCritic, noLeaks, trainsCritic],
};
