// Measures the gan-losses grader's training case (TRAINING settings) over seeds, for the reference losses and
// for the typical mistakes: node assignments/margins/gan-losses.js [seeds...]
const tsgan = require("../../build/lib");
const { tf } = tsgan;
const { trainWithLosses, TRAINING } = require("../../build/lib/grading/graders/gan-losses");
const softplusNeg = (l) => tf.softplus(tf.neg(l));
const objectives = {
  reference: { discriminatorLoss: (r, f) => tf.tidy(() => tf.add(tf.mean(softplusNeg(r)), tf.mean(tf.softplus(f)))), generatorLoss: (f) => tf.tidy(() => tf.mean(softplusNeg(f))) },
  logSigmoid: { discriminatorLoss: (r, f) => tf.tidy(() => tf.neg(tf.mean(tf.logSigmoid(r))).sub(tf.mean(tf.logSigmoid(tf.neg(f))))), generatorLoss: (f) => tf.tidy(() => tf.neg(tf.mean(tf.logSigmoid(f)))) },
  library: { discriminatorLoss: tsgan.minimaxDiscriminatorLoss, generatorLoss: tsgan.nonSaturatingGeneratorLoss },
  sigmoidThenLog: { discriminatorLoss: (r, f) => tf.tidy(() => tf.neg(tf.mean(tf.log(tf.sigmoid(r)))).sub(tf.mean(tf.log(tf.sub(1, tf.sigmoid(f)))))), generatorLoss: (f) => tf.tidy(() => tf.neg(tf.mean(tf.log(tf.sigmoid(f))))) },
  wrongSignG: { discriminatorLoss: tsgan.minimaxDiscriminatorLoss, generatorLoss: (f) => tf.neg(tsgan.nonSaturatingGeneratorLoss(f)) },
  wrongSignD: { discriminatorLoss: (r, f) => tf.neg(tsgan.minimaxDiscriminatorLoss(r, f)), generatorLoss: tsgan.nonSaturatingGeneratorLoss },
  swappedLabelsD: { discriminatorLoss: (r, f) => tsgan.minimaxDiscriminatorLoss(f, r), generatorLoss: tsgan.nonSaturatingGeneratorLoss },
};
(async () => {
  await tsgan.ready({ ...process.env, TSGAN_QUIET: "1" });
  const seeds = process.argv.slice(2).map(Number);
  const which = (process.env.OBJECTIVES ?? "reference").split(",");
  for (const name of which) {
    for (const s of seeds.length ? seeds : [TRAINING.seed]) {
      const t0 = Date.now();
      let r;
      try { r = await trainWithLosses(objectives[name], { ...TRAINING, seed: s }); } catch (e) { r = { mean: NaN, std: NaN, error: e.message.slice(0, 80) }; }
      console.log(`${name} seed ${s}: mean ${r.mean.toFixed(3)} std ${r.std.toFixed(3)} ${((Date.now() - t0) / 1000).toFixed(1)} s ${r.error ?? ""}`);
    }
  }
})();
