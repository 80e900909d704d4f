// The optimal-discriminator grader's training case: a discriminator network trained by train() against a fixed
// generator N(0, 1.5²), data ½N(−1.5, 0.5²) + ½N(1.5, 0.5²). Measures mean |σ(ℓ) − D*| where p + q > 0.1, and
// the value gap V(D*) − V(D), over seeds. node assignments/margins/optimal-discriminator.js STEPS BATCH LR seeds...
const tsgan = require("../../build/lib");
const { tf } = tsgan;
(async () => {
  await tsgan.ready({ ...process.env, TSGAN_QUIET: "1" });
  const [steps, batch, lr] = process.argv.slice(2, 5).map(Number);
  const xs = tsgan.linspace(-8, 8, 1601);
  const comps = [{ mean: -1.5, std: 0.5 }, { mean: 1.5, std: 0.5 }];
  const p = tsgan.mixtureDensity(xs, comps), q = tsgan.gaussianDensity(xs, 0, 1.5);
  const dStar = tsgan.optimalDiscriminator(p, q);
  const vStar = tsgan.optimalValue(xs, p, q);
  const high = Array.from(xs.keys()).filter((i) => p[i] + q[i] > 0.1);
  for (const s of process.argv.slice(5).map(Number)) {
    tsgan.seed(s);
    const d = tsgan.mlpDiscriminator({ hiddenSizes: [32, 32] });
    const opt = tsgan.adam(lr);
    const sampleData = (n) => tf.tidy(() => {
      const left = tf.randomUniform([n, 1], 0, 1, "float32", tsgan.nextSeed()).less(0.5);
      const noise = tf.randomNormal([n, 1], 0, 0.5, "float32", tsgan.nextSeed());
      return tf.where(left, noise.sub(1.5), noise.add(1.5));
    });
    const game = { networks: { discriminator: d }, players: [{ name: "discriminator", trains: ["discriminator"], optimizer: opt,
      loss: (ctx) => ({ crossEntropy: tsgan.minimaxDiscriminatorLoss(ctx.run("discriminator", ctx.real.x), ctx.run("discriminator", tf.randomNormal([batch, 1], 0, 1.5, "float32", tsgan.nextSeed()))) }) }] };
    const t0 = Date.now();
    await tsgan.train({ gan: game, data: (n) => sampleData(n), steps, batchSize: batch, seed: s });
    const secs = (Date.now() - t0) / 1000;
    const logits = tf.tidy(() => Array.from(d.predict(tf.tensor2d(Array.from(xs), [xs.length, 1])).dataSync()));
    const dNet = Float64Array.from(logits, (l) => 1 / (1 + Math.exp(-l)));
    const meanAbs = high.reduce((a, i) => a + Math.abs(dNet[i] - dStar[i]), 0) / high.length;
    const maxAbs = Math.max(...high.map((i) => Math.abs(dNet[i] - dStar[i])));
    const gap = vStar - tsgan.valueFunction(xs, p, q, dNet);
    console.log(`steps ${steps} batch ${batch} lr ${lr} seed ${s}: mean |D − D*| ${meanAbs.toFixed(4)}, max ${maxAbs.toFixed(3)}, gap ${gap.toExponential(3)} in ${secs.toFixed(1)} s`);
    d.dispose(); opt.dispose();
  }
})();
