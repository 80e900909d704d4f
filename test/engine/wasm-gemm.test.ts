/**
 * tsgan's wasm matrix product (lib/engine/wasm-gemm.ts): bit for bit what tfjs-backend-wasm's own XNNPACK
 * product gives on the same backend, on every layout it takes (either operand transposed, batches and
 * broadcast batches, row and column tails, K = 1, operands whose rows are 4 KiB apart and get copied), with a
 * fused bias and ReLU / leaky ReLU; close to a float64 product; null where it does not apply (then tfjs's
 * kernel answers, still right); and no tensors or heap buffers left behind.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../lib/engine/backend";
import { makeRandom } from "../../lib/engine/seed";
import { GemmRequest, gemmProduct } from "../../lib/engine/wasm-gemm";
import { stockWasmKernel } from "../../lib/engine/wasm-kernels";
import { WasmBackend, TensorInfo, wasmMemoryOf } from "../../lib/engine/wasm-backend-access";
import { bandsOf, helpersFor, readyHelpers } from "../../lib/engine/wasm-gemm-thread";
import { isSharedMemory } from "../../lib/engine/wasm-asm";
import { wasmBuild } from "../../lib/engine/wasm-threads";
import { assertLeavesNothing } from "./leak-check";

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rand = makeRandom(seed);
  const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
  return tf.tensor(data, shape);
}

const wasm = () => tf.backend() as unknown as WasmBackend;
const lastTwoSwapped = (t: tf.Tensor) => tf.transpose(t, [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2]);
const asBatch = (t: tf.Tensor) => (t.rank === 2 ? t.reshape([1, ...t.shape]) : t);

/**
 * tfjs-wasm's own kernel on operands transposed beforehand (its fast XNNPACK path takes no flags), one batch
 * slice at a time: for a batch it takes another path, which sums in blocks of k (other bits, not XNNPACK's).
 */
function stockProduct(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean, fused?: { bias?: tf.Tensor; activation: string; alpha: number }): tf.Tensor {
  return tf.tidy(() => {
    const aa = transposeA ? lastTwoSwapped(a) : a;
    const bb = transposeB ? lastTwoSwapped(b) : b;
    const [M, K] = aa.shape.slice(-2), N = bb.shape[bb.rank - 1];
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(aa.shape.slice(0, -2), bb.shape.slice(0, -2));
    const batch = outer.reduce((p, d) => p * d, 1);
    const as = tf.broadcastTo(aa, [...outer, M, K]).reshape([batch, M, K]);
    const bs = tf.broadcastTo(bb, [...outer, K, N]).reshape([batch, K, N]);
    const name = fused ? "_FusedMatMul" : "BatchMatMul";
    const attrs = { transposeA: false, transposeB: false, activation: fused?.activation ?? "linear", leakyreluAlpha: fused?.alpha ?? 0 };
    const slices = [];
    for (let s = 0; s < batch; s++) {
      const inputs: Record<string, TensorInfo> = { a: as.slice([s, 0, 0], [1, M, K]), b: bs.slice([s, 0, 0], [1, K, N]) };
      if (fused?.bias) inputs.bias = fused.bias;
      slices.push(tf.engine().makeTensorFromTensorInfo(stockWasmKernel(name)!({ inputs, backend: wasm(), attrs }) as TensorInfo));
    }
    return tf.concat(slices, 0).reshape([...outer, M, N]);
  });
}

/** tsgan's product called directly, as a tensor (asserting that it took the case). */
function ourProduct(req: Omit<GemmRequest, "a" | "b"> & { a: tf.Tensor; b: tf.Tensor }): tf.Tensor {
  const info = gemmProduct(wasm(), req);
  assert.ok(info, `gemmProduct did not take [${req.a.shape}]·[${req.b.shape}] (${req.transposeA}, ${req.transposeB})`);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** op(A)·op(B) in float64, from the stored arrays (batch dimensions broadcast from size 1). */
function float64Product(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): Float64Array {
  const ad = a.dataSync(), bd = b.dataSync();
  const ra = a.rank, rb = b.rank;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2], K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchA = ad.length / (M * K), batchB = bd.length / (K * N), batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * M * N);
  for (let s = 0; s < batch; s++) {
    const oa = (batchA === 1 ? 0 : s) * M * K, ob = (batchB === 1 ? 0 : s) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const x = ad[oa + (transposeA ? k * M + i : i * K + k)];
          const y = bd[ob + (transposeB ? j * K + k : k * N + j)];
          sum += x * y;
        }
        out[s * M * N + i * N + j] = sum;
      }
    }
  }
  return out;
}

