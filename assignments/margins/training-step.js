// Measures the ring case of the training-step grader with the reference solution over seeds.
const tsgan = require("../../build/lib/index.js");
const { tf } = tsgan;
const gr = require("../../build/lib/grading/graders/training-step.js");
const variant = process.argv[2] || "ref";
const dLoss = (ctx) => {
  const fake = ctx.constant(() => ctx.run("generator", ctx.latent.z));
  return { adversarial: tsgan.minimaxDiscriminatorLoss(ctx.run("discriminator", ctx.real.x), ctx.run("discriminator", fake)) };
};
const gLoss = (ctx) => {
  const f = ctx.run("discriminator", ctx.run("generator", ctx.latent.z));
  return { adversarial: variant === "sat" ? tsgan.minimaxGeneratorLoss(f) : tsgan.nonSaturatingGeneratorLoss(f) };
};
(async () => {
  await tsgan.ready({ ...process.env, TSGAN_QUIET: "1" });
  const c = gr.RING_TRAINING;
  for (let s = 1; s <= 10; s++) {
    tsgan.seed(s * 7);
    const ring = tsgan.ringOfGaussians({ std: c.std });
    const G = tsgan.mlpGenerator({ latentSize: 2, dataSize: 2, hiddenSizes: c.hiddenSizes });
    const D = tsgan.mlpDiscriminator({ dataSize: 2, hiddenSizes: c.hiddenSizes });
    const optimizers = { generator: tsgan.adam(c.learningRate, c.beta1), discriminator: tsgan.adam(c.learningRate, c.beta1) };
    const t0 = Date.now();
    await tsgan.train({ gan: gr.classicGame({ discriminatorPlayerLoss: dLoss, generatorPlayerLoss: gLoss }, { generator: G, discriminator: D }, tsgan.normalLatent(2)),
      data: (n) => tsgan.sampleToyTensor(ring, n), steps: c.steps, batchSize: c.batchSize, seed: s, optimizers });
    const x = tf.tidy(() => G.apply(tf.randomNormal([c.samples, 2], 0, 1, "float32", 11), { training: false }));
    const m = tsgan.modeCollapseMetrics(x, ring);
    console.log(variant, s, ((Date.now() - t0) / 1000).toFixed(1) + " s", m.modesCaptured, m.highQualityShare.toFixed(3));
    x.dispose(); G.dispose(); D.dispose(); Object.values(optimizers).forEach((o) => o.dispose());
  }
})();
