/**
 * `Conv2DBackpropFilter` for the wasm backend: the weight gradient of every conv2d layer (and of every
 * conv2dTranspose layer), which tfjs-backend-wasm 4.22 does not have.
 *
 * For a convolution y[n,i,j,o] = Σ_{p,q,c} x[n, i·s_h + p − pad_t, j·s_w + q − pad_l, c] · W[p,q,c,o] the
 * weight gradient is dW[p,q,c,o] = Σ_{n,i,j} x[n, i·s_h + p − pad_t, j·s_w + q − pad_l, c] · dy[n,i,j,o]:
 * one matrix product once x is unrolled into patches ("im2col", Chellapilla, Puri & Simard 2006,
 * "High Performance Convolutional Neural Networks for Document Processing").
 *
 *   cols  [M, K]   M = N·outH·outW rows (one per output pixel), K = fh·fw·Cin (one per filter tap)
 *   dWᵀ   [Cout, K] = dyᵀ [Cout, M] · cols [M, K]   (tsgan's product; cols read as they lie)
 *   dW    [K, Cout] → reshape [fh, fw, Cin, Cout]
 *
 * The unrolling is plain JavaScript copying straight between heap buffers: with dilation 1 and NHWC, the
 * taps q = 0..fw−1 of one filter row read fw·Cin consecutive floats of x, so each (output pixel, filter row)
 * is a single `copyWithin`-style block move. The final transpose of the small dWᵀ runs in the wasm Transpose kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { TensorInfo, WasmBackend, WasmKernelFunc, floatView, transposeWasm, viewAs, wasmKernelFunc, wasmMemoryOf } from "./wasm-backend-access";
import { gemmProduct } from "./wasm-gemm";
import { Im2ColPlan, Im2ColTask, im2col, runIm2colTask } from "./im2col";
import { helpersFor } from "./wasm-gemm-thread";

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/** Below this many patch floats (~0.1 ms of copying) a helper's hand-off costs more than it saves. */
const PARALLEL_IM2COL_MIN_FLOATS = 1 << 16;

/**
 * im2col of images [n0, n0 + sub.batch) of `x` into `cols`, the images shared out between the calling thread
 * and the product's helper threads (wasm-gemm-thread.ts) in the threaded build: the unrolling was a tenth of a
 * DCGAN step on the calling thread alone, with the helper idle. Each patch row is the same copy whoever writes it.
 */
function unroll(backend: WasmBackend, x: TensorInfo, n0: number, cols: TensorInfo, sub: Im2ColPlan): void {
  const xImage = sub.inH * sub.inW * sub.inC;
  const colsImage = sub.outH * sub.outW * sub.fh * sub.fw * sub.inC;
  const memory = wasmMemoryOf(backend);
  const helpers = memory ? helpersFor(memory) : null;
  const parts = helpers && sub.batch * colsImage >= PARALLEL_IM2COL_MIN_FLOATS ? Math.min(helpers.available + 1, sub.batch) : 1;
  if (!helpers || parts < 2) {
    im2col(floatView(backend, x).subarray(n0 * xImage, (n0 + sub.batch) * xImage), floatView(backend, cols), sub);
    return;
  }
  const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const x0 = offset(x) + 4 * n0 * xImage, cols0 = offset(cols);
  const edge = (i: number) => Math.round((sub.batch * i) / parts);
  const share = (i: number): Im2ColTask => ({
    plan: { ...sub, batch: edge(i + 1) - edge(i) }, x: x0 + 4 * edge(i) * xImage, cols: cols0 + 4 * edge(i) * colsImage,
  });
  const tasks = Array.from({ length: parts - 1 }, (_, i) => share(i + 1));
  helpers.im2col(tasks, () => runIm2colTask(new Float32Array(memory!.buffer), share(0)));
}

