import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { restoreMathRandom } from "../../../lib/engine/seed";
import { minimaxDiscriminatorLoss, minimaxGeneratorLoss, nonSaturatingGeneratorLoss } from "../../../lib/losses";
import type { LossTerms, PlayerContext } from "../../../lib/train/types";
import { runGrader } from "../../../lib/grading/core";
import { trainingStepGrader, TrainingStepSubmission } from "../../../lib/grading/graders/training-step";
import { caseNamer, failedCases, notWritten } from "./helpers";

const names = trainingStepGrader.cases.map((c) => c.name);
const named = caseNamer(trainingStepGrader);

// The reference solution, as in assignments/solutions/03-training-step.ipynb (tsgan.* there).

/** The discriminator's loss at one of its updates (Goodfellow et al. 2014, Algorithm 1, the inner loop). */
function discriminatorPlayerLoss(ctx: PlayerContext): LossTerms {
  // G(z) is data for this update: computed off the gradient tape, so no gradient can reach G's weights.
  const fake = ctx.constant(() => ctx.run("generator", ctx.latent.z));
  const realLogits = ctx.run("discriminator", ctx.real.x);
  const fakeLogits = ctx.run("discriminator", fake);
  return { adversarial: minimaxDiscriminatorLoss(realLogits, fakeLogits) as tf.Scalar };
}

/** The generator's loss at its update: the non-saturating cost −E[log D(G(z))] (section 3). */
function generatorPlayerLoss(ctx: PlayerContext): LossTerms {
  const fakeLogits = ctx.run("discriminator", ctx.run("generator", ctx.latent.z));
  return { adversarial: nonSaturatingGeneratorLoss(fakeLogits) as tf.Scalar };
}

const reference: TrainingStepSubmission = { discriminatorPlayerLoss, generatorPlayerLoss };



describe("grading/graders/training-step (assignment 3)", function () {
  this.timeout(120000);
  afterEach(() => restoreMathRandom());

  it("the reference solution gets full marks, without leaking a tensor", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(trainingStepGrader, reference);
    assert.equal(tf.memory().numTensors, before, "tensors after grading");
    assert.deepEqual(failedCases(report), [], JSON.stringify(report.cases.filter((c) => !c.passed), null, 1));
    assert.equal(report.score, report.maxScore);
    assert.equal(report.maxScore, 16);
    console.log(`      ${report.cases.map((c) => `${c.seconds.toFixed(1)} s`).join(", ")}`);
  });

  it("the blank template fails every case", async () => {
    const report = await runGrader(trainingStepGrader, { discriminatorPlayerLoss: notWritten, generatorPlayerLoss: notWritten });
    assert.deepEqual(failedCases(report), names);
    assert.equal(report.score, 0);
    assert.ok(report.cases.every((c) => /not written yet/.test(c.reason ?? "")), JSON.stringify(report.cases.map((c) => c.reason)));
  });

  it("a submission of the wrong form fails every case with what is wrong", async () => {
    const report = await runGrader(trainingStepGrader, { discriminatorPlayerLoss });
    assert.deepEqual(failedCases(report), names);
    assert.match(report.cases[0].reason ?? "", /the object has no function generatorPlayerLoss/);
  });

  it("G(z) on D's tape (no constant): loses only the constant case", async () => {
    const report = await runGrader(trainingStepGrader, {
      discriminatorPlayerLoss: (ctx: PlayerContext) => {
        const fake = ctx.run("generator", ctx.latent.z);
        return { adversarial: minimaxDiscriminatorLoss(ctx.run("discriminator", ctx.real.x), ctx.run("discriminator", fake)) as tf.Scalar };
      },
      generatorPlayerLoss,
    });
    assert.deepEqual(failedCases(report), named("treats G(z) as a constant"));
    assert.match(report.cases.find((c) => !c.passed)?.reason ?? "", /sends a gradient into G's weights/);
  });

  it("the saturating minimax cost for G: loses G's value, G's gradient and the library comparison (the ring trains anyway)", async () => {
    const report = await runGrader(trainingStepGrader, {
      discriminatorPlayerLoss,
      generatorPlayerLoss: (ctx: PlayerContext) => ({
        adversarial: minimaxGeneratorLoss(ctx.run("discriminator", ctx.run("generator", ctx.latent.z))) as tf.Scalar,
      }),
    });
    assert.deepEqual(failedCases(report), named("non-saturating", "gradient through D", "equal the library"));
    assert.match(report.cases.find((c) => c.name.includes("non-saturating"))?.reason ?? "", /saturating minimax cost/);
  });

  it("real and generated swapped in D's loss: loses D's value, the comparison and the ring", async () => {
    const report = await runGrader(trainingStepGrader, {
      discriminatorPlayerLoss: (ctx: PlayerContext) => {
        const fake = ctx.constant(() => ctx.run("generator", ctx.latent.z));
        return { adversarial: minimaxDiscriminatorLoss(ctx.run("discriminator", fake), ctx.run("discriminator", ctx.real.x)) as tf.Scalar };
      },
      generatorPlayerLoss,
    });
    assert.deepEqual(failedCases(report), named("on a linear D and G", "equal the library", "ring"));
    assert.match(report.cases.find((c) => !c.passed)?.reason ?? "", /swapped/);
  });

  it("G(z) made a constant in G's own loss: loses every case that needs G to learn", async () => {
    const report = await runGrader(trainingStepGrader, {
      discriminatorPlayerLoss,
      generatorPlayerLoss: (ctx: PlayerContext) => {
        const fake = ctx.constant(() => ctx.run("generator", ctx.latent.z));
        return { adversarial: nonSaturatingGeneratorLoss(ctx.run("discriminator", fake)) as tf.Scalar };
      },
    });
    assert.deepEqual(failedCases(report), named("gradient through D", "equal the library", "no tensors left behind", "ring"));
    assert.match(report.cases.find((c) => c.name.includes("gradient through D"))?.reason ?? "", /no gradient reaches G's weights/);
  });

  it("a G loss that keeps its samples (to plot them) and never frees them: loses every case that calls it", async () => {
    const kept: tf.Tensor[] = [];
    const report = await runGrader(trainingStepGrader, {
      discriminatorPlayerLoss,
      generatorPlayerLoss: (ctx: PlayerContext) => {
        const fake = ctx.run("generator", ctx.latent.z);
        kept.push(tf.keep(fake.clone()));
        return { adversarial: nonSaturatingGeneratorLoss(ctx.run("discriminator", fake)) as tf.Scalar };
      },
    });
    tf.dispose(kept);
    assert.deepEqual(failedCases(report), named("named scalar terms", "non-saturating", "gradient through D", "equal the library", "no tensors left behind", "ring"));
    assert.match(report.cases.find((c) => c.name.includes("no tensors left behind"))?.reason ?? "", /1\.0 per round.*tf\.keep/);
  });
});
