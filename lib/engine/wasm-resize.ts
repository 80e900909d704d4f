/**
 * `ResizeNearestNeighborGrad` (the gradient of `upSampling2d`, i.e. of nearest-neighbour resizing) on the wasm
 * backend, for whole scale factors.
 *
 * Upsampling by whole factors (f_h, f_w) copies each input pixel into an f_h × f_w block, so its gradient adds
 * each block of dy back into one pixel: dx[n, i, j, :] = Σ_{a < f_h, b < f_w} dy[n, i·f_h + a, j·f_w + b, :].
 * tfjs-backend-wasm's kernel instead searches, for every element of dx, a window of dy for the pixels that map
 * to it (43 ms per DCGAN step for [64, 28, 28, 128] → [64, 14, 14, 128]). Here each row of a block, f_w·C
 * consecutive floats of dy, is added into C floats of dx with the SIMD column-sum loop (wasm-reduce.ts). The
 * stock kernel adds a block's pixels to 0 in the order rows, then columns, in float32: so does this, and the
 * results are its bits (tested). Other cases (alignCorners, fractional factors, not float32) go to tfjs.
 */
import { TensorInfo, WasmBackend, WasmKernelFunc, floatView, wasmMemoryOf } from "./wasm-backend-access";
import { reduceLoopsFor } from "./wasm-reduce";

/** The whole factors (f_h, f_w) when dy's spatial size is an exact multiple of the image's; else null. */
export function wholeFactors(imageShape: number[], dyShape: number[]): [number, number] | null {
  if (imageShape.length !== 4 || dyShape.length !== 4) return null;
  const [n, h, w, c] = imageShape;
  const [dn, dh, dw, dc] = dyShape;
  if (n !== dn || c !== dc || h < 1 || w < 1 || dh % h !== 0 || dw % w !== 0) return null;
  return [dh / h, dw / w];
}

/** dx (zeroed here) from dy by block sums; the SIMD path needs C a multiple of 4. Exported for tests. */
export function blockSums(backend: WasmBackend, dy: TensorInfo, dx: TensorInfo, factors: [number, number], useSimd = true): void {
  const [n, h, w, c] = dx.shape;
  const [fh, fw] = factors;
  const memory = wasmMemoryOf(backend);
  const loops = useSimd && memory && c % 4 === 0 ? reduceLoopsFor(memory) : null;
  const out = floatView(backend, dx);
  out.fill(0);
  const dyRow = w * fw * c; // floats in one row of dy
  if (loops) {
    const dyAt = backend.dataIdMap.get(dy.dataId)!.memoryOffset;
    const dxAt = backend.dataIdMap.get(dx.dataId)!.memoryOffset;
    const rowBytes = c * 4, blockBytes = fw * c * 4;
    for (let img = 0, dxPixel = 0; img < n; img++) {
      for (let i = 0; i < h; i++) {
        const rowStart = (img * h + i) * fh * dyRow; // first dy row of this block row
        for (let a = 0; a < fh; a++) {
          let src = dyAt + (rowStart + a * dyRow) * 4;
          let dst = dxAt + dxPixel * 4;
          for (let j = 0; j < w; j++, src += blockBytes, dst += rowBytes) loops.columnSum(src, dst, src + blockBytes, rowBytes);
        }
        dxPixel += w * c;
      }
    }
    return;
  }
  const g = floatView(backend, dy);
  for (let img = 0, dst = 0; img < n; img++) {
    for (let i = 0; i < h; i++, dst += w * c) {
      const rowStart = (img * h + i) * fh * dyRow;
      for (let a = 0; a < fh; a++) {
        let src = rowStart + a * dyRow;
        for (let j = 0; j < w; j++) {
          const to = dst + j * c;
          for (let b = 0; b < fw; b++, src += c) {
            for (let k = 0; k < c; k++) out[to + k] += g[src + k];
          }
        }
      }
    }
  }
}

/** Wraps tfjs's `ResizeNearestNeighborGrad` with the whole-factor path. */
export function blockSumResizeGrad(original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { images, dy } = inputs;
    const factors = wholeFactors(images.shape, dy.shape);
    if (!factors || attrs.alignCorners || dy.dtype !== "float32") return original(args);
    const dx = backend.makeOutput(images.shape.slice(), "float32");
    blockSums(backend, dy, dx, factors);
    return dx;
  };
}
