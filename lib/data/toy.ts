/**
 * Toy mixtures of isotropic Gaussians with equal weights, the test beds for mode collapse.
 *
 * Each dataset carries its modes and σ, which the mode-collapse metrics (lib/metrics/mode-collapse.ts) take
 * directly: `modeCollapseMetrics(samples, ringOfGaussians())`.
 */
import * as tf from "@tensorflow/tfjs";
import { random } from "../engine/seed";

/** A uniform [0, 1) source; tsgan's seeded stream by default. */
export type Rng = () => number;

export interface ToyDataset {
  readonly name: string;
  /** Dimension of one sample (1 or 2 here). */
  readonly dim: number;
  /** Mode centres, each of length `dim`; the mixture weights are equal. */
  readonly modes: ReadonlyArray<ReadonlyArray<number>>;
  /** Standard deviation of every component, per coordinate. */
  readonly std: number;
  /** n samples, row-major [n, dim], drawn from `rng` (default: `random()` of lib/engine/seed.ts). */
  sample(n: number, rng?: Rng): Float32Array;
}

/** One standard-normal draw by Box–Muller (the cosine half; simple, and the stream stays reproducible). */
function standardNormal(rng: Rng): number {
  const u1 = 1 - rng(); // (0, 1]: log(0) impossible
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A dataset object for an equal-weight mixture of N(mode, std²·I). */
export function gaussianMixture(name: string, modes: number[][], std: number): ToyDataset {
  if (modes.length === 0) throw new Error(`tsgan.data.${name}: a mixture needs at least one mode.`);
  const dim = modes[0].length;
  if (modes.some((m) => m.length !== dim)) {
    throw new Error(`tsgan.data.${name}: every mode must have ${dim} coordinates.`);
  }
  if (!(std > 0)) throw new Error(`tsgan.data.${name}: std must be > 0, got ${std}.`);
  const frozen = Object.freeze(modes.map((m) => Object.freeze(m.slice())));
  return Object.freeze({
    name,
    dim,
    modes: frozen,
    std,
    sample(n: number, rng: Rng = random): Float32Array {
      if (!Number.isInteger(n) || n < 0) throw new Error(`tsgan.data.${name}.sample: n must be an integer ≥ 0, got ${n}.`);
      const out = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const mode = frozen[Math.min(frozen.length - 1, Math.floor(rng() * frozen.length))];
        for (let j = 0; j < dim; j++) out[i * dim + j] = mode[j] + std * standardNormal(rng);
      }
      return out;
    },
  });
}

/**
 * The book chapter's two cities (mode-collapse section, fig. 6.23): daily temperatures in °C of a cold
 * high-altitude city A and an equatorial city B, equally often. The chapter draws the bimodal shape but gives
 * no numbers; ours are A ~ N(5, 3²) and B ~ N(28, 3²), modes 7.7σ apart so they never blur into one.
 */
export function twoCityTemperatures(options: { cityA?: number; cityB?: number; std?: number } = {}): ToyDataset {
  const { cityA = 5, cityB = 28, std = 3 } = options;
  return gaussianMixture("twoCityTemperatures", [[cityA], [cityB]], std);
}

/**
 * PacGAN's 2D-ring (Lin et al. 2018, §5.1; code fjxmlzn/PacGAN, 2DRing config): 8 Gaussians with means
 * (cos(2πk/8), sin(2πk/8)), k = 0..7, radius 1, variance 1e-4 (σ = 0.01). The angles step by 2π/8 so all 8 are
 * distinct (`linspace(0, 2π, 8)` would repeat the first mode and give 7). The unrolled-GAN paper
 * (Metz et al. 2017) used radius 2, σ = 0.02: pass {radius: 2, std: 0.02}.
 */
