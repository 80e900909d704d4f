import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { loadMnist, MnistData } from "../../lib/data/mnist";
import {
  STACKED_MNIST_MODES, stackedMnist, stackedMnistBatches, stackedMnistFrom, stackedMnistTrueKL, stackedModeDigits,
  stackedModeIndex,
} from "../../lib/data/stacked-mnist";
import { Batch } from "../../lib/train/types";

const PIXELS = 784;

/**
 * Ten "digits" whose image r is the constant (r − 4.5)/4.5 (from −1 to 1) and whose label is r: a channel's
 * value tells which source row it holds.
 */
function constantDigits(): { images: Float32Array; labels: Uint8Array } {
  const images = new Float32Array(10 * PIXELS);
  for (let r = 0; r < 10; r++) images.fill((r - 4.5) / 4.5, r * PIXELS, (r + 1) * PIXELS);
  return { images, labels: Uint8Array.from({ length: 10 }, (_, r) => r) };
}

/** The 784 pixels of channel c of example i of an [n, 28, 28, 3] array. */
function channel(pixels: ArrayLike<number>, i: number, c: number): Float32Array {
  const out = new Float32Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) out[p] = pixels[(i * PIXELS + p) * 3 + c];
  return out;
}

function sourceImage(data: { images: Float32Array }, row: number): Float32Array {
  return data.images.slice(row * PIXELS, (row + 1) * PIXELS);
}