function conv2DBackpropFilterNHWC(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const plan: Im2ColPlan = {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const M = plan.batch * plan.outH * plan.outW;
  const K = plan.fh * plan.fw * plan.inC;
  const outC = info.outChannels;
  if (dy.shape.join() !== [plan.batch, plan.outH, plan.outW, outC].join()) {
    throw new Error(
      `tsgan wasm Conv2DBackpropFilter: dy has shape [${dy.shape}] but x [${x.shape}] with filter ` +
        `[${attrs.filterShape}], strides ${attrs.strides} and pad ${JSON.stringify(attrs.pad)} give ` +
        `[${[plan.batch, plan.outH, plan.outW, outC]}].`,
    );
  }
  // dWᵀ [Cout, K] = dyᵀ [Cout, M] · cols [M, K] on tsgan's product (wasm-gemm.ts): the patch matrix, the
  // largest array of the step, is read as it lies (no transposed copy, no repacking), dy through strides,
  // and the small dWᵀ is transposed once at the end. This way round the product splits the wide output into
  // bands of columns over the threads (29 G/s against 24 for colsᵀ·dy, [64,28,28,128] ⊛ 3×3×128×64).
  // Where tsgan's product declines (K and Cout both not multiples of 4), tfjs's BatchMatMul does the same
  // product. Batches are cut into chunks (partial sums added) to bound the temporary heap.
  void M;
  const matMul = wasmKernelFunc("BatchMatMul");
  const chunk = imagesPerChunk(plan);
  const dyImage = plan.outH * plan.outW * outC;
  let total: TensorInfo | null = null;
  for (let n0 = 0; n0 < plan.batch; n0 += chunk) {
    const n1 = Math.min(plan.batch, n0 + chunk);
    const sub = { ...plan, batch: n1 - n0 };
    const Mc = sub.batch * plan.outH * plan.outW;
    const cols = backend.makeOutput([Mc, K], "float32");
    let dyChunk: TensorInfo | null = null;
    try {
      unroll(backend, x, n0, cols, sub);
      dyChunk = n0 === 0 && n1 === plan.batch ? viewAs(dy, [Mc, outC]) : backend.makeOutput([Mc, outC], "float32");
      if (dyChunk.dataId !== dy.dataId) {
        floatView(backend, dyChunk).set(floatView(backend, viewAs(dy, [plan.batch * dyImage])).subarray(n0 * dyImage, n1 * dyImage));
      }
      const part = gemmProduct(backend, { a: dyChunk, b: cols, transposeA: true, transposeB: false }) ?? (matMul({
        inputs: { a: viewAs(dyChunk, [1, Mc, outC]), b: viewAs(cols, [1, Mc, K]) },
        backend,
        attrs: { transposeA: true, transposeB: false },
      }) as TensorInfo);
      if (total === null) {
        total = part;
      } else {
        const acc = floatView(backend, viewAs(total, [K * outC]));
        const add = floatView(backend, viewAs(part, [K * outC]));
        for (let i = 0; i < acc.length; i++) acc[i] += add[i];
        backend.disposeData(part.dataId);
      }
    } finally {
      backend.disposeData(cols.dataId);
      if (dyChunk && dyChunk.dataId !== dy.dataId) backend.disposeData(dyChunk.dataId);
    }
  }
  const dW = transposeWasm(backend, viewAs(total!, [outC, K]), [1, 0]);
  backend.disposeData(total!.dataId);
  return viewAs(dW, attrs.filterShape.slice());
}

/** The kernel function: NHWC directly; NCHW by transposing x and dy to NHWC first. */
export const conv2DBackpropFilterWasm: WasmKernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs;
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error(`tsgan wasm Conv2DBackpropFilter: needs float32 x and dy, got ${x.dtype} and ${dy.dtype}.`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(`tsgan wasm Conv2DBackpropFilter: needs rank-4 x and dy, got [${x.shape}] and [${dy.shape}].`);
  }
  if (a.dataFormat !== "NCHW") return conv2DBackpropFilterNHWC(backend, x, dy, a);
  const xNHWC = transposeWasm(backend, x, [0, 2, 3, 1]);
  const dyNHWC = transposeWasm(backend, dy, [0, 2, 3, 1]);
  try {
    return conv2DBackpropFilterNHWC(backend, xNHWC, dyNHWC, { ...a, dataFormat: "NHWC" });
  } finally {
    backend.disposeData(xNHWC.dataId);
    backend.disposeData(dyNHWC.dataId);
  }
};

