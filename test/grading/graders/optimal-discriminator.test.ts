import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { restoreMathRandom } from "../../../lib/engine/seed";
import { runGrader } from "../../../lib/grading/core";
import { optimalDiscriminatorGrader, OptimalDiscriminatorSubmission } from "../../../lib/grading/graders/optimal-discriminator";
import { jsDivergence, linspace, optimalDiscriminator as libraryOptimalDiscriminator, optimalValue } from "../../../lib/theory";
import { failedCases as failed, notWritten } from "./helpers";

// The reference solution, as assignments/solutions/02-optimal-discriminator.ipynb writes it.
function optimalDiscriminator(pData: ArrayLike<number>, pModel: ArrayLike<number>): Float64Array {
  const d = new Float64Array(pData.length);
  for (let i = 0; i < d.length; i++) {
    const total = pData[i] + pModel[i];
    // Where both densities are 0, V does not depend on D: the convention is ½.
    d[i] = total > 0 ? pData[i] / total : 0.5;
  }
  return d;
}
function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>, dx: number): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const m = 0.5 * (p[i] + q[i]);
    // ½ p log(p/m) + ½ q log(q/m), a term with zero density counting 0 (0·log 0 = 0).
    if (p[i] > 0) total += 0.5 * p[i] * (Math.log(p[i]) - Math.log(m));
    if (q[i] > 0) total += 0.5 * q[i] * (Math.log(q[i]) - Math.log(m));
  }
  return total * dx;
}
function valueAtOptimum(pData: ArrayLike<number>, pModel: ArrayLike<number>, dx: number): number {
  let total = 0;
  for (let i = 0; i < pData.length; i++) {
    const p = pData[i], q = pModel[i];
    // log D* = log p − log(p + q) and log(1 − D*) = log q − log(p + q): no 1 − D* rounded to 0.
    const logTotal = Math.log(p + q);
    if (p > 0) total += p * (Math.log(p) - logTotal);
    if (q > 0) total += q * (Math.log(q) - logTotal);
  }
  return total * dx;
}
const reference: OptimalDiscriminatorSubmission = { optimalDiscriminator, jensenShannon, valueAtOptimum };

const blank: OptimalDiscriminatorSubmission = { optimalDiscriminator: notWritten, jensenShannon: notWritten, valueAtOptimum: notWritten };

// Typical mistakes.
/** The densities swapped: the probability of FAKE. */
const swapped: OptimalDiscriminatorSubmission = {
  ...reference,
  optimalDiscriminator: (p, q) => Float64Array.from({ length: p.length }, (_, i) => (p[i] + q[i] > 0 ? q[i] / (p[i] + q[i]) : 0.5)),
};
/** An ε in the denominator instead of the convention: 0 where both densities vanish, and a shift where they are small. */
const epsilonGuard: OptimalDiscriminatorSubmission = {
  ...reference,
  optimalDiscriminator: (p, q) => Float64Array.from({ length: p.length }, (_, i) => p[i] / (p[i] + q[i] + 1e-12)),
};
/** JS in bits (log base 2). */
const bits: OptimalDiscriminatorSubmission = { ...reference, jensenShannon: (p, q, dx) => jensenShannon(p, q, dx) / Math.LN2 };
/** 0·log 0 evaluated as 0·(−∞) = NaN. */
const noZeroConvention: OptimalDiscriminatorSubmission = {
  ...reference,
  jensenShannon: (p, q, dx) => {
    let total = 0;
    for (let i = 0; i < p.length; i++) {
      const m = 0.5 * (p[i] + q[i]);
      total += 0.5 * p[i] * Math.log(p[i] / m) + 0.5 * q[i] * Math.log(q[i] / m);
    }
    return total * dx;
  },
};
/** KL(p ‖ q) in place of JS (zero terms guarded). */
const klInstead: OptimalDiscriminatorSubmission = {
  ...reference,
  jensenShannon: (p, q, dx) => {
    let total = 0;
    for (let i = 0; i < p.length; i++) if (p[i] > 0) total += p[i] * Math.log(p[i] / q[i]);
    return total * dx;
  },
};
/** V through the student's D*, with 1 − D* formed by subtraction (zero densities guarded). */
const throughDStar: OptimalDiscriminatorSubmission = {
  ...reference,
  valueAtOptimum: (p, q, dx) => {
    const d = optimalDiscriminator(p, q);
    let total = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] > 0) total += p[i] * Math.log(d[i]);
      if (q[i] > 0) total += q[i] * Math.log(1 - d[i]);
    }
    return total * dx;
  },
};