function assertSameBits(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const x = actual.dataSync(), y = expected.dataSync();
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) assert.fail(`${what}: element ${i} is ${x[i]}, tfjs's kernel gives ${y[i]}`);
  }
}

function assertClose(actual: tf.Tensor, reference: Float64Array, what: string): void {
  const x = actual.dataSync();
  assert.equal(x.length, reference.length, `${what}: size`);
  for (let i = 0; i < x.length; i++) {
    const tol = 1e-5 * Math.max(1, Math.abs(reference[i])) * 8;
    if (!(Math.abs(x[i] - reference[i]) <= tol)) assert.fail(`${what}: element ${i} is ${x[i]}, float64 gives ${reference[i]}`);
  }
}

/** [stored A shape as op(A) would be without the flag, stored B likewise]: shapes are of op(A) and op(B). */
const CASES: Array<{ a: number[]; b: number[]; note: string }> = [
  { a: [5, 7], b: [7, 8], note: "row tail (M = 5)" },
  { a: [64, 130], b: [130, 72], note: "a dense layer's shape" },
  { a: [3, 1], b: [1, 12], note: "K = 1, N % 8 = 4" },
  { a: [13, 9], b: [9, 4], note: "N = 4, 13 rows" },
  { a: [2, 5, 7], b: [2, 7, 8], note: "a batch" },
  { a: [3, 5, 7], b: [1, 7, 8], note: "B broadcast over A's batch" },
  { a: [1, 6, 7], b: [2, 2, 7, 8], note: "A broadcast over B's two batch axes" },
  { a: [8, 3], b: [3, 70], note: "N % 4 != 0 but M % 4 = 0: written transposed" },
  { a: [1024, 3], b: [3, 20], note: "op(A)'s columns 4 KiB apart when A is stored transposed" },
  { a: [6, 9], b: [9, 1024], note: "B's rows 4 KiB apart: copied into panels" },
  // Over a million multiply-adds: in the threaded build these run in bands, one per thread.
  { a: [256, 64], b: [64, 72], note: "bands of rows" },
  { a: [16, 300], b: [300, 264], note: "bands of columns" },
  { a: [20, 80], b: [80, 1024], note: "bands of columns, B in panels" },
  { a: [2, 100, 90], b: [90, 120], note: "bands in each of a batch" },
];

