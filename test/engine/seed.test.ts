import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, makeRandom, nextSeed, permutation, random, restoreMathRandom } from "../../lib/engine/seed";

describe("engine/seed", () => {
  afterEach(() => restoreMathRandom());

  it("makeRandom is a deterministic uniform stream", () => {
    const a = makeRandom(42), b = makeRandom(42), c = makeRandom(43);
    const xs = Array.from({ length: 20000 }, a);
    assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, b));
    assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, c));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // U(0,1): mean 1/2 (standard error 0.002), variance 1/12.
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 0.003, `variance ${variance}`);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });

  it("rejects a seed that is not a number", () => {
    assert.throws(() => seed(NaN), /finite number/);
  });

  it("one call fixes initialisers, unseeded tf random ops, dropout and shuffling", () => {
    const draw = () =>
      tf.tidy(() => {
        const layer = tf.layers.dense({ units: 4, inputShape: [3] });
        const model = tf.sequential({ layers: [layer, tf.layers.dropout({ rate: 0.5 })] });
        const w = (model.getWeights()[0].dataSync() as Float32Array).slice();
        const noise = tf.randomNormal([5]).dataSync().slice(); // no seed argument: uses Math.random
        const dropped = (model.apply(tf.ones([2, 3]), { training: true }) as tf.Tensor).dataSync().slice();
        return { w: Array.from(w), noise: Array.from(noise), dropped: Array.from(dropped), order: Array.from(permutation(10)), u: random(), s: nextSeed() };
      });
    seed(7);
    const first = draw();
    seed(7);
    const second = draw();
    seed(8);
    const third = draw();
    assert.deepEqual(first, second);
    assert.notDeepEqual(first.w, third.w);
    assert.notDeepEqual(first.noise, third.noise);
    assert.deepEqual([...first.order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
