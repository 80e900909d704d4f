import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import {
  GAN_LOSSES, ganLoss, sigmoidCrossEntropyWithLogits, reduceWeightedLoss,
  minimaxDiscriminatorLoss, minimaxGeneratorLoss, nonSaturatingGeneratorLoss, maximumLikelihoodGeneratorLoss,
  wassersteinDiscriminatorLoss, wassersteinGeneratorLoss, hingeDiscriminatorLoss, hingeGeneratorLoss,
  leastSquaresDiscriminatorLoss, leastSquaresGeneratorLoss, DiscriminatorLoss, GeneratorLoss,
} from "../../lib/losses";
import { generatorCostCurves } from "../../lib/theory";

/** float32 arithmetic: 1e-5 relative + absolute. */
function close(actual: number, expected: number, tol = 1e-5, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

function value(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

// The fixture: logits chosen so that every sigmoid and softplus has a closed form.
//   real logits      r = [0, ln 3]   → D(x)    = [1/2, 3/4]
//   generated logits g = [−ln 3, 0]  → D(G(z)) = [1/4, 1/2]
// softplus(0) = ln 2, softplus(ln 3) = ln(1 + 3) = ln 4, softplus(−ln 3) = ln(1 + 1/3) = ln(4/3).
const LN2 = Math.log(2), LN3 = Math.log(3);
const REAL = [0, LN3];
const GENERATED = [-LN3, 0];

const discriminatorTable: Array<{ name: string; loss: DiscriminatorLoss; expected: number }> = [
  // −mean log D(x) − mean log(1 − D(G(z))) = mean softplus(−r) + mean softplus(g)
  //   = (ln 2 + ln(4/3))/2 + (ln(4/3) + ln 2)/2 = ln(8/3) ≈ 0.980829
  { name: "minimax", loss: minimaxDiscriminatorLoss, expected: Math.log(8 / 3) },
  // mean g − mean r = −ln3/2 − ln3/2 = −ln 3 ≈ −1.098612
  { name: "wasserstein", loss: wassersteinDiscriminatorLoss, expected: -LN3 },
  // mean relu(1 − r) + mean relu(1 + g) = (1 + 0)/2 + (0 + 1)/2 = 1   (1 − ln3 < 0)
  { name: "hinge", loss: hingeDiscriminatorLoss, expected: 1 },
  // ½·mean (r − 1)² + ½·mean g² = (1 + (ln3 − 1)²)/4 + (ln3)²/4 ≈ 0.252431 + 0.301737 = 0.554168
  { name: "least-squares", loss: leastSquaresDiscriminatorLoss, expected: (1 + (LN3 - 1) ** 2) / 4 + LN3 ** 2 / 4 },
];

const generatorTable: Array<{ name: string; loss: GeneratorLoss; expected: number }> = [
  // mean log(1 − D(G(z))) = −mean softplus(g) = −(ln(4/3) + ln 2)/2 = −ln(8/3)/2 ≈ −0.490415
  { name: "minimax", loss: minimaxGeneratorLoss, expected: -Math.log(8 / 3) / 2 },
  // −mean log D(G(z)) = mean softplus(−g) = (ln 4 + ln 2)/2 = 1.5·ln 2 ≈ 1.039721
  { name: "non-saturating", loss: nonSaturatingGeneratorLoss, expected: 1.5 * LN2 },
  // −½·mean exp(g) = −½·(1/3 + 1)/2 = −1/3
  { name: "maximum-likelihood", loss: maximumLikelihoodGeneratorLoss, expected: -1 / 3 },
  // −mean g = ln3/2 ≈ 0.549306
  { name: "wasserstein", loss: wassersteinGeneratorLoss, expected: LN3 / 2 },
  { name: "hinge", loss: hingeGeneratorLoss, expected: LN3 / 2 },
  // ½·mean (g − 1)² = ((ln3 + 1)² + 1)/4 ≈ (4.404174 + 1)/4 = 1.351043
  { name: "least-squares", loss: leastSquaresGeneratorLoss, expected: ((LN3 + 1) ** 2 + 1) / 4 },
];

describe("losses", () => {
  describe("sigmoidCrossEntropyWithLogits", () => {
    it("matches −[y log σ(l) + (1 − y) log(1 − σ(l))] and stays finite at ±50", () => {
      const logits = [-50, -3, 0, 0.7, 3, 50];
      const labels = [1, 0, 0.5, 1, 0.25, 0];
      const ce = sigmoidCrossEntropyWithLogits(tf.tensor1d(labels), tf.tensor1d(logits)).dataSync();
      logits.forEach((l, i) => {
        const y = labels[i];
        // Reference in float64, stable by hand: log σ(l) = −softplus(−l), log(1 − σ(l)) = −softplus(l).
        const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
        close(ce[i], y * softplus(-l) + (1 - y) * softplus(l), 1e-5, `l=${l}, y=${y}`);
      });
      // l = −50, y = 1: 50 + log1p(e^−50) = 50; l = 50, y = 0: 50.
      close(ce[0], 50, 1e-6, "l=-50");
      close(ce[5], 50, 1e-6, "l=50");
    });

    it("has gradient σ(l) − y, finite at ±50", () => {
      const logits = tf.tensor1d([-50, -2, 0, 2, 50]);
      const labels = tf.tensor1d([1, 1, 0, 0, 0]);
      const g = tf.grad((l: tf.Tensor) => sigmoidCrossEntropyWithLogits(labels, l).sum())(logits).dataSync();
      // σ(−50) − 1 = −1; σ(−2) − 1 = −0.880797; σ(0) = 0.5; σ(2) = 0.880797; σ(50) = 1
      [-1, 1 / (1 + Math.exp(2)) - 1, 0.5, 1 / (1 + Math.exp(-2)), 1].forEach((e, i) => close(g[i], e, 1e-5, `grad ${i}`));
    });
  });

  describe("discriminator losses on the fixture (reduction 'mean')", () => {
    for (const row of discriminatorTable) {
      it(`${row.name}: ${row.expected.toFixed(6)}`, () => {
        close(value(row.loss(tf.tensor1d(REAL), tf.tensor1d(GENERATED))), row.expected, 1e-5, row.name);
        // 'sum' adds two elements per half: exactly twice the mean here.
        close(value(row.loss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { reduction: "sum" })), 2 * row.expected, 1e-5, `${row.name} sum`);
        // 'none' keeps one loss per pair; their mean is the 'mean' loss.
        const none = row.loss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { reduction: "none" });
        assert.deepEqual(none.shape, [2]);
        close(value(none.mean()), row.expected, 1e-5, `${row.name} none`);
        none.dispose();
      });
    }
  });

  describe("generator losses on the fixture", () => {
    for (const row of generatorTable) {
      it(`${row.name}: ${row.expected.toFixed(6)}`, () => {
        close(value(row.loss(tf.tensor1d(GENERATED))), row.expected, 1e-5, row.name);
        close(value(row.loss(tf.tensor1d(GENERATED), { reduction: "sum" })), 2 * row.expected, 1e-5, `${row.name} sum`);
        // weights [1, 0] with 'mean' keep only the first element: mean over non-zero weights.
        const first = value(row.loss(tf.tensor1d([GENERATED[0]]), { reduction: "none" }));
        close(value(row.loss(tf.tensor1d(GENERATED), { weights: tf.tensor1d([1, 0]) })), first, 1e-5, `${row.name} weights`);
      });
    }
  });

  it("one-sided label smoothing moves only the real target to 1 − α (Salimans et al. 2016)", () => {
    // α = 0.1, real target 0.9: CE(0.9, l) = softplus(l) − 0.9·l.
    //   real: (ln 2 + (ln 4 − 0.9·ln 3))/2; generated unchanged: (ln(4/3) + ln 2)/2.
    const expected = (LN2 + (Math.log(4) - 0.9 * LN3)) / 2 + (Math.log(4 / 3) + LN2) / 2;
    close(value(minimaxDiscriminatorLoss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { labelSmoothing: 0.1 })), expected, 1e-5, "minimax α=0.1");
    // Least squares: ½·mean (r − 0.9)² + ½·mean g² = ((0.9)² + (ln3 − 0.9)²)/4 + (ln3)²/4.
    const ls = (0.81 + (LN3 - 0.9) ** 2) / 4 + LN3 ** 2 / 4;
    close(value(leastSquaresDiscriminatorLoss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { labelSmoothing: 0.1 })), ls, 1e-5, "LS α=0.1");
    assert.throws(() => wassersteinDiscriminatorLoss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { labelSmoothing: 0.1 }), /no meaning/);
    assert.throws(() => minimaxDiscriminatorLoss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { labelSmoothing: 1 }), /\[0, 1\)/);
  });

  it("real and generated weights scale their halves (TF-GAN convention)", () => {
    // realWeights [1, 0]: real half = softplus(−0)/1 = ln 2; generatedWeights 2: generated half doubles.
    const expected = LN2 + 2 * (Math.log(4 / 3) + LN2) / 2;
    close(value(minimaxDiscriminatorLoss(tf.tensor1d(REAL), tf.tensor1d(GENERATED), { realWeights: tf.tensor1d([1, 0]), generatedWeights: 2 })), expected, 1e-5, "weights");
    // All-zero weights give 0, not NaN (0/0 → 0).
    close(value(reduceWeightedLoss(tf.tensor1d([1, 2]), 0, "mean")), 0, 0, "zero weights");
  });

  it("rejects 'none' on batches of different sizes and unknown reductions", () => {
    assert.throws(() => minimaxDiscriminatorLoss(tf.zeros([3, 1]), tf.zeros([2, 1]), { reduction: "none" }), /same shape|one shape/);
    assert.throws(() => nonSaturatingGeneratorLoss(tf.zeros([2]), { reduction: "avg" as never }), /'mean', 'sum' or 'none'/);
    // Different batch sizes are fine with 'mean': ln 2 + ln 2 at zero logits.
    close(value(minimaxDiscriminatorLoss(tf.zeros([3, 1]), tf.zeros([2, 1]))), 2 * LN2, 1e-6, "3 vs 2");
  });

  describe("extreme logits ±50: finite values and gradients", () => {
    const extremes: Array<{ name: string; loss: GeneratorLoss; at50: number; atMinus50: number }> = [
      // log(1 − σ(50)) = −softplus(50) = −50; log(1 − σ(−50)) = −softplus(−50) ≈ −2e−22
      { name: "minimax", loss: minimaxGeneratorLoss, at50: -50, atMinus50: 0 },
      // −log σ(50) ≈ 2e−22; −log σ(−50) = softplus(50) = 50
      { name: "non-saturating", loss: nonSaturatingGeneratorLoss, at50: 0, atMinus50: 50 },
      // −½e^50 ≈ −2.592e21; −½e^−50 ≈ −1e−22
      { name: "maximum-likelihood", loss: maximumLikelihoodGeneratorLoss, at50: -0.5 * Math.exp(50), atMinus50: 0 },
      { name: "wasserstein", loss: wassersteinGeneratorLoss, at50: -50, atMinus50: 50 },
      // ½(50 − 1)² = 1200.5; ½(−51)² = 1300.5
      { name: "least-squares", loss: leastSquaresGeneratorLoss, at50: 1200.5, atMinus50: 1300.5 },
    ];
    for (const row of extremes) {
      it(`${row.name} generator`, () => {
        const x = tf.tensor1d([50, -50]);
        const v = row.loss(x, { reduction: "none" }).dataSync();
        close(v[0], row.at50, 1e-6, "l=50");
        close(v[1], row.atMinus50, 1e-6, "l=-50");
        const g = tf.grad((l: tf.Tensor) => row.loss(l, { reduction: "sum" }))(x).dataSync();
        assert.ok(Array.from(g).every(Number.isFinite), `gradient ${Array.from(g)}`);
      });
    }
    for (const row of discriminatorTable) {
      it(`${row.name} discriminator`, () => {
        for (const [r, f] of [[50, -50], [-50, 50]]) {
          const [gr, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => row.loss(a, b))([tf.tensor1d([r]), tf.tensor1d([f])]);
          const v = value(row.loss(tf.tensor1d([r]), tf.tensor1d([f])));
          assert.ok(Number.isFinite(v) && Number.isFinite(gr.dataSync()[0]) && Number.isFinite(gf.dataSync()[0]), `${row.name} at (${r}, ${f})`);
        }
      });
    }
    it("minimax discriminator: ≈ 0 when confident and right, 100 when confident and wrong", () => {
      close(value(minimaxDiscriminatorLoss(tf.tensor1d([50]), tf.tensor1d([-50]))), 0, 1e-6, "right");
      close(value(minimaxDiscriminatorLoss(tf.tensor1d([-50]), tf.tensor1d([50]))), 100, 1e-6, "wrong");
    });
  });

  it("generator cost gradients w.r.t. D(G(z)) match the closed forms (chapter figs. 6.6/6.7)", () => {
    const ds = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99];
    const curves = generatorCostCurves(ds);
    // Feed D through the logit σ⁻¹(D) = log D − log(1 − D), so tf.grad differentiates w.r.t. D itself.
    const asFunctionOfD = (loss: GeneratorLoss) => (d: tf.Tensor) => loss(tf.log(d).sub(tf.log1p(tf.neg(d))), { reduction: "sum" });
    const cases: Array<[string, GeneratorLoss, Float64Array, Float64Array]> = [
      ["minimax", minimaxGeneratorLoss, curves.minimax, curves.minimaxGradient],
      ["non-saturating", nonSaturatingGeneratorLoss, curves.nonSaturating, curves.nonSaturatingGradient],
      ["maximum-likelihood", maximumLikelihoodGeneratorLoss, curves.maximumLikelihood, curves.maximumLikelihoodGradient],
    ];
    for (const [name, loss, cost, gradient] of cases) {
      const d = tf.tensor1d(ds);
      const values = loss(tf.log(d).sub(tf.log1p(tf.neg(d))), { reduction: "none" }).dataSync();
      const grads = tf.grad(asFunctionOfD(loss))(d).dataSync();
      ds.forEach((x, i) => {
        close(values[i], cost[i], 1e-4, `${name} J(${x})`);
        close(grads[i], gradient[i], 1e-3, `${name} dJ/dD(${x})`);
      });
    }
    // The saturation the chapter points at: at D(G(z)) = 0.01 the minimax gradient is −1/0.99 ≈ −1.0101,
    // the non-saturating one −1/0.01 = −100.
    close(curves.minimaxGradient[0], -1 / 0.99, 1e-12, "minimax at 0.01");
    close(curves.nonSaturatingGradient[0], -100, 1e-12, "NS at 0.01");
  });

  it("GAN_LOSSES maps each name to its pair", () => {
    assert.deepEqual(Object.keys(GAN_LOSSES).sort(), ["hinge", "least-squares", "maximum-likelihood", "minimax", "non-saturating", "wasserstein"]);
    assert.equal(GAN_LOSSES["non-saturating"].discriminatorLoss, minimaxDiscriminatorLoss);
    assert.equal(GAN_LOSSES["non-saturating"].generatorLoss, nonSaturatingGeneratorLoss);
    assert.equal(GAN_LOSSES["maximum-likelihood"].generatorLoss, maximumLikelihoodGeneratorLoss);
    assert.equal(GAN_LOSSES.hinge.discriminatorLoss, hingeDiscriminatorLoss);
    assert.equal(ganLoss("least-squares").generatorLoss, leastSquaresGeneratorLoss);
    assert.throws(() => ganLoss("vanilla"), /unknown GAN loss 'vanilla'.*minimax/);
  });

  it("leaves no tensors behind", () => {
    const r = tf.randomNormal([8, 1]), g = tf.randomNormal([8, 1]), w = tf.ones([8, 1]);
    const before = tf.memory().numTensors;
    for (const name of Object.keys(GAN_LOSSES) as Array<keyof typeof GAN_LOSSES>) {
      GAN_LOSSES[name].discriminatorLoss(r, g, { realWeights: 0.5, generatedWeights: w }).dispose();
      GAN_LOSSES[name].generatorLoss(g, { weights: w }).dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([r, g, w]);
  });
});
