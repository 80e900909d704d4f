import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { conceptMean, interpolate, latentAngle, latentArithmetic, slerpWeights } from "../../lib/models/latent";

const TOL = 1e-6;

function rows(t: tf.Tensor): number[][] {
  const r = t.arraySync() as number[][];
  t.dispose();
  return r;
}

function assertClose(actual: number[], expected: number[], tol = TOL, what = ""): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `${what}[${i}]: ${v} vs ${expected[i]} (tol ${tol})`));
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const angle = (a: number[], b: number[]) =>
  Math.acos(Math.min(1, Math.max(-1, a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b)))));

describe("models/latent", () => {
  describe("interpolate, linear", () => {
    it("matches hand values, endpoints included", () => {
      const z0 = tf.tensor1d([0, 2, -4]);
      const z1 = tf.tensor1d([4, 2, 0]);
      const path = rows(interpolate(z0, z1, 5));
      // t = 0, 1/4, 1/2, 3/4, 1
      const expected = [[0, 2, -4], [1, 2, -3], [2, 2, -2], [3, 2, -1], [4, 2, 0]];
      path.forEach((r, i) => assertClose(r, expected[i], TOL, `row ${i}`));
      tf.dispose([z0, z1]);
    });

    it("reproduces z0 and z1 bit for bit and accepts explicit fractions (extrapolation too)", () => {
      const z0 = tf.tensor1d([0.1, 0.7, -0.3]);
      const z1 = tf.tensor1d([-0.9, 0.2, 0.6]);
      const path = rows(interpolate(z0, z1, 7));
      assert.deepEqual(path[0], Array.from(z0.dataSync()));
      assert.deepEqual(path[6], Array.from(z1.dataSync()));
      const ext = rows(interpolate(z0, z1, [0.5, 2]));
      assertClose(ext[0], [-0.4, 0.45, 0.15], TOL, "t=0.5");
      assertClose(ext[1], [-1.9, -0.3, 1.5], TOL, "t=2"); // 2·z1 − z0
      tf.dispose([z0, z1]);
    });

    it("keeps the latent shape: [n, ...shape]", () => {
      const z0 = tf.zeros([2, 3]);
      const z1 = tf.ones([2, 3]);
      const path = interpolate(z0, z1, 3);
      assert.deepEqual(path.shape, [3, 2, 3]);
      assertClose(Array.from(path.dataSync()).slice(6, 12), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
      tf.dispose([z0, z1, path]);
    });
  });

  describe("interpolate, slerp (White 2016)", () => {
    it("matches hand values on the unit circle: 90° in three steps of 30°", () => {
      const z0 = tf.tensor1d([1, 0]);
      const z1 = tf.tensor1d([0, 1]);
      const path = rows(interpolate(z0, z1, 4, "slerp"));
      const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
      const expected = [[1, 0], [c, s], [s, c], [0, 1]];
      path.forEach((r, i) => assertClose(r, expected[i], 1e-6, `row ${i}`));
      // The linear midpoint has norm 1/√2; slerp's has norm 1.
      const linearMid = rows(interpolate(z0, z1, [0.5]))[0];
      assertClose([norm(linearMid)], [Math.SQRT1_2]);
      tf.dispose([z0, z1]);
    });

    it("preserves the norm of unit vectors and moves the angle linearly in t", () => {
      // Two fixed unit vectors in 5-D, 100° apart or so.
      const a = [0.3, -0.5, 0.1, 0.7, -0.2];
      const b = [-0.6, 0.1, 0.4, -0.1, 0.5];
      const unit = (v: number[]) => v.map((x) => x / norm(v));
      const [ua, ub] = [unit(a), unit(b)];
      const omega = angle(ua, ub);
      const z0 = tf.tensor1d(ua);
      const z1 = tf.tensor1d(ub);
      const ts = [0, 0.1, 0.25, 0.5, 0.8, 1];
      const path = rows(interpolate(z0, z1, ts, "slerp"));
      path.forEach((p, i) => {
        assertClose([norm(p)], [1], 1e-5, `norm at t=${ts[i]}`);
        assertClose([angle(ua, p)], [ts[i] * omega], 1e-3, `angle to z0 at t=${ts[i]}`);
        assertClose([angle(p, ub)], [(1 - ts[i]) * omega], 1e-3, `angle to z1 at t=${ts[i]}`);
      });
      assertClose([latentAngle(z0, z1)], [omega], 1e-5, "latentAngle");
      tf.dispose([z0, z1]);
    });

    it("keeps a common norm r (Gaussian-like latents of equal length)", () => {
      const z0 = tf.tensor1d([3, 0, 4]); // norm 5
      const z1 = tf.tensor1d([0, 5, 0]); // norm 5
      const path = rows(interpolate(z0, z1, 9, "slerp"));
      path.forEach((p, i) => assertClose([norm(p)], [5], 1e-4, `row ${i}`));
      tf.dispose([z0, z1]);
    });

    it("falls back to the linear path for parallel vectors (the limit of its weights)", () => {
      assert.deepEqual(slerpWeights(0, 0.25), [0.75, 0.25]);
      const z0 = tf.tensor1d([1, 2]);
      const z1 = tf.tensor1d([2, 4]);
      assertClose(rows(interpolate(z0, z1, [0.5], "slerp"))[0], [1.5, 3]);
      tf.dispose([z0, z1]);
    });

    it("weights at small angles approach the linear ones", () => {
      const [w0, w1] = slerpWeights(1e-3, 0.3);
      assertClose([w0, w1], [0.7, 0.3], 1e-6);
    });
  });

  describe("latentArithmetic (Radford et al. 2015)", () => {
    it("is mean(a) − mean(b) + mean(c) on constructed vectors", () => {
      // a: three latents around [3, 0, 1]; b: two around [1, 1, 1]; c: four around [0, 2, 0].
      const a = tf.tensor2d([[2, 0, 1], [4, 0, 1], [3, 0, 1]]);
      const b = tf.tensor2d([[1, 0, 1], [1, 2, 1]]);
      const c = tf.tensor2d([[0, 2, 0], [0, 2, 0], [1, 2, -1], [-1, 2, 1]]);
      const r = latentArithmetic(a, b, c);
      assert.deepEqual(r.shape, [3]);
      // [3,0,1] − [1,1,1] + [0,2,0] = [2, 1, 0]
      assertClose(Array.from(r.dataSync()), [2, 1, 0]);
      assertClose(Array.from(conceptMean(a).dataSync()), [3, 0, 1]);
      tf.dispose([a, b, c, r]);
    });

    it("with one latent per group is plain a − b + c, and keeps a latent shape beyond one axis", () => {
      const a = tf.tensor3d([[[1, 2], [3, 4]]]);
      const b = tf.tensor3d([[[1, 1], [1, 1]]]);
      const c = tf.tensor3d([[[0, -1], [5, 0]]]);
      const r = latentArithmetic(a, b, c);
      assert.deepEqual(r.shape, [2, 2]);
      assertClose(Array.from(r.dataSync()), [0, 0, 7, 3]);
      tf.dispose([a, b, c, r]);
    });

    it("leaves no tensors behind", () => {
      const a = tf.randomNormal([3, 8]);
      const z0 = tf.randomNormal([8]);
      const z1 = tf.randomNormal([8]);
      const before = tf.memory().numTensors;
      tf.dispose([latentArithmetic(a, a, a), interpolate(z0, z1, 5, "slerp"), interpolate(z0, z1, 5), conceptMean(a)]);
      latentAngle(z0, z1);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([a, z0, z1]);
    });
  });

  describe("bad input", () => {
    const v2 = () => tf.tensor1d([1, 0]);
    const v3 = () => tf.tensor1d([1, 0, 0]);

    it("interpolate rejects mismatched shapes, bad step counts, unknown methods", () => {
      const [a, b, c] = [v2(), v3(), v2()];
      assert.throws(() => interpolate(a, b, 3), /same shape, got \[2\] and \[3\]/);
      assert.throws(() => interpolate(a, c, 1), /steps must be an integer ≥ 2/);
      assert.throws(() => interpolate(a, c, 2.5), /steps must be an integer ≥ 2/);
      assert.throws(() => interpolate(a, c, []), /non-empty list/);
      assert.throws(() => interpolate(a, c, [0, NaN]), /finite fractions/);
      assert.throws(() => interpolate(a, c, 3, "cubic" as "linear"), /"linear" or "slerp"/);
      tf.dispose([a, b, c]);
    });

    it("slerp rejects zero vectors and opposite vectors", () => {
      const a = v2();
      const zero = tf.zeros([2]);
      const opposite = tf.tensor1d([-1, 0]);
      assert.throws(() => interpolate(a, zero, 3, "slerp"), /zero .*vector has no direction/);
      assert.throws(() => interpolate(a, opposite, 3, "slerp"), /opposite directions/);
      // The linear path through zero is fine.
      assertClose(rows(interpolate(a, opposite, 3))[1], [0, 0]);
      tf.dispose([a, zero, opposite]);
    });

    it("latentArithmetic rejects empty groups, unbatched vectors and mismatched latent shapes", () => {
      const ok = tf.ones([3, 4]);
      const empty = tf.zeros([0, 4]);
      const flat = tf.ones([4]);
      const wide = tf.ones([3, 5]);
      assert.throws(() => latentArithmetic(ok, empty, ok), /b holds no latent/);
      assert.throws(() => latentArithmetic(flat, ok, ok), /a must be a batch of latents \[n, \.\.\.latentShape\], got shape \[4\]/);
      assert.throws(() => latentArithmetic(ok, ok, wide), /c has \[5\]/);
      assert.throws(() => conceptMean(empty), /holds no latent/);
      tf.dispose([ok, empty, flat, wide]);
    });
  });
});
