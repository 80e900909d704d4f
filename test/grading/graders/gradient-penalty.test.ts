import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { restoreMathRandom } from "../../../lib/engine/seed";
import { runGrader, GradeReport } from "../../../lib/grading/core";
import { gradientPenaltyGrader, GradientPenaltySubmission } from "../../../lib/grading/graders/gradient-penalty";
import { caseNamer, failedCases, notWritten } from "./helpers";

const names = gradientPenaltyGrader.cases.map((c) => c.name);
const named = caseNamer(gradientPenaltyGrader);

// The reference solution, as in assignments/solutions/04-gradient-penalty.ipynb.

/**
 * WGAN-GP's gradient penalty (Gulrajani et al. 2017, eq. 3): λ·mean_i (‖∇D(x̂_i)‖₂ − 1)², λ = 10, on
 * x̂ = ε·x + (1 − ε)·x̃ with the mixing weights `mix` ([n, 1, …, 1]); the norm per example over all non-batch
 * axes, with ε' = 1e-10 inside the square root.
 */
function gradientPenalty(critic: (x: tf.Tensor) => tf.Tensor, real: tf.Tensor, fake: tf.Tensor, mix: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const xHat = tf.add(tf.mul(mix, real), tf.mul(tf.sub(1, mix), fake));
    // Each score depends on its own example only, so the gradient of their sum holds every ∇D(x̂_i).
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(xHat);
    const axes = real.shape.slice(1).map((_, i) => i + 1);
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(gradient), axes), 1e-10));
    return tf.mul(10, tf.mean(tf.square(tf.sub(norms, 1)))) as tf.Scalar;
  });
}

/** The reference with one slip, for the wrong solutions. */
function variant(slip: "no-epsilon" | "batch-norm" | "last-axis" | "no-lambda" | "no-square" | "no-tidy"): GradientPenaltySubmission {
  return (critic, real, fake, mix) => {
    const body = () => {
      const xHat = tf.add(tf.mul(mix, real), tf.mul(tf.sub(1, mix), fake));
      const gradient = tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(xHat);
      const axes = slip === "last-axis" ? [real.rank - 1] : real.shape.slice(1).map((_, i) => i + 1);
      let squares = tf.sum(tf.square(gradient), axes);
      if (slip === "batch-norm") squares = tf.sum(squares);
      const norms = tf.sqrt(slip === "no-epsilon" ? squares : tf.add(squares, 1e-10));
      const gap = tf.sub(norms, 1);
      return tf.mul(slip === "no-lambda" ? 1 : 10, tf.mean(slip === "no-square" ? tf.abs(gap) : tf.square(gap))) as tf.Scalar;
    };
    return slip === "no-tidy" ? body() : tf.tidy(body);
  };
}


const reasonOf = (report: GradeReport, fragment: string) => report.cases.find((c) => c.name.includes(fragment))?.reason ?? "";

describe("grading/graders/gradient-penalty (assignment 4)", function () {
  this.timeout(120000);
  afterEach(() => restoreMathRandom());

  it("the reference solution gets full marks, without leaking a tensor", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(gradientPenaltyGrader, gradientPenalty);
    assert.equal(tf.memory().numTensors, before, "tensors after grading");
    assert.deepEqual(failedCases(report), [], JSON.stringify(report.cases.filter((c) => !c.passed), null, 1));
    assert.equal(report.score, report.maxScore);
    console.log(`      ${report.cases.map((c) => `${c.seconds.toFixed(1)} s`).join(", ")}`);
  });

  it("the blank template fails every case", async () => {
    const report = await runGrader(gradientPenaltyGrader, notWritten);
    assert.deepEqual(failedCases(report), names);
    assert.equal(report.score, 0);
    assert.ok(report.cases.every((c) => /not written yet/.test(c.reason ?? "")), JSON.stringify(report.cases.map((c) => c.reason)));
  });

  it("a function of the wrong form fails every case with what is wrong", async () => {
    const report = await runGrader(gradientPenaltyGrader, (critic: unknown, real: unknown, fake: unknown) => [critic, real, fake]);
    assert.deepEqual(failedCases(report), names);
    assert.match(report.cases[0].reason ?? "", /takes 3 arguments; it should take \(critic, real, fake, mix\)/);
  });

  it("no ε inside the square root: loses only the constant critic (a NaN gradient)", async () => {
    const report = await runGrader(gradientPenaltyGrader, variant("no-epsilon"));
    assert.deepEqual(failedCases(report), named("constant critic"));
    assert.match(reasonOf(report, "constant critic"), /NaN.*inside the square root/);
  });

  it("one norm over the whole batch: loses every case with more than one example's gradient to tell apart", async () => {
    const report = await runGrader(gradientPenaltyGrader, variant("batch-norm"));
    assert.deepEqual(failedCases(report), named("‖w‖ = 3", "‖w‖ = 1 and", "per-example", "images", "value against", "double backprop", "soft optimum"));
    assert.match(reasonOf(report, "per-example"), /ONE norm over the whole batch/);
    assert.match(reasonOf(report, "soft optimum"), /far too flat/);
  });

  it("the norm over the last axis only: loses only the images", async () => {
    const report = await runGrader(gradientPenaltyGrader, variant("last-axis"));
    assert.deepEqual(failedCases(report), named("images"));
    assert.match(reasonOf(report, "images"), /last axis \(c\) only/);
  });

  it("λ forgotten: loses every value, the gradient and the training", async () => {
    const report = await runGrader(gradientPenaltyGrader, variant("no-lambda"));
    assert.deepEqual(failedCases(report), named("‖w‖ = 3", "‖w‖ = 1 and", "per-example", "images", "value against", "double backprop", "constant critic", "soft optimum"));
    assert.match(reasonOf(report, "‖w‖ = 3"), /multiply by λ = 10/);
    assert.match(reasonOf(report, "soft optimum"), /far too steep/);
  });

  it("the gap not squared: loses the values and the gradient (its critic's slope, near 1, is within the training case's margin)", async () => {
    const report = await runGrader(gradientPenaltyGrader, variant("no-square"));
    assert.deepEqual(failedCases(report), named("‖w‖ = 3", "‖w‖ = 1 and", "per-example", "images", "value against", "double backprop"));
    assert.match(reasonOf(report, "‖w‖ = 3"), /is squared/);
  });

  it("no tf.tidy: loses only the leak case", async () => {
    const report = await runGrader(gradientPenaltyGrader, variant("no-tidy"));
    assert.deepEqual(failedCases(report), named("no tensors left behind"));
    assert.match(reasonOf(report, "no tensors left behind"), /tf\.tidy/);
  });
});
