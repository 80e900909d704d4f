/**
 * A correction for the pure-JS `cpu` backend, found by the wasm-vs-cpu layer comparison
 * (test/engine/layers-wasm-vs-cpu.test.ts), which uses cpu as its reference.
 *
 * tfjs-backend-cpu 4.22's `ResizeNearestNeighborGrad` (the gradient of `upSampling2d`) offsets into dy with
 * the *input's* batch stride instead of dy's, so for every image after the first it sums the wrong pixels:
 * upSampling2d trains wrongly on cpu whenever the batch has more than one image. The replacement below is
 * the same algorithm with dy's own batch stride. (wasm's kernel is right.)
 */
import * as tf from "@tensorflow/tfjs";

type CpuBackend = { data: { get(dataId: object): { values: Float32Array } } } & {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
};

/** dx[b, r, c, d] = Σ dy[b, y, x, d] over the output pixels (y, x) whose nearest source pixel is (r, c). */
export function resizeNearestNeighborGradValues(
  dy: Float32Array,
  imagesShape: number[],
  dyShape: number[],
  alignCorners: boolean,
): Float32Array {
  const [batch, xHeight, xWidth, depth] = imagesShape;
  const [, yHeight, yWidth] = dyShape;
  const dx = new Float32Array(batch * xHeight * xWidth * depth);
  // Same source-pixel rule as the forward kernel (and as tfjs's own grad kernel).
  const heightScale = ((alignCorners && yHeight > 1) ? xHeight - 1 : xHeight) / ((alignCorners && yHeight > 1) ? yHeight - 1 : yHeight);
  const widthScale = ((alignCorners && yWidth > 1) ? xWidth - 1 : xWidth) / ((alignCorners && yWidth > 1) ? yWidth - 1 : yWidth);
  const nearest = (frac: number, size: number) => Math.min(size - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  const sourceCol = Int32Array.from({ length: yWidth }, (_, x) => nearest(x * widthScale, xWidth));
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < yHeight; y++) {
      const r = nearest(y * heightScale, xHeight);
      const dxRow = ((b * xHeight + r) * xWidth) * depth;
      const dyRow = ((b * yHeight + y) * yWidth) * depth;
      for (let x = 0; x < yWidth; x++) {
        const dst = dxRow + sourceCol[x] * depth;
        const src = dyRow + x * depth;
        for (let d = 0; d < depth; d++) dx[dst + d] += dy[src + d];
      }
    }
  }
  return dx;
}

const FIXED = Symbol.for("tsgan.cpuResizeNearestNeighborGradFix");

/** Replaces the cpu backend's ResizeNearestNeighborGrad with the corrected one. Idempotent. */
export function installCpuKernelFixes(): void {
  const config = tf.getKernel("ResizeNearestNeighborGrad", "cpu");
  if (!config || (config.kernelFunc as unknown as Record<symbol, unknown>)[FIXED]) return;
  const kernelFunc = (({ inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: CpuBackend; attrs: Record<string, unknown> }) => {
    const { images, dy } = inputs;
    const values = resizeNearestNeighborGradValues(backend.data.get(dy.dataId).values, images.shape, dy.shape, Boolean(attrs.alignCorners));
    return backend.makeTensorInfo(images.shape, "float32", values);
  }) as unknown as tf.KernelFunc;
  (kernelFunc as unknown as Record<symbol, unknown>)[FIXED] = true;
  tf.unregisterKernel("ResizeNearestNeighborGrad", "cpu");
  tf.registerKernel({ ...config, kernelFunc });
}
