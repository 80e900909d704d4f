/**
 * Assignment 5, power iteration: Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for
 * Generative Adversarial Networks" (ICLR, arXiv:1802.05957), Algorithm 1.
 *
 * The student writes `powerIteration(W, u, iterations)` for a matrix W of shape [rows, columns] (the paper's
 * orientation: W maps a column-space vector v of length `columns` to W v of length `rows`; a layer's
 * W is [out, in]) and a starting vector u of length `rows`:
 *   repeat `iterations` times:  v ← Wᵀu / (‖Wᵀu‖ + ε),  u ← W v / (‖W v‖ + ε)
 *   σ = uᵀ W v
 * and returns { sigma, u, v }. (tfjs stores a dense kernel as K = [in, out] = Wᵀ: the layer cases pass Kᵀ,
 * as lib/layers/spectral-norm.ts views its kernels.)
 *
 * References: matrices of KNOWN singular values, W = U diag(s) Vᵀ with U and V orthonormal columns from a
 * Householder QR of a seeded Gaussian matrix, all in float64 (so σ_max = s₁ exactly, and the top singular
 * vectors are U's and V's first columns); `exactSpectralNorm` (an eigen-decomposition of the Gram matrix) as a
 * second reference; a float64 hand computation of one step; the library's `spectralNormDense` layer; and a
 * short training run in which the student's σ keeps a critic's layers 1-Lipschitz.
 *
 * Note that σ = ‖W v‖ is the same number as uᵀ W v when u = W v / ‖W v‖ (up to ε), so a solution that
 * computes it that way is right, and gets full marks (the grader's tests check it).
 */
import * as tf from "@tensorflow/tfjs";
import { makeRandom } from "../../engine/seed";
import { adam } from "../../engine/optimizers";
import { exactSpectralNorm, spectralNormDense, spectralNormEstimate } from "../../layers/spectral-norm";
import { ringOfGaussians, sampleToyTensor } from "../../data/toy";
import { mlpDiscriminator, mlpGanSpec, mlpGenerator } from "../../models/mlp";
import { train } from "../../train/loop";
import { CaseFailure, callSubmission, expectClose, expectFinite, expectShape, fail, GradeCase, Grader, valuesOf, aFunction } from "../core";

/** The student's function. */
export type PowerIteration = (
  W: tf.Tensor2D, u: tf.Tensor1D, iterations: number,
) => { sigma: tf.Scalar; u: tf.Tensor1D; v: tf.Tensor1D };

// ---------------------------------------------------------------------------------------------------------
// Float64 references: matrices with known singular values, and Algorithm 1 by hand
// ---------------------------------------------------------------------------------------------------------

/** A row-major float64 matrix. */
interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A standard normal draw (Box–Muller) from a uniform source. */
function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * `cols` orthonormal columns of length `rows` (rows ≥ cols): the Q of a Householder QR of a Gaussian
 * matrix (Golub & Van Loan, Algorithm 5.2.1), so they are Haar-distributed up to signs.
 */
export function orthonormalColumns(rows: number, cols: number, rng: () => number): Matrix {
  const a = Float64Array.from({ length: rows * cols }, () => gaussian(rng));
  const reflectors: Float64Array[] = [];
  for (let k = 0; k < cols; k++) {
    // The reflector H = I − 2 w wᵀ that maps a[k:, k] onto a multiple of e_k.
    const w = new Float64Array(rows - k);
    let norm = 0;
    for (let i = k; i < rows; i++) norm += a[i * cols + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k * cols + k] >= 0 ? -norm : norm;
    for (let i = k; i < rows; i++) w[i - k] = a[i * cols + k];
    w[0] -= alpha;
    const wn = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    for (let i = 0; i < w.length; i++) w[i] /= wn;
    for (let j = k; j < cols; j++) {
      let dot = 0;
      for (let i = k; i < rows; i++) dot += w[i - k] * a[i * cols + j];
      for (let i = k; i < rows; i++) a[i * cols + j] -= 2 * w[i - k] * dot;
    }
    reflectors.push(w);
  }
  // Q's first `cols` columns: Q e_j = H₀ H₁ … H_{cols−1} e_j.
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const x = new Float64Array(rows);
    x[j] = 1;
    for (let k = cols - 1; k >= 0; k--) {
      const w = reflectors[k];
      let dot = 0;
      for (let i = k; i < rows; i++) dot += w[i - k] * x[i];
      for (let i = k; i < rows; i++) x[i] -= 2 * w[i - k] * dot;
    }
    for (let i = 0; i < rows; i++) q[i * cols + j] = x[i];
  }
  return { rows, cols, data: q };
}

