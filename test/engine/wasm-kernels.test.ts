/**
 * tsgan's wasm kernels (lib/engine/wasm-*.ts) against the pure-JS cpu backend: transposed matrix products,
 * Conv2DBackpropFilter, UnsortedSegmentSum, gradient-of-gradient through conv2d, no leaks, and survival
 * of a backend switch. Every comparison: max |wasm − cpu| ≤ 1e-4 · max(1, max |cpu|).
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, BackendChoice } from "../../lib/engine/backend";
import { makeRandom } from "../../lib/engine/seed";
import { installWasmKernels, stockWasmKernel, wasmKernelsInstalled, WASM_KERNELS } from "../../lib/engine/wasm-kernels";
import { seed as seedAll } from "../../lib/engine/seed";
import { train, type TrainOptions } from "../../lib/train/loop";
import { isGame, type GanSpec } from "../../lib/train/gan-spec";
import { type Network } from "../../lib/train/types";
import { MODELS, benchBatches } from "../../bench/models";
import { snganSpec } from "../../lib/models/sngan";
import { wganGpSpec } from "../../lib/models/wgan-gp";
import { setIm2colChunkLimit } from "../../lib/engine/wasm-conv";
import { im2col } from "../../lib/engine/im2col";
import { transposeCosts } from "../../lib/engine/wasm-matmul";

const REL_TOL = 1e-4;

/** Values a computation needs, created afresh on whichever backend is active. */
type Inputs = Record<string, { data: Float32Array | Int32Array; shape: number[] }>;

function randomInput(rand: () => number, shape: number[]): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
  return { data, shape };
}

/** Runs `f` on `backend` with `inputs` made there; returns its outputs as plain arrays. */
async function runOn(
  backend: BackendChoice,
  inputs: Inputs,
  f: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[],
): Promise<{ data: Float32Array; shape: number[] }[]> {
  await useBackend(backend);
  return tf.tidy(() => {
    const t: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) {
      t[k] = v.data instanceof Int32Array ? tf.tensor(v.data, v.shape, "int32") : tf.tensor(v.data, v.shape);
    }
    const out = f(t);
    return (Array.isArray(out) ? out : [out]).map((o) => ({ data: Float32Array.from(o.dataSync()), shape: o.shape }));
  });
}

function assertClose(actual: { data: Float32Array; shape: number[] }, expected: { data: Float32Array; shape: number[] }, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < expected.data.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected.data[i]));
    const d = Math.abs(actual.data[i] - expected.data[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN-safe: a NaN difference becomes the max and fails below
  }
  const tol = REL_TOL * Math.max(1, maxRef);
  assert.ok(maxDiff <= tol, `${what}: max |wasm - cpu| = ${maxDiff} > ${tol}`);
}

/** Same computation on wasm and cpu; every output must agree. */
async function compareBackends(what: string, inputs: Inputs, f: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]): Promise<void> {
  const onCpu = await runOn("cpu", inputs, f);
  const onWasm = await runOn("wasm", inputs, f);
  assert.equal(onWasm.length, onCpu.length);
  onCpu.forEach((ref, i) => assertClose(onWasm[i], ref, `${what} output ${i}`));
}

/** Live wasm heap buffers: tensors, plus any temporary a kernel forgot to free (invisible to tf.memory()). */
function wasmDataIds(): number {
  return (tf.engine().findBackend("wasm") as unknown as { numDataIds(): number }).numDataIds();
}