const names = optimalDiscriminatorGrader.cases.map((c) => c.name);
const cases = (...prefixes: string[]) => names.filter((n) => prefixes.some((p) => n.startsWith(p)));

describe("grading/graders/optimal-discriminator", () => {
  afterEach(() => restoreMathRandom());

  it("the reference solution agrees with lib/theory.ts on a grid whose densities vanish at its ends", () => {
    const xs = linspace(-8, 8, 801);
    const dx = 16 / 800;
    const p = xs.map((x) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
    const q = xs.map((x) => Math.exp(-0.5 * ((x - 1) / 0.7) ** 2) / (0.7 * Math.sqrt(2 * Math.PI)));
    assert.deepEqual(Array.from(optimalDiscriminator(p, q)), Array.from(libraryOptimalDiscriminator(p, q)));
    assert.ok(Math.abs(jensenShannon(p, q, dx) - jsDivergence(xs, p, q)) < 1e-13);
    assert.ok(Math.abs(valueAtOptimum(p, q, dx) - optimalValue(xs, p, q)) < 1e-13);
  });

  it("has distinct case names and full marks for the reference solution, without leaking", async () => {
    assert.equal(new Set(names).size, names.length);
    const before = tf.memory().numTensors;
    const report = await runGrader(optimalDiscriminatorGrader, reference);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(failed(report), [], JSON.stringify(report.cases.filter((c) => !c.passed), null, 1));
    assert.equal(report.score, report.maxScore);
    assert.equal(report.maxScore, 14);
  });

  it("fails every case of the blank template, with zero points", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(optimalDiscriminatorGrader, blank);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(failed(report), names);
    assert.equal(report.score, 0);
    assert.ok(report.cases.every((c) => /not written yet/.test(c.reason ?? "")));
  });

  it("a swapped D* loses its value cases, the maximum and the training, and is told it is 1 − D*", async () => {
    const report = await runGrader(optimalDiscriminatorGrader, swapped);
    assert.deepEqual(failed(report), cases(
      "optimalDiscriminator: hand values", "optimalDiscriminator: ½ where both", "optimalDiscriminator maximises", "training"));
    assert.match(report.cases[0].reason ?? "", /you returned 1 − D\*/);
    assert.match(report.cases[11].reason ?? "", /check your optimalDiscriminator/);
  });

  it("an ε in D*'s denominator loses the cases of small and zero densities only", async () => {
    const report = await runGrader(optimalDiscriminatorGrader, epsilonGuard);
    assert.deepEqual(failed(report), cases("optimalDiscriminator: hand values", "optimalDiscriminator: ½ where both", "optimalDiscriminator: in [0, 1]"));
    assert.match(report.cases[0].reason ?? "", /close but not exact: a small ε/);
  });

  it("JS in bits loses log 2, the values and Theorem 1", async () => {
    const report = await runGrader(optimalDiscriminatorGrader, bits);
    assert.deepEqual(failed(report), cases("jensenShannon: log 2", "jensenShannon: values", "Theorem 1"));
  });

  it("JS without 0·log 0 = 0 loses exactly the cases with zero densities (disjoint supports)", async () => {
    const report = await runGrader(optimalDiscriminatorGrader, noZeroConvention);
    assert.deepEqual(failed(report), cases("jensenShannon: log 2", "Theorem 1"));
    assert.match(report.cases[6].reason ?? "", /0·log 0 = 0/);
  });

  it("KL in place of JS loses symmetry, log 2, the values and Theorem 1, not the zero of equal densities", async () => {
    const report = await runGrader(optimalDiscriminatorGrader, klInstead);
    assert.deepEqual(failed(report), cases("jensenShannon: symmetric", "jensenShannon: log 2", "jensenShannon: values", "Theorem 1"));
  });

  it("V(D*, G) through 1 − D* loses exactly the far-tails case", async () => {
    const report = await runGrader(optimalDiscriminatorGrader, throughDStar);
    assert.deepEqual(failed(report), cases("valueAtOptimum: finite and exact"));
    assert.match(report.cases[10].reason ?? "", /infinite.*D\* rounds to exactly 0 or 1/);
  });

  it("says what is wrong with the form of a submission", async () => {
    assert.match(optimalDiscriminatorGrader.validate(optimalDiscriminator) ?? "", /one object/);
    assert.match(optimalDiscriminatorGrader.validate({ optimalDiscriminator }) ?? "", /no function jensenShannon, valueAtOptimum/);
    assert.equal(optimalDiscriminatorGrader.validate(reference), undefined);
    const report = await runGrader(optimalDiscriminatorGrader, { ...reference, optimalDiscriminator: () => "0.5" });
    assert.match(report.cases[0].reason ?? "", /return an array/);
  });
});