/** A test matrix with known singular values, and its top singular vectors. */
export interface KnownMatrix {
  w: Matrix;
  /** The singular values, largest first. */
  s: number[];
  /** Top left singular vector (length rows) and top right singular vector (length cols). */
  left: Float64Array;
  right: Float64Array;
}

/** W = U diag(s) Vᵀ (rows × cols) with s sorted decreasing and U, V seeded orthonormal columns. */
export function matrixWithSingularValues(rows: number, cols: number, s: number[], seed: number): KnownMatrix {
  const r = s.length;
  if (r > Math.min(rows, cols)) throw new Error(`matrixWithSingularValues: ${r} singular values for a ${rows}×${cols} matrix.`);
  const rng = makeRandom(seed);
  const u = orthonormalColumns(rows, r, rng);
  const v = orthonormalColumns(cols, r, rng);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let x = 0;
      for (let k = 0; k < r; k++) x += u.data[i * r + k] * s[k] * v.data[j * r + k];
      data[i * cols + j] = x;
    }
  }
  const column = (m: Matrix, k: number) => Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + k]);
  return { w: { rows, cols, data }, s: [...s], left: column(u, 0), right: column(v, 0) };
}

/** A seeded unit vector of length n (float64). */
function unitVector(n: number, seed: number): Float64Array {
  const rng = makeRandom(seed);
  const x = Float64Array.from({ length: n }, () => gaussian(rng));
  const norm = Math.hypot(...x);
  return x.map((v) => v / norm);
}

/** Algorithm 1 in float64 (the ε of the reference code): what one call must return. */
export function handPowerIteration(w: Matrix, u0: ArrayLike<number>, iterations: number, epsilon = 1e-12): { sigma: number; u: Float64Array; v: Float64Array } {
  const { rows, cols, data } = w;
  let u = Float64Array.from(u0);
  let v = new Float64Array(cols);
  const normalized = (x: Float64Array) => {
    const n = Math.hypot(...x) + epsilon;
    return x.map((e) => e / n);
  };
  for (let it = 0; it < iterations; it++) {
    const wtu = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wtu[j] += data[i * cols + j] * u[i];
    v = normalized(wtu);
    const wv = new Float64Array(rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wv[i] += data[i * cols + j] * v[j];
    u = normalized(wv);
  }
  let sigma = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sigma += u[i] * data[i * cols + j] * v[j];
  return { sigma, u, v };
}

function transposeOf(w: Matrix): Matrix {
  const data = new Float64Array(w.rows * w.cols);
  for (let i = 0; i < w.rows; i++) for (let j = 0; j < w.cols; j++) data[j * w.rows + i] = w.data[i * w.cols + j];
  return { rows: w.cols, cols: w.rows, data };
}

/** The float32 tensor of a float64 matrix, and the float64 matrix of the values it actually holds. */
function tensorOf(w: Matrix): { tensor: tf.Tensor2D; held: Matrix } {
  const f32 = Float32Array.from(w.data);
  return { tensor: tf.tensor2d(f32, [w.rows, w.cols]), held: { ...w, data: Float64Array.from(f32) } };
}

// ---------------------------------------------------------------------------------------------------------
// Calling the submission and reading what it returns
// ---------------------------------------------------------------------------------------------------------

interface Result {
  sigma: number;
  u: Float64Array;
  v: Float64Array;
}

/** True for the errors tfjs throws when operands do not fit ("inner dimensions … must match", "shapes …"). */
const looksLikeShapeError = (message: string) => /dimension|shape|must match|rank/i.test(message);

const ORIENTATION_HINT =
  "W is [rows, columns]: u has one entry per row and v one per column (the paper's W is a layer's [out, in] matrix)";

/**
 * Calls powerIteration(W, u, iterations), checks the form of what it returns ({sigma: scalar, u: [rows],
 * v: [columns]}), reads the values and disposes the returned tensors (not the inputs, if it returned those).
 */
async function runSubmission(fn: PowerIteration, w: tf.Tensor2D, u: tf.Tensor1D, iterations: number): Promise<Result> {
  const [rows, cols] = w.shape;
  const what = `powerIteration(W [${rows}, ${cols}], u [${u.shape}], ${iterations})`;
  let out: unknown;
  try {
    out = await callSubmission(what, () => fn(w, u, iterations));
  } catch (error) {
    if (error instanceof CaseFailure && rows !== cols && looksLikeShapeError(error.hint)) fail(`${error.hint}; ${ORIENTATION_HINT}`);
    throw error;
  }
  const returned = out as Record<string, unknown> | null;
  if (returned == null || typeof returned !== "object") {
    fail(`${what} returned ${returned === null ? "null" : typeof returned}; return an object { sigma, u, v } of tensors`);
  }
  const parts = [returned.sigma, returned.u, returned.v];
  const own = parts.filter((t): t is tf.Tensor => t instanceof tf.Tensor && t !== w && t !== u);
  try {
    expectShape(returned.sigma, [], `${what}.sigma`);
    expectShape(returned.u, [rows], `${what}.u`);
    expectShape(returned.v, [cols], `${what}.v`);
    return {
      sigma: valuesOf(returned.sigma, `${what}.sigma`)[0],
      u: Float64Array.from(valuesOf(returned.u, `${what}.u`)),
      v: Float64Array.from(valuesOf(returned.v, `${what}.v`)),
    };
  } catch (error) {
    if (error instanceof CaseFailure && /has shape/.test(error.hint)) fail(`${error.hint}; ${ORIENTATION_HINT}`);
    throw error;
  } finally {
    tf.dispose(own);
  }
}

const norm = (x: ArrayLike<number>) => Math.hypot(...Array.from(x));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);
/** |cos| of the angle between two vectors: 1 when they are parallel, whatever their signs and lengths. */
const alignment = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.abs(dot(a, b)) / (norm(a) * norm(b));