describe("engine/wasm-kernels", function () {
  after(async () => useBackend("wasm"));

  it("installs every kernel and is idempotent", async () => {
    await useBackend("wasm");
    assert.ok(wasmKernelsInstalled());
    const before = [...WASM_KERNELS.replaced, ...WASM_KERNELS.added].map((k) => tf.getKernel(k, "wasm")!.kernelFunc);
    installWasmKernels();
    installWasmKernels();
    const after = [...WASM_KERNELS.replaced, ...WASM_KERNELS.added].map((k) => tf.getKernel(k, "wasm")!.kernelFunc);
    after.forEach((f, i) => assert.equal(f, before[i], "a second install must not wrap the wrapper"));
  });

  it("matMul with every transpose combination matches cpu (2-D, batched, broadcast, vectors)", async () => {
    const rand = makeRandom(11);
    const cases: { a: number[]; b: number[] }[] = [
      { a: [37, 53], b: [53, 29] },
      { a: [64, 300], b: [300, 200] },
      { a: [200, 8], b: [8, 300] }, // small inner dim: the via-output path for NT
      { a: [1, 40], b: [40, 17] },
      { a: [23, 1], b: [1, 31] },
      { a: [3, 12, 9], b: [3, 9, 14] },
      { a: [2, 3, 12, 9], b: [9, 14] },
    ];
    for (const c of cases) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const r = c.a.length;
        const aShape = ta ? [...c.a.slice(0, -2), c.a[r - 1], c.a[r - 2]] : c.a;
        const rb = c.b.length;
        const bShape = tb ? [...c.b.slice(0, -2), c.b[rb - 1], c.b[rb - 2]] : c.b;
        const inputs = { a: randomInput(rand, aShape), b: randomInput(rand, bShape) };
        await compareBackends(`matMul ${aShape}x${bShape} tA=${ta} tB=${tb}`, inputs, (t) => tf.matMul(t.a, t.b, ta, tb));
      }
    }
  });

  it("fused matMul with bias and activation, transposed, matches cpu", async () => {
    const rand = makeRandom(12);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const activation of ["linear", "relu"] as const) {
        const inputs = { a: randomInput(rand, ta ? [50, 16] : [16, 50]), b: randomInput(rand, tb ? [30, 50] : [50, 30]), bias: randomInput(rand, [30]) };
        await compareBackends(`fused matMul tA=${ta} tB=${tb} ${activation}`, inputs, (t) =>
          tf.fused.matMul({ a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: t.bias, activation }),
        );
        const noBias = { a: inputs.a, b: inputs.b };
        await compareBackends(`fused matMul tA=${ta} tB=${tb} ${activation} no bias`, noBias, (t) =>
          tf.fused.matMul({ a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, transposeA: ta, transposeB: tb, activation }),
        );
      }
    }
  });

  it("picks the cheaper way to drop transpose flags", () => {
    // dx = dy·Wᵀ of a wide dense layer: transposing W (and packing it) costs far more than going via Cᵀ
    const wide = transposeCosts([64, 784], [1024, 784], false, true);
    assert.ok(wide.viaOutput < wide.direct, JSON.stringify(wide));
    // dW = xᵀ·dy: transpose x directly
    const dW = transposeCosts([64, 1024], [64, 784], true, false);
    assert.ok(dW.direct < dW.viaOutput, JSON.stringify(dW));
  });

  it("upSampling2d's gradient (ResizeNearestNeighborGrad) sums each 2x2 block, per image, on both backends", async () => {
    // tfjs-backend-cpu 4.22 used the wrong batch stride here; tsgan replaces its kernel.
    const rand = makeRandom(18);
    const dy = randomInput(rand, [3, 4, 6, 2]);
    const expected = new Float32Array(3 * 2 * 3 * 2);
    for (let b = 0; b < 3; b++) for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) for (let d = 0; d < 2; d++) {
      expected[((b * 2 + (y >> 1)) * 3 + (x >> 1)) * 2 + d] += dy.data[((b * 4 + y) * 6 + x) * 2 + d];
    }
    for (const backend of ["cpu", "wasm"] as const) {
      const [g] = await runOn(backend, { x: randomInput(rand, [3, 2, 3, 2]), dy }, (t) =>
        tf.grad((x: tf.Tensor) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [4, 6]).mul(t.dy).sum())(t.x));
      assertClose(g, { data: expected, shape: [3, 2, 3, 2] }, `${backend} upSampling2d gradient`);
    }
  });

  it("im2col writes each patch with zero padding (hand-checked 3x3 image, 2x2 filter, pad 1)", () => {
    // x[h][w] = 1 + 3h + w, one channel; taps (r,q) at output (i,j) read x[i-1+r][j-1+q], stride 2
    const x = Float32Array.from({ length: 9 }, (_, k) => k + 1);
    const cols = new Float32Array(4 * 4).fill(NaN);
    im2col(x, cols, { batch: 1, inH: 3, inW: 3, inC: 1, outH: 2, outW: 2, fh: 2, fw: 2, strideH: 2, strideW: 2, padTop: 1, padLeft: 1 });
    assert.deepEqual(Array.from(cols), [0, 0, 0, 1, 0, 0, 2, 3, 0, 4, 0, 7, 5, 6, 8, 9]);
  });

  it("Conv2DBackpropFilter matches cpu on random shapes, strides, paddings and NCHW", async () => {
    const rand = makeRandom(13);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    type Pad = "same" | "valid" | number;
    const cases: { n: number; h: number; w: number; cin: number; cout: number; fh: number; fw: number; s: [number, number]; pad: Pad; nchw?: boolean }[] = [
      { n: 2, h: 7, w: 7, cin: 3, cout: 4, fh: 3, fw: 3, s: [1, 1], pad: "same" },
      { n: 2, h: 8, w: 8, cin: 5, cout: 6, fh: 3, fw: 3, s: [2, 2], pad: "same" },
      { n: 3, h: 9, w: 9, cin: 4, cout: 2, fh: 3, fw: 3, s: [2, 2], pad: "valid" },
      { n: 2, h: 10, w: 9, cin: 2, cout: 3, fh: 4, fw: 4, s: [2, 2], pad: "same" },
      { n: 1, h: 6, w: 11, cin: 3, cout: 5, fh: 5, fw: 2, s: [2, 1], pad: "valid" },
      { n: 2, h: 7, w: 7, cin: 1, cout: 8, fh: 1, fw: 1, s: [1, 1], pad: "valid" },
      { n: 2, h: 7, w: 6, cin: 3, cout: 4, fh: 3, fw: 3, s: [1, 2], pad: 1 },
      { n: 4, h: 14, w: 14, cin: 32, cout: 16, fh: 5, fw: 5, s: [2, 2], pad: "same" },
      { n: 2, h: 7, w: 7, cin: 3, cout: 4, fh: 3, fw: 3, s: [2, 2], pad: "same", nchw: true },
    ];
    for (let k = 0; k < 4; k++) {
      cases.push({ n: int(1, 3), h: int(3, 12), w: int(3, 12), cin: int(1, 6), cout: int(1, 6), fh: int(1, 3), fw: int(1, 3), s: [int(1, 3), int(1, 3)], pad: rand() < 0.5 ? "same" : "valid" });
    }
    for (const c of cases) {
      const filterShape: [number, number, number, number] = [c.fh, c.fw, c.cin, c.cout];
      const xShape = c.nchw ? [c.n, c.cin, c.h, c.w] : [c.n, c.h, c.w, c.cin];
      const dataFormat = c.nchw ? "NCHW" : "NHWC";
      const info = tf.backend_util.computeConv2DInfo(
        [c.n, c.h, c.w, c.cin], filterShape, c.s, 1, c.pad, undefined, false, "channelsLast");
      const dyShape = c.nchw ? [c.n, c.cout, info.outHeight, info.outWidth] : [c.n, info.outHeight, info.outWidth, c.cout];
      const inputs = { x: randomInput(rand, xShape), dy: randomInput(rand, dyShape) };
      await compareBackends(`Conv2DBackpropFilter ${JSON.stringify(c)}`, inputs, (t) =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x: t.x, dy: t.dy }, {
          strides: c.s, pad: c.pad, dataFormat, dimRoundingMode: undefined, filterShape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
    }
  });

  it("conv2d forward (im2col + tsgan's product) gives XNNPACK's convolution's bits: bias, ReLU, leaky ReLU, strides, padding, chunks", async () => {
    await useBackend("wasm");
    const stock = stockWasmKernel("FusedConv2D")!;
    const cases: Array<[number[], number[], number, "same" | "valid"]> = [
      [[2, 14, 14, 16], [3, 3, 16, 24], 1, "same"], [[2, 28, 28, 1], [4, 4, 1, 64], 2, "same"],
      [[3, 14, 14, 64], [4, 4, 64, 128], 2, "same"], [[1, 9, 9, 8], [5, 5, 8, 12], 1, "valid"], [[2, 7, 7, 3], [3, 3, 3, 5], 1, "same"],
    ];
    for (const limit of [Infinity, 150]) {
      const previous = limit === Infinity ? null : setIm2colChunkLimit(limit * 9 * 16);
      try {
        for (const [xs, ws, strides, pad] of cases) {
          for (const activation of ["linear", "relu", "leakyrelu"] as const) {
            tf.tidy(() => {
              const x = tf.randomNormal(xs, 0, 1, "float32", 1), filter = tf.randomNormal(ws, 0, 1, "float32", 2), bias = tf.randomNormal([ws[3]], 0, 1, "float32", 3);
              const ours = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, bias, activation, leakyreluAlpha: 0.2 });
              const attrs = { strides, pad, dataFormat: "NHWC", dilations: 1, activation, leakyreluAlpha: 0.2 };
              const ref = tf.engine().makeTensorFromTensorInfo(stock({ inputs: { x, filter, bias }, backend: tf.backend() as never, attrs }) as tf.TensorInfo);
              const o = ours.dataSync(), r = ref.dataSync();
              const what = `conv2d [${xs}]*[${ws}] stride ${strides} ${pad} ${activation}, chunk limit ${limit}`;
              assert.deepEqual(ours.shape, ref.shape, what);
              for (let i = 0; i < o.length; i++) if (!Object.is(o[i], r[i])) assert.fail(`${what}: element ${i} is ${o[i]}, XNNPACK gives ${r[i]}`);
              if (activation === "linear") {
                const plain = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, strides, pad).add(bias).dataSync();
                // Conv2D (no bias) and a separate add round differently: float32 error of a K-term sum.
                const K = ws[0] * ws[1] * ws[2];
                for (let i = 0; i < o.length; i++) assert.ok(Math.abs(plain[i] - o[i]) <= 2e-7 * K * Math.max(1, Math.abs(o[i])), `${what}: Conv2D + add`);
              }
            });
          }
        }
      } finally {
        if (previous !== null) setIm2colChunkLimit(previous);
      }
    }
  });

  it("conv gradients match cpu when the batch is cut into chunks (1 and 2 images at a time)", async () => {
    const rand = makeRandom(19);
    const inputs = { x: randomInput(rand, [5, 6, 6, 3]), w: randomInput(rand, [3, 3, 3, 4]), r: randomInput(rand, [5, 3, 3, 4]) };
    for (const limit of [1, 2 * 9 * 27]) {
      const previous = setIm2colChunkLimit(limit);
      try {
        await compareBackends(`chunked conv2d grads (limit ${limit})`, inputs, (t) =>
          tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same").mul(t.r).sum())([t.x, t.w]),
        );
      } finally {
        setIm2colChunkLimit(previous);
      }
    }
  });

  it("Conv2DBackpropInput matches cpu: stride 1 as a convolution of dy (odd and even filters, same, valid and explicit pads, one channel), stride 2 by col2im, chunks", async () => {
    const rand = makeRandom(23);
    type Pad = "same" | "valid" | number;
    const cases: { n: number; h: number; w: number; cin: number; cout: number; fh: number; fw: number; s: number; pad: Pad }[] = [
      { n: 2, h: 7, w: 7, cin: 8, cout: 4, fh: 3, fw: 3, s: 1, pad: "same" },
      { n: 2, h: 8, w: 6, cin: 5, cout: 3, fh: 4, fw: 4, s: 1, pad: "same" }, // asymmetric padding (1 top, 2 bottom)
      { n: 3, h: 9, w: 9, cin: 4, cout: 6, fh: 3, fw: 2, s: 1, pad: "valid" },
      { n: 2, h: 6, w: 7, cin: 3, cout: 4, fh: 3, fw: 3, s: 1, pad: 1 },
      { n: 2, h: 6, w: 7, cin: 3, cout: 4, fh: 5, fw: 5, s: 1, pad: 2 },
      { n: 2, h: 10, w: 10, cin: 16, cout: 1, fh: 3, fw: 3, s: 1, pad: "same" }, // one output channel
      { n: 1, h: 5, w: 5, cin: 1, cout: 8, fh: 1, fw: 1, s: 1, pad: "valid" },
      { n: 2, h: 8, w: 8, cin: 6, cout: 5, fh: 3, fw: 3, s: 2, pad: "same" },
    ];
    for (const limit of [Infinity, 40]) {
      const previous = limit === Infinity ? null : setIm2colChunkLimit(limit);
      try {
        for (const c of cases) {
          const filterShape: [number, number, number, number] = [c.fh, c.fw, c.cin, c.cout];
          const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], filterShape, c.s, 1, c.pad, undefined, false, "channelsLast");
          const inputs = { dy: randomInput(rand, [c.n, info.outHeight, info.outWidth, c.cout]), w: randomInput(rand, filterShape) };
          await compareBackends(`Conv2DBackpropInput ${JSON.stringify(c)}, chunk limit ${limit}`, inputs, (t) =>
            tf.engine().runKernel("Conv2DBackpropInput", { dy: t.dy, filter: t.w }, {
              strides: c.s, pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined, inputShape: [c.n, c.h, c.w, c.cin],
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
          );
        }
      } finally {
        if (previous !== null) setIm2colChunkLimit(previous);
      }
    }
  });

  it("conv2d and conv2dTranspose weight gradients (through tf.grads) match cpu", async () => {
    const rand = makeRandom(14);
    const inputs = {
      x: randomInput(rand, [3, 8, 8, 4]), w: randomInput(rand, [3, 3, 4, 6]), r: randomInput(rand, [3, 4, 4, 6]),
      wt: randomInput(rand, [4, 4, 5, 4]), rt: randomInput(rand, [3, 16, 16, 5]),
    };
    await compareBackends("conv2d grads", inputs, (t) =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same").mul(t.r).sum())([t.x, t.w]),
    );
    await compareBackends("conv2dTranspose grads", inputs, (t) =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) =>
        tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [3, 16, 16, 5], 2, "same").mul(t.rt).sum())([t.x, t.wt]),
    );
  });

  it("UnsortedSegmentSum and the gather (embedding) gradient match cpu, dropping out-of-range ids", async () => {
    const rand = makeRandom(15);
    for (const [rows, width, segments] of [[20, 7, 5], [64, 16, 10], [9, 1, 12], [30, 3, 1]]) {
      const ids = Int32Array.from({ length: rows }, () => Math.floor(rand() * (segments + 2)) - 1); // includes -1 and `segments`
      const inputs = { x: randomInput(rand, [rows, width]), ids: { data: ids, shape: [rows] } };
      await compareBackends(`unsortedSegmentSum ${rows}x${width} -> ${segments}`, inputs, (t) =>
        tf.unsortedSegmentSum(t.x, t.ids as tf.Tensor1D, segments),
      );
    }
    const table = randomInput(rand, [10, 6]);
    const idx = Int32Array.from({ length: 4 * 5 }, () => Math.floor(rand() * 10));
    const inputs = { table, idx: { data: idx, shape: [4, 5] }, r: randomInput(rand, [4, 5, 6]) };
    await compareBackends("gather gradient", inputs, (t) =>
      tf.grad((p: tf.Tensor) => tf.gather(p, t.idx).mul(t.r).sum())(t.table),
    );
  });

  it("GatherV2 (row copies) matches cpu exactly on every axis, dtype and index shape; bad indices are errors", async () => {
    const rand = makeRandom(16);
    const cases: { shape: number[]; axis: number; idx: number[]; dims?: number[] }[] = [
      { shape: [10, 784], axis: 0, idx: Array.from({ length: 64 }, (_, i) => (i * 7) % 10) }, // a label embedding lookup
      { shape: [30, 20], axis: 0, idx: [29, 0, 0, 5] },
      { shape: [5, 7, 3], axis: 1, idx: [6, 0, 2, 2, 1, 3], dims: [2, 3] },
      { shape: [5, 7, 3], axis: 2, idx: [2, 0] }, // runs of one element
      { shape: [4, 6], axis: -1, idx: [5, 1, 1] },
      { shape: [8, 17], axis: 0, idx: [3] , dims: [] }, // a scalar index: the axis goes away
      { shape: [8, 17], axis: 0, idx: [], dims: [0] }, // nothing gathered
    ];
    for (const c of cases) {
      const x = randomInput(rand, c.shape);
      const inputs = { x, i: { data: Int32Array.from(c.idx), shape: c.dims ?? [c.idx.length] } };
      for (const dtype of ["float32", "int32", "bool"] as const) {
        const what = `gather [${c.shape}] axis ${c.axis} indices [${c.dims ?? [c.idx.length]}] ${dtype}`;
        const f = (t: Record<string, tf.Tensor>) => tf.gather(dtype === "float32" ? t.x : dtype === "int32" ? t.x.mul(100).toInt() : t.x.greater(0), t.i, c.axis).toFloat();
        const [onCpu] = await runOn("cpu", inputs, f);
        const [onWasm] = await runOn("wasm", inputs, f);
        assert.deepEqual(onWasm.shape, onCpu.shape, what);
        assert.deepEqual(Array.from(onWasm.data), Array.from(onCpu.data), what); // copies: exact
      }
    }
    // batchDims > 0 (the stock wasm kernel gets these wrong): batch 3, and batch [2, 3] with an outer axis between.
    const batched = { x: randomInput(rand, [3, 4, 5]), i: { data: Int32Array.from([0, 3, 1, 1, 2, 0]), shape: [3, 2] } };
    await compareBackends("gather batchDims 1", batched, (t) => tf.gather(t.x, t.i, 1, 1));
    const deeper = { x: randomInput(rand, [2, 3, 4, 6, 2]), i: { data: Int32Array.from({ length: 2 * 3 * 5 }, (_, k) => (k * 5) % 6), shape: [2, 3, 5] } };
    await compareBackends("gather batchDims 2, axis 3", deeper, (t) => tf.gather(t.x, t.i, 3, 2));
    await useBackend("wasm");
    for (const bad of [10, -1]) {
      assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([10, 3]), tf.tensor1d([0, bad], "int32"))), new RegExp(`GatherV2: the index value ${bad} is not in \\[0, 9\\]`));
    }
    const before = wasmDataIds();
    tf.tidy(() => tf.gather(tf.ones([10, 784]), tf.tensor1d([1, 2, 3], "int32")).dataSync());
    assert.equal(wasmDataIds(), before, "no heap buffer left behind");
  });

  it("UnsortedSegmentSum is exact on a hand-made example", async () => {
    await useBackend("wasm");
    const out = tf.tidy(() =>
      tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, 0, 2, -1], "int32"), 3).arraySync(),
    );
    assert.deepEqual(out, [[3, 4], [0, 0], [6, 8]]);
  });

  it("gradient of a gradient penalty through conv2d matches cpu", async () => {
    // Critic D(x) = Σ r · softplus(conv2d(softplus(conv2d(x, w1, stride 2)), w2)); penalty (‖∇ₓD‖² − 1)²,
    // differentiated w.r.t. both filters: the WGAN-GP pattern (Gulrajani et al. 2017).
    const rand = makeRandom(16);
    const inputs = {
      x: randomInput(rand, [2, 8, 8, 2]), w1: randomInput(rand, [3, 3, 2, 4]), w2: randomInput(rand, [3, 3, 4, 3]), r: randomInput(rand, [2, 4, 4, 3]),
    };
    await compareBackends("gradient penalty grads", inputs, (t) => {
      const critic = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) =>
        tf.softplus(tf.conv2d(tf.softplus(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, "same")), w2 as tf.Tensor4D, 1, "same")).mul(t.r).sum();
      const penalty = (w1: tf.Tensor, w2: tf.Tensor) => {
        const gx = tf.grad((x: tf.Tensor) => critic(x, w1, w2))(t.x);
        return gx.square().sum().sub(1).square();
      };
      return tf.grads(penalty)([t.w1, t.w2]);
    });
  });

  it("Identity (every tensor a gradient saves) shares its input's buffer: no copy, and the clone outlives the original", async () => {
    await useBackend("wasm");
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const buffers = wasmDataIds();
    const y = tf.clone(x);
    assert.equal(wasmDataIds(), buffers, "a clone allocates no heap buffer");
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4], "the clone keeps the data after the original is freed");
    y.dispose();
    assert.equal(wasmDataIds(), buffers - 1, "the buffer is freed with its last tensor");
    const s = tf.clone(tf.tensor(["a", "b"]));
    assert.deepEqual(s.arraySync(), ["a", "b"], "strings take the stock kernel");
    s.dispose();
  });

  it("a right operand transposed by a view (a length-1 axis) never runs another shape's cached XNNPACK operator", async () => {
    // tfjs-wasm caches a product's operator under the right operand's id alone. u [4] enters as [4, 1] on
    // the right in the forward product; the backward pass needs it transposed, [1, 4], which used to be a
    // view of the same id, so the gradient ran the forward's operator (k = 4, n = 1) on the wrong shapes.
    const rand = makeRandom(31);
    const inputs = { k: randomInput(rand, [6, 4]), u: randomInput(rand, [4]), v: randomInput(rand, [6]) };
    await compareBackends("∂/∂(k, u) of ‖k·u‖²", inputs, (t) =>
      tf.grads((k: tf.Tensor, u: tf.Tensor) => tf.sum(tf.square(tf.matMul(k, tf.reshape(u, [-1, 1])))))([t.k, t.u]));
    await compareBackends("∂/∂k of vᵀ·k·u (spectral normalisation's σ)", inputs, (t) =>
      tf.grad((k: tf.Tensor) => tf.reshape(tf.matMul(tf.reshape(t.v, [1, -1]), tf.matMul(k, tf.reshape(t.u, [-1, 1]))), []))(t.k));
    await compareBackends("a [h, 1] last layer, forward then ∂/∂x", { x: randomInput(rand, [5, 7]), w: randomInput(rand, [7, 1]) }, (t) =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, t.w))))(t.x));
  });

  it("training gives bit-identical weights with the shared Identity and a copying one (toy GAN, WGAN-GP, SN-GAN, conv critics)", async function () {
    this.timeout(120_000);
    await useBackend("wasm");
    const shared = tf.getKernel("Identity", "wasm")!;
    const copying: tf.KernelFunc = ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const wasm = backend as unknown as { makeOutput(s: number[], d: tf.DataType): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
      const out = wasm.makeOutput(x.shape, x.dtype);
      wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(x));
      return out;
    };
    const tiny: [number, number, number] = [8, 8, 1];
    const games: Record<string, () => { gan: GanSpec; data: TrainOptions["data"]; batch: number; dispose: () => void }> = {};
    for (const name of ["toy-gan", "wgan-gp-toy", "sngan-mlp"]) {
      games[name] = () => {
        const m = MODELS[name];
        const real = benchBatches(m, 16);
        return { gan: m.gan() as GanSpec, data: real.data, batch: 16, dispose: () => real.dispose() };
      };
    }
    const images = (n: number) => tf.randomUniform([n, ...tiny], -1, 1, "float32", 7);
    games["WGAN-GP conv critic"] = () => ({ gan: wganGpSpec({ trunk: "conv", imageShape: tiny }), data: images, batch: 8, dispose: () => undefined });
    games["SN-GAN conv critic"] = () => ({ gan: snganSpec({ trunk: "conv", imageShape: tiny }), data: images, batch: 8, dispose: () => undefined });
    const weightsAfterTraining = async (make: () => { gan: GanSpec; data: TrainOptions["data"]; batch: number; dispose: () => void }) => {
      seedAll(1234);
      const { gan, data, batch, dispose } = make();
      const run = await train({ gan, data, steps: 2, batchSize: batch, seed: 5 });
      const networks: Record<string, Network> = isGame(gan) ? gan.networks : { generator: gan.generator, discriminator: gan.discriminator };
      const w = Object.values(networks).flatMap((n) => (n as unknown as tf.LayersModel).getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array)));
      Object.values(run.optimizers).forEach((o) => o.dispose());
      Object.values(networks).forEach((n) => (n as unknown as tf.LayersModel).dispose());
      dispose();
      return w;
    };
    try {
      for (const [name, make] of Object.entries(games)) {
        tf.unregisterKernel("Identity", "wasm");
        tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: copying });
        const reference = await weightsAfterTraining(make);
        tf.unregisterKernel("Identity", "wasm");
        tf.registerKernel(shared);
        const withShared = await weightsAfterTraining(make);
        assert.equal(withShared.length, reference.length, `${name}: weight count`);
        const differing = reference.filter((w, i) => !Buffer.from(w.buffer).equals(Buffer.from(withShared[i].buffer))).length;
        assert.equal(differing, 0, `${name}: ${differing} of ${reference.length} weight tensors differ after two steps`);
      }
    } finally {
      if (tf.getKernel("Identity", "wasm")!.kernelFunc !== shared.kernelFunc) {
        tf.unregisterKernel("Identity", "wasm");
        tf.registerKernel(shared);
      }
    }
  });

  it("leaks neither tensors nor wasm heap buffers", async () => {
    await useBackend("wasm");
    const rand = makeRandom(17);
    const a = tf.tensor(randomInput(rand, [30, 20]).data, [30, 20]);
    const b = tf.tensor(randomInput(rand, [40, 20]).data, [40, 20]);
    const x = tf.tensor(randomInput(rand, [2, 6, 6, 3]).data, [2, 6, 6, 3]);
    const w = tf.tensor(randomInput(rand, [3, 3, 3, 4]).data, [3, 3, 3, 4]);
    const ids = tf.tensor1d([0, 2, 1, 2, 5, -1], "int32");
    const work = () =>
      tf.tidy(() => {
        tf.matMul(a, b, false, true).dataSync();
        tf.matMul(a, a, true, false).dataSync();
        tf.matMul(a.transpose(), b, true, true).dataSync();
        tf.matMul(a.slice([0, 0], [4, 20]), b.tile([5, 1]), false, true).dataSync(); // via the transposed output
        tf.matMul(a.slice([0, 0], [1, 20]), b.tile([5, 1]), false, true).dataSync(); // output transpose is a view
        tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB: true, bias: tf.ones([40]) }).dataSync();
        tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, "same").square().sum())([x, w]).forEach((g) => g.dataSync());
        tf.unsortedSegmentSum(tf.ones([6, 3]), ids, 4).dataSync();
      });
    work(); // burn-in
    const tensors = tf.memory().numTensors;
    const buffers = wasmDataIds();
    for (let i = 0; i < 3; i++) work();
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked");
    assert.equal(wasmDataIds(), buffers, "wasm heap buffers leaked");
    tf.dispose([a, b, x, w, ids]);
  });

  it("keeps its kernels across a switch to cpu and back", async () => {
    await useBackend("cpu");
    await useBackend("wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.ok(wasmKernelsInstalled());
    const g = tf.tidy(() =>
      tf.grad((w: tf.Tensor) => tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, "valid").sum())(tf.zeros([2, 2, 1, 1])).arraySync(),
    );
    // each of the 2x2 taps sees four ones of the 3x3 image
    assert.deepEqual(g, [[[[4]], [[4]]], [[[4]], [[4]]]]);
  });
});