export function ringOfGaussians(options: { modes?: number; radius?: number; std?: number } = {}): ToyDataset {
  const { modes = 8, radius = 1, std = 0.01 } = options;
  if (!Number.isInteger(modes) || modes < 1) throw new Error(`tsgan.data.ringOfGaussians: modes must be a positive integer, got ${modes}.`);
  const centres = Array.from({ length: modes }, (_, k) => {
    const angle = (2 * Math.PI * k) / modes;
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  });
  return gaussianMixture("ringOfGaussians", centres, std);
}

/**
 * PacGAN's 2D-grid (Lin et al. 2018, §5.1; code fjxmlzn/PacGAN, 2DGrid config): 25 Gaussians with means
 * {−4, −2, 0, 2, 4}², variance 0.0025 (σ = 0.05).
 */
export function gridOfGaussians(options: { side?: number; spacing?: number; std?: number } = {}): ToyDataset {
  const { side = 5, spacing = 2, std = 0.05 } = options;
  if (!Number.isInteger(side) || side < 1) throw new Error(`tsgan.data.gridOfGaussians: side must be a positive integer, got ${side}.`);
  const offset = ((side - 1) * spacing) / 2;
  const centres: number[][] = [];
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) centres.push([i * spacing - offset, j * spacing - offset]);
  }
  return gaussianMixture("gridOfGaussians", centres, std);
}

/** n samples of a toy dataset as a [n, dim] float32 tensor (the caller disposes it). */
export function sampleToyTensor(dataset: ToyDataset, n: number, rng?: Rng): tf.Tensor2D {
  return tf.tensor2d(dataset.sample(n, rng), [n, dataset.dim]);
}

/**
 * The 8 Gaussians of Gulrajani et al. 2017 (WGAN-GP; their gan_toy.py): centres at radius 2 at multiples of
 * 45°, σ = 0.02, the whole set divided by 1.414 ("stdev"), so radius ≈ 1.414 and σ ≈ 0.0141.
 */
export function eightGaussians(): ToyDataset {
  const ring = ringOfGaussians({ modes: 8, radius: 2 / 1.414, std: 0.02 / 1.414 });
  return gaussianMixture("eightGaussians", ring.modes.map((m) => [...m]), ring.std);
}

/**
 * The 25 Gaussians of Gulrajani et al. 2017 (gan_toy.py): centres 2·{−2, …, 2}², σ = 0.05, all divided by
 * 2.828, so a spacing of ≈ 0.707 and σ ≈ 0.0177.
 */
export function twentyFiveGaussians(): ToyDataset {
  const grid = gridOfGaussians({ side: 5, spacing: 2 / 2.828, std: 0.05 / 2.828 });
  return gaussianMixture("twentyFiveGaussians", grid.modes.map((m) => [...m]), grid.std);
}

/**
 * The Swiss roll of Gulrajani et al. 2017 (gan_toy.py, after scikit-learn's make_swiss_roll with noise 0.25):
 * t = 1.5π(1 + 2u), the point (t·cos t, t·sin t) plus N(0, 0.25²) noise per coordinate, divided by 7.5. It has
 * no modes: `modes` is empty and `std` is the noise's σ after scaling (the mode metrics do not apply).
 */
export function swissRoll(options: { noise?: number } = {}): ToyDataset {
  const noise = options.noise ?? 0.25;
  if (!(noise >= 0)) throw new Error(`tsgan.data.swissRoll: noise must be ≥ 0, got ${noise}.`);
  const scale = 7.5;
  return Object.freeze({
    name: "swissRoll",
    dim: 2,
    modes: Object.freeze([]) as ReadonlyArray<ReadonlyArray<number>>,
    std: noise / scale,
    sample(n: number, rng: Rng = random): Float32Array {
      if (!Number.isInteger(n) || n < 0) throw new Error(`tsgan.data.swissRoll.sample: n must be an integer ≥ 0, got ${n}.`);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const t = 1.5 * Math.PI * (1 + 2 * rng());
        out[2 * i] = (t * Math.cos(t) + noise * standardNormal(rng)) / scale;
        out[2 * i + 1] = (t * Math.sin(t) + noise * standardNormal(rng)) / scale;
      }
      return out;
    },
  });
}