/**
 * The adjoint of `im2col`: adds every patch row of `cols` ([M, K]) back into the NHWC image `dx` (which
 * must start zeroed). This is the input gradient of a convolution once cols = dy·Wᵀ.
 */
export function col2imAdd(cols: Float32Array, dx: Float32Array, p: Im2ColPlan): void {
  const { batch, inH, inW, inC, outH, outW, fh, fw, strideH, strideW, padTop, padLeft } = p;
  const K = fh * fw * inC;
  const rowLen = fw * inC;
  const xRow = inW * inC;
  const xImage = inH * xRow;
  let src = 0;
  for (let n = 0; n < batch; n++) {
    const xBase = n * xImage;
    for (let i = 0; i < outH; i++) {
      const top = i * strideH - padTop;
      for (let j = 0; j < outW; j++) {
        const left = j * strideW - padLeft;
        const q0 = left < 0 ? -left : 0;
        const q1 = Math.min(fw, inW - left);
        for (let r = 0; r < fh; r++) {
          const ih = top + r;
          if (ih < 0 || ih >= inH || q1 <= q0) continue;
          const from = src + r * rowLen + q0 * inC;
          const to = xBase + ih * xRow + (left + q0) * inC;
          const len = (q1 - q0) * inC;
          for (let t = 0; t < len; t++) dx[to + t] += cols[from + t];
        }
        src += K;
      }
    }
  }
}

/**
 * Largest patch matrix built at once (floats): 16 MB, which bounds the temporary heap on big batches and keeps
 * the patches in the last-level cache between im2col and the product (DCGAN step: 1.5–1.7 s against 1.9 s with
 * 64 MB chunks; noisy machine).
 */
let MAX_COLS_FLOATS = 4 * 1024 * 1024;

/** Sets the patch-matrix size limit (floats) and returns the previous one; tests use it to force chunking. */
export function setIm2colChunkLimit(floats: number): number {
  if (!(floats >= 1)) throw new Error(`tsgan: the im2col chunk limit must be at least 1 float, got ${floats}.`);
  const previous = MAX_COLS_FLOATS;
  MAX_COLS_FLOATS = floats;
  return previous;
}

/** Plan for NHWC x and filter [fh, fw, Cin, Cout], or null when dilations ≠ 1 (left to the stock kernel). */
function planFor(
  xShape: number[],
  filterShape: number[],
  strides: unknown,
  pad: unknown,
  dilations: unknown,
  dimRoundingMode: unknown,
): { plan: Im2ColPlan; outC: number } | null {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as [number, number],
    (dilations ?? 1) as [number, number],
    pad as "same",
    dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return {
    outC: info.outChannels,
    plan: {
      batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
      outH: info.outHeight, outW: info.outWidth, fh: info.filterHeight, fw: info.filterWidth,
      strideH: info.strideHeight, strideW: info.strideWidth, padTop: info.padInfo.top, padLeft: info.padInfo.left,
    },
  };
}

/** Images per chunk so that one chunk's patch matrix stays under MAX_COLS_FLOATS. */
function imagesPerChunk(p: Im2ColPlan): number {
  const perImage = p.outH * p.outW * p.fh * p.fw * p.inC;
  return Math.max(1, Math.min(p.batch, Math.floor(MAX_COLS_FLOATS / Math.max(1, perImage))));
}

/**
 * For stride 1 the input gradient is itself a convolution ("full" correlation with the flipped filter; Dumoulin
 * & Visin 2016, "A guide to convolution arithmetic", §4.1): dx[n,i,j,c] = Σ_{p,q,o} dy[n, i + p − pad'_t,
 * j + q − pad'_l, o] · W'[p,q,o,c] with W'[p,q,o,c] = W[f_h−1−p, f_w−1−q, c, o] and pad' = f − 1 − pad. So it
 * runs as im2col of dy + tsgan's product, like the forward pass, instead of dy·Wᵀ followed by col2im's scattered
 * adds of every patch (a DCGAN step's 15 calls: 454 → 278 ms here; 51 → 4 ms for the one with one output
 * channel, where dy·Wᵀ was an outer product as large as the patch matrix). Null when it does not apply.
 */