/** Runs `body` with W of known singular values and a seeded unit u as tensors, disposing both after. */
async function withMatrix<T>(known: KnownMatrix, uSeed: number, body: (w: tf.Tensor2D, u: tf.Tensor1D, held: Matrix, u0: Float64Array) => Promise<T>): Promise<T> {
  const { tensor, held } = tensorOf(known.w);
  const u0 = Float64Array.from(Float32Array.from(unitVector(known.w.rows, uSeed)));
  const u = tf.tensor1d(Float32Array.from(u0));
  try {
    return await body(tensor, u, held, u0);
  } finally {
    tf.dispose([tensor, u]);
  }
}

/** σ after many iterations: within 1e-4 (relative) of s_max and of the library's exact σ. */
async function expectConverged(fn: PowerIteration, known: KnownMatrix, iterations: number, label: string): Promise<Result> {
  return withMatrix(known, 7, async (w, u) => {
    const r = await runSubmission(fn, w, u, iterations);
    const hint =
      r.sigma > known.s[0] * (1 + 1e-4)
        ? "σ is ABOVE the largest singular value, which power iteration can only approach from below: a vector is not normalised"
        : "σ should be uᵀ W v with the last u and v; check the order of the two half-steps and the normalisations";
    expectClose(r.sigma, known.s[0], `${label}: σ after ${iterations} iterations (s_max)`, { rtol: 1e-4, atol: 0, hint });
    // The library's exact σ (of Wᵀ as a kernel [in, out]): the same number from an eigen-decomposition.
    const exact = tf.tidy(() => exactSpectralNorm(tf.transpose(w)));
    expectClose(r.sigma, exact, `${label}: σ against exactSpectralNorm`, { rtol: 1e-4, atol: 0, hint });
    return r;
  });
}

// ---------------------------------------------------------------------------------------------------------
// The training case: a critic kept 1-Lipschitz layer by layer with the student's σ
// ---------------------------------------------------------------------------------------------------------

/** Steps of the training case: enough for the persistent u to settle (measured: 1–2 s on two idle cores, 5 s under load). */
export const TRAINING_STEPS = 150;
/**
 * How far from 1 a layer's exact σ may be on average over the second half of training. Measured over 8 seeds
 * (150 steps): the reference ≤ 1.003 in every layer; returning the starting u instead of the updated one
 * (an estimate one iteration from the same random u at every update) ≥ 1.08 in its worst layer. At the
 * grader's own seed: reference 1.0000, 1.0000, 1.0000; starting u 1.129, 1.560, 1.000; v not normalised
 * 1.456, 1.034, 1.000 (it oscillates between σ and 1/σ).
 */
