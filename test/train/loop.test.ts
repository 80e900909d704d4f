import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, nextSeed, restoreMathRandom } from "../../lib/engine/seed";
import { adam, sgd } from "../../lib/engine/optimizers";
import { train } from "../../lib/train/loop";
import { clipWeights, normalLatent, GanObjective, GanSpec } from "../../lib/train/gan-spec";
import { shuffledBatches, unpairedBatches } from "../../lib/train/batches";
import { trainableVariables, Game, Network, TrainHistory, PlayerContext } from "../../lib/train/types";
import { mlpGenerator, mlpDiscriminator } from "../../lib/models/mlp";

/** The minimax discriminator loss and the non-saturating generator loss, written out for this test only. */
const bceObjective: GanObjective = {
  discriminatorLoss: (real, fake) => tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))),
  generatorLoss: (fake) => tf.mean(tf.softplus(tf.neg(fake))),
};

const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const close = (a: number, b: number, what: string, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** A toy 1-D GAN built from `seedValue`, so two calls build identical networks. */
function toyGan(seedValue: number, latentSize = 4): GanSpec {
  seed(seedValue);
  return {
    generator: mlpGenerator({ latentSize, dataSize: 1, hiddenSizes: [16, 16] }),
    discriminator: mlpDiscriminator({ dataSize: 1, hiddenSizes: [16, 16] }),
    latent: normalLatent(latentSize),
    objective: bceObjective,
  };
}

const gaussianData = (mean: number, std: number) =>
  (n: number) => tf.randomNormal([n, 1], mean, std, "float32", nextSeed());

function adamPair(lr: number) {
  return { generator: adam(lr, 0.5), discriminator: adam(lr, 0.5) };
}

const frozen = () => ({ generator: sgd(0), discriminator: sgd(0) });

/** A network y = Σ_k x_k·w_k + b on the last axis, with weights we choose: the hand-computable player. */
function affine(w: number[], b: number): Network & { w: tf.Variable; b: tf.Variable; dispose(): void } {
  const wv = tf.variable(tf.tensor2d(w, [w.length, 1]));
  const bv = tf.variable(tf.scalar(b));
  return {
    w: wv, b: bv,
    apply: (x) => {
      const input = Array.isArray(x) ? tf.concat(x, 1) : (x as tf.Tensor);
      return tf.add(tf.matMul(input.reshape([-1, w.length]), wv), bv);
    },
    trainableWeights: [wv, bv],
    dispose: () => tf.dispose([wv, bv]),
  };
}

const valuesOf = (v: tf.Variable) => Array.from(v.dataSync());

describe("train/loop", function () {
  afterEach(() => restoreMathRandom());

  it("learns a 1-D Gaussian N(4, 1.25²): |mean error| < 0.3 and |std error| < 0.3 after 300 steps", async function () {
    this.timeout(180000);
    const gan = toyGan(1);
    const result = await train({
      gan, data: gaussianData(4, 1.25), steps: 300, batchSize: 64, seed: 1, optimizers: adamPair(2e-3),
    });
    assert.equal(result.step, 300);
    assert.deepEqual(result.history.step, Array.from({ length: 300 }, (_, i) => i + 1));
    for (const [name, p] of Object.entries(result.history.players)) {
      for (const series of [p.loss, p.gradNorm, ...Object.values(p.terms), ...Object.values(p.scores)]) {
        assert.equal(series.length, 300, name);
        assert.ok(series.every(Number.isFinite), name);
      }
    }
    const [mean, std] = tf.tidy(() => {
      const x = gan.generator.apply(tf.randomNormal([5000, 4], 0, 1, "float32", 7)) as tf.Tensor;
      const m = tf.moments(x);
      return [m.mean.dataSync()[0], Math.sqrt(m.variance.dataSync()[0])];
    });
    assert.ok(Math.abs(mean - 4) < 0.3, `generated mean ${mean}, want 4 ± 0.3`);
    assert.ok(Math.abs(std - 1.25) < 0.3, `generated std ${std}, want 1.25 ± 0.3`);
    // Near equilibrium D cannot tell the two apart: D(x) ≈ D(G(z)) ≈ 1/2 (Goodfellow et al. 2014, Prop. 1).
    const d = result.history.players.discriminator.scores;
    const last = d.real.length - 1;
    assert.ok(Math.abs(d.real[last] - 0.5) < 0.1, `D(x) ${d.real[last]}`);
    assert.ok(Math.abs(d.fake[last] - 0.5) < 0.1, `D(G(z)) ${d.fake[last]}`);
  });

  it("a GanSpec: hand-computed losses, terms, scores and gradient norms for fixed affine players", async () => {
    // D(x) = w·x + b with w = 1, b = 0 on real x = 3; G(z) = a·z + c with a = 0, c = 2 on z = 1, so G(z) = 2.
    // SGD with learning rate 0 keeps every step identical.
    const run = async (critic: boolean) => {
      const D = affine([1], 0), G = affine([0], 2);
      const result = await train({
        gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective: bceObjective, critic },
        data: (n) => tf.fill([n, 1], 3), steps: 2, batchSize: 4, optimizers: frozen(),
      });
      D.dispose(); G.dispose();
      return result.history;
    };
    const h = await run(false);
    // L_D = softplus(-3) + softplus(2); ∂L_D/∂w = -3σ(-3) + 2σ(2), ∂L_D/∂b = -σ(-3) + σ(2).
    const dLoss = softplus(-3) + softplus(2);
    const dw = -3 * sigmoid(-3) + 2 * sigmoid(2), db = -sigmoid(-3) + sigmoid(2);
    // L_G = softplus(-D(G(z))) with D(G(z)) = 2; ∂/∂a = -σ(-2)·z·w, ∂/∂c = -σ(-2)·w.
    const gLoss = softplus(-2);
    const gNorm = sigmoid(-2) * Math.SQRT2;
    const { discriminator: d, generator: g } = h.players;
    assert.deepEqual(Object.keys(d.terms), ["adversarial"]);
    assert.deepEqual(Object.keys(d.scores).sort(), ["fake", "real"]);
    for (let i = 0; i < 2; i++) {
      close(d.loss[i], dLoss, "D loss");
      close(d.terms.adversarial[i], dLoss, "D adversarial term");
      close(g.loss[i], gLoss, "G loss");
      close(d.scores.real[i], sigmoid(3), "D(x)");
      close(d.scores.fake[i], sigmoid(2), "D(G(z))");
      close(g.scores.fake[i], sigmoid(2), "G's D(G(z))");
      close(d.gradNorm[i], Math.hypot(dw, db), "D grad norm");
      close(g.gradNorm[i], gNorm, "G grad norm");
    }
    // A critic reports raw scores, not probabilities.
    const c = await run(true);
    close(c.players.discriminator.scores.real[0], 3, "critic D(x)");
    close(c.players.discriminator.scores.fake[0], 2, "critic D(G(z))");
  });

  describe("a three-player game: encoder, generator, discriminator on (x, z) pairs (BiGAN's shape)", () => {
    // E(x) = a·x + b, G(z) = c·z + d, D(x, z) = w1·x + w2·z + w0. Real x = 3, latent z = 1.
    // D is trained to call (x, E(x)) real and (G(z), z) fake; the encoder and the generator, each its own player,
    // to fool it (non-saturating): L_E = softplus(D(x, E(x))), L_G = softplus(−D(G(z), z)).
    function biganToy(p: { a: number; b: number; c: number; d: number; w1: number; w2: number; w0: number }) {
      const E = affine([p.a], p.b), G = affine([p.c], p.d), D = affine([p.w1, p.w2], p.w0);
      const game: Game = {
        networks: { encoder: E, generator: G, discriminator: D },
        latent: (n) => tf.ones([n, 1]),
        players: [
          {
            name: "discriminator", trains: ["discriminator"],
            loss: (ctx: PlayerContext) => {
              const pairReal = ctx.run("discriminator", [ctx.real.x, ctx.run("encoder", ctx.real.x)]);
              const pairFake = ctx.run("discriminator", [ctx.run("generator", ctx.latent.z), ctx.latent.z]);
              ctx.record("real", tf.mean(pairReal));
              return { real: tf.mean(tf.softplus(tf.neg(pairReal))), fake: tf.mean(tf.softplus(pairFake)) };
            },
          },
          {
            name: "encoder", trains: ["encoder"],
            loss: (ctx) => ({ adversarial: tf.mean(tf.softplus(ctx.run("discriminator", [ctx.real.x, ctx.run("encoder", ctx.real.x)]))) }),
          },
          {
            name: "generator", trains: ["generator"],
            loss: (ctx) => ({
              adversarial: tf.mean(tf.softplus(tf.neg(ctx.run("discriminator", [ctx.run("generator", ctx.latent.z), ctx.latent.z])))),
            }),
          },
        ],
      };
      return { E, G, D, game, dispose: () => [E, G, D].forEach((n) => n.dispose()) };
    }
    const start = { a: 0.5, b: 0.25, c: 2, d: 1, w1: 1, w2: -1, w0: 0.5 };

    it("reports each player's named terms, scores and gradient norm as computed by hand", async () => {
      const toy = biganToy(start);
      const { history } = await train({
        gan: toy.game, data: (n) => tf.fill([n, 1], 3), steps: 2, batchSize: 4,
        optimizers: { discriminator: sgd(0), encoder: sgd(0), generator: sgd(0) },
      });
      toy.dispose();
      // E(3) = 1.75, G(1) = 3; D(3, 1.75) = 1.75 on the real pair, D(3, 1) = 2.5 on the fake pair.
      const dReal = 1.75, dFake = 2.5;
      const s = sigmoid;
      const dGrad = Math.hypot(-s(-dReal) * 3 + s(dFake) * 3, -s(-dReal) * 1.75 + s(dFake) * 1, -s(-dReal) + s(dFake));
      assert.deepEqual(Object.keys(history.players), ["discriminator", "encoder", "generator"]);
      const { discriminator: d, encoder: e, generator: g } = history.players;
      for (let i = 0; i < 2; i++) {
        close(d.terms.real[i], softplus(-dReal), "D real term");
        close(d.terms.fake[i], softplus(dFake), "D fake term");
        close(d.loss[i], softplus(-dReal) + softplus(dFake), "D loss = sum of its terms");
        close(d.scores.real[i], dReal, "recorded score");
        close(d.gradNorm[i], dGrad, "D grad norm");
        close(e.loss[i], softplus(dReal), "E loss");
        // ∂L_E/∂a = σ(1.75)·w2·x, ∂L_E/∂b = σ(1.75)·w2 with w2 = −1, x = 3.
        close(e.gradNorm[i], s(dReal) * Math.sqrt(10), "E grad norm");
        close(g.loss[i], softplus(-dFake), "G loss");
        // ∂L_G/∂c = −σ(−2.5)·w1·z, ∂L_G/∂d = −σ(−2.5)·w1 with w1 = z = 1.
        close(g.gradNorm[i], s(-dFake) * Math.SQRT2, "G grad norm");
      }
    });

    it("updates players in order, each only its own networks, each seeing the updates before it", async () => {
      const lr = 0.1;
      const toy = biganToy(start);
      await train({
        gan: toy.game, data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4,
        optimizers: { discriminator: sgd(lr), encoder: sgd(lr), generator: sgd(lr) },
      });
      // By hand, in float64: D's step first, then E's against the new D, then G's against the new D.
      let { a, b, c, d, w1, w2, w0 } = start;
      const s = sigmoid, x = 3, z = 1;
      const e = a * x + b, gz = c * z + d;
      const dr = w1 * x + w2 * e + w0, df = w1 * gz + w2 * z + w0;
      [w1, w2, w0] = [
        w1 - lr * (-s(-dr) * x + s(df) * gz), w2 - lr * (-s(-dr) * e + s(df) * z), w0 - lr * (-s(-dr) + s(df)),
      ];
      const dr2 = w1 * x + w2 * e + w0;
      [a, b] = [a - lr * s(dr2) * w2 * x, b - lr * s(dr2) * w2];
      const df2 = w1 * gz + w2 * z + w0;
      [c, d] = [c + lr * s(-df2) * w1 * z, d + lr * s(-df2) * w1];
      const got = [...valuesOf(toy.D.w), ...valuesOf(toy.D.b), ...valuesOf(toy.E.w), ...valuesOf(toy.E.b), ...valuesOf(toy.G.w), ...valuesOf(toy.G.b)];
      [w1, w2, w0, a, b, c, d].forEach((want, i) => close(got[i], want, `parameter ${i}`, 1e-5));
      toy.dispose();
    });

    it("leaks no tensors per step", async () => {
      const toy = biganToy(start);
      const counts: number[] = [];
      await train({
        gan: toy.game, data: (n) => tf.randomNormal([n, 1], 3, 1, "float32", nextSeed()), steps: 5, batchSize: 8,
        optimizers: { discriminator: adam(1e-2), encoder: adam(1e-2), generator: adam(1e-2) },
        callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
      });
      assert.deepEqual(counts.slice(1), Array(4).fill(counts[0]), `numTensors per step: ${counts}`);
      toy.dispose();
    });
  });

  describe("paired data: the generator sees the input and its target (pix2pix's shape)", () => {
    // G(x) = c·x + d (no noise); D on (x, y) = w1·x + w2·y + w0; L_G = softplus(−D(x, G(x))) + λ·mean|G(x) − y|.
    function pairedToy() {
      const G = affine([1], 1), D = affine([0.5, 1], 0);
      const lambda = 10;
      const game: Game = {
        networks: { generator: G, discriminator: D },
        players: [
          {
            name: "discriminator", trains: ["discriminator"],
            loss: ({ real, run }) => {
              const fake = run("generator", real.x);
              return {
                adversarial: tf.add(
                  tf.mean(tf.softplus(tf.neg(run("discriminator", [real.x, real.target as tf.Tensor])))),
                  tf.mean(tf.softplus(run("discriminator", [real.x, fake])))),
              };
            },
          },
          {
            name: "generator", trains: ["generator"],
            loss: ({ real, run }) => {
              const fake = run("generator", real.x);
              return {
                adversarial: tf.mean(tf.softplus(tf.neg(run("discriminator", [real.x, fake])))),
                l1: tf.mul(lambda, tf.mean(tf.abs(tf.sub(fake, real.target as tf.Tensor)))),
              };
            },
          },
        ],
      };
      return { G, D, game, lambda, dispose: () => { G.dispose(); D.dispose(); } };
    }

    it("terms and gradients as computed by hand; the pair comes from one shuffled order", async () => {
      const toy = pairedToy();
      const inputs = tf.fill([6, 1], 2), targets = tf.fill([6, 1], 5);
      const { history } = await train({
        gan: toy.game, data: shuffledBatches({ x: inputs, target: targets }, { seed: 3 }), steps: 2, batchSize: 3,
        optimizers: { generator: sgd(0), discriminator: sgd(0) },
      });
      // x = 2, y = 5: G(x) = 3, |G(x) − y| = 2; D(x, y) = 6, D(x, G(x)) = 4.
      const g = history.players.generator, d = history.players.discriminator;
      for (let i = 0; i < 2; i++) {
        close(d.loss[i], softplus(-6) + softplus(4), "D loss");
        close(g.terms.adversarial[i], softplus(-4), "G adversarial term");
        close(g.terms.l1[i], toy.lambda * 2, "G's L1 term");
        close(g.loss[i], softplus(-4) + toy.lambda * 2, "G loss");
        // ∂/∂c = −σ(−4)·w2·x + λ·sign(G − y)·x, ∂/∂d = −σ(−4)·w2 + λ·sign(G − y), with w2 = 1, sign = −1.
        close(g.gradNorm[i], Math.hypot(-sigmoid(-4) * 2 - toy.lambda * 2, -sigmoid(-4) - toy.lambda), "G grad norm");
      }
      tf.dispose([inputs, targets]);
      toy.dispose();
    });

    it("pairs stay paired under shuffling, a game without a latent says so when a player reads it, and nothing leaks", async () => {
      const toy = pairedToy();
      const inputs = tf.range(0, 12).reshape([12, 1]), targets = tf.range(100, 112).reshape([12, 1]);
      const seen: number[][] = [];
      const counts: number[] = [];
      await train({
        gan: {
          ...toy.game,
          players: [...toy.game.players, {
            name: "observer", trains: ["generator"], optimizer: sgd(0),
            loss: ({ real }) => {
              seen.push([...Array.from(real.x.dataSync()), ...Array.from((real.target as tf.Tensor).dataSync())]);
              return { zero: tf.mul(0, tf.sum(toy.G.w)) };
            },
          }],
        },
        data: shuffledBatches({ x: inputs, target: targets }, { seed: 4 }), steps: 5, batchSize: 4,
        callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
      });
      for (const row of seen) row.slice(0, 4).forEach((x, i) => assert.equal(row[4 + i], x + 100, `pair ${row}`));
      assert.deepEqual(counts.slice(1), Array(4).fill(counts[0]), `numTensors per step: ${counts}`);
      await assert.rejects(
        train({
          gan: { networks: toy.game.networks, players: [{ name: "g", trains: ["generator"], loss: (ctx) => ({ t: tf.sum(ctx.latent.z) }) }] },
          data: shuffledBatches({ x: inputs, target: targets }), steps: 1, batchSize: 4,
        }),
        /player "g" read context.latent, but the game has no latent sampler/,
      );
      tf.dispose([inputs, targets]);
      toy.dispose();
    });

    it("unpairedBatches serves two domains in their own orders (CycleGAN's shape)", () => {
      const a = tf.range(0, 8).reshape([8, 1]), b = tf.range(50, 58).reshape([8, 1]);
      const source = unpairedBatches(shuffledBatches(a, undefined, { seed: 1 }), shuffledBatches(b, undefined, { seed: 2 }));
      const batch = source(4, 0) as { x: tf.Tensor; domainB: tf.Tensor };
      const xa = Array.from(batch.x.dataSync()), xb = Array.from(batch.domainB.dataSync());
      assert.ok(xa.every((v) => v < 8) && xb.every((v) => v >= 50), `${xa} | ${xb}`);
      assert.notDeepEqual(xb.map((v) => v - 50), xa, "the two domains are not served in one order");
      assert.equal(source.order?.kind, "unpaired");
      tf.dispose([a, b, batch.x, batch.domainB]);
    });
  });

  it("context.constant computes off the gradient tape: no gradient through it, inner gradients still work, nothing kept", async () => {
    // One player trains both networks, but G(z) goes through constant(): only D can receive a gradient.
    const D = affine([2], 0), G = affine([0.5], 1);
    const gBefore = [...valuesOf(G.w), ...valuesOf(G.b)], dBefore = [...valuesOf(D.w), ...valuesOf(D.b)];
    let innerGradient = NaN;
    let tapeLengths: number[] = [];
    const result = await train({
      gan: {
        networks: { generator: G, discriminator: D },
        latent: (n) => tf.ones([n, 1]),
        players: [{
          name: "both", trains: ["generator", "discriminator"], optimizer: sgd(0.1),
          loss: (ctx) => {
            const tape = (tf.engine() as unknown as { state: { activeTape: unknown[] } }).state;
            const before = tape.activeTape.length;
            const fake = ctx.constant(() => {
              // A gradient of its own inside: d(3x²)/dx at x = 1 is 6.
              innerGradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(3, tf.square(x))))(tf.ones([1])).dataSync()[0];
              return ctx.run("generator", ctx.latent.z);
            });
            tapeLengths = [before, tape.activeTape.length];
            return { adversarial: tf.mean(tf.softplus(ctx.run("discriminator", fake))) as tf.Scalar };
          },
        }],
      },
      data: (n) => tf.ones([n, 1]), steps: 1, batchSize: 2,
    });
    assert.equal(innerGradient, 6);
    assert.deepEqual(tapeLengths[1], tapeLengths[0], "constant() recorded nothing on the outer tape");
    assert.deepEqual([...valuesOf(G.w), ...valuesOf(G.b)], gBefore, "no gradient reached the generator");
    // G(1) = 1.5, D = 2·1.5: ∂softplus(D)/∂w = σ(3)·1.5, ∂/∂b = σ(3); SGD 0.1.
    close(valuesOf(D.w)[0], dBefore[0] - 0.1 * sigmoid(3) * 1.5, "D's weight");
    close(valuesOf(D.b)[0], dBefore[1] - 0.1 * sigmoid(3), "D's bias");
    // The gradient norm covers D only: G's gradient does not exist.
    close(result.history.players.both.gradNorm[0], sigmoid(3) * Math.hypot(1.5, 1), "grad norm");
    D.dispose(); G.dispose();
  });

  it("is reproducible: the same seed gives identical histories, another seed different ones", async function () {
    this.timeout(60000);
    const once = async (s: number) =>
      (await train({ gan: toyGan(s), data: gaussianData(4, 1.25), steps: 8, batchSize: 16, seed: s })).history;
    const a = await once(5), b = await once(5), c = await once(6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.players.discriminator.loss, c.players.discriminator.loss);
  });

  it("runs k discriminator updates per generator update, each on its own batch", async () => {
    const gan = toyGan(2);
    const optimizers = adamPair(1e-3);
    const applied = { generator: 0, discriminator: 0 };
    for (const player of ["generator", "discriminator"] as const) {
      const opt = optimizers[player];
      const original = opt.applyGradients.bind(opt);
      opt.applyGradients = (grads) => { applied[player]++; return original(grads); };
    }
    const batchIndices: number[] = [];
    const result = await train({
      gan, optimizers, steps: 3, batchSize: 8, discriminatorSteps: 5,
      data: (n, i) => { batchIndices.push(i); return tf.randomNormal([n, 1], 4, 1, "float32", nextSeed()); },
    });
    assert.deepEqual(applied, { generator: 3, discriminator: 15 });
    assert.deepEqual(batchIndices, Array.from({ length: 15 }, (_, i) => i));
    assert.deepEqual(result.history.players.discriminator.loss.length, 3);
  });

  it("a schedule (WGAN's: 100 critic updates in the first 25 steps and every 500th, else 5) sets the count per step", async function () {
    this.timeout(120000);
    // Arjovsky et al.'s reference main.py: Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else 5.
    const wganSchedule = (step: number) => (step <= 25 || (step - 1) % 500 === 0 ? 100 : 5);
    const D = affine([1], 0), G = affine([0.5], 0);
    const counts: number[] = [];
    let batches = 0;
    const result = await train({
      gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective: "wasserstein", discriminatorSteps: wganSchedule },
      data: (n) => { batches++; return tf.fill([n, 1], 1); }, steps: 27, batchSize: 2,
      optimizers: { generator: sgd(0), discriminator: sgd(0) },
      callbacks: [{ onStepEnd: (log) => { counts.push(log.players.discriminator.updates); } }],
    });
    assert.deepEqual(counts, [...Array(25).fill(100), 5, 5]);
    assert.equal(batches, 25 * 100 + 2 * 5, "one real batch per critic update");
    assert.equal(result.history.players.generator.loss.length, 27);
    D.dispose(); G.dispose();
    assert.deepEqual([1, 2, 25, 26, 501, 502].map(wganSchedule), [100, 100, 100, 5, 100, 5]);
  });

  describe("a network that grows between steps (Progressive GAN's case)", () => {
    /** A 1-D generator z ↦ w1·z + b1 that can grow a second layer h ↦ w2·h + b2 (initialised to the identity). */
    function grower() {
      const layers: tf.Variable[] = [tf.variable(tf.tensor2d([[0.5]])), tf.variable(tf.tensor1d([0]))];
      const net = {
        get trainableWeights() { return layers; },
        grown: false,
        grow() {
          if (net.grown) return;
          layers.push(tf.variable(tf.tensor2d([[1]])), tf.variable(tf.tensor1d([0])));
          net.grown = true;
        },
        apply(z: tf.Tensor | tf.Tensor[]) {
          let h = tf.add(tf.matMul(z as tf.Tensor, layers[0]), layers[1]);
          if (layers.length > 2) h = tf.add(tf.matMul(h, layers[2]), layers[3]);
          return h;
        },
        dispose() { tf.dispose(layers); },
      };
      return net;
    }

    it("keeps the old layers' optimizer state and gives the new ones fresh state", async () => {
      seed(3);
      const G = grower();
      const D = mlpDiscriminator({ dataSize: 1, hiddenSizes: [8] });
      const optimizer = adam(0.01, 0.5, 0.9);
      const snapshot = () => {
        const state = optimizer.exportState();
        return Object.fromEntries(Object.entries(state.variables).map(([k, s]) => [k, {
          m: Array.from(s.slots.m.dataSync()), v: Array.from(s.slots.v.dataSync()), value: Array.from(G.trainableWeights.find((w) => w.name === k)!.dataSync()),
        }]));
      };
      let before: Record<string, { m: number[]; v: number[]; value: number[] }> = {};
      const counts: number[] = [];
      await train({
        gan: { generator: G, discriminator: D, latent: normalLatent(1) },
        data: gaussianData(3, 1), steps: 5, batchSize: 16,
        optimizers: { generator: optimizer, discriminator: adam(0.01) },
        callbacks: [{
          onStepEnd: (log) => {
            counts.push(tf.memory().numTensors);
            if (log.step === 2) { before = snapshot(); G.grow(); }
            if (log.step === 3) {
              const after = snapshot();
              const [w1, b1, w2, b2] = G.trainableWeights.map((v) => v.name);
              assert.deepEqual(Object.keys(after).sort(), [w1, b1, w2, b2].sort());
              const b1m = 0.5, b2v = 0.9;
              for (const name of [w2, b2]) {
                // Fresh: m = (1 − β1)·g and v = (1 − β2)·g² after one update, so m²/(1 − β1)² = v/(1 − β2).
                const { m, v } = after[name];
                close(m[0] ** 2 / (1 - b1m) ** 2, v[0] / (1 - b2v), `fresh state of ${name}`, 1e-4);
                // Bias-corrected for its own first step (not the optimizer's third): the update is lr·ĝ/|ĝ| = ±lr.
                const start = name === w2 ? 1 : 0;
                close(Math.abs(after[name].value[0] - start), 0.01, `first update of ${name}`, 1e-3);
              }
              for (const name of [w1, b1]) {
                // Continued: g = (m − β1·m_before)/(1 − β1) must also explain v = β2·v_before + (1 − β2)·g².
                const g = (after[name].m[0] - b1m * before[name].m[0]) / (1 - b1m);
                close(after[name].v[0], b2v * before[name].v[0] + (1 - b2v) * g * g, `continued state of ${name}`, 1e-4);
                const restart = after[name].m[0] ** 2 / (1 - b1m) ** 2 - after[name].v[0] / (1 - b2v);
                assert.ok(Math.abs(restart) > 1e-6, `${name}'s state looks restarted`);
              }
            }
          },
        }],
      });
      // The new layer trained: w2 moved off its identity start.
      assert.notEqual(G.trainableWeights[2].dataSync()[0], 1);
      // Nothing leaks once grown: steps 4 and 5 hold as many tensors as step 3.
      assert.deepEqual(counts.slice(3), [counts[2], counts[2]], `numTensors per step: ${counts}`);
      G.dispose(); D.dispose();
      optimizer.dispose();
    });

    it("a tf.train optimizer (state by position) refuses a grown network with a clear error", async () => {
      const G = grower();
      const D = affine([1], 0);
      await assert.rejects(
        train({
          gan: { generator: G, discriminator: D, latent: normalLatent(1) },
          data: gaussianData(3, 1), steps: 3, batchSize: 8,
          optimizers: { generator: tf.train.adam(1e-3), discriminator: adam(1e-3) },
          callbacks: [{ onStepEnd: (log) => { if (log.step === 1) G.grow(); } }],
        }),
        /step 2: the variables of player "generator" changed .* keeps its state by position; use tsgan\.adam/,
      );
      G.dispose(); D.dispose();
    });
  });

  it("records a GanSpec's extra terms by name beside the adversarial one", async () => {
    // A constant term changes the loss by exactly that constant and no gradient, so every other number agrees.
    const once = (extra?: number) => train({
      gan: { ...toyGan(3), ...(extra === undefined ? {} : { extraDiscriminatorLoss: () => ({ constant: tf.scalar(extra) }) }) },
      data: gaussianData(4, 1.25), steps: 4, batchSize: 16, seed: 3,
    });
    const plain = (await once()).history, extra = (await once(1.5)).history;
    const d = extra.players.discriminator;
    assert.deepEqual(Object.keys(d.terms), ["adversarial", "constant"]);
    assert.deepEqual(d.terms.constant, [1.5, 1.5, 1.5, 1.5]);
    plain.players.discriminator.loss.forEach((l, i) => close(d.loss[i], l + 1.5, "D loss"));
    assert.deepEqual(d.terms.adversarial, plain.players.discriminator.terms.adversarial);
    assert.deepEqual(extra.players.generator, plain.players.generator);
  });

  it("supports a gradient penalty term (WGAN-GP) through extraDiscriminatorLoss, checked by hand", async () => {
    // Critic D(x) = w·x + b with w = 3: ∇ₓD = w everywhere, so the penalty λ(‖∇ₓD(x̂)‖ − 1)² = 10·(3 − 1)² = 40
    // whatever the interpolate x̂ (Gulrajani et al. 2017, eq. 3). Real x = 3, fake G(z) = 2.
    // L_D = E[D(G(z))] − E[D(x)] + 40 = 6 − 9 + 40 = 37; ∂L_D/∂w = 2 − 3 + 20·(|w| − 1)·sign(w) = 39; ∂L_D/∂b = 0.
    const D = affine([3], 0), G = affine([0], 2);
    const h = (await train({
      gan: {
        generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective: "wasserstein",
        extraDiscriminatorLoss: ({ real, fake, discriminate }) => {
          const eps = tf.randomUniform([real.x.shape[0], 1], 0, 1, "float32", nextSeed());
          const interpolates = tf.add(tf.mul(eps, real.x), tf.mul(tf.sub(1, eps), fake));
          const gradient = tf.grad((x: tf.Tensor) => tf.sum(discriminate(x).logits))(interpolates);
          const norm = tf.sqrt(tf.sum(tf.square(gradient), 1));
          return { gradientPenalty: tf.mul(10, tf.mean(tf.square(tf.sub(norm, 1)))) as tf.Scalar };
        },
      },
      data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4, optimizers: frozen(),
    })).history;
    D.dispose(); G.dispose();
    const d = h.players.discriminator;
    close(d.loss[0], 37, "D loss", 1e-4);
    close(d.terms.gradientPenalty[0], 40, "penalty term", 1e-4);
    close(d.terms.adversarial[0], -3, "Wasserstein term", 1e-4);
    close(d.gradNorm[0], 39, "D grad norm", 1e-4);
  });

  it("applies afterDiscriminatorStep (WGAN's weight clipping) after every discriminator update", async () => {
    const gan = toyGan(4);
    let calls = 0;
    await train({
      gan: { ...gan, critic: true, afterDiscriminatorStep: (d) => { calls++; clipWeights(d, 0.01); } },
      data: gaussianData(4, 1.25), steps: 2, batchSize: 8, discriminatorSteps: 3, optimizers: adamPair(1e-2),
    });
    assert.equal(calls, 6);
    const maxAbs = Math.max(...trainableVariables(gan.discriminator).map((v) => tf.tidy(() => v.abs().max().dataSync()[0])));
    assert.ok(maxAbs <= 0.01 + 1e-7, `largest |weight| ${maxAbs}`);
  });

  it("feeds labels to both players for conditional variants (CGAN)", async () => {
    seed(5);
    const G = mlpGenerator({ latentSize: 3, dataSize: 2, conditionSize: 4, hiddenSizes: [8] });
    const D = mlpDiscriminator({ dataSize: 2, conditionSize: 4, hiddenSizes: [8] });
    const seen: number[][][] = [];
    const spy = (net: tf.LayersModel): Network => ({
      apply: (inputs, kwargs) => {
        seen.push((inputs as tf.Tensor[]).map((t) => t.shape as number[]));
        return net.apply(inputs, kwargs);
      },
      trainableWeights: net.trainableWeights,
    });
    const oneHot = (n: number) => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 4), "int32"), 4);
    const result = await train({
      gan: {
        generator: spy(G), discriminator: spy(D), objective: bceObjective,
        latent: (n) => ({ z: tf.randomNormal([n, 3], 0, 1, "float32", nextSeed()), labels: oneHot(n) }),
      },
      data: (n) => ({ x: tf.randomNormal([n, 2], 0, 1, "float32", nextSeed()), labels: oneHot(n) }),
      steps: 1, batchSize: 6,
    });
    assert.equal(result.step, 1);
    // D step: G([z, y]), D([x, y]), D([G(z), y]); G step: G([z, y]), D([G(z), y]).
    assert.deepEqual(seen, [[[6, 3], [6, 4]], [[6, 2], [6, 4]], [[6, 2], [6, 4]], [[6, 3], [6, 4]], [[6, 2], [6, 4]]]);
  });

  it("the latent sampler is handed the real batch it goes with", async () => {
    const D = affine([1], 0), G = affine([1], 0);
    const pairs: number[][] = [];
    await train({
      gan: {
        generator: G, discriminator: D, objective: bceObjective,
        latent: (n, real) => { pairs.push(Array.from((real as { x: tf.Tensor }).x.dataSync())); return tf.ones([n, 1]); },
      },
      data: (n, i) => tf.fill([n, 1], i), steps: 2, batchSize: 2, discriminatorSteps: 2, optimizers: frozen(),
    });
    // Per step: the two discriminator batches, then the generator's fresh noise beside the step's first batch.
    assert.deepEqual(pairs, [[0, 0], [1, 1], [0, 0], [2, 2], [3, 3], [2, 2]]);
    D.dispose(); G.dispose();
  });

  it("shuffledBatches: every example once per epoch, order a function of (seed, batch index)", () => {
    const x = tf.range(0, 10).reshape([10, 1]);
    const labels = tf.range(100, 110);
    const source = shuffledBatches(x, labels, { seed: 9 }) as (n: number, i: number) => { x: tf.Tensor; labels: tf.Tensor };
    const take = (i: number) => {
      const b = source(3, i);
      const out = { x: Array.from(b.x.dataSync()), labels: Array.from(b.labels.dataSync()) };
      tf.dispose([b.x, b.labels]);
      return out;
    };
    const epoch0 = [0, 1, 2].map(take);
    const seenOnce = epoch0.flatMap((b) => b.x);
    assert.equal(new Set(seenOnce).size, 9); // 3 batches of 3 from 10 examples, no repeats
    epoch0.forEach((b) => assert.deepEqual(b.labels, b.x.map((v) => v + 100)));
    const epoch1 = take(3);
    assert.deepEqual(take(1), epoch0[1]); // random access reproduces the order
    assert.deepEqual(take(3), epoch1);
    const other = (shuffledBatches(x, labels, { seed: 10 }) as (n: number, i: number) => { x: tf.Tensor; labels: tf.Tensor })(3, 0);
    assert.notDeepEqual(Array.from(other.x.dataSync()), epoch0[0].x);
    assert.throws(() => shuffledBatches({ x, target: tf.zeros([9, 1]) }), /x has 10 examples but target has 9/);
    tf.dispose([x, labels, other.x, other.labels]);
  });

  describe("NaN/Inf guard", () => {
    it("names the step and the discriminator when its loss turns NaN, without applying the update", async () => {
      const gan = toyGan(7);
      const before = trainableVariables(gan.discriminator).map((v) => Array.from(v.dataSync()));
      await assert.rejects(
        train({
          gan, steps: 5, batchSize: 8, discriminatorSteps: 1,
          // The third batch is corrupt.
          data: (n, i) => (i === 2 ? tf.fill([n, 1], NaN) : tf.randomNormal([n, 1], 4, 1, "float32", nextSeed())),
          optimizers: frozen(),
        }),
        (err: Error) => {
          assert.match(err.message, /^step 3: discriminator loss is NaN/);
          assert.match(err.message, /lower the learning rate/i);
          return true;
        },
      );
      const after = trainableVariables(gan.discriminator).map((v) => Array.from(v.dataSync()));
      assert.deepEqual(after, before);
    });

    it("names the generator when its loss is not finite, and the term at fault", async () => {
      const gan = toyGan(8);
      const generatorBefore = trainableVariables(gan.generator).map((v) => Array.from(v.dataSync()));
      await assert.rejects(
        train({
          gan: { ...gan, extraGeneratorLoss: ({ fake }) => ({ broken: tf.mean(tf.log(tf.neg(tf.abs(fake)))) as tf.Scalar }) },
          data: gaussianData(4, 1), steps: 3, batchSize: 8,
        }),
        /^Error: step 1: generator loss is NaN .*terms: adversarial [\d.]+, broken NaN/,
      );
      assert.deepEqual(trainableVariables(gan.generator).map((v) => Array.from(v.dataSync())), generatorBefore);
    });

    it("stops a run whose learning rate is absurd", async () => {
      await assert.rejects(
        train({
          gan: toyGan(9), data: gaussianData(4, 1.25), steps: 50, batchSize: 16,
          optimizers: { generator: sgd(1e30), discriminator: sgd(1e30) },
        }),
        /^Error: step \d+: (discriminator|generator) (loss|gradient norm) is (NaN|Infinity|-Infinity)/,
      );
    });
  });

  it("leaks no tensors across steps (after a burn-in step), with every hook in use", async () => {
    const gan = toyGan(10);
    const counts: number[] = [];
    const optimizers = adamPair(1e-3);
    const options = {
      gan: {
        ...gan,
        extraDiscriminatorLoss: ({ discriminate, real }) => ({ probe: tf.mean(tf.square(discriminate(tf.mul(real.x, 0.5)).logits)) as tf.Scalar }),
        extraGeneratorLoss: ({ fake }) => ({ mean: tf.mul(tf.mean(fake), 0.01) as tf.Scalar }),
        afterDiscriminatorStep: (d) => clipWeights(d, 1),
      } as GanSpec,
      data: gaussianData(4, 1.25), batchSize: 8, discriminatorSteps: 2, optimizers,
      callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
    };
    await train({ ...options, steps: 6 });
    assert.equal(counts.length, 6);
    assert.deepEqual(counts.slice(1), Array(5).fill(counts[0]), `numTensors per step: ${counts}`);
    // A second run with the same optimizers allocates nothing new either.
    const before = tf.memory().numTensors;
    await train({ ...options, steps: 2, callbacks: [] });
    assert.equal(tf.memory().numTensors, before);
  });

  it("rejects bad options and bad games with errors that say what to change", async () => {
    const gan = toyGan(11);
    const data = gaussianData(0, 1);
    await assert.rejects(train({ gan, data, steps: -1 }), /steps must be a non-negative integer/);
    await assert.rejects(train({ gan, data, steps: 1, discriminatorSteps: 0 }), /discriminatorSteps must be a positive integer/);
    await assert.rejects(
      train({ gan: { ...gan, discriminatorSteps: () => 0 }, data, steps: 1 }),
      /player "discriminator" asked for 0 updates at step 1; updates must be a positive integer/,
    );
    const shared = adam(1e-3);
    await assert.rejects(train({ gan, data, steps: 1, optimizers: { generator: shared, discriminator: shared } }), /share one optimizer/);
    await assert.rejects(train({ gan, data, steps: 1, optimizers: { critic: adam() } }), /optimizers\.critic names no player/);
    await assert.rejects(train({ gan, data, steps: 1, checkpointEvery: 2 }), /checkpointEvery needs checkpointDir/);
    await assert.rejects(
      train({ gan, data, steps: 1, checkpointDir: "/tmp/never-written", optimizers: { generator: tf.train.adam(1e-3) } }),
      /player "generator" uses Adam, which cannot export its exact state.*use tsgan\.adam/,
    );
    await assert.rejects(train({ gan: { ...gan, objective: "no-such-loss" }, data, steps: 1 }), /unknown GAN loss 'no-such-loss'/);
    await assert.rejects(
      train({ gan: { ...gan, objective: { ...bceObjective, generatorLoss: (f) => tf.softplus(f) } }, data, steps: 1 }),
      /objective.generatorLoss returned shape \[\d+,1\]; it must return a scalar/,
    );
    await assert.rejects(
      train({ gan: { ...gan, extraGeneratorLoss: () => tf.scalar(1) as never }, data, steps: 1 }),
      /gan.extraGeneratorLoss returned a tensor of shape \[\]; return named terms/,
    );
    await assert.rejects(train({ gan, data: () => [1, 2] as unknown as tf.Tensor, steps: 1 }), /return a tf.Tensor or \{x, labels\?/);
    function* batches() { yield tf.zeros([8, 1]); }
    await assert.rejects(train({ gan, data: batches() as never, steps: 1 }), /data must be a function .* an iterator cannot be rewound/);

    const networks = { generator: gan.generator, discriminator: gan.discriminator };
    const player = (name: string, trains = ["generator"]) => ({ name, trains, loss: () => ({ t: tf.scalar(0) }) });
    const game = (players: Game["players"], extra: Partial<Game> = {}): Game => ({ networks, players, latent: normalLatent(4), ...extra });
    await assert.rejects(train({ gan: game([player("a"), player("a", ["discriminator"])]), data, steps: 1 }), /two players are named "a"/);
    await assert.rejects(train({ gan: game([player("a", ["encoder"])]), data, steps: 1 }), /player "a" trains "encoder", which is not one of the game's networks \("generator", "discriminator"\)/);
    const frozenNet = { apply: (x: tf.Tensor | tf.Tensor[]) => x, trainableWeights: [] };
    await assert.rejects(
      train({ gan: { networks: { ...networks, fixed: frozenNet }, players: [player("still", ["fixed"])] }, data, steps: 1 }),
      /player "still" has no trainable variables \(it trains "fixed"\)/,
    );
    await assert.rejects(
      train({
        gan: game([{ name: "p", trains: ["generator"], loss: ({ latent, run }) => ({ perExample: run("generator", latent.z) as tf.Scalar }) }]),
        data, steps: 1,
      }),
      /player "p" loss term "perExample" returned shape \[64,1\]; it must return a scalar/,
    );
    await assert.rejects(
      train({ gan: game([{ name: "p", trains: ["generator"], loss: () => tf.scalar(1) as never }]), data, steps: 1 }),
      /player "p": loss\(\) returned a tensor of shape \[\]; return named scalar terms/,
    );
    let call = 0;
    await assert.rejects(
      train({
        gan: game([{ name: "p", trains: ["generator"], loss: ({ latent, run }): Record<string, tf.Scalar> => (call++ === 0 ? { a: tf.sum(run("generator", latent.z)) } : { b: tf.sum(run("generator", latent.z)) }) }]),
        data, steps: 2, optimizers: { p: sgd(0) },
      }),
      /player "p" returned terms \[b\] at step 2 but \[a\] before; return the same named terms at every update/,
    );
  });

  it("defaults to lib/losses' minimax discriminator loss and non-saturating generator loss", async () => {
    const D = affine([1], 0), G = affine([0], 2);
    const h = (await train({
      gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]) },
      data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4, optimizers: frozen(),
    })).history;
    D.dispose(); G.dispose();
    // −log σ(3) − log(1 − σ(2)) and −log σ(2), as in the hand-computed test above.
    close(h.players.discriminator.loss[0], softplus(-3) + softplus(2), "D loss");
    close(h.players.generator.loss[0], softplus(-2), "G loss");
  });

  for (const [objective, critic] of [["wasserstein", true], ["hinge", true], ["least-squares", true], ["minimax", false]] as const) {
    it(`reports ${critic ? "raw critic scores" : "probabilities"} for the "${objective}" objective (the flag of GAN_LOSSES)`, async () => {
      const D = affine([1], 0), G = affine([0], 2);
      const h: TrainHistory = (await train({
        gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective },
        data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4, optimizers: frozen(),
      })).history;
      D.dispose(); G.dispose();
      const s = h.players.discriminator.scores;
      close(s.real[0], critic ? 3 : sigmoid(3), "D(x)");
      close(s.fake[0], critic ? 2 : sigmoid(2), "D(G(z))");
      if (objective === "wasserstein") {
        // Wasserstein critic loss E[D(G(z))] − E[D(x)] = 2 − 3 (Arjovsky et al. 2017); generator loss −E[D(G(z))].
        close(h.players.discriminator.loss[0], -1, "critic loss");
        close(h.players.generator.loss[0], -2, "G loss");
      }
    });
  }
});

describe("train: a loss that throws", () => {
  it("leaves no tensor behind: not what the loss recorded, not the optimizers the loop made", async () => {
    const gan = toyGan(11);
    // one burn-in run, so that what layers and kernels create once is not counted
    const warm = await train({ gan, data: (n) => tf.randomNormal([n, 1], 3, 1, "float32", nextSeed()), steps: 1, batchSize: 8 });
    Object.values(warm.optimizers).forEach((o) => o.dispose());
    const before = tf.memory().numTensors;
    let calls = 0;
    const failing: GanSpec = {
      ...gan,
      extraGeneratorLoss: ({ fake }) => {
        if (++calls === 2) throw new Error("a bug in the generator's term");
        return { spread: tf.mean(tf.square(fake)) as tf.Scalar };
      },
    };
    await assert.rejects(
      train({ gan: failing, data: (n) => tf.randomNormal([n, 1], 3, 1, "float32", nextSeed()), steps: 3, batchSize: 8 }),
      /a bug in the generator's term/,
    );
    assert.equal(tf.memory().numTensors, before);
    (gan.generator as tf.LayersModel).dispose();
    (gan.discriminator as tf.LayersModel).dispose();
  });
});
