import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { restoreMathRandom } from "../../../lib/engine/seed";
import { runGrader } from "../../../lib/grading/core";
import { ganLossesGrader, GanLossesSubmission } from "../../../lib/grading/graders/gan-losses";
import { minimaxDiscriminatorLoss, minimaxGeneratorLoss, nonSaturatingGeneratorLoss } from "../../../lib/losses";
import { failedCases as failed, notWritten } from "./helpers";

// The reference solution, as assignments/solutions/01-gan-losses.ipynb writes it.
function discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    // −log σ(ℓ) = softplus(−ℓ) and −log(1 − σ(ℓ)) = softplus(ℓ): no sigmoid is ever rounded to 0 or 1.
    const onReal = tf.mean(tf.softplus(tf.neg(realLogits)));
    const onFake = tf.mean(tf.softplus(fakeLogits));
    return tf.add(onReal, onFake) as tf.Scalar;
  });
}
function minimaxGeneratorLoss_(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.softplus(fakeLogits))) as tf.Scalar);
}
function nonSaturatingGeneratorLoss_(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))) as tf.Scalar);
}
const reference: GanLossesSubmission = {
  discriminatorLoss,
  minimaxGeneratorLoss: minimaxGeneratorLoss_,
  nonSaturatingGeneratorLoss: nonSaturatingGeneratorLoss_,
};

const blank: GanLossesSubmission = { discriminatorLoss: notWritten, minimaxGeneratorLoss: notWritten, nonSaturatingGeneratorLoss: notWritten };

// Typical mistakes.
/** Through the probability: log(σ(ℓ)) is log 0 = −∞ once σ(ℓ) rounds to 0 (ℓ ≲ −88) or 1 − σ(ℓ) to 0 (ℓ ≳ 17). */
const sigmoidThenLog: GanLossesSubmission = {
  discriminatorLoss: (r, f) =>
    tf.tidy(() => tf.neg(tf.mean(tf.log(tf.sigmoid(r)))).sub(tf.mean(tf.log(tf.sub(1, tf.sigmoid(f))))) as tf.Scalar),
  minimaxGeneratorLoss: (f) => tf.tidy(() => tf.mean(tf.log(tf.sub(1, tf.sigmoid(f)))) as tf.Scalar),
  nonSaturatingGeneratorLoss: (f) => tf.tidy(() => tf.neg(tf.mean(tf.log(tf.sigmoid(f)))) as tf.Scalar),
};
/** The non-saturating generator maximising −log D(G(z)) instead of minimising it: mean log D(G(z)). */
const wrongSign: GanLossesSubmission = {
  ...reference,
  nonSaturatingGeneratorLoss: (f) => tf.tidy(() => tf.mean(tf.softplus(tf.neg(f))).neg() as tf.Scalar),
};
/** Σ over the batch in place of the mean. */
const summed: GanLossesSubmission = {
  discriminatorLoss: (r, f) => tf.tidy(() => tf.add(tf.sum(tf.softplus(tf.neg(r))), tf.sum(tf.softplus(f))) as tf.Scalar),
  minimaxGeneratorLoss: (f) => tf.tidy(() => tf.neg(tf.sum(tf.softplus(f))) as tf.Scalar),
  nonSaturatingGeneratorLoss: (f) => tf.tidy(() => tf.sum(tf.softplus(tf.neg(f))) as tf.Scalar),
};
/** Right values, no tf.tidy: the intermediates stay alive. */
const untidy: GanLossesSubmission = {
  discriminatorLoss: (r, f) => tf.add(tf.mean(tf.softplus(tf.neg(r))), tf.mean(tf.softplus(f))) as tf.Scalar,
  minimaxGeneratorLoss: (f) => tf.neg(tf.mean(tf.softplus(f))) as tf.Scalar,
  nonSaturatingGeneratorLoss: (f) => tf.mean(tf.softplus(tf.neg(f))) as tf.Scalar,
};

/** The mean over axis 0 of a column: shape [1], not a scalar. */
const notScalar: GanLossesSubmission = {
  ...reference,
  nonSaturatingGeneratorLoss: (f) => tf.tidy(() => tf.mean(tf.softplus(tf.neg(f)), 0)) as unknown as tf.Scalar,
};

/** Right values through tf.logSigmoid, whose gradient fails in TensorFlow.js 4.22 when its input is computed. */
const logSigmoid: GanLossesSubmission = {
  discriminatorLoss: (r, f) => tf.tidy(() => tf.neg(tf.mean(tf.logSigmoid(r))).sub(tf.mean(tf.logSigmoid(tf.neg(f)))) as tf.Scalar),
  minimaxGeneratorLoss: (f) => tf.tidy(() => tf.mean(tf.logSigmoid(tf.neg(f))) as tf.Scalar),
  nonSaturatingGeneratorLoss: (f) => tf.tidy(() => tf.neg(tf.mean(tf.logSigmoid(f))) as tf.Scalar),
};

