// The training case of the gradient-penalty grader over seeds: networks seeded by s, the run by s too.
const tsgan = require("../../build/lib/index.js");
const { tf } = tsgan;
const gr = require("../../build/lib/grading/graders/gradient-penalty.js");
const slip = process.argv[2] || "ref";
function penalty(critic, real, fake, mix) {
  return tf.tidy(() => {
    const xHat = tf.add(tf.mul(mix, real), tf.mul(tf.sub(1, mix), fake));
    const g = tf.grad((x) => tf.sum(critic(x)))(xHat);
    let sq = tf.sum(tf.square(g), real.shape.slice(1).map((_, i) => i + 1));
    if (slip === "batch") sq = tf.sum(sq);
    const gap = tf.sub(tf.sqrt(tf.add(sq, 1e-10)), 1);
    return tf.mul(slip === "nolambda" ? 1 : 10, tf.mean(slip === "nosquare" ? tf.abs(gap) : tf.square(gap)));
  });
}
(async () => {
  await tsgan.ready({ ...process.env, TSGAN_QUIET: "1" });
  const c = gr.gradientPenaltyGrader.cases.find((k) => k.name.includes("soft optimum"));
  for (let s = 1; s <= 10; s++) {
    tsgan.seed(1000 + s);
    gr.PENALTY_TRAINING.seed = s; gr.PENALTY_TRAINING.tolerance = -1;
    const t0 = Date.now();
    let msg = "pass";
    try { await c.run(penalty); } catch (e) { msg = e.message; }
    console.log(slip, s, ((Date.now() - t0) / 1000).toFixed(1) + " s", msg.slice(0, 160));
  }
})();
