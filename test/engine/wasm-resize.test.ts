/**
 * lib/engine/wasm-resize.ts: upSampling2d's gradient by block sums gives tfjs-backend-wasm's own kernel's bits
 * (SIMD and JavaScript paths, several factors), declines what it does not do, and leaks nothing.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../lib/engine/backend";
import { stockWasmKernel } from "../../lib/engine/wasm-kernels";
import { blockSums, wholeFactors } from "../../lib/engine/wasm-resize";
import { WasmBackend } from "../../lib/engine/wasm-backend-access";

function sameBits(ours: tf.Tensor, ref: tf.Tensor, what: string): void {
  assert.deepEqual(ours.shape, ref.shape, `${what}: shape`);
  const o = ours.dataSync(), r = ref.dataSync();
  for (let i = 0; i < o.length; i++) if (!Object.is(o[i], r[i])) assert.fail(`${what}: element ${i} is ${o[i]}, tfjs's kernel gives ${r[i]}`);
}

const grad = (images: tf.Tensor, dy: tf.Tensor, alignCorners = false) =>
  tf.engine().runKernel("ResizeNearestNeighborGrad", { images, dy }, { alignCorners, halfPixelCenters: false }) as tf.Tensor;

describe("engine/wasm-resize", function () {
  this.timeout(60_000);
  before(async () => { await useBackend("wasm"); });

  it("finds whole factors and only those", () => {
    assert.deepEqual(wholeFactors([2, 7, 7, 3], [2, 14, 21, 3]), [2, 3]);
    assert.deepEqual(wholeFactors([2, 7, 7, 3], [2, 7, 7, 3]), [1, 1]);
    assert.equal(wholeFactors([2, 7, 7, 3], [2, 10, 14, 3]), null);
    assert.equal(wholeFactors([2, 7, 7, 3], [1, 14, 14, 3]), null);
    assert.equal(wholeFactors([7, 7, 3], [14, 14, 3]), null);
  });

  it("gives the stock kernel's bits for whole factors (SIMD for C a multiple of 4, JavaScript otherwise)", () => {
    const stock = stockWasmKernel("ResizeNearestNeighborGrad")!;
    assert.ok(stock, "the stock kernel was recorded");
    const cases: Array<[number[], [number, number]]> = [
      [[2, 7, 7, 128], [2, 2]], [[64, 14, 14, 128], [2, 2]], [[3, 4, 5, 6], [2, 3]], [[2, 5, 3, 8], [3, 1]], [[1, 4, 4, 4], [1, 1]], [[2, 3, 3, 1], [4, 4]],
    ];
    for (const [shape, [fh, fw]] of cases) {
      tf.tidy(() => {
        const images = tf.zeros(shape);
        const dyShape = [shape[0], shape[1] * fh, shape[2] * fw, shape[3]];
        const dy = tf.randomNormal(dyShape, 0, 1, "float32", 5).mul(tf.randomUniform(dyShape, 0, 10, "float32", 6).exp());
        const ref = tf.engine().makeTensorFromTensorInfo(stock({
          inputs: { images, dy }, backend: tf.backend() as never, attrs: { alignCorners: false, halfPixelCenters: false },
        }) as tf.TensorInfo);
        sameBits(grad(images, dy), ref, `[${dyShape}] → [${shape}]`);
        const viaJs = tf.zeros(shape);
        const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
        blockSums(tf.backend() as unknown as WasmBackend, info(dy), info(viaJs), [fh, fw], false);
        sameBits(viaJs, ref, `[${dyShape}] → [${shape}], JavaScript loop`);
      });
    }
  });

  it("upSampling2d's gradient through the layer is each block's sum (hand-checked)", () => {
    tf.tidy(() => {
      const layer = tf.layers.upSampling2d({ size: [2, 2] });
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2]);
      const w = tf.range(0, 2 * 4 * 2 * 2).reshape([2, 4, 2, 2]);
      const g = tf.grad((t: tf.Tensor) => (layer.apply(t) as tf.Tensor).mul(w).sum())(x);
      // dx[n,i,j,c] = Σ over the 2×2 block of w (image n, rows 2i..2i+1, column 2j..2j+1, channel c)
      const wv = w.arraySync() as number[][][][];
      const want: number[] = [];
      for (let n = 0; n < 2; n++) for (let i = 0; i < 2; i++) for (let j = 0; j < 1; j++) for (let c = 0; c < 2; c++) {
        let s = 0;
        for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += wv[n][2 * i + a][2 * j + b][c];
        want.push(s);
      }
      assert.deepEqual(Array.from(g.dataSync()), want);
    });
  });

  it("leaves alignCorners and fractional factors to tfjs's kernel", () => {
    tf.tidy(() => {
      const images = tf.zeros([1, 2, 2, 1]);
      const dy = tf.ones([1, 3, 3, 1]);
      const out = Array.from(grad(images, dy).dataSync());
      assert.equal(out.reduce((s, v) => s + v, 0), 9, "every dy element lands in one pixel");
      const aligned = Array.from(grad(images, tf.ones([1, 4, 4, 1]), true).dataSync());
      assert.equal(aligned.reduce((s, v) => s + v, 0), 16);
    });
  });

  it("leaks neither tensors nor heap buffers", () => {
    const images = tf.zeros([4, 7, 7, 8]), dy = tf.ones([4, 14, 14, 8]);
    grad(images, dy).dispose();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) grad(images, dy).dispose();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    tf.dispose([images, dy]);
  });
});
