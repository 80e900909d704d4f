/**
 * The command line's datasets as tensors, and the batch source a run trains on.
 *
 * Every dataset is a fixed set of examples served by `shuffledBatches`, whose batch i is a function of
 * (seed, i): that is what makes a resumed run see the batches the uninterrupted one would have. The ring and
 * grid are drawn once, from the run's seed, as TOY_POINTS points; their label is the index of the nearest mode
 * (the modes lie ≥ 40σ apart, so that is the mode each point was drawn from).
 */
import * as tf from "@tensorflow/tfjs";
import { makeRandom, permutation } from "../../lib/engine/seed";
import { loadMnist, mnistTensors } from "../../lib/data/mnist";
import { embeddedMnistSplit, selectRows } from "../../lib/metrics/classifier";
import { gridOfGaussians, ringOfGaussians, ToyDataset } from "../../lib/data/toy";
import { getDataset, DatasetInfo, DatasetName } from "../../lib/models/registry";
import { shuffledBatches } from "../../lib/train/batches";
import type { BatchSource } from "../../lib/train/types";
import type { PointReference } from "./pictures";

/** Points drawn for the ring and grid: as many as the embedded MNIST's images. */
export const TOY_POINTS = 10000;
/** Data points under the samples in a scatter plot. */
const SCATTER_POINTS = 1000;

export interface RunData {
  info: DatasetInfo;
  /** Every example: [n, 28, 28, 1] images in [−1, 1], or [n, 2] points. */
  x: tf.Tensor;
  /** [n] int32: the class, or the mode a point belongs to. */
  labels: tf.Tensor1D;
  /** The mixture of the ring or grid (for the mode metrics and the scatter plots). */
  toy?: ToyDataset;
  dispose(): void;
}

/** The index of the nearest mode of each row of `points` ([n·dim]). */
export function nearestModes(points: ArrayLike<number>, toy: ToyDataset): Int32Array {
  const n = points.length / toy.dim;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    toy.modes.forEach((mode, k) => {
      let d2 = 0;
      for (let j = 0; j < toy.dim; j++) d2 += (points[i * toy.dim + j] - mode[j]) ** 2;
      if (d2 < best) [best, out[i]] = [d2, k];
    });
  }
  return out;
}

export function toyDataset(name: DatasetName): ToyDataset | undefined {
  if (name === "ring") return ringOfGaussians();
  if (name === "grid") return gridOfGaussians();
  return undefined;
}

function loadImages(info: DatasetInfo): RunData {
  const all = loadMnist({ source: info.name === "fashion-mnist" ? "fashion" : "embedded" });
  const rows = info.name === "mnist-train" ? selectRows(all, embeddedMnistSplit(all.count).train) : undefined;
  const data = rows ? { ...all, ...rows, count: rows.labels.length } : all;
  const { x, labels } = mnistTensors(data);
  return { info, x, labels, dispose: () => tf.dispose([x, labels]) };
}

function loadPoints(info: DatasetInfo, toy: ToyDataset, seed: number): RunData {
  const points = toy.sample(TOY_POINTS, makeRandom(seed));
  const x = tf.tensor2d(points, [TOY_POINTS, toy.dim]);
  const labels = tf.tensor1d(nearestModes(points, toy), "int32");
  return { info, x, labels, toy, dispose: () => tf.dispose([x, labels]) };
}

/** A dataset by name; the ring and grid drawn from `seed`. Throws (naming what to install) when its files are missing. */
export function loadData(name: DatasetName, seed: number): RunData {
  const info = getDataset(name);
  const toy = toyDataset(name);
  return toy ? loadPoints(info, toy, seed) : loadImages(info);
}

/** The run's batches: shuffled each epoch from `seed`, with labels only for a conditional variant (others must not see them). */
export function batchSource(data: RunData, conditional: boolean, seed: number): BatchSource {
  return shuffledBatches(data.x, conditional ? data.labels : undefined, { seed });
}

/** What 2-D samples are drawn against in the scatter plots: SCATTER_POINTS data points and the modes (the caller disposes `data`). */
export function pointReference(data: RunData, seed: number): PointReference | undefined {
  if (!data.toy) return undefined;
  return { data: someExamples(data, SCATTER_POINTS, seed), modes: data.toy.modes };
}

/** `n` examples of the data in a seeded random order (a reference set for the Fréchet distance, the scatter plots). */
export function someExamples(data: RunData, n: number, seed: number): tf.Tensor {
  const count = data.x.shape[0];
  const order = permutation(count, makeRandom(seed)).subarray(0, Math.min(n, count));
  return tf.tidy(() => tf.gather(data.x, tf.tensor1d(order, "int32")));
}
