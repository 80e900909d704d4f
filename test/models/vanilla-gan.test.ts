import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { buildVanillaDiscriminator, buildVanillaGenerator } from "../../lib/models/vanilla-gan";
import { restoreMathRandom, seed } from "../../lib/engine/seed";

/** Every weight of a model as plain arrays (trainable and BN moving statistics). */
function weightValues(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

describe("models/vanilla-gan", () => {
  afterEach(() => restoreMathRandom());

  it("generator maps [n, 100] noise to [n, 28, 28, 1] images", () => {
    const g = buildVanillaGenerator();
    assert.deepEqual(g.outputs[0].shape, [null, 28, 28, 1]);
    const shape = tf.tidy(() => (g.predict(tf.randomNormal([3, 100])) as tf.Tensor).shape);
    assert.deepEqual(shape, [3, 28, 28, 1]);
    g.dispose();
  });

  it("honours latentDim and imageShape", () => {
    const g = buildVanillaGenerator({ latentDim: 8, imageShape: [4, 6, 3] });
    const d = buildVanillaDiscriminator({ imageShape: [4, 6, 3] });
    const [img, logit] = tf.tidy(() => {
      const x = g.predict(tf.randomNormal([2, 8])) as tf.Tensor;
      return [x.shape, (d.predict(x) as tf.Tensor).shape];
    });
    assert.deepEqual(img, [2, 4, 6, 3]);
    assert.deepEqual(logit, [2, 1]);
    g.dispose();
    d.dispose();
  });

  it("generator output stays in [-1, 1] and reaches its ends when tanh saturates", () => {
    seed(1);
    const g = buildVanillaGenerator();
    const [lo, hi] = tf.tidy(() => {
      // Huge noise drives the pre-activations far from 0, so the bound is tested where tanh saturates.
      const x = g.predict(tf.randomNormal([16, 100]).mul(1000)) as tf.Tensor;
      return [x.min().dataSync()[0], x.max().dataSync()[0]];
    });
    assert.ok(lo >= -1 && hi <= 1, `range [${lo}, ${hi}]`);
    assert.ok(lo < -0.99 && hi > 0.99, `expected saturation, got [${lo}, ${hi}]`);
    g.dispose();
  });

  it("discriminator returns one unbounded logit per image (no sigmoid)", () => {
    seed(2);
    const d = buildVanillaDiscriminator();
    const out = tf.tidy(() => Array.from((d.predict(tf.randomUniform([8, 28, 28, 1], -100, 100)) as tf.Tensor).dataSync()));
    assert.equal(out.length, 8);
    // Inputs of size 100 give logits far outside (0, 1), which a sigmoid output could not.
    assert.ok(out.some((v) => v < 0 || v > 1), `logits ${out}`);
    assert.equal(d.layers[d.layers.length - 1].getConfig().activation, "linear");
    d.dispose();
  });

  it("has the parameter counts of the chapter's Keras summary", () => {
    const g = buildVanillaGenerator();
    const d = buildVanillaDiscriminator();
    // Generator: dense = in·out + out; BN = 4·units (gamma, beta trainable; moving mean, variance not).
    //   100·256+256  = 25,856    BN 256:  1,024
    //   256·512+512  = 131,584   BN 512:  2,048
    //   512·1024+1024 = 525,312  BN 1024: 4,096
    //   1024·784+784 = 803,600
    //   total 1,493,520; non-trainable 2·(256+512+1024) = 3,584; trainable 1,489,936
    assert.equal(g.countParams(), 25856 + 1024 + 131584 + 2048 + 525312 + 4096 + 803600);
    assert.equal(g.countParams(), 1493520);
    assert.equal(trainableCount(g), 1493520 - 3584);
    // Discriminator: 784·512+512 = 401,920; 512·256+256 = 131,328; 256·1+1 = 257; total 533,505.
    assert.equal(d.countParams(), 401920 + 131328 + 257);
    assert.equal(trainableCount(d), 533505);
    g.dispose();
    d.dispose();
  });

  it("the same seed builds identical weights; another seed different ones", () => {
    const build = (s: number) => {
      seed(s);
      const g = buildVanillaGenerator();
      const d = buildVanillaDiscriminator();
      const w = [...weightValues(g), ...weightValues(d)];
      g.dispose();
      d.dispose();
      return w;
    };
    const a = build(11), b = build(11), c = build(12);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a[0], c[0]);
  });

  it("rejects bad options with a message naming them", () => {
    assert.throws(() => buildVanillaGenerator({ latentDim: 0 }), /buildVanillaGenerator: latentDim must be a positive integer/);
    assert.throws(() => buildVanillaDiscriminator({ imageShape: [28, 28] as unknown as [number, number, number] }), /imageShape must be \[height, width, channels\]/);
  });
});
