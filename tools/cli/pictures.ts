/**
 * Samples as files: a PNG grid of generated images, or, for 2-D points, a PNG scatter of the samples over
 * the data and the points themselves as JSON (for plotting elsewhere).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { seed as seedEverything } from "../../lib/engine/seed";
import { encodePng, imageGrid } from "../../lib/plots/images";
import type { Game, LatentBatch } from "../../lib/train/types";
import { toLatentBatch } from "../../lib/train/types";
import type { DataKind } from "../../lib/models/registry";
import { writeJsonAtomic } from "./run-folder";

/** Seed of the noise of the sample grids written during training: the same z at every step and after a resume. */
export const SAMPLE_SEED = 1234;

export interface Drawn {
  /** [n, ...example shape], in inference mode. */
  x: tf.Tensor;
  /** The classes asked for, for conditional variants. */
  asked?: Int32Array;
}

/** `n` samples of a trained game from noise seeded with `seed` (the caller disposes `x`). */
export function drawSamples(game: Game, n: number, seed: number): Drawn {
  if (typeof game.latent !== "function" || typeof game.sample !== "function") {
    throw new Error("this variant's game cannot draw samples (it has no latent sampler or sample()).");
  }
  seedEverything(seed);
  const latent = toLatentBatch(game.latent(n));
  try {
    const x = tf.tidy(() => (game.sample as (l: LatentBatch) => tf.Tensor)(latent));
    return { x, asked: latent.labels ? Int32Array.from(latent.labels.dataSync()) : undefined };
  } finally {
    tf.dispose([latent.z, ...(latent.labels ? [latent.labels] : [])]);
  }
}

type Rgb = [number, number, number];

export interface ScatterLayer {
  /** Row-major [n, 2]. */
  points: ArrayLike<number>;
  color: Rgb;
  /** Half the side of each dot's square, in pixels. */
  radius: number;
  /** Draw only the square's outline (markers for the modes). */
  hollow?: boolean;
}

interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function boundsOf(points: ArrayLike<number>): Bounds {
  const b = { x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
  for (let i = 0; i + 1 < points.length; i += 2) {
    if (!Number.isFinite(points[i]) || !Number.isFinite(points[i + 1])) continue;
    b.x0 = Math.min(b.x0, points[i]); b.x1 = Math.max(b.x1, points[i]);
    b.y0 = Math.min(b.y0, points[i + 1]); b.y1 = Math.max(b.y1, points[i + 1]);
  }
  return b;
}

/**
 * The view: the data's box and the samples', with a margin, but at most three times the data's size around
 * its centre, so a few samples thrown far away do not shrink the data to a dot (those are drawn on the edge).
 */
function viewBounds(data: ArrayLike<number>, samples: ArrayLike<number>): Bounds {
  const d = boundsOf(data), s = boundsOf(samples);
  const cx = (d.x0 + d.x1) / 2, cy = (d.y0 + d.y1) / 2;
  const half = Math.max(d.x1 - d.x0, d.y1 - d.y0, 1e-3) / 2;
  const reach = Math.min(3 * half, Math.max(half, ...[s.x0 - cx, s.x1 - cx, s.y0 - cy, s.y1 - cy].filter(Number.isFinite).map(Math.abs))) * 1.1;
  return { x0: cx - reach, x1: cx + reach, y0: cy - reach, y1: cy + reach };
}

/** A square PNG scatter of 2-D layers drawn in order (later layers on top), y upwards, on white. */
export function scatterPng(layers: ScatterLayer[], view: Bounds, size = 400): Uint8Array {
  const pixels = new Uint8Array(size * size * 3).fill(255);
  const toPixel = (v: number, lo: number, hi: number) => Math.round(((v - lo) / (hi - lo)) * (size - 1));
  const clamp = (p: number) => Math.min(size - 1, Math.max(0, p));
  for (const layer of layers) {
    for (let i = 0; i + 1 < layer.points.length; i += 2) {
      if (!Number.isFinite(layer.points[i]) || !Number.isFinite(layer.points[i + 1])) continue;
      const px = clamp(toPixel(layer.points[i], view.x0, view.x1));
      const py = clamp(size - 1 - toPixel(layer.points[i + 1], view.y0, view.y1));
      for (let y = Math.max(0, py - layer.radius); y <= Math.min(size - 1, py + layer.radius); y++) {
        for (let x = Math.max(0, px - layer.radius); x <= Math.min(size - 1, px + layer.radius); x++) {
          const edge = Math.abs(x - px) === layer.radius || Math.abs(y - py) === layer.radius;
          if (!layer.hollow || edge) pixels.set(layer.color, (y * size + x) * 3);
        }
      }
    }
  }
  return encodePng(pixels, size, size, 3);
}

const SAMPLE_COLOUR: Rgb = [214, 39, 40];
const DATA_COLOUR: Rgb = [60, 60, 60];
const MODE_COLOUR: Rgb = [31, 119, 180];

/** What 2-D samples are drawn against: some data points and the mixture's modes. */
export interface PointReference {
  data: tf.Tensor;
  modes: ReadonlyArray<ReadonlyArray<number>>;
}

/**
 * A scatter of 2-D samples (red) with data points (dark grey) drawn over them and each mode of the mixture
 * marked by a blue square: the modes are tiny (σ = 0.01 on the ring), so without the markers a collapsed
 * generator's cloud would hide where the data is.
 */
function pointsPng(samples: ArrayLike<number>, reference: PointReference | undefined): Uint8Array {
  const data = reference ? reference.data.dataSync() : new Float32Array(0);
  const modes = Float32Array.from((reference?.modes ?? []).flatMap((m) => [m[0], m[1]]));
  const view = viewBounds(data.length ? data : samples, samples);
  return scatterPng([
    { points: samples, color: SAMPLE_COLOUR, radius: 1 },
    { points: data, color: DATA_COLOUR, radius: 1 },
    { points: modes, color: MODE_COLOUR, radius: 5, hollow: true },
  ], view);
}

/**
 * Writes samples to `file` (a .png): an image grid, or for points a scatter (see pointsPng) and the samples
 * themselves as `file` with .json in place of .png. Returns the files written.
 */
export function writeSamples(file: string, samples: tf.Tensor, kind: DataKind, reference?: PointReference, step?: number): string[] {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if (kind === "images") {
    const n = samples.shape[0];
    fs.writeFileSync(file, imageGrid(samples, { cols: Math.ceil(Math.sqrt(n)), scale: 2, range: "tanh" }).png);
    return [file];
  }
  const points = samples.dataSync();
  fs.writeFileSync(file, pointsPng(points, reference));
  const json = file.replace(/\.png$/i, "") + ".json";
  const rows = Array.from({ length: samples.shape[0] }, (_, i) => [points[2 * i], points[2 * i + 1]]);
  writeJsonAtomic(json, { ...(step !== undefined ? { step } : {}), samples: rows });
  return [file, json];
}

/** The sample file of a step in a run's samples/ folder. */
export function stepSampleFile(samplesDir: string, step: number): string {
  return path.join(samplesDir, `step-${String(step).padStart(8, "0")}.png`);
}
