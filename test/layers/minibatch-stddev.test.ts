import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { minibatchStdDev, MinibatchStdDev } from "../../lib/layers/minibatch-stddev";
import { assertSavesAndLoads } from "./round-trip";

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe("layers/minibatch-stddev (Karras et al. 2018, section 3)", () => {
  it("appends each group's mean standard deviation as a feature, computed by hand", () => {
    // Groups of 2 in a batch of 4: group 0 = examples {0, 2}, group 1 = {1, 3} (the paper's reshape).
    // Features [0, 10] and [4, 10] → std [2, 0] → mean 1 (plus 1e-8 inside the root); [2, 1] and [6, 5] → [2, 2] → 2.
    const x = tf.tensor2d([[0, 10], [2, 1], [4, 10], [6, 5]]);
    const y = minibatchStdDev({ groupSize: 2 }).apply(x) as tf.Tensor;
    assert.deepEqual(y.shape, [4, 3]);
    const out = values(y);
    const std0 = (2 + Math.sqrt(1e-8)) / 2, std1 = 2;
    [std0, std1, std0, std1].forEach((want, i) => assert.ok(Math.abs(out[3 * i + 2] - want) < 1e-5, `example ${i}: ${out[3 * i + 2]} vs ${want}`));
    assert.deepEqual([out[0], out[1], out[3], out[4]], [0, 10, 2, 1], "the input passes through");
    tf.dispose([x, y]);
  });

  it("feature maps: [n, h, w, c] → [n, h, w, c + 1], a constant map; identical samples give ~0", () => {
    const same = tf.tile(tf.randomNormal([1, 3, 3, 2], 0, 1, "float32", 1), [8, 1, 1, 1]);
    const y = minibatchStdDev().apply(same) as tf.Tensor;
    assert.deepEqual(y.shape, [8, 3, 3, 3]);
    const extra = values(tf.slice(y, [0, 0, 0, 2], [8, 3, 3, 1]));
    assert.ok(extra.every((v) => Math.abs(v - 1e-4) < 1e-6), "√(0 + 1e-8) everywhere");
    const varied = tf.randomNormal([8, 3, 3, 2], 0, 3, "float32", 2);
    const map = values(tf.slice(minibatchStdDev().apply(varied) as tf.Tensor, [0, 0, 0, 2], [1, 3, 3, 1]));
    assert.ok(map.every((v) => v === map[0]) && map[0] > 1, `one value over the map, about the spread: ${map[0]}`);
    assert.deepEqual(new MinibatchStdDev().computeOutputShape([null, 4, 4, 16]), [null, 4, 4, 17]);
    tf.dispose([same, y, varied]);
  });

  it("its gradient matches central differences", () => {
    const x0 = tf.randomNormal([4, 3], 0, 1, "float32", 3);
    const w = tf.randomNormal([4, 4], 0, 1, "float32", 4);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(minibatchStdDev({ groupSize: 2 }).apply(x) as tf.Tensor, w));
    const analytic = values(tf.grad(f)(x0));
    const base = values(x0);
    const h = 1e-2;
    base.forEach((_, k) => {
      const shifted = (d: number) => { const v = [...base]; v[k] += d; return tf.tidy(() => f(tf.tensor2d(v, [4, 3])).dataSync()[0]); };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      assert.ok(Math.abs(analytic[k] - numeric) < 2e-2 * (1 + Math.abs(numeric)), `entry ${k}: ${analytic[k]} vs ${numeric}`);
    });
    tf.dispose([x0, w]);
  });

  it("a model holding it saves and loads back (registered for serialization)", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] }), minibatchStdDev({ groupSize: 2 }), tf.layers.dense({ units: 1 })] });
    const x = tf.randomNormal([4, 2], 0, 1, "float32", 5);
    await assertSavesAndLoads(model, x, (loaded) => {
      assert.equal(loaded.layers[1].getClassName(), "TsganMinibatchStdDev");
      assert.equal((loaded.layers[1] as MinibatchStdDev).groupSize, 2);
    });
    x.dispose();
  });

  it("says what is wrong with a batch that is not a multiple of the group", () => {
    assert.throws(() => minibatchStdDev().apply(tf.zeros([6, 2])), /batch of 6 is not a multiple of the group size 4/);
    assert.throws(() => minibatchStdDev({ groupSize: 0 }), /groupSize must be a positive integer/);
  });
});
