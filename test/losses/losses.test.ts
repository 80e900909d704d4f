import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import {
  GAN_LOSSES, ganLoss, sigmoidCrossEntropyWithLogits, reduceWeightedLoss,
  minimaxDiscriminatorLoss, minimaxGeneratorLoss, nonSaturatingGeneratorLoss, maximumLikelihoodGeneratorLoss,
  wassersteinDiscriminatorLoss, wassersteinGeneratorLoss, hingeDiscriminatorLoss, hingeGeneratorLoss,
  leastSquaresDiscriminatorLoss, leastSquaresGeneratorLoss, DiscriminatorLoss, GeneratorLoss,
  acganClassLoss, classIds, gradientPenalty, GradientPenaltyOptions,
} from "../../lib/losses";
import { generatorCostCurves } from "../../lib/theory";
import { engineInfo, useBackend } from "../../lib/engine/backend";

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
    // Which discriminators are critics (raw scores) and which output logits of a probability.
    assert.deepEqual(
      Object.fromEntries(Object.entries(GAN_LOSSES).map(([k, v]) => [k, v.critic])),
      { minimax: false, "non-saturating": false, "maximum-likelihood": false, wasserstein: true, hinge: true, "least-squares": true },
    );
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

  describe("acganClassLoss and classIds", () => {
    const ids = (values: number[]) => tf.tensor1d(values, "int32");

    it("equals the hand-computed mean negative log-likelihood for ids, columns and one-hot rows", () => {
      // Row 1, label 0: −log(e²/(e² + 2)) = log(1 + 2e⁻²) = 0.2395448; row 2, label 2: −log(1/(e + 2)) = log(e + 2) = 1.5514448.
      const expected = (Math.log(1 + 2 * Math.exp(-2)) + Math.log(Math.E + 2)) / 2;
      close(expected, 0.8954947, 1e-6);
      const logits = tf.tensor2d([[2, 0, 0], [0, 1, 0]]);
      const forms = [ids([0, 2]), tf.tensor2d([[0], [2]], [2, 1], "int32"), tf.tensor2d([[1, 0, 0], [0, 0, 1]])];
      for (const labels of forms) {
        assert.deepEqual(Array.from(classIds(labels, 3).dataSync()), [0, 2]);
        const loss = acganClassLoss(logits, labels);
        assert.equal(loss.rank, 0);
        close(value(loss), expected, 1e-6);
      }
      // Stable for huge logits: −log softmax([1000, 0])[1] = 1000 exactly, not Infinity.
      const big = tf.tensor2d([[1000, 0]]);
      close(value(acganClassLoss(big, ids([1]))), 1000, 1e-6);
      tf.dispose([logits, big, ...forms]);
      assert.throws(() => acganClassLoss(tf.zeros([2, 3]), ids([0])), /2 rows of logits but 1 labels/);
      assert.throws(() => classIds(tf.zeros([2, 4]), 3), /labels must be \[batch\] class ids, a \[batch, 1\] column or \[batch, 3\] one-hot rows; got shape \[2,4\]/);
    });
  });

  describe("gradientPenalty (Gulrajani et al. 2017, eq. 3)", () => {
    /** The linear critic x ↦ Σ w·x over all non-batch axes: its gradient is w everywhere. */
    const linearCritic = (w: tf.Tensor) => (x: tf.Tensor) => tf.sum(tf.mul(x, w), x.shape.slice(1).map((_, i) => i + 1));
    const table: Array<{ what: string; w: number[]; options: GradientPenaltyOptions; expected: number }> = [
      { what: "‖w‖ = 3, λ = 10", w: [2, 2, 1], options: {}, expected: 10 * (3 - 1) ** 2 },
      { what: "‖w‖ = 1: no penalty", w: [0.6, 0.8, 0], options: {}, expected: 0 },
      { what: "‖w‖ = 0.5, two-sided", w: [0.3, 0.4, 0], options: {}, expected: 10 * 0.25 },
      { what: "‖w‖ = 0.5, one-sided: no penalty below 1", w: [0.3, 0.4, 0], options: { oneSided: true }, expected: 0 },
      { what: "‖w‖ = 3, one-sided", w: [2, 2, 1], options: { oneSided: true }, expected: 40 },
      { what: "λ = 0.1 (the paper's toy setting)", w: [2, 2, 1], options: { weight: 0.1 }, expected: 0.4 },
      { what: "DRAGAN's perturbed real points", w: [2, 2, 1], options: { points: "perturbed-real" }, expected: 40 },
    ];
    for (const row of table) {
      it(`linear critic: (‖w‖ − 1)² exactly, whatever the points — ${row.what}`, () => {
        const w = tf.tensor1d(row.w);
        const real = tf.randomNormal([5, 3], 0, 1, "float32", 1), fake = tf.randomNormal([5, 3], 2, 1, "float32", 2);
        close(value(gradientPenalty(linearCritic(w), real, fake, row.options)), row.expected, 1e-5, row.what);
        tf.dispose([w, real, fake]);
      });
    }

    it("takes the norm over all non-batch axes of image-shaped inputs", () => {
      // w of shape [2, 2, 1] with entries 1, 1, 1, 1: ‖w‖ = 2 → 10·(2 − 1)² = 10.
      const w = tf.ones([2, 2, 1]);
      const real = tf.randomUniform([4, 2, 2, 1], -1, 1, "float32", 3), fake = tf.randomUniform([4, 2, 2, 1], -1, 1, "float32", 4);
      close(value(gradientPenalty(linearCritic(w), real, fake)), 10, 1e-5);
      tf.dispose([w, real, fake]);
    });

    it("a constant critic: a finite penalty and a zero, not NaN, gradient (ε inside the square root)", () => {
      const w = tf.variable(tf.tensor1d([0.5, -0.5, 1]));
      const constant = (x: tf.Tensor) => tf.sum(tf.mul(tf.mul(x, 0), w), 1); // ∇ₓD = 0·w = 0
      const real = tf.ones([3, 3]), fake = tf.zeros([3, 3]);
      const grads = (options: GradientPenaltyOptions) => tf.tidy(() => {
        const { value: v, grads: g } = tf.variableGrads(() => gradientPenalty(constant, real, fake, options), [w]);
        return [v.dataSync()[0], ...Array.from(g[w.name].dataSync())];
      });
      const [penalty, ...gradient] = grads({});
      close(penalty, 10 * (Math.sqrt(1e-10) - 1) ** 2, 1e-5, "penalty");
      assert.deepEqual(gradient.map((g) => g === 0), [true, true, true], `gradient ${gradient}`);
      // Without ε the square root's derivative at 0 is infinite, and 0·∞ is NaN: the known failure.
      const [, ...naive] = grads({ epsilon: 0 });
      assert.ok(naive.some(Number.isNaN), `without ε the gradient should be NaN, got ${naive}`);
      tf.dispose([w, real, fake]);
    });

    for (const [activation, backend] of [["tanh", "cpu"], ["tanh", "wasm"], ["leakyRelu", "cpu"], ["leakyRelu", "wasm"]] as const) {
      it(`${activation} MLP critic on ${backend}: value and gradient w.r.t. the weights match float64 by hand and finite differences`, async () => {
        const initial = engineInfo().choice;
        await useBackend(backend);
        try {
        // D(x) = v·φ(W x + b): ∇ₓD = Wᵀ(v ⊙ φ'(W x + b)). With fixed mixing weights the penalty is a function of
        // (W, b, v) alone, computed here in float64, differentiated by central differences.
        const W0 = [[0.7, -0.4], [0.2, 0.9], [-0.5, 0.3]], b0 = [0.1, -0.2, 0.05], v0 = [0.8, -1.1, 0.6];
        const real = [[0.5, -1], [1.5, 0.2], [-0.3, 0.7]], fake = [[-1, 0.4], [0.2, -0.6], [0.9, 1.1]];
        const mix = [0.25, 0.6, 0.9];
        const dphi = activation === "tanh" ? (u: number) => 1 - Math.tanh(u) ** 2 : (u: number) => (u > 0 ? 1 : 0.2);
        const penalty64 = (p: number[]) => {
          const W = [[p[0], p[1]], [p[2], p[3]], [p[4], p[5]]], b = p.slice(6, 9), v = p.slice(9, 12);
          let total = 0;
          for (let i = 0; i < 3; i++) {
            const x = [0, 1].map((k) => mix[i] * real[i][k] + (1 - mix[i]) * fake[i][k]);
            const u = W.map((row, j) => row[0] * x[0] + row[1] * x[1] + b[j]);
            const g = [0, 1].map((k) => W.reduce((acc, row, j) => acc + row[k] * v[j] * dphi(u[j]), 0));
            total += (Math.sqrt(g[0] ** 2 + g[1] ** 2 + 1e-10) - 1) ** 2;
          }
          return 10 * total / 3;
        };
        const p0 = [...W0.flat(), ...b0, ...v0];
        const W = tf.variable(tf.tensor2d(W0).transpose()), b = tf.variable(tf.tensor1d(b0)), v = tf.variable(tf.tensor2d(v0, [3, 1]));
        const act = (u: tf.Tensor) => (activation === "tanh" ? tf.tanh(u) : tf.leakyRelu(u, 0.2));
        const critic = (x: tf.Tensor) => tf.matMul(act(tf.add(tf.matMul(x, W), b)), v);
        const realT = tf.tensor2d(real), fakeT = tf.tensor2d(fake), mixT = tf.tensor1d(mix);
        const { value: pv, grads } = tf.variableGrads(() => gradientPenalty(critic, realT, fakeT, { mix: mixT }), [W, b, v]);
        close(pv.dataSync()[0], penalty64(p0), 1e-5, "penalty value");
        // tfjs's W is the transpose of the hand formula's: map it back.
        const gW = grads[W.name].transpose().dataSync(), gb = grads[b.name].dataSync(), gv = grads[v.name].dataSync();
        const analytic = [...Array.from(gW), ...Array.from(gb), ...Array.from(gv)];
        const h = 1e-6;
        p0.forEach((_, k) => {
          const up = [...p0], down = [...p0];
          up[k] += h; down[k] -= h;
          const numeric = (penalty64(up) - penalty64(down)) / (2 * h);
          assert.ok(Math.abs(analytic[k] - numeric) <= 2e-4 * (1 + Math.abs(numeric)), `parameter ${k}: tfjs ${analytic[k]}, finite differences ${numeric}`);
        });
        tf.dispose([W, b, v, realT, fakeT, mixT, pv, ...Object.values(grads)]);
        } finally {
          await useBackend(initial);
        }
      });
    }

    it("leaves no tensors behind and rejects bad input", () => {
      const w = tf.tensor1d([1, 2]);
      const real = tf.zeros([2, 2]), fake = tf.ones([2, 2]);
      const before = tf.memory().numTensors;
      value(gradientPenalty(linearCritic(w), real, fake));
      assert.equal(tf.memory().numTensors, before);
      assert.throws(() => gradientPenalty(linearCritic(w), real, tf.ones([3, 2])), /real and fake must have the same shape, got \[2,2\] and \[3,2\]/);
      assert.throws(() => gradientPenalty(linearCritic(w), real, fake, { points: "midpoints" as never }), /points must be "interpolates" or "perturbed-real"/);
      assert.throws(() => gradientPenalty(linearCritic(w), real, fake, { weight: -1 }), /weight must be a finite number ≥ 0/);
      tf.dispose([w, real, fake]);
    });
  });
});