function stride1BackpropInput(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, plan: Im2ColPlan, outC: number): TensorInfo | null {
  const { fh, fw, inC, inH, inW, outH, outW } = plan;
  if (plan.strideH !== 1 || plan.strideW !== 1) return null;
  const padBottom = outH - 1 + fh - inH - plan.padTop;
  const padRight = outW - 1 + fw - inW - plan.padLeft;
  const pads = [plan.padTop, plan.padLeft, padBottom, padRight];
  if (pads.some((p) => p < 0) || plan.padTop > fh - 1 || padBottom > fh - 1 || plan.padLeft > fw - 1 || padRight > fw - 1) return null;
  const flipped = backend.makeOutput([fh * fw * outC, inC], "float32");
  try {
    const w = floatView(backend, filter), wf = floatView(backend, flipped);
    for (let p = 0; p < fh; p++) {
      for (let q = 0; q < fw; q++) {
        const from = ((fh - 1 - p) * fw + (fw - 1 - q)) * inC * outC; // W[fh−1−p, fw−1−q, :, :] is [Cin, Cout]
        const to = (p * fw + q) * outC * inC; // W'[p, q, :, :] is [Cout, Cin]
        for (let c = 0; c < inC; c++) for (let o = 0; o < outC; o++) wf[to + o * inC + c] = w[from + c * outC + o];
      }
    }
    const dyPlan: Im2ColPlan = {
      batch: plan.batch, inH: outH, inW: outW, inC: outC, outH: inH, outW: inW, fh, fw,
      strideH: 1, strideW: 1, padTop: fh - 1 - plan.padTop, padLeft: fw - 1 - plan.padLeft,
    };
    return im2colProduct(backend, dy, flipped, dyPlan, inC, { activation: "linear" });
  } finally {
    backend.disposeData(flipped.dataId);
  }
}

/**
 * `Conv2DBackpropInput` (the input gradient of conv2d, and the forward pass of conv2dTranspose) as the fast
 * matmul + col2im: cols [M, K] = dy [M, Cout] · Wᵀ, then each patch row is added back where it was read.
 */
export function col2imBackpropInput(original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    const inputShape = attrs.inputShape as number[];
    if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || inputShape.length !== 4) return original(args);
    const geometry = planFor(inputShape, filter.shape, attrs.strides, attrs.pad, 1, attrs.dimRoundingMode);
    if (!geometry) return original(args);
    const { plan, outC } = geometry;
    const asConvolution = stride1BackpropInput(backend, dy, filter, plan, outC);
    if (asConvolution) return asConvolution;
    const K = plan.fh * plan.fw * plan.inC;
    const matMul = wasmKernelFunc("BatchMatMul");
    const chunk = imagesPerChunk(plan);
    const xImage = plan.inH * plan.inW * plan.inC;
    const dyImage = plan.outH * plan.outW * outC;
    const dx = backend.makeOutput(inputShape.slice(), "float32");
    floatView(backend, dx).fill(0);
    for (let n0 = 0; n0 < plan.batch; n0 += chunk) {
      const n1 = Math.min(plan.batch, n0 + chunk);
      const sub = { ...plan, batch: n1 - n0 };
      const Mc = sub.batch * plan.outH * plan.outW;
      // dy rows of this chunk, viewed in place: a slice of the heap buffer needs a copy for the kernel
      const dyChunk = chunk >= plan.batch ? viewAs(dy, [1, Mc, outC]) : backend.makeOutput([1, Mc, outC], "float32");
      if (dyChunk.dataId !== dy.dataId) {
        floatView(backend, dyChunk).set(floatView(backend, viewAs(dy, [plan.batch * dyImage])).subarray(n0 * dyImage, n1 * dyImage));
      }
      const cols = matMul({
        inputs: { a: dyChunk, b: viewAs(filter, [1, K, outC]) },
        backend,
        attrs: { transposeA: false, transposeB: true },
      }) as TensorInfo;
      col2imAdd(floatView(backend, cols), floatView(backend, dx).subarray(n0 * xImage, n1 * xImage), sub);
      backend.disposeData(cols.dataId);
      if (dyChunk.dataId !== dy.dataId) backend.disposeData(dyChunk.dataId);
    }
    return dx;
  };
}