const names = ganLossesGrader.cases.map((c) => c.name);
/** The case names whose text starts with any of the prefixes (in the grader's order). */
const cases = (...prefixes: string[]) => names.filter((n) => prefixes.some((p) => n.startsWith(p)));

describe("grading/graders/gan-losses", () => {
  afterEach(() => restoreMathRandom());

  it("has distinct case names and full marks for the reference solution, without leaking", async () => {
    assert.equal(new Set(names).size, names.length);
    const before = tf.memory().numTensors;
    const report = await runGrader(ganLossesGrader, reference);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(failed(report), [], JSON.stringify(report.cases.filter((c) => !c.passed), null, 1));
    assert.equal(report.score, report.maxScore);
    assert.equal(report.maxScore, 16);
  });

  it("gives full marks to the library's own losses (lib/losses, after TF-GAN)", async () => {
    const report = await runGrader(ganLossesGrader, {
      discriminatorLoss: (r: tf.Tensor, f: tf.Tensor) => minimaxDiscriminatorLoss(r, f),
      minimaxGeneratorLoss: (f: tf.Tensor) => minimaxGeneratorLoss(f),
      nonSaturatingGeneratorLoss: (f: tf.Tensor) => nonSaturatingGeneratorLoss(f),
    });
    assert.deepEqual(failed(report), [], JSON.stringify(report.cases.filter((c) => !c.passed), null, 1));
  });

  it("fails every case of the blank template, with zero points", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(ganLossesGrader, blank);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(failed(report), names);
    assert.equal(report.score, 0);
    assert.ok(report.cases.every((c) => /not written yet/.test(c.reason ?? "")), JSON.stringify(report.cases.map((c) => c.reason)));
  });

  it("a loss through sigmoid then log loses exactly the extreme-logit cases, values and gradients", async () => {
    const report = await runGrader(ganLossesGrader, sigmoidThenLog);
    assert.deepEqual(failed(report), [names[1], names[2], names[4], names[5], names[7], names[8]]);
    assert.deepEqual(failed(report), cases(
      "discriminatorLoss: finite", "discriminatorLoss: gradients", "minimaxGeneratorLoss: finite", "minimaxGeneratorLoss: gradient",
      "nonSaturatingGeneratorLoss: finite", "nonSaturatingGeneratorLoss: gradient"));
    const hint = report.cases[7].reason ?? "";
    assert.match(hint, /NaN|infinite/);
    assert.match(hint, /from the logits, not from sigmoid/);
  });

  it("a non-saturating generator loss of the wrong sign loses its own cases, the saturation case and the training", async () => {
    const report = await runGrader(ganLossesGrader, wrongSign);
    assert.deepEqual(failed(report), cases("nonSaturatingGeneratorLoss", "where D rejects", "training"));
    assert.match(report.cases[6].reason ?? "", /sign is flipped/);
    assert.match(report.cases[12].reason ?? "", /check the signs/);
  });

  it("a sum over the batch loses exactly the three value cases, each saying so", async () => {
    const report = await runGrader(ganLossesGrader, summed);
    const valueCases = cases("discriminatorLoss: values", "minimaxGeneratorLoss: values", "nonSaturatingGeneratorLoss: values");
    assert.equal(valueCases.length, 3);
    assert.deepEqual(failed(report), valueCases);
    for (const c of report.cases.filter((c) => !c.passed)) assert.match(c.reason ?? "", /5 times the expected value.*mean/);
  });

  it("losses without tf.tidy lose exactly the leak case, and the grader cleans up after them", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(ganLossesGrader, untidy);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(failed(report), cases("no tensors leak"));
    assert.match(report.cases[10].reason ?? "", /discriminatorLoss left \d+ intermediate tensors alive.*tf\.tidy/);
  });

  it("a loss of shape [1] instead of a scalar loses exactly the scalar case and the training that needs one", async () => {
    const report = await runGrader(ganLossesGrader, notScalar);
    assert.deepEqual(failed(report), cases("every loss returns a scalar", "training"));
    assert.match(report.cases[9].reason ?? "", /nonSaturatingGeneratorLoss on logits of shape \[5, 1\] has shape \[1\], expected \[\]/);
  });

  it("losses through tf.logSigmoid lose the gradient cases that run it on computed logits, with a hint that says why", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(ganLossesGrader, logSigmoid);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(failed(report), cases("discriminatorLoss: gradients", "minimaxGeneratorLoss: gradient", "nonSaturatingGeneratorLoss: gradient", "where D rejects", "training"));
    for (const c of report.cases.filter((c) => !c.passed)) assert.match(c.reason ?? "", /tf\.logSigmoid's gradient/);
  });

  it("says what is wrong with the form of a submission", async () => {
    assert.match(ganLossesGrader.validate(discriminatorLoss) ?? "", /one object/);
    assert.match(ganLossesGrader.validate({ discriminatorLoss }) ?? "", /no function minimaxGeneratorLoss, nonSaturatingGeneratorLoss/);
    assert.equal(ganLossesGrader.validate(reference), undefined);
    const report = await runGrader(ganLossesGrader, null);
    assert.equal(report.score, 0);
  });
});
