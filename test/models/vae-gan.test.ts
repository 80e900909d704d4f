import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../lib/engine/seed";
import { sgd } from "../../lib/engine/optimizers";
import { train } from "../../lib/train/loop";
import type { Network } from "../../lib/train/types";
import { buildVanillaGenerator } from "../../lib/models/vanilla-gan";
import {
  buildVaeDecoder, buildVaeEncoder, buildVaeGanDiscriminator, gaussianKlToStandardNormal, gaussianReconstructionLoss, reparameterize,
  vaeGame, vaeGanGame, vaeReconstruct,
} from "../../lib/models/vae-gan";

const small = { imageShape: [4, 4, 1] as [number, number, number], latentDim: 3, hiddenSizes: [8] };
const images = () => tf.tidy(() => tf.randomUniform([8, 4, 4, 1], -1, 1));
const snapshot = (n: Network) => (n.trainableWeights as Array<tf.Variable | { read(): tf.Tensor }>).map((w) =>
  Array.from((w instanceof tf.Variable ? w : w.read()).dataSync()));
const changed = (a: number[][], b: number[][]) => a.some((w, i) => w.some((v, j) => v !== b[i][j]));

describe("models/vae-gan (Larsen et al. 2016; Kingma & Welling 2014)", () => {
  it("the KL term equals its closed form for given μ and σ (hand values)", () => {
    // ½ Σ (μ² + σ² − log σ² − 1): row 1 μ = (1, 0), σ² = (1, 4) → ½(1 + (4 − log 4 − 1)) = 2 − ½ log 4;
    // row 2 μ = (0, 0), σ² = (1, 1) → 0. The batch mean is half of row 1.
    const kl = gaussianKlToStandardNormal(tf.tensor2d([[1, 0], [0, 0]]), tf.tensor2d([[0, Math.log(4)], [0, 0]]));
    const want = (2 - 0.5 * Math.log(4)) / 2;
    assert.ok(Math.abs(kl.dataSync()[0] - want) < 1e-6, `${kl.dataSync()[0]} vs ${want}`);
    assert.throws(() => gaussianKlToStandardNormal(tf.zeros([2, 3]), tf.zeros([2, 2])), /must both be \[batch, latentDim\]/);
    kl.dispose();
  });

  it("the reparameterised sample has mean μ and variance σ², and its gradients reach μ and log σ²", () => {
    seed(1);
    const n = 20000;
    const z = reparameterize(tf.fill([n, 1], 2), tf.fill([n, 1], Math.log(9)));
    const v = Array.from(z.dataSync());
    const m = v.reduce((a, b) => a + b, 0) / n;
    const variance = v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    // Standard errors: 3/√n ≈ 0.021 for the mean, 9·√(2/n) ≈ 0.09 for the variance.
    assert.ok(Math.abs(m - 2) < 0.08, `mean ${m}`);
    assert.ok(Math.abs(variance - 9) < 0.4, `variance ${variance}`);
    // d z / d μ = 1, d z / d log σ² = ½ σ ε.
    const eps = tf.tensor2d([[0.5, -1.5]]);
    const mu = tf.tensor2d([[0.1, 0.2]]), lv = tf.tensor2d([[Math.log(4), 0]]);
    const [gMu, gLv] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(reparameterize(a, b, eps)))([mu, lv]);
    assert.deepEqual(Array.from(gMu.dataSync()), [1, 1]);
    const g = Array.from(gLv.dataSync());
    [0.5 * 2 * 0.5, 0.5 * 1 * -1.5].forEach((want, i) => assert.ok(Math.abs(g[i] - want) < 1e-6, `∂z/∂logσ²[${i}] ${g[i]} vs ${want}`));
    tf.dispose([z, eps, mu, lv, gMu, gLv]);
  });

  it("the Gaussian reconstruction loss is Σ(a − b)²/2σ² per example, batch-averaged (hand values)", () => {
    const a = tf.tensor2d([[1, 2], [0, 0]]), b = tf.tensor2d([[0, 0], [0, 3]]);
    // row 1: (1 + 4)/2, row 2: 9/2 → mean 3.5; with σ = 0.5 four times that.
    assert.ok(Math.abs(gaussianReconstructionLoss(a, b).dataSync()[0] - 3.5) < 1e-6);
    assert.ok(Math.abs(gaussianReconstructionLoss(a, b, 0.5).dataSync()[0] - 14) < 1e-5);
    assert.throws(() => gaussianReconstructionLoss(a, tf.zeros([2, 3])), /differ in shape/);
    tf.dispose([a, b]);
  });

  it("networks: the encoder gives [μ, log σ²] with σ = 1 at the start; D gives [logit, features]", () => {
    const e = buildVaeEncoder(small), d = buildVaeGanDiscriminator(small);
    const x = images();
    const [mu, lv] = e.apply(x) as tf.Tensor[];
    assert.deepEqual(mu.shape, [8, 3]);
    assert.deepEqual(Array.from(lv.dataSync()), new Array(24).fill(0));
    const [logit, features] = d.apply(x) as tf.Tensor[];
    assert.deepEqual(logit.shape, [8, 1]);
    assert.deepEqual(features.shape, [8, 8]);
    tf.dispose([x, mu, lv, logit, features]);
    e.dispose(); d.dispose();
    assert.throws(() => vaeGanGame({ gamma: -1 }), /gamma must be a finite number ≥ 0/);
    assert.throws(() => vaeGame({ imageShape: [28, 28] as unknown as [number, number, number] }), /imageShape must be \[height, width, channels\]/);
  });

  it("each VAE-GAN player trains only its own network; the encoder has no GAN term", async () => {
    for (const player of ["encoder", "decoder", "discriminator"] as const) {
      seed(3);
      const frozen = Object.fromEntries(["encoder", "decoder", "discriminator"].filter((p) => p !== player).map((p) => [p, sgd(0)]));
      const game = vaeGanGame({ ...small, optimizers: { ...frozen, [player]: sgd(0.1) } });
      const before = Object.fromEntries(Object.entries(game.networks).map(([k, n]) => [k, snapshot(n)]));
      const { history } = await train({ gan: game, data: images, steps: 1, batchSize: 8, seed: 3 });
      const moved = Object.entries(game.networks).filter(([k, n]) => changed(before[k], snapshot(n))).map(([k]) => k);
      assert.deepEqual(moved, [player], `with only ${player} learning`);
      assert.deepEqual(Object.keys(history.players.encoder.terms).sort(), ["featureReconstruction", "prior"]);
      assert.deepEqual(Object.keys(history.players.decoder.terms).sort(), ["adversarial", "featureReconstruction"]);
      Object.values(game.networks).forEach((n) => (n as tf.LayersModel).dispose());
    }
  });

  it("D's loss counts reconstructions and prior samples as fake: −log D(x) − log(1 − D(G(z))) − log(1 − D(x̃))", async () => {
    seed(4);
    // A decoder that ignores its code (a fixed image plus 0·Σz, so it has a weight to train): then G(z) and x̃
    // are that image whatever the draws, and the loss has a hand value from D alone.
    const image = tf.tidy(() => tf.randomUniform([1, 4, 4, 1], -1, 1));
    const w = tf.variable(tf.scalar(0));
    const decoder: Network = {
      trainableWeights: [w],
      apply: (z) => tf.tidy(() => tf.tile(image, [(z as tf.Tensor).shape[0], 1, 1, 1]).add(tf.sum(z as tf.Tensor).mul(w))),
    };
    const game = vaeGanGame({ ...small, decoder, optimizers: { encoder: sgd(0), decoder: sgd(0), discriminator: sgd(0) } });
    const batch = images();
    const { history } = await train({ gan: game, data: () => batch.clone(), steps: 1, batchSize: 8, seed: 4 });
    const logitsOf = (x: tf.Tensor) => Array.from(((game.networks.discriminator.apply(x) as tf.Tensor[])[0]).dataSync());
    const softplus = (v: number) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
    const real = logitsOf(batch), fake = logitsOf(image)[0];
    const want = real.reduce((a, l) => a + softplus(-l), 0) / real.length + 2 * softplus(fake);
    const d = history.players.discriminator;
    assert.ok(Math.abs(d.terms.adversarial[0] - want) < 1e-5, `${d.terms.adversarial[0]} vs ${want}`);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    assert.ok(Math.abs(d.scores.fake[0] - sigmoid(fake)) < 1e-6 && Math.abs(d.scores.reconstruction[0] - sigmoid(fake)) < 1e-6);
    tf.dispose([image, w, batch]);
    [game.networks.encoder, game.networks.discriminator].forEach((n) => (n as tf.LayersModel).dispose());
  });

  it("featureSigma scales the feature term by 1/σ², and decoderHiddenSizes builds a smaller decoder", async () => {
    const termsWith = async (featureSigma: number) => {
      seed(7);
      const game = vaeGanGame({ ...small, featureSigma, optimizers: { encoder: sgd(0), decoder: sgd(0), discriminator: sgd(0) } });
      const { history } = await train({ gan: game, data: images, steps: 1, batchSize: 8, seed: 7 });
      Object.values(game.networks).forEach((n) => (n as tf.LayersModel).dispose());
      return [history.players.encoder.terms.featureReconstruction[0], history.players.decoder.terms.featureReconstruction[0]];
    };
    const [unit, tenth] = [await termsWith(1), await termsWith(0.1)];
    unit.forEach((u, i) => assert.ok(Math.abs(tenth[i] / u - 100) < 1e-3, `term ${i}: ${tenth[i]} / ${u}`));
    // By default the decoder is the vanilla GAN's generator, layer for layer.
    const classes = (m: tf.LayersModel) => m.layers.map((l) => l.getClassName() + l.countParams()).join();
    const [standard, vanilla] = [buildVaeDecoder(), buildVanillaGenerator({ latentDim: 32 })];
    assert.equal(classes(standard), classes(vanilla));
    standard.dispose(); vanilla.dispose();
    const decoder = buildVaeDecoder({ ...small, decoderHiddenSizes: [5, 7] });
    assert.deepEqual(decoder.outputs[0].shape, [null, 4, 4, 1]);
    assert.equal(decoder.layers.filter((l) => ["Dense", "TsganFusedDense"].includes(l.getClassName())).map((l) => (l as tf.layers.Layer).getWeights()[0].shape[1]).join(), "5,7,16");
    decoder.dispose();
    assert.throws(() => vaeGanGame({ ...small, featureSigma: 0 }), /featureSigma/);
  });

  it("the VAE and the VAE-GAN train without a tensor leak per step, and the VAE's reconstruction error falls", async function () {
    this.timeout(60000);
    seed(6);
    // Two prototypes, eight copies each: a code of 3 numbers can tell them apart.
    const fixed = tf.tidy(() => tf.tile(tf.randomUniform([2, 4, 4, 1], -1, 1).sign(), [8, 1, 1, 1]));
    for (const game of [vaeGame({ ...small, learningRate: 3e-3 }), vaeGanGame(small)]) {
      const counts: number[] = [];
      const { history } = await train({
        gan: game, data: () => fixed.clone(), steps: 60, batchSize: 16, seed: 6,
        callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
      });
      assert.deepEqual(counts.slice(1), Array(counts.length - 1).fill(counts[0]), "numTensors per step");
      if (history.players.vae) {
        const r = history.players.vae.terms.reconstruction;
        assert.ok(r[r.length - 1] < 0.7 * r[0], `reconstruction ${r[0]} → ${r[r.length - 1]}`);
        const xr = vaeReconstruct(game, fixed);
        assert.deepEqual(xr.shape, fixed.shape);
        xr.dispose();
      }
      Object.values(game.networks).forEach((n) => (n as tf.LayersModel).dispose());
    }
    fixed.dispose();
  });
});
