import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { GradeReport, runGrader } from "../../../lib/grading/core";
import {
  handPowerIteration, matrixWithSingularValues, orthonormalColumns, PowerIteration, powerIterationGrader,
} from "../../../lib/grading/graders/power-iteration";
import { makeRandom } from "../../../lib/engine/seed";
import { exactSpectralNorm } from "../../../lib/layers/spectral-norm";
import { failedCases as failed } from "./helpers";

// The reference solution, as in assignments/solutions/05-power-iteration.ipynb.
const EPSILON = 1e-12;

function powerIteration(W: tf.Tensor2D, u: tf.Tensor1D, iterations: number): { sigma: tf.Scalar; u: tf.Tensor1D; v: tf.Tensor1D } {
  return tf.tidy(() => {
    const normalize = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x), EPSILON)) as tf.Tensor1D;
    let left = u;
    let right = normalize(tf.dot(left, W)); // v = Wᵀu / ‖Wᵀu‖
    left = normalize(tf.dot(W, right)); //     u = W v / ‖W v‖
    for (let i = 1; i < iterations; i++) {
      right = normalize(tf.dot(left, W));
      left = normalize(tf.dot(W, right));
    }
    return { sigma: tf.dot(left, tf.dot(W, right)) as tf.Scalar, u: left, v: right };
  });
}

interface Mistakes {
  /** v ← Wᵀu without normalising it. */
  unnormalizedV?: boolean;
  /** ε of the normalisation (0: x / ‖x‖). */
  epsilon?: number;
  /** W taken as [columns, rows]: v ← normalize(W u), u ← normalize(Wᵀ v). */
  transposed?: boolean;
  /** Returns the u it was given instead of the updated one. */
  returnsStartingU?: boolean;
  /** σ = ‖W v‖ instead of uᵀ W v (the same number: not a mistake). */
  sigmaAsNorm?: boolean;
}

/** The reference with one typical mistake. */
function variant(m: Mistakes): PowerIteration {
  const eps = m.epsilon ?? EPSILON;
  return (W, u, iterations) =>
    tf.tidy(() => {
      const normalize = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x), eps)) as tf.Tensor1D;
      const w = m.transposed ? (tf.transpose(W) as tf.Tensor2D) : W;
      let left = u;
      let right = u;
      for (let i = 0; i < iterations; i++) {
        const wtu = tf.dot(left, w) as tf.Tensor1D;
        right = m.unnormalizedV ? wtu : normalize(wtu);
        left = normalize(tf.dot(w, right));
      }
      const sigma = (m.sigmaAsNorm ? tf.norm(tf.dot(w, right)) : tf.dot(left, tf.dot(w, right))) as tf.Scalar;
      return { sigma, u: m.returnsStartingU ? tf.clone(u) : left, v: right };
    });
}

const blank: PowerIteration = () => {
  throw new Error("not written yet: replace this line with your code");
};

/** The full name of the case whose name starts with `prefix`. */
function caseNamed(prefix: string): string {
  const found = powerIterationGrader.cases.filter((c) => c.name.startsWith(prefix));
  assert.equal(found.length, 1, `one case starts with "${prefix}"`);
  return found[0].name;
}