describe("engine/wasm-gemm", function () {
  this.timeout(120000);
  before(async () => {
    await useBackend("wasm");
    // Start the helper threads and wait until they are up, so that the big cases below run in bands.
    tf.tidy(() => tf.matMul(tf.ones([256, 64]), tf.ones([64, 72])));
    const memory = wasmMemoryOf(wasm())!;
    for (let i = 0; i < 200 && readyHelpers(memory) < wasmBuild().threads - 1; i++) await new Promise((r) => setTimeout(r, 25));
  });

  it("runs on every thread of the build: helpers are up on a shared heap, none on a single-threaded one", () => {
    const memory = wasmMemoryOf(wasm())!;
    assert.equal(readyHelpers(memory), isSharedMemory(memory) ? wasmBuild().threads - 1 : 0);
    assert.equal(helpersFor(memory) === null, wasmBuild().threads < 2 || !isSharedMemory(memory));
  });

  it("cuts C into bands across the larger operand's side, in whole tiles and panels", () => {
    const job = (rows: number, cols: number) => ({ left: 0, right: 0, c: 0, bias: 0, rows, cols, depth: 1, sai: 0, sak: 0, sci: 0, scj: 0, act: 0, alpha: 0, panels: false });
    assert.deepEqual(bandsOf(job(64, 784), 2), [{ r0: 0, r1: 64, c0: 0, c1: 392 }, { r0: 0, r1: 64, c0: 392, c1: 784 }]);
    assert.deepEqual(bandsOf(job(1024, 64), 2), [{ r0: 0, r1: 512, c0: 0, c1: 64 }, { r0: 512, r1: 1024, c0: 0, c1: 64 }]);
    assert.deepEqual(bandsOf(job(13, 4), 3), [{ r0: 0, r1: 4, c0: 0, c1: 4 }, { r0: 4, r1: 12, c0: 0, c1: 4 }, { r0: 12, r1: 13, c0: 0, c1: 4 }]);
    assert.deepEqual(bandsOf(job(3, 4), 2), [{ r0: 0, r1: 3, c0: 0, c1: 4 }]); // one tile: one band
  });

  for (const { a: opA, b: opB, note } of CASES) {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`[${opA}]·[${opB}] ${transposeA ? "Aᵀ" : "A"}·${transposeB ? "Bᵀ" : "B"} (${note}): same bits as tfjs's product, close to float64`, () => {
        tf.tidy(() => {
          const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
          const a = randomTensor(transposeA ? swap(opA) : opA, 1);
          const b = randomTensor(transposeB ? swap(opB) : opB, 2);
          const expected = stockProduct(a, b, transposeA, transposeB);
          const viaMatMul = tf.matMul(a, b, transposeA, transposeB); // the registered kernel, as training runs it
          const reshaped = expected.reshape(viaMatMul.shape); // the stock kernel answers in rank 3
          assertSameBits(viaMatMul, reshaped, "tf.matMul");
          const direct = ourProduct({ a, b, transposeA, transposeB });
          assertSameBits(direct.reshape(viaMatMul.shape), reshaped, "gemmProduct");
          assertClose(viaMatMul, float64Product(a, b, transposeA, transposeB), "tf.matMul");
        });
      });
    }
  }

  for (const activation of ["linear", "relu", "leakyrelu"]) {
    for (const [m, k, n] of [[64, 33, 40], [7, 5, 12], [5, 9, 1024]]) {
      it(`fused bias + ${activation} [${m}×${k}]·[${k}×${n}]: same bits as tfjs's _FusedMatMul`, () => {
        tf.tidy(() => {
          const a = randomTensor([m, k], 3), b = randomTensor([k, n], 4), bias = randomTensor([n], 5);
          const fused = { bias, activation, alpha: 0.2 };
          const expected = stockProduct(a, b, false, false, fused).reshape([m, n]);
          const ours = tf.fused.matMul({ a, b, bias, activation: activation as tf.fused.Activation, leakyreluAlpha: 0.2 });
          assertSameBits(ours, expected, "tf.fused.matMul");
          assertSameBits(ourProduct({ a, b, transposeA: false, transposeB: false, bias, activation, alpha: 0.2 }), expected, "gemmProduct");
          // A bias as a [1, n] row broadcasts the same way.
          assertSameBits(ourProduct({ a, b, transposeA: false, transposeB: false, bias: bias.reshape([1, n]), activation, alpha: 0.2 }), expected, "gemmProduct, [1, n] bias");
        });
      });
    }
  }

  it("declines what it does not do (tfjs's kernel answers, and right): int32, a column bias, M and N both not multiples of 4, a fused op that would have to be written transposed", () => {
    tf.tidy(() => {
      const backend = wasm();
      const a = randomTensor([5, 6], 6), b = randomTensor([6, 7], 7);
      assert.equal(gemmProduct(backend, { a, b, transposeA: false, transposeB: false }), null);
      assertClose(tf.matMul(a, b), float64Product(a, b, false, false), "fallback product");
      const ai = tf.ones([4, 4], "int32"), bi = tf.ones([4, 4], "int32");
      assert.equal(gemmProduct(backend, { a: ai, b: bi, transposeA: false, transposeB: false }), null);
      const a4 = randomTensor([4, 4], 8), b4 = randomTensor([4, 4], 9);
      assert.equal(gemmProduct(backend, { a: a4, b: b4, transposeA: false, transposeB: false, bias: randomTensor([4, 1], 10) }), null);
      assert.equal(gemmProduct(backend, { a: a4, b: b4, transposeA: false, transposeB: false, activation: "sigmoid" }), null);
      const b6 = randomTensor([4, 6], 11);
      assert.equal(gemmProduct(backend, { a: a4, b: b6, transposeA: false, transposeB: false, bias: randomTensor([6], 12) }), null);
      assert.ok(gemmProduct(backend, { a: a4, b: b6, transposeA: false, transposeB: false }) !== null); // unfused: transposed
    });
  });

  it("leaves neither tensors nor heap buffers behind (copies, panels, batches)", () => {
    const a = randomTensor([3, 1024], 13), b = randomTensor([3, 1024], 14), x = randomTensor([2, 8, 3], 15), y = randomTensor([3, 70], 16);
    assertLeavesNothing(() => tf.dispose(tf.tidy(() => [tf.matMul(a, b, true, false), tf.matMul(a, a, false, true), tf.matMul(x, y), tf.matMul(y, x, true, true)])));
    tf.dispose([a, b, x, y]);
  });
});
