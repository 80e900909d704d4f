import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { buildDcganDiscriminator, buildDcganGenerator } from "../../lib/models/dcgan";
import { restoreMathRandom, seed } from "../../lib/engine/seed";

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

describe("models/dcgan", () => {
  afterEach(() => restoreMathRandom());

  for (const upsampling of ["upsample", "transposed"] as const) {
    it(`${upsampling} generator maps [n, 100] noise to [n, 28, 28, 1] images in [-1, 1]`, () => {
      seed(3);
      const g = buildDcganGenerator({ upsampling });
      assert.deepEqual(g.outputs[0].shape, [null, 28, 28, 1]);
      // Huge noise saturates the tanh, so the [-1, 1] bound is tested at its ends.
      const x = tf.tidy(() => g.predict(tf.randomNormal([4, 100]).mul(1000)) as tf.Tensor);
      const shape = x.shape;
      const values = x.dataSync();
      const lo = Math.min(...values), hi = Math.max(...values);
      x.dispose();
      assert.deepEqual(shape, [4, 28, 28, 1]);
      assert.ok(lo >= -1 && hi <= 1, `range [${lo}, ${hi}]`);
      assert.ok(lo < -0.99 && hi > 0.99, `expected saturation, got [${lo}, ${hi}]`);
      g.dispose();
    });
  }

  it("discriminator maps [n, 28, 28, 1] images to [n, 1] unbounded logits", () => {
    seed(4);
    const d = buildDcganDiscriminator();
    assert.deepEqual(d.outputs[0].shape, [null, 1]);
    const out = tf.tidy(() => Array.from((d.predict(tf.randomUniform([5, 28, 28, 1], -100, 100)) as tf.Tensor).dataSync()));
    assert.equal(out.length, 5);
    assert.ok(out.some((v) => v < 0 || v > 1), `logits ${out}`);
    // 28 → 14 → 7 → padded 8 → 4 → 4: the flattened features feeding Dense 1.
    const flatten = d.layers.find((l) => l.getClassName() === "Flatten")!;
    assert.deepEqual(flatten.outputShape, [null, 4 * 4 * 256]);
    d.dispose();
  });

  it("works for 32×32×3 images (no padding needed)", () => {
    const g = buildDcganGenerator({ imageShape: [32, 32, 3], latentDim: 16 });
    const d = buildDcganDiscriminator({ imageShape: [32, 32, 3] });
    const shapes = tf.tidy(() => {
      const x = g.predict(tf.randomNormal([2, 16])) as tf.Tensor;
      return [x.shape, (d.predict(x) as tf.Tensor).shape];
    });
    assert.deepEqual(shapes, [[2, 32, 32, 3], [2, 1]]);
    g.dispose();
    d.dispose();
  });

  it("has the hand-computed parameter counts", () => {
    // conv = k·k·in·out + out; BN = 4·channels (gamma, beta trainable; moving mean, variance not).
    // Chapter generator:
    //   dense 100·6272+6272 = 633,472
    //   conv 3·3·128·128+128 = 147,584   BN 128: 512
    //   conv 3·3·128·64+64   = 73,792    BN 64:  256
    //   conv 3·3·64·1+1      = 577
    //   total 856,193 (the chapter's Keras summary); non-trainable 2·(128+64) = 384
    const g = buildDcganGenerator();
    assert.equal(g.countParams(), 633472 + 147584 + 512 + 73792 + 256 + 577);
    assert.equal(g.countParams(), 856193);
    assert.equal(trainableCount(g), 856193 - 384);
    // Paper's generator: the two upsample+conv3 pairs become 5×5 transposed convolutions:
    //   5·5·128·128+128 = 409,728;  5·5·128·64+64 = 204,864
    const gt = buildDcganGenerator({ upsampling: "transposed" });
    assert.equal(gt.countParams(), 633472 + 409728 + 512 + 204864 + 256 + 577);
    assert.equal(gt.countParams(), 1249409);
    // Discriminator:
    //   conv 3·3·1·32+32     = 320
    //   conv 3·3·32·64+64    = 18,496    BN 64:  256
    //   conv 3·3·64·128+128  = 73,856    BN 128: 512
    //   conv 3·3·128·256+256 = 295,168   BN 256: 1,024
    //   dense 4·4·256+1      = 4,097
    //   total 393,729 (the chapter's Keras summary); non-trainable 2·(64+128+256) = 896
    const d = buildDcganDiscriminator();
    assert.equal(d.countParams(), 320 + 18496 + 256 + 73856 + 512 + 295168 + 1024 + 4097);
    assert.equal(d.countParams(), 393729);
    assert.equal(trainableCount(d), 393729 - 896);
    [g, gt, d].forEach((m) => m.dispose());
  });

  it("the same seed builds identical weights; another seed different ones", () => {
    const build = (s: number) => {
      seed(s);
      const models = [buildDcganGenerator(), buildDcganDiscriminator()];
      const w = models.flatMap((m) => m.getWeights().map((t) => Array.from(t.dataSync())));
      models.forEach((m) => m.dispose());
      return w;
    };
    const a = build(21), b = build(21), c = build(22);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a[0], c[0]);
  });

  it('weightInit "dcgan" draws kernels from N(0, 0.02) and keeps biases at 0', () => {
    seed(5);
    const g = buildDcganGenerator({ weightInit: "dcgan" });
    const kernel = g.layers[0].getWeights()[0]; // dense 100×6272: 627,200 draws
    const bias = g.layers[0].getWeights()[1];
    const { mean, variance } = tf.moments(kernel);
    const m = mean.dataSync()[0], sd = Math.sqrt(variance.dataSync()[0]);
    // Standard errors: mean 0.02/√627200 ≈ 2.5e-5, sd 0.02/√(2·627200) ≈ 1.8e-5; tolerances are ~10×.
    assert.ok(Math.abs(m) < 3e-4, `mean ${m}`);
    assert.ok(Math.abs(sd - 0.02) < 2e-4, `sd ${sd}`);
    assert.equal(tf.abs(bias).max().dataSync()[0], 0);
    // The tfjs default, Glorot-normal truncated at ±2σ with σ = √(2/(100+6272)) ≈ 0.01772, has
    // sd = 0.87963·σ ≈ 0.01559 (0.87963² = 1 − 4φ(2)/(Φ(2) − Φ(−2))): clearly not 0.02.
    const gd = buildDcganGenerator();
    const sdDefault = tf.tidy(() => Math.sqrt(tf.moments(gd.layers[0].getWeights()[0]).variance.dataSync()[0]));
    assert.ok(Math.abs(sdDefault - 0.87963 * Math.sqrt(2 / 6372)) < 2e-4, `default sd ${sdDefault}`);
    [mean, variance].forEach((t) => t.dispose());
    g.dispose();
    gd.dispose();
  });

  it("rejects bad options with a message naming them", () => {
    assert.throws(() => buildDcganGenerator({ imageShape: [30, 30, 1] }), /multiples of 4/);
    assert.throws(() => buildDcganGenerator({ upsampling: "pixelshuffle" as never }), /upsampling must be/);
    assert.throws(() => buildDcganDiscriminator({ weightInit: "he" as never }), /weightInit must be/);
    assert.throws(() => buildDcganGenerator({ latentDim: 1.5 }), /latentDim must be a positive integer/);
  });
});
