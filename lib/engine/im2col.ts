/**
 * The patch matrix of a convolution ("im2col", Chellapilla, Puri & Simard 2006): its geometry and the unrolling
 * itself, with no tfjs here, so that a helper thread of tsgan's product (wasm-gemm-worker.ts) can unroll its
 * share of the images on the shared heap while the calling thread unrolls the rest (wasm-conv.ts).
 */

/** Geometry of the unrolling, from tfjs's own conv bookkeeping so padding matches every other backend. */
export interface Im2ColPlan {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  fh: number;
  fw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Writes the patches of NHWC `x` into `cols` ([M, K] row-major), zeros where a tap falls in the padding.
 * Exported for tests of the geometry.
 */
export function im2col(x: Float32Array, cols: Float32Array, p: Im2ColPlan): void {
  const { batch, inH, inW, inC, outH, outW, fh, fw, strideH, strideW, padTop, padLeft } = p;
  const K = fh * fw * inC;
  const rowLen = fw * inC; // one filter row of taps
  const xRow = inW * inC;
  const xImage = inH * xRow;
  let dst = 0;
  for (let n = 0; n < batch; n++) {
    const xBase = n * xImage;
    for (let i = 0; i < outH; i++) {
      const top = i * strideH - padTop;
      for (let j = 0; j < outW; j++) {
        const left = j * strideW - padLeft;
        // taps q in [q0, q1) land inside the image horizontally
        const q0 = left < 0 ? -left : 0;
        const q1 = Math.min(fw, inW - left);
        for (let r = 0; r < fh; r++) {
          const ih = top + r;
          const rowDst = dst + r * rowLen;
          if (ih < 0 || ih >= inH || q1 <= q0) {
            cols.fill(0, rowDst, rowDst + rowLen);
            continue;
          }
          if (q0 > 0) cols.fill(0, rowDst, rowDst + q0 * inC);
          const src = xBase + ih * xRow + (left + q0) * inC;
          const len = (q1 - q0) * inC;
          if (len <= 16) {
            for (let t = 0; t < len; t++) cols[rowDst + q0 * inC + t] = x[src + t];
          } else {
            cols.set(x.subarray(src, src + len), rowDst + q0 * inC);
          }
          if (q1 < fw) cols.fill(0, rowDst + q1 * inC, rowDst + rowLen);
        }
        dst += K;
      }
    }
  }
}

/** The plan's fields in the order they travel to a helper thread (with x's and cols' byte offsets after them). */
const PLAN_FIELDS = ["batch", "inH", "inW", "inC", "outH", "outW", "fh", "fw", "strideH", "strideW", "padTop", "padLeft"] as const;
export const IM2COL_TASK_WORDS = PLAN_FIELDS.length + 2;

/** An unrolling on the heap: `plan`'s images from byte offset `x` into the patch rows at byte offset `cols`. */
export interface Im2ColTask { plan: Im2ColPlan; x: number; cols: number }

export function encodeIm2colTask(task: Im2ColTask, words: Int32Array, at: number): void {
  PLAN_FIELDS.forEach((f, i) => (words[at + i] = task.plan[f]));
  words[at + PLAN_FIELDS.length] = task.x;
  words[at + PLAN_FIELDS.length + 1] = task.cols;
}

export function decodeIm2colTask(words: Int32Array, at: number): Im2ColTask {
  const plan = Object.fromEntries(PLAN_FIELDS.map((f, i) => [f, words[at + i]])) as unknown as Im2ColPlan;
  return { plan, x: words[at + PLAN_FIELDS.length], cols: words[at + PLAN_FIELDS.length + 1] };
}

/** Runs an unrolling on `heap` (a float view of the whole memory). */
export function runIm2colTask(heap: Float32Array, task: Im2ColTask): void {
  const p = task.plan;
  const xFloats = p.batch * p.inH * p.inW * p.inC;
  const colsFloats = p.batch * p.outH * p.outW * p.fh * p.fw * p.inC;
  im2col(heap.subarray(task.x / 4, task.x / 4 + xFloats), heap.subarray(task.cols / 4, task.cols / 4 + colsFloats), p);
}
