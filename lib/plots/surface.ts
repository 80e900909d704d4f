/**
 * A function of the plane sampled on a square grid: the discriminator's or critic's value over the 2-D toy
 * data (lessons 4 and 13), ready for `contour` or `heatmap`.
 */
import * as tf from "@tensorflow/tfjs";
import type { Grid } from "./plotly";

/**
 * `f` on a side × side grid over [−extent, extent]²: `x` and `y` are the same axis, row r of `z` holds the
 * values at y = axis[r] (plotly's layout), column c those at x = axis[c]. `f` receives every point in one
 * [side², 2] batch (so a network runs once) and returns one value per point; the tensors it makes are freed.
 */
export function valuesOnPlane(f: (points: tf.Tensor2D) => tf.Tensor, extent: number, side: number): Grid & { x: number[]; y: number[]; z: number[][] } {
  if (!(Number.isFinite(extent) && extent > 0)) throw new Error(`valuesOnPlane: extent must be a positive number, got ${extent}.`);
  if (!(Number.isInteger(side) && side >= 2)) throw new Error(`valuesOnPlane: side must be an integer ≥ 2, got ${side}.`);
  const axis = Array.from({ length: side }, (_, i) => -extent + (2 * extent * i) / (side - 1));
  const flat = tf.tidy(() => {
    const points = tf.tensor2d(axis.flatMap((y) => axis.map((x) => [x, y])));
    const values = f(points);
    if (values.size !== side * side) {
      throw new Error(`valuesOnPlane: f must return one value per point (${side * side}), got shape [${values.shape}].`);
    }
    return values.dataSync();
  });
  return { x: axis, y: [...axis], z: axis.map((_, r) => Array.from(flat.slice(r * side, (r + 1) * side))) };
}