/** What a convolution adds after its product: a bias of Cout values and an activation (tfjs's names). */
interface Epilogue { bias?: TensorInfo; activation: string; alpha?: number }

/**
 * y [N, outH, outW, Cout] = im2col(x) · W (+ bias, activation) on tsgan's product, cut into chunks of images so
 * that the patch matrix stays under MAX_COLS_FLOATS; `filter` is W viewed as [K, Cout]. Null when the product
 * declines (then nothing is left allocated).
 */
function im2colProduct(backend: WasmBackend, x: TensorInfo, filter: TensorInfo, plan: Im2ColPlan, outC: number, epilogue: Epilogue): TensorInfo | null {
  const K = plan.fh * plan.fw * plan.inC;
  const chunk = imagesPerChunk(plan);
  const yImage = plan.outH * plan.outW * outC;
  const outShape = [plan.batch, plan.outH, plan.outW, outC];
  const y = chunk >= plan.batch ? null : backend.makeOutput(outShape, "float32");
  for (let n0 = 0; n0 < plan.batch; n0 += chunk) {
    const n1 = Math.min(plan.batch, n0 + chunk);
    const sub = { ...plan, batch: n1 - n0 };
    const Mc = sub.batch * plan.outH * plan.outW;
    const cols = backend.makeOutput([Mc, K], "float32");
    let part: TensorInfo | null = null;
    try {
      unroll(backend, x, n0, cols, sub);
      part = gemmProduct(backend, {
        a: cols, b: viewAs(filter, [K, outC]), transposeA: false, transposeB: false,
        bias: epilogue.bias, activation: epilogue.activation, alpha: epilogue.alpha,
      });
      if (!part) {
        if (y) backend.disposeData(y.dataId);
        return null;
      }
      if (!y) {
        const data = backend.dataIdMap.get(part.dataId);
        if (data) data.shape = outShape; // some wasm kernels read a buffer's shape from the backend
        const whole = viewAs(part, outShape);
        part = null;
        return whole;
      }
      floatView(backend, viewAs(y, [plan.batch * yImage])).set(floatView(backend, part), n0 * yImage);
    } finally {
      backend.disposeData(cols.dataId);
      if (part) backend.disposeData(part.dataId);
    }
  }
  return y!;
}

/**
 * `Conv2D` and `FusedConv2D` (bias, ReLU / leaky ReLU) as im2col + tsgan's product (wasm-gemm.ts), which runs
 * on every thread of the build: y [M, Cout] = cols [M, K] · W [K, Cout] + b. XNNPACK's convolution ran on its
 * own thread pool, whose workers spin for a while after each op and then competed with the product's helper
 * threads; with the pool at one thread (wasm-threads.ts) the convolution comes here. Each output sums its taps
 * in the cols order (filter row, column, input channel), as XNNPACK's convolution does. Everything else —
 * NCHW, dilation, other activations, a prelu — goes to tfjs's kernel.
 */
export function im2colConv2D(original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs;
    const activation = (attrs.activation as string | undefined) ?? "linear";
    if (attrs.dataFormat === "NCHW" || x.dtype !== "float32" || x.shape.length !== 4 || preluActivationWeights) return original(args);
    if (activation !== "linear" && activation !== "relu" && activation !== "leakyrelu") return original(args);
    const geometry = planFor(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dilations, attrs.dimRoundingMode);
    if (!geometry) return original(args);
    const y = im2colProduct(backend, x, filter, geometry.plan, geometry.outC, { bias, activation, alpha: attrs.leakyreluAlpha as number | undefined });
    return y ?? original(args);
  };
}
