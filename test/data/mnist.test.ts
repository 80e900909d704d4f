import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as tf from "@tensorflow/tfjs";
import { seed, restoreMathRandom } from "../../lib/engine/seed";
import { loadMnist, mnistTensors, bytesToUnitRange, MnistData, DEBIAN_FASHION_MNIST_DIR } from "../../lib/data/mnist";
import { shuffledBatches } from "../../lib/train/batches";

function idxBytes(type: number, shape: number[], payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
}

describe("data/mnist", () => {
  let embedded: MnistData;
  before(function () {
    this.timeout(60000);
    embedded = loadMnist();
  });
  afterEach(() => restoreMathRandom());

  it("embedded: 10,000 digits of 28×28 in [−1, 1] with labels 0–9", () => {
    assert.equal(embedded.source, "embedded");
    assert.equal(embedded.count, 10000);
    assert.equal(embedded.images.length, 10000 * 784);
    assert.equal(embedded.labels.length, 10000);
    // The mnist package's per-digit counts.
    const counts = new Array(10).fill(0);
    embedded.labels.forEach((l) => counts[l]++);
    assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let min = Infinity, max = -Infinity, sum = 0;
    for (const v of embedded.images) { if (v < min) min = v; if (v > max) max = v; sum += v; }
    assert.equal(min, -1);
    assert.equal(max, 1);
    // MNIST's mean pixel is ≈ 0.13 of full scale (33/255), i.e. ≈ −0.74 in [−1, 1]; allow ±0.03.
    assert.ok(Math.abs(sum / embedded.images.length - (2 * 0.13 - 1)) < 0.03, `mean ${sum / embedded.images.length}`);
    // Every pixel is a byte b mapped by (b − 127.5)/127.5.
    for (let i = 0; i < 784 * 20; i++) {
      const b = embedded.images[i] * 127.5 + 127.5;
      assert.ok(Math.abs(b - Math.round(b)) < 1e-3, `pixel ${i} = ${embedded.images[i]}`);
    }
  });

  it("embedded digits look like their class: a 1 has less ink than a 0 on average", () => {
    const ink = (digit: number) => {
      let total = 0, n = 0;
      embedded.labels.forEach((l, i) => {
        if (l !== digit) return;
        n++;
        for (let p = 0; p < 784; p++) total += embedded.images[i * 784 + p] + 1;
      });
      return total / n;
    };
    // Thin strokes: ones carry roughly half the ink of zeros.
    assert.ok(ink(1) < 0.7 * ink(0), `ink(1) ${ink(1)} ink(0) ${ink(0)}`);
  });

  it("mnistTensors: [10000, 28, 28, 1] images and int32 labels holding the same numbers", () => {
    const { x, labels } = mnistTensors(embedded);
    assert.deepEqual(x.shape, [10000, 28, 28, 1]);
    assert.equal(labels.dtype, "int32");
    const row = 4321;
    const pixels = x.slice([row, 0, 0, 0], [1, 28, 28, 1]);
    assert.deepEqual(Array.from(pixels.dataSync()), Array.from(embedded.images.subarray(row * 784, (row + 1) * 784)));
    assert.equal(labels.dataSync()[row], embedded.labels[row]);
    tf.dispose([x, labels, pixels]);
  });

  it("bytesToUnitRange maps 0 → −1, 255 → 1, 127.5 ↦ 0 linearly", () => {
    assert.deepEqual(Array.from(bytesToUnitRange([0, 255, 51])), [-1, 1, Math.fround((51 - 127.5) / 127.5)]);
  });

  describe("from IDX files", () => {
    let dir: string;
    // Three 28×28 images: image k has every pixel equal to 100·k; labels 7, 8, 9.
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-mnist-"));
      const pixels = new Uint8Array(3 * 784);
      for (let k = 0; k < 3; k++) pixels.fill(100 * k, k * 784, (k + 1) * 784);
      fs.writeFileSync(path.join(dir, "t10k-images-idx3-ubyte.gz"), zlib.gzipSync(idxBytes(0x08, [3, 28, 28], pixels)));
      fs.writeFileSync(path.join(dir, "t10k-labels-idx1-ubyte"), idxBytes(0x08, [3], new Uint8Array([7, 8, 9])));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("'full' reads gzipped or raw files from dir", () => {
      const data = loadMnist({ source: "full", split: "test", dir });
      assert.equal(data.count, 3);
      assert.deepEqual(Array.from(data.labels), [7, 8, 9]);
      // 0 → −1, 100 → (100 − 127.5)/127.5 = −0.215686, 200 → 0.568627
      assert.deepEqual([data.images[0], data.images[784 + 5], data.images[2 * 784 + 783]], [-1, Math.fround(-27.5 / 127.5), Math.fround(72.5 / 127.5)]);
    });

    it("'fashion' reads the same layout from a given dir", () => {
      assert.equal(loadMnist({ source: "fashion", split: "test", dir }).count, 3);
    });

    it("missing files name the file and what to do", () => {
      assert.throws(() => loadMnist({ source: "full", split: "train", dir }),
        (e: Error) => e.message.includes(path.join(dir, "train-images-idx3-ubyte")) && e.message.includes("npm run data"));
      assert.throws(() => loadMnist({ source: "fashion", dir: path.join(dir, "none") }), /dataset-fashion-mnist/);
      assert.throws(() => loadMnist({ source: "kaggle" as never }), /'embedded', 'full' or 'fashion'/);
      assert.throws(() => loadMnist({ split: "test" }), /no train\/test split/);
    });
  });

  it("Debian's Fashion-MNIST, when installed: 60,000 + 10,000 images, 6,000 per class", function () {
    if (!fs.existsSync(DEBIAN_FASHION_MNIST_DIR)) this.skip(); // only where `apt-get install dataset-fashion-mnist` ran
    this.timeout(60000);
    for (const [split, count] of [["train", 60000], ["test", 10000]] as const) {
      const data = loadMnist({ source: "fashion", split, dir: DEBIAN_FASHION_MNIST_DIR });
      assert.equal(data.count, count);
      const counts = new Array(10).fill(0);
      data.labels.forEach((l) => counts[l]++);
      assert.deepEqual(counts, new Array(10).fill(count / 10));
    }
  });

  it("mnistTensors + shuffledBatches: a batch's images are the rows its labels say, several classes per batch", () => {
    const { x, labels } = mnistTensors(embedded);
    const batches = shuffledBatches(x, labels, { seed: 21 });
    const first = batches(64, 0) as { x: tf.Tensor; labels: tf.Tensor };
    assert.deepEqual(first.x.shape, [64, 28, 28, 1]);
    assert.equal(first.labels.dtype, "int32");
    const ids = Array.from(first.labels.dataSync());
    // Shuffled: a batch of 64 from sorted-by-class data holds several classes.
    assert.ok(new Set(ids).size >= 5, `classes in the first batch: ${new Set(ids).size}`);
    const pix = first.x.dataSync();
    const order = (batches as unknown as { order: { seed: number; examples: number } }).order;
    assert.deepEqual([order.seed, order.examples], [21, embedded.count]);
    // Each row of the batch is some example whose label it carries: find it by its pixels.
    for (let i = 0; i < 8; i++) {
      const row = pix.subarray(i * 784, (i + 1) * 784);
      let found = -1;
      for (let r = 0; r < embedded.count && found < 0; r++) {
        if (embedded.images[r * 784 + 400] === row[400] && embedded.images.subarray(r * 784, (r + 1) * 784).every((v, k) => v === row[k])) found = r;
      }
      assert.ok(found >= 0, `batch row ${i} is not an example`);
      assert.equal(ids[i], embedded.labels[found]);
    }
    tf.dispose([x, labels, first.x, first.labels]);
  });
});