export const SIGMA_TOLERANCE = 0.02;

/**
 * Trains a small hinge-loss critic on the 8-Gaussian ring (the library's `train()`, `mlpGanSpec`) and, after
 * every critic update, divides each dense kernel by the σ the submission estimates with ONE iteration from
 * that layer's u of the previous update (Algorithm 1's "reuse u"), as spectral normalisation does but applied
 * to the weights (a projection). Returns each layer's exact σ after training, the last estimates, and each
 * layer's exact σ after every projection of the second half of training (`late`).
 */
export async function trainProjectedCritic(fn: PowerIteration, steps: number, runSeed = 5, hidden = 16): Promise<{ exact: number[]; estimates: number[]; late: number[][] }> {
  const critic = mlpDiscriminator({ dataSize: 2, hiddenSizes: [hidden, hidden], name: "grading_critic" });
  const generator = mlpGenerator({ latentSize: 2, dataSize: 2, hiddenSizes: [16, 16], name: "grading_generator" });
  const kernels = critic.trainableWeights.filter((w) => w.name.includes("kernel")) as unknown as tf.LayerVariable[];
  // One persistent u per layer, of length out (a kernel [in, out] is Wᵀ: W has `out` rows).
  const us: tf.Tensor1D[] = kernels.map((k, i) => tf.tensor1d(Float32Array.from(unitVector(k.shape[1] as number, 100 + i))));
  const estimates: number[] = kernels.map(() => NaN);
  const late: number[][] = kernels.map(() => []);
  let calls = 0;
  const project = () => {
    calls++;
    kernels.forEach((kernel, i) => {
      const w = tf.tidy(() => tf.transpose(kernel.read()) as tf.Tensor2D);
      let out: ReturnType<PowerIteration>;
      try {
        out = fn(w, us[i], 1);
      } finally {
        w.dispose();
      }
      const sigma = out?.sigma instanceof tf.Tensor ? out.sigma.dataSync()[0] : NaN;
      if (!(Number.isFinite(sigma) && sigma > 0)) fail(`during training your σ for layer ${i + 1} was ${sigma}; it must be a positive number`);
      estimates[i] = sigma;
      tf.tidy(() => void kernel.write(tf.div(kernel.read(), sigma)));
      // The returned u is the next update's start: keep it (it may be the tensor passed in).
      if (out.u !== us[i]) us[i].dispose();
      us[i] = out.u;
      tf.dispose([out.sigma, out.v].filter((t) => t !== us[i]));
      if (calls > steps / 2) late[i].push(exactSpectralNorm(kernel.read()));
    });
  };
  const ring = ringOfGaussians({ modes: 8, radius: 1, std: 0.05 });
  let optimizers: tf.Optimizer[] = [];
  try {
    project();
    const spec = {
      ...mlpGanSpec({
        latentSize: 2, dataSize: 2, generator, discriminator: critic, objective: "hinge",
        optimizers: { generator: () => adam(1e-3, 0.5), discriminator: () => adam(1e-3, 0.5) },
      }),
      afterDiscriminatorStep: project,
    };
    const result = await train({ gan: spec, data: (n: number) => sampleToyTensor(ring, n), steps, batchSize: 64, seed: runSeed });
    optimizers = Object.values(result.optimizers);
    const exact = kernels.map((k) => exactSpectralNorm(k.read()));
    return { exact, estimates, late };
  } finally {
    optimizers.forEach((o) => o.dispose());
    tf.dispose(us);
    critic.dispose();
    generator.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------------------

const cases: GradeCase<PowerIteration>[] = [
  {
    name: "form: returns { sigma: scalar, u: [rows], v: [columns] } (W 4×4, 1 iteration)",
    async run(fn) {
      await withMatrix(matrixWithSingularValues(4, 4, [2.2, 1.3, 0.8, 0.3], 11), 1, async (w, u) => {
        await runSubmission(fn, w, u, 1);
      });
    },
  },
  {
    name: "one iteration from the given u: σ, u and v as computed by hand (W 4×4)",
    points: 2,
    async run(fn) {
      const known = matrixWithSingularValues(4, 4, [2.5, 2.0, 1.0, 0.5], 12);
      await withMatrix(known, 2, async (w, u, held, u0) => {
        const r = await runSubmission(fn, w, u, 1);
        const hand = handPowerIteration(held, u0, 1);
        if (dot(r.u, u0) > 0 && alignment(r.u, u0) > 1 - 1e-6 && alignment(hand.u, u0) < 0.999) {
          fail("the u you return is the u you were given: return the updated u (a layer stores it and starts the next call from it)");
        }
        const transposed = handPowerIteration(transposeOf(held), u0, 1);
        if (Math.abs(r.sigma - transposed.sigma) < 1e-4 * transposed.sigma && Math.abs(r.sigma - hand.sigma) > 1e-3 * hand.sigma) {
          fail(`σ after one iteration is ${r.sigma.toFixed(5)}, what W's transpose gives (expected ${hand.sigma.toFixed(5)}); ${ORIENTATION_HINT}`);
        }
        const order = "one iteration is v from Wᵀu (normalised), then u from W v (normalised), then σ = uᵀ W v";
        expectClose(r.v, hand.v, "v after one iteration", { rtol: 1e-4, atol: 1e-5, hint: order });
        expectClose(r.u, hand.u, "u after one iteration", { rtol: 1e-4, atol: 1e-5, hint: order });
        expectClose(r.sigma, hand.sigma, "σ after one iteration", { rtol: 1e-4, atol: 1e-6, hint: order });
      });
    },
  },
  {
    name: "σ rises monotonically towards s_max with more iterations (1 … 100) and never exceeds it (W 6×6)",
    points: 2,
    async run(fn) {
      // s₂/s₁ = 0.9: slow enough that the first iterations are visibly below s_max, converged by 100.
      const known = matrixWithSingularValues(6, 6, [2, 1.8, 1.2, 0.9, 0.5, 0.2], 13);
      const counts = [1, 2, 3, 5, 10, 20, 50, 100];
      const sigmas: number[] = [];
      await withMatrix(known, 3, async (w, u) => {
        for (const k of counts) sigmas.push((await runSubmission(fn, w, u, k)).sigma);
      });
      const sMax = known.s[0];
      const series = counts.map((k, i) => `${k}: ${sigmas[i].toFixed(5)}`).join(", ");
      sigmas.forEach((s, i) => {
        if (!(s <= sMax * (1 + 1e-5))) {
          fail(`σ after ${counts[i]} iteration${counts[i] > 1 ? "s" : ""} is ${s.toFixed(5)}, above s_max = ${sMax}: uᵀ W v with unit u and v cannot exceed it, so a vector is not normalised (σ by iterations: ${series})`);
        }
        if (i > 0 && !(s >= sigmas[i - 1] - 1e-5 * sMax)) {
          fail(`σ fell from ${sigmas[i - 1].toFixed(5)} (${counts[i - 1]} iterations) to ${s.toFixed(5)} (${counts[i]}): each iteration should bring it closer to s_max; does your loop run \`iterations\` times from the u it was given? (σ by iterations: ${series})`);
        }
      });
      expectClose(sigmas[sigmas.length - 1], sMax, "σ after 100 iterations (s_max)", { rtol: 1e-4, atol: 0, hint: `σ by iterations: ${series}` });
    },
  },
  {
    name: "u and v have unit length (after 1 and 20 iterations, W 5×5)",
    async run(fn) {
      await withMatrix(matrixWithSingularValues(5, 5, [3, 1.5, 1, 0.5, 0.2], 14), 4, async (w, u) => {
        for (const k of [1, 20]) {
          const r = await runSubmission(fn, w, u, k);
          const hint = "normalise both vectors at every half-step: x / (‖x‖ + ε)";
          expectClose(norm(r.u), 1, `‖u‖ after ${k} iteration${k > 1 ? "s" : ""}`, { rtol: 0, atol: 1e-4, hint });
          expectClose(norm(r.v), 1, `‖v‖ after ${k} iteration${k > 1 ? "s" : ""}`, { rtol: 0, atol: 1e-4, hint });
        }
      });
    },
  },
  {
    name: "after 60 iterations u and v are the top left and right singular vectors (up to sign, W 5×5)",
    async run(fn) {
      const known = matrixWithSingularValues(5, 5, [1.6, 0.8, 0.5, 0.3, 0.1], 15);
      await withMatrix(known, 5, async (w, u, _held, u0) => {
        const r = await runSubmission(fn, w, u, 60);
        if (alignment(r.u, u0) > 1 - 1e-6) {
          fail("the u you return is the u you were given: return the updated u (a layer stores it and starts the next call from it)");
        }
        const [au, av] = [alignment(r.u, known.left), alignment(r.v, known.right)];
        if (au < 1 - 1e-4 || av < 1 - 1e-4) {
          const swapped = alignment(r.u, known.right) > 1 - 1e-3 && alignment(r.v, known.left) > 1 - 1e-3;
          fail(
            `|cos(u, top left singular vector)| = ${au.toFixed(5)}, |cos(v, top right singular vector)| = ${av.toFixed(5)}, expected 1` +
              (swapped ? `: u and v are swapped, as if W were transposed; ${ORIENTATION_HINT}` : ": u should be W v normalised (it lives in W's column space), v the normalised Wᵀu"),
          );
        }
      });
    },
  },
  {
    name: "tall W (8×3, more rows than columns): σ = s_max after 60 iterations, u [8], v [3]",
    async run(fn) {
      await expectConverged(fn, matrixWithSingularValues(8, 3, [1.7, 0.9, 0.4], 16), 60, "W 8×3");
    },
  },
  {
    name: "wide W (3×8, fewer rows than columns): σ = s_max after 60 iterations, u [3], v [8]",
    async run(fn) {
      await expectConverged(fn, matrixWithSingularValues(3, 8, [2.4, 1.1, 0.6], 17), 60, "W 3×8");
    },
  },
  {
    name: "rank-1 W = s·a bᵀ (5×3): σ = s exactly after one iteration",
    async run(fn) {
      // One step maps any u with aᵀu ≠ 0 onto ±b, then ±a: σ is exact at once.
      const known = matrixWithSingularValues(5, 3, [2.5], 18);
      await withMatrix(known, 6, async (w, u) => {
        const r = await runSubmission(fn, w, u, 1);
        expectClose(r.sigma, 2.5, "σ of a rank-1 matrix after one iteration", {
          rtol: 1e-5, atol: 0, hint: "for W = s·a bᵀ one iteration gives v = ±b and u = ±a, so σ = uᵀ W v = s; check both normalisations",
        });
      });
    },
  },
  {
    name: "W = 0: σ = 0, and u and v stay finite (no NaN: the ε in the normalisation)",
    async run(fn) {
      const w = tf.zeros([4, 4]) as tf.Tensor2D;
      const u = tf.tensor1d(Float32Array.from(unitVector(4, 8)));
      try {
        const r = await runSubmission(fn, w, u, 3);
        const hint = "for W = 0, Wᵀu = 0 and x / ‖x‖ is 0 / 0: divide by ‖x‖ + ε (ε = 1e-12) as the reference code does";
        expectFinite(r.v, "v for W = 0", hint);
        expectFinite(r.u, "u for W = 0", hint);
        expectFinite([r.sigma], "σ for W = 0", hint);
        expectClose(r.sigma, 0, "σ for W = 0", { atol: 1e-6 });
      } finally {
        tf.dispose([w, u]);
      }
    },
  },
  {
    name: "leaves W and u as it found them and frees its intermediates (30 iterations, W 5×5)",
    async run(fn) {
      const known = matrixWithSingularValues(5, 5, [1.9, 1.2, 0.7, 0.4, 0.1], 19);
      await withMatrix(known, 9, async (w, u, held, u0) => {
        const before = tf.memory().numTensors;
        const out = await callSubmission("powerIteration(W, u, 30)", () => fn(w, u, 30));
        if (w.isDisposed || u.isDisposed) fail(`your function disposed the ${w.isDisposed ? "W" : "u"} it was given: dispose only the tensors you create (the caller still needs its inputs)`);
        const parts: unknown[] = [out?.sigma, out?.u, out?.v];
        const returned = new Set(parts.filter((t): t is tf.Tensor => t instanceof tf.Tensor && t !== w && t !== u));
        const extra = tf.memory().numTensors - before - returned.size;
        tf.dispose([...returned]);
        if (extra > 0) fail(`${extra} tensor${extra === 1 ? "" : "s"} besides the three returned were left alive after 30 iterations: wrap the loop in tf.tidy (it keeps what it returns)`);
        expectClose(w.dataSync(), held.data, "W after the call", { rtol: 0, atol: 0, hint: "do not change W in place" });
        expectClose(u.dataSync(), u0, "the u passed in, after the call", { rtol: 0, atol: 0, hint: "return a new u; do not change the one passed in" });
      });
    },
  },
  {
    name: "the library's spectralNormDense: same output and same stored u after a training call (kernel [7, 5], 2 iterations)",
    points: 2,
    async run(fn) {
      const layer = spectralNormDense({ units: 5, powerIterations: 2, name: "grading_sn_dense" });
      const x = tf.tensor2d(Float32Array.from(unitVector(3 * 7, 21)).map((v) => 3 * v), [3, 7]);
      try {
        tf.dispose(layer.apply(x) as tf.Tensor); // builds the layer
        const rng = makeRandom(22);
        const kernel = tf.tensor2d(Float32Array.from({ length: 35 }, () => gaussian(rng) / 2), [7, 5]);
        const bias = tf.tensor1d([0.1, -0.2, 0.3, 0, 0.05]);
        const u0 = tf.tensor1d(Float32Array.from(unitVector(5, 23)));
        layer.setWeights([kernel, bias, u0]);
        // The layer in a training call: 2 iterations from its stored u, output x·K/σ + b, u stored.
        const libraryOut = tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync());
        const libraryU = layer.getWeights()[2].dataSync();
        // The same with the student's σ: W = Kᵀ [out, in], the u the layer started from.
        const w = tf.tidy(() => tf.transpose(kernel) as tf.Tensor2D);
        try {
          const r = await runSubmission(fn, w, u0, 2);
          // The σ the layer divided by: the library's estimate, 2 iterations from the same u.
          const library = spectralNormEstimate(kernel, 2, u0);
          library.u.dispose();
          const yours = tf.tidy(() => tf.add(tf.div(tf.matMul(x, kernel), r.sigma), bias).dataSync());
          expectClose(r.sigma, library.sigma, "your σ of W = Kᵀ, against the σ the layer divides its kernel by", {
            rtol: 1e-4, atol: 1e-6, hint: "the layer's kernel K is [in, out] and its W = Kᵀ is [out, in]; it runs 2 iterations from its stored u",
          });
          expectClose(yours, libraryOut, "x·K/σ + b with your σ, against the layer's output", { rtol: 1e-4, atol: 1e-5 });
          const stale = alignment(r.u, u0.dataSync()) > 1 - 1e-6;
          expectClose(r.u, libraryU, "your u, against the u the layer stores for its next call", {
            rtol: 1e-4, atol: 1e-5,
            hint: stale ? "you returned the u you were given: return the updated one" : "the layer stores the u of its last iteration",
          });
        } finally {
          tf.dispose([w, kernel, bias, u0]);
        }
      } finally {
        x.dispose();
        layer.dispose();
      }
    },
  },
  {
    name: `training: a critic whose dense kernels are divided by your σ (one iteration per update, u reused) keeps σ(W) ≈ 1 in every layer (${TRAINING_STEPS} steps)`,
    points: 3,
    async run(fn) {
      let out: Awaited<ReturnType<typeof trainProjectedCritic>>;
      try {
        out = await trainProjectedCritic(fn, TRAINING_STEPS);
      } catch (error) {
        if (error instanceof CaseFailure) throw error;
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const orientation = looksLikeShapeError(message)
          ? `; the critic's layers are [2 → 16], [16 → 16], [16 → 1], so W = Kᵀ is 16×2, 16×16 and 1×16: ${ORIENTATION_HINT}`
          : "";
        fail(`training threw ${message.split("\n")[0]}${orientation}`);
      }
      // The mean over the second half of training: one update's lag is noise, a stale estimate is not.
      const means = out.late.map((l) => l.reduce((a, b) => a + b, 0) / l.length);
      means.forEach((s, i) => {
        if (!(Math.abs(s - 1) <= SIGMA_TOLERANCE)) {
          const hint =
            `so your σ was on average ${s > 1 ? "below" : "above"} the layer's true σ: the loop hands the u you return back at the ` +
            "next update (one iteration each), so return the updated u, and normalise both vectors";
          fail(`over the second half of training, layer ${i + 1}'s exact σ(W) averaged ${s.toFixed(4)}, expected 1 ± ${SIGMA_TOLERANCE}, ${hint}; the three layers: ${means.map((e) => e.toFixed(4)).join(", ")}`);
        }
      });
    },
  },
];

export const powerIterationGrader: Grader<PowerIteration> = {
  id: "power-iteration",
  title: "Assignment 5: power iteration for spectral normalisation",
  expects: "a function powerIteration(W, u, iterations) returning { sigma, u, v }",
  validate: aFunction(),
  cases,
};