const reasons = (report: GradeReport) => report.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason}`).join("\n");

const ONE_ITERATION = caseNamed("one iteration");
const MONOTONE = caseNamed("σ rises monotonically");
const UNIT = caseNamed("u and v have unit length");
const SINGULAR_VECTORS = caseNamed("after 60 iterations u and v");
const TALL = caseNamed("tall W");
const WIDE = caseNamed("wide W");
const RANK_ONE = caseNamed("rank-1 W");
const ZERO = caseNamed("W = 0");
const LAYER = caseNamed("the library's spectralNormDense");
const TRAINING = caseNamed("training:");

describe("grading/graders/power-iteration", function () {
  this.timeout(60000);

  it("the test matrices have the singular values they are built with (Householder QR, float64)", () => {
    const q = orthonormalColumns(7, 4, makeRandom(1));
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let s = 0;
        for (let i = 0; i < 7; i++) s += q.data[i * 4 + a] * q.data[i * 4 + b];
        assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-13, `QᵀQ[${a}, ${b}] = ${s}`);
      }
    }
    for (const [rows, cols, s] of [[6, 6, [2, 1.8, 1.2, 0.9, 0.5, 0.2]], [8, 3, [1.7, 0.9, 0.4]], [3, 8, [2.4, 1.1, 0.6]]] as const) {
      const known = matrixWithSingularValues(rows, cols, [...s], 3);
      // exactSpectralNorm takes a kernel [in, out] = Wᵀ.
      const wt = tf.tidy(() => tf.transpose(tf.tensor2d(Float32Array.from(known.w.data), [rows, cols])));
      assert.ok(Math.abs(exactSpectralNorm(wt) - s[0]) < 1e-5, `${rows}×${cols}: exact σ ${exactSpectralNorm(wt)} vs ${s[0]}`);
      wt.dispose();
      // The float64 power iteration converges to s_max and to the top singular vectors.
      const it = handPowerIteration(known.w, Float64Array.from({ length: rows }, (_, i) => (i === 0 ? 1 : 0.3)), 200);
      assert.ok(Math.abs(it.sigma - s[0]) < 1e-11, `σ ${it.sigma}`); // uᵀWv = ‖Wv‖²/(‖Wv‖ + ε): 2ε below s_max
      const cos = Math.abs(it.u.reduce((a, x, i) => a + x * known.left[i], 0));
      assert.ok(Math.abs(cos - 1) < 1e-12, `|cos(u, left)| = ${cos}`);
    }
  });

  it("the reference solution gets full marks", async () => {
    const report = await runGrader(powerIterationGrader, powerIteration);
    assert.deepEqual(failed(report), [], reasons(report));
    assert.equal(report.score, report.maxScore);
    assert.equal(report.maxScore, 17);
  });

  it("σ = ‖W v‖ instead of uᵀ W v is the same number (u = W v / ‖W v‖), and gets full marks too", async () => {
    const report = await runGrader(powerIterationGrader, variant({ sigmaAsNorm: true }));
    assert.deepEqual(failed(report), [], reasons(report));
  });

  it("the blank template fails every case", async () => {
    const report = await runGrader(powerIterationGrader, blank);
    assert.equal(report.score, 0);
    assert.ok(report.cases.every((c) => !c.passed && /not written yet/.test(c.reason ?? "")), reasons(report));
  });

  it("a submission that is not a function fails every case, saying what was expected", async () => {
    const report = await runGrader(powerIterationGrader, { powerIteration });
    assert.equal(report.score, 0);
    assert.match(report.cases[0].reason ?? "", /not a function \(expected a function powerIteration\(W, u, iterations\)/);
  });

  it("v not normalised: σ tends to s_max², so every value case fails, not the form, directions, W = 0 or leaks", async () => {
    const report = await runGrader(powerIterationGrader, variant({ unnormalizedV: true }));
    assert.deepEqual(failed(report), [ONE_ITERATION, MONOTONE, UNIT, TALL, WIDE, RANK_ONE, LAYER, TRAINING], reasons(report));
    assert.match(report.cases.find((c) => c.name === MONOTONE)?.reason ?? "", /above s_max/);
  });

  it("no ε in the normalisation: only W = 0 fails (NaN)", async () => {
    const report = await runGrader(powerIterationGrader, variant({ epsilon: 0 }));
    assert.deepEqual(failed(report), [ZERO], reasons(report));
    assert.match(report.cases.find((c) => c.name === ZERO)?.reason ?? "", /NaN.*ε/);
  });

  it("W transposed: square matrices still converge, but the hand step, the singular vectors and every non-square case fail", async () => {
    const report = await runGrader(powerIterationGrader, variant({ transposed: true }));
    assert.deepEqual(failed(report), [ONE_ITERATION, SINGULAR_VECTORS, TALL, WIDE, RANK_ONE, LAYER, TRAINING], reasons(report));
    assert.match(report.cases.find((c) => c.name === SINGULAR_VECTORS)?.reason ?? "", /swapped/);
    assert.match(report.cases.find((c) => c.name === TALL)?.reason ?? "", /u has one entry per row/);
  });

  it("returns the starting u: σ is right for one call, but u is stale, so the layer and the training lose it", async () => {
    const report = await runGrader(powerIterationGrader, variant({ returnsStartingU: true }));
    assert.deepEqual(failed(report), [ONE_ITERATION, SINGULAR_VECTORS, LAYER, TRAINING], reasons(report));
    assert.match(report.cases.find((c) => c.name === TRAINING)?.reason ?? "", /exact σ\(W\) averaged 1\.\d+.*your σ was on average below the layer.s true σ.*return the updated u/);
  });

  it("grading leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    await runGrader(powerIterationGrader, powerIteration);
    await runGrader(powerIterationGrader, variant({ returnsStartingU: true }));
    await runGrader(powerIterationGrader, blank);
    assert.equal(tf.memory().numTensors, before);
  });
});