describe("data/stacked-mnist", () => {
  let mnist: MnistData;
  before(function () {
    this.timeout(60000);
    mnist = loadMnist();
  });

  it("stackedModeIndex is 100·d1 + 10·d2 + d3, and stackedModeDigits inverts it over all 1,000 modes", () => {
    assert.equal(stackedModeIndex(0, 0, 0), 0);
    assert.equal(stackedModeIndex(1, 2, 3), 123);
    assert.equal(stackedModeIndex(3, 2, 1), 321);
    assert.equal(stackedModeIndex(9, 9, 9), 999);
    assert.equal(STACKED_MNIST_MODES, 1000);
    for (let m = 0; m < 1000; m++) assert.equal(stackedModeIndex(...stackedModeDigits(m)), m);
    assert.throws(() => stackedModeIndex(10, 0, 0), /d1 must be a digit, an integer 0–9, got 10/);
    assert.throws(() => stackedModeIndex(0, -1, 0), /d2 .* got -1/);
    assert.throws(() => stackedModeIndex(0, 0, 1.5), /d3 .* got 1.5/);
    assert.throws(() => stackedModeDigits(1000), /\[0, 1000\), got 1000/);
  });

  it("stackedMnistFrom: chosen source rows give their modes, and each channel is exactly its source image", () => {
    const data = constantDigits();
    const sources = [1, 2, 3, 9, 0, 7, 4, 4, 4];
    const set = stackedMnistFrom(data, sources);
    assert.deepEqual(set.x.shape, [3, 28, 28, 3]);
    assert.deepEqual(Array.from(set.modes), [123, 907, 444]);
    assert.deepEqual(Array.from(set.digits), sources);
    assert.deepEqual(Array.from(set.sources), sources);
    const pixels = set.x.dataSync();
    for (let i = 0; i < 3; i++) {
      for (let c = 0; c < 3; c++) assert.deepEqual(channel(pixels, i, c), sourceImage(data, sources[3 * i + c]));
    }
    set.x.dispose();
  });

  it("stackedMnistFrom on real digits: the first 3, 1 and 4 of the set make mode 314 and keep their pixels", () => {
    const first = (d: number) => mnist.labels.indexOf(d);
    const rows = [first(3), first(1), first(4)];
    const set = stackedMnistFrom(mnist, rows);
    assert.deepEqual(Array.from(set.modes), [314]);
    assert.deepEqual(Array.from(set.digits), [3, 1, 4]);
    const pixels = set.x.dataSync();
    for (let c = 0; c < 3; c++) assert.deepEqual(channel(pixels, 0, c), sourceImage(mnist, rows[c]));
    set.x.dispose();
  });

  it("stackedMnist: [count, 28, 28, 3] in [−1, 1] like mnistTensors; modes and digits match the stacked source rows", () => {
    const count = 500;
    const set = stackedMnist(mnist, count, { seed: 1 });
    assert.deepEqual(set.x.shape, [count, 28, 28, 3]);
    assert.equal(set.x.dtype, "float32");
    assert.equal(set.modes.length, count);
    assert.equal(set.digits.length, 3 * count);
    assert.equal(set.sources.length, 3 * count);
    const pixels = set.x.dataSync();
    let min = Infinity, max = -Infinity;
    for (const v of pixels) { if (v < min) min = v; if (v > max) max = v; }
    assert.equal(min, -1);
    assert.equal(max, 1);
    for (let i = 0; i < count; i++) {
      const [a, b, c] = [0, 1, 2].map((k) => mnist.labels[set.sources[3 * i + k]]);
      assert.deepEqual([set.digits[3 * i], set.digits[3 * i + 1], set.digits[3 * i + 2]], [a, b, c]);
      assert.equal(set.modes[i], stackedModeIndex(a, b, c));
    }
    for (const i of [0, 17, count - 1]) {
      for (let c = 0; c < 3; c++) assert.deepEqual(channel(pixels, i, c), sourceImage(mnist, set.sources[3 * i + c]));
    }
    set.x.dispose();
  });

  it("stackedMnist is reproducible: the same seed gives the same set, another seed another, the default is seed 0", () => {
    const a = stackedMnist(mnist, 200, { seed: 7 });
    const b = stackedMnist(mnist, 200, { seed: 7 });
    const c = stackedMnist(mnist, 200, { seed: 8 });
    const d = stackedMnist(mnist, 200);
    const e = stackedMnist(mnist, 200, { seed: 0 });
    assert.deepEqual(a.sources, b.sources);
    assert.deepEqual(a.x.dataSync(), b.x.dataSync());
    assert.notDeepEqual(Array.from(a.sources), Array.from(c.sources));
    assert.ok(a.modes.filter((m, i) => m === c.modes[i]).length < 20, "two seeds should rarely agree on a mode (1 in 1,000 each)");
    assert.deepEqual(d.sources, e.sources);
    tf.dispose([a.x, b.x, c.x, d.x, e.x]);
  });

  it("each channel is an independent uniform draw from the set: per-channel digit counts and modes hit", () => {
    // Ten source rows, one per digit: each channel's digit is uniform over 0–9. 2,000 draws per channel:
    // 200 ± 13.4 per digit; allow ±60 (4.5σ).
    const set = stackedMnist(constantDigits(), 2000, { seed: 3 });
    for (let c = 0; c < 3; c++) {
      const counts = new Array(10).fill(0);
      for (let i = 0; i < 2000; i++) counts[set.digits[3 * i + c]]++;
      assert.ok(counts.every((k) => Math.abs(k - 200) < 60), `channel ${c}: ${counts}`);
    }
    // Independent channels: modes hit ≈ 1000·(1 − e^(−2)) ≈ 865 (sd ≈ 9); correlated channels would hit far fewer.
    const hit = new Set(set.modes).size;
    assert.ok(hit > 830 && hit < 900, `${hit} modes hit`);
    set.x.dispose();
  });

  it("stackedMnistBatches: batch i is a pure function of (seed, batch size, i), whatever was drawn before", () => {
    const source = stackedMnistBatches(mnist, { seed: 5 });
    const other = stackedMnistBatches(mnist, { seed: 6 });
    const take = (s: typeof source, size: number, i: number) => {
      const batch = s(size, i) as Batch;
      const values = batch.x.dataSync().slice();
      assert.deepEqual(batch.x.shape, [size, 28, 28, 3]);
      tf.dispose(batch as unknown as tf.TensorContainer);
      return values;
    };
    const third = take(source, 16, 3);
    take(source, 16, 9);
    take(source, 16, 0);
    assert.deepEqual(take(source, 16, 3), third);
    assert.deepEqual(take(stackedMnistBatches(mnist, { seed: 5 }), 16, 3), third, "a new source with the same seed (a resumed run)");
    assert.notDeepEqual(take(source, 16, 4), third);
    assert.notDeepEqual(take(other, 16, 3), third);
    assert.deepEqual(source.order, { kind: "stacked-mnist", seed: 5, examples: 10000, channels: 3, fields: ["x"] });
  });

  it("stackedMnistBatches withModes: labels are the modes of the stacked channels, int32", () => {
    const source = stackedMnistBatches(constantDigits(), { seed: 2, withModes: true });
    const batch = source(64, 11) as Batch;
    assert.ok(batch.labels);
    assert.equal(batch.labels.dtype, "int32");
    assert.deepEqual(batch.labels.shape, [64]);
    const pixels = batch.x.dataSync();
    const labels = batch.labels.dataSync();
    for (let i = 0; i < 64; i++) {
      // Source row r is the constant (r − 4.5)/4.5, and its label is r.
      const [a, b, c] = [0, 1, 2].map((k) => Math.round(pixels[i * PIXELS * 3 + k] * 4.5 + 4.5));
      assert.equal(labels[i], stackedModeIndex(a, b, c));
    }
    assert.deepEqual(source.order?.fields, ["x", "labels"]);
    tf.dispose([batch.x, batch.labels]);
  });

  it("bad input is an error that names the problem and the fix", () => {
    const data = constantDigits();
    assert.throws(() => stackedMnist(data, 0), /count must be a positive integer .* got 0/);
    assert.throws(() => stackedMnist(data, -3), /count must be a positive integer .* got -3/);
    assert.throws(() => stackedMnist(data, 2.5), /got 2.5/);
    assert.throws(
      () => stackedMnist({ images: new Float32Array(10 * 784 * 3), labels: data.labels }, 4),
      /10 labels need 10·784 = 7840 pixels, got 23520; images must be 28×28 single-channel digits/,
    );
    assert.throws(() => stackedMnist({ images: new Float32Array(0), labels: new Uint8Array(0) }, 4), /source set is empty/);
    assert.throws(() => stackedMnist({ images: data.images, labels: Uint8Array.from(data.labels, (y) => y + 1) }, 4), /label 10 at row 9 is not a digit 0–9/);
    assert.throws(() => stackedMnist({ images: [] as unknown as Float32Array, labels: [] }, 1), /images: Float32Array, labels.*loadMnist/);
    assert.throws(() => stackedMnistFrom(data, [1, 2]), /3 source rows per example .* got 2/);
    assert.throws(() => stackedMnistFrom(data, [1, 2, 10]), /source row 10 at 2 is not a row of the 10-digit set \(0…9\)/);
    const source = stackedMnistBatches(data);
    assert.throws(() => source(0, 0), /batchSize must be a positive integer .* got 0/);
    assert.throws(() => source(8, -1), /batchIndex must be an integer ≥ 0 .* got -1/);
    assert.throws(() => source(8, 1.5), /batchIndex .* got 1.5/);
  });

  it("stackedMnistTrueKL: 0 for a balanced set, 3·KL(class frequencies ‖ uniform) for the embedded digits", () => {
    assert.equal(stackedMnistTrueKL(constantDigits()), 0);
    // The embedded per-digit counts (test/data/mnist.test.ts): 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.
    const counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const byHand = 3 * counts.reduce((s, k) => s + (k / 10000) * Math.log(k / 1000), 0);
    assert.ok(Math.abs(stackedMnistTrueKL(mnist) - byHand) < 1e-12);
    assert.ok(byHand > 0.006 && byHand < 0.008, `${byHand}`); // ≈ 0.0068: the real stacks are nearly uniform
  });

  it("leaks no tensors: stackedMnist, stackedMnistFrom and batches own only what they return", () => {
    const before = tf.memory().numTensors;
    const set = stackedMnist(mnist, 10, { seed: 1 });
    const from = stackedMnistFrom(mnist, [0, 1, 2]);
    const batch = stackedMnistBatches(mnist, { withModes: true })(4, 0) as Batch;
    assert.equal(tf.memory().numTensors, before + 4);
    tf.dispose([set.x, from.x, batch.x, batch.labels!]);
    assert.throws(() => stackedMnist(mnist, 0));
    assert.equal(tf.memory().numTensors, before);
  });
});
