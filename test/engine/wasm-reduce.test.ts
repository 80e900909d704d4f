/**
 * lib/engine/wasm-reduce.ts: Sum and Mean over leading axes give tfjs-backend-wasm's own kernels' bits (SIMD
 * and JavaScript paths), keep keepDims' shape, leave every other reduction to the stock kernel, and leak nothing.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../lib/engine/backend";
import { stockWasmKernel } from "../../lib/engine/wasm-kernels";
import { columnSums } from "../../lib/engine/wasm-reduce";
import { WasmBackend } from "../../lib/engine/wasm-backend-access";

function sameBits(ours: tf.Tensor, ref: tf.Tensor, what: string): void {
  assert.deepEqual(ours.shape, ref.shape, `${what}: shape`);
  const o = ours.dataSync(), r = ref.dataSync();
  for (let i = 0; i < o.length; i++) if (!Object.is(o[i], r[i])) assert.fail(`${what}: element ${i} is ${o[i]}, tfjs's kernel gives ${r[i]}`);
}

describe("engine/wasm-reduce", function () {
  this.timeout(60_000);
  before(async () => { await useBackend("wasm"); });

  const cases: Array<[number[], number[] | number]> = [
    [[64, 28, 28, 64], [0, 1, 2]], [[64, 4, 4, 256], [0, 1, 2]], [[64, 1024], 0], [[64, 1024], [0]], [[3, 4, 6], [0, 1]],
    [[5, 7, 3], [0, 1]], [[9, 3], 0], [[2, 3, 4, 5], [-4, -3]], [[1000, 12], [0]], [[7, 2, 5], [1, 0]], [[64, 28, 28, 1], [0, 1, 2]],
  ];
  for (const kind of ["Sum", "Mean"] as const) {
    it(`${kind} over leading axes gives the stock kernel's bits, with and without keepDims`, () => {
      const stock = stockWasmKernel(kind)!;
      assert.ok(stock, `the stock ${kind} kernel was recorded`);
      for (const [shape, axis] of cases) {
        for (const keepDims of [false, true]) {
          tf.tidy(() => {
            // Values of mixed magnitude so that any change of summation order changes bits.
            const x = tf.randomNormal(shape, 0, 1, "float32", 7).mul(tf.randomUniform(shape, 0, 10, "float32", 8).exp());
            const ours = kind === "Sum" ? tf.sum(x, axis, keepDims) : tf.mean(x, axis, keepDims);
            const ref = tf.engine().makeTensorFromTensorInfo(stock({ inputs: { x }, backend: tf.backend() as never, attrs: { axis, keepDims } }) as tf.TensorInfo);
            sameBits(ours, ref, `${kind} [${shape}] over ${JSON.stringify(axis)}, keepDims ${keepDims}`);
          });
        }
      }
    });
  }

  it("the JavaScript column sum (no SIMD, or widths not a multiple of 4) gives the SIMD loop's bits", () => {
    tf.tidy(() => {
      const backend = tf.backend() as unknown as WasmBackend;
      const x = tf.randomNormal([300, 40], 0, 10, "float32", 3);
      const a = tf.zeros([40]), b = tf.zeros([40]);
      const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
      columnSums(backend, info(x), info(a), 300, 40, true);
      columnSums(backend, info(x), info(b), 300, 40, false);
      sameBits(a, b, "column sums [300, 40]");
      // and both against a float64 reference, to the float32 error of a 300-term sum
      const xs = x.dataSync(), sums = a.dataSync();
      for (let c = 0; c < 40; c++) {
        let s = 0, mag = 0;
        for (let r = 0; r < 300; r++) { s += xs[r * 40 + c]; mag += Math.abs(xs[r * 40 + c]); }
        assert.ok(Math.abs(sums[c] - s) <= 300 * 6e-8 * mag, `column ${c}: ${sums[c]} against ${s}`);
      }
    });
  });

  it("leaves other reductions (inner axes, every axis, int32) to tfjs's kernel, which answers right", () => {
    tf.tidy(() => {
      const x = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
      assert.deepEqual(Array.from(tf.sum(x, [1, 2]).dataSync()), [10, 26]);
      assert.deepEqual(Array.from(tf.sum(x).dataSync()), [36]);
      assert.deepEqual(Array.from(tf.mean(x, 2).dataSync()), [1.5, 3.5, 5.5, 7.5]);
      assert.deepEqual(Array.from(tf.sum(x.toInt(), 0).dataSync()), [6, 8, 10, 12]);
      assert.deepEqual(Array.from(tf.mean(x, [0, 1]).dataSync()), [4, 5]);
      assert.deepEqual(tf.sum(x, [0, 1], true).shape, [1, 1, 2]);
    });
  });

  it("leaks neither tensors nor heap buffers", () => {
    const x = tf.randomNormal([64, 8, 8, 16]);
    tf.sum(x, [0, 1, 2]).dispose(); tf.mean(x, [0, 1, 2], true).dispose();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) { tf.sum(x, [0, 1, 2]).dispose(); tf.mean(x, [0, 1, 2], true).dispose(); }
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    x.dispose();
  });
});
