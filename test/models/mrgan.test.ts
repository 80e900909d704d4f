import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, nextSeed } from "../../lib/engine/seed";
import { sgd } from "../../lib/engine/optimizers";
import { train } from "../../lib/train/loop";
import type { Game, Network } from "../../lib/train/types";
import { mlpDiscriminator, mlpGenerator } from "../../lib/models/mlp";
import {
  geometricRegulariser, modeRegulariser, mrganGame, MRGAN_DEFAULTS, MRGAN_PLAYERS, MDGAN_PLAYERS,
} from "../../lib/models/mrgan";

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const softplus = (a: number) => Math.log1p(Math.exp(a));

function close(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

/** A one-layer affine network with weights set by hand: x ↦ x·W + b. */
function affine(kernel: number[][], bias: number[]): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: bias.length, inputShape: [kernel.length] })] });
  model.setWeights([tf.tensor2d(kernel), tf.tensor1d(bias)]);
  return model;
}

const disposeGame = (game: Game) => Object.values(game.networks).forEach((n) => (n as tf.LayersModel).dispose());
const toyData = (n: number) =>
  tf.tidy(() => tf.add(tf.randomNormal([n, 2], 0, 0.05, "float32", nextSeed()), tf.mul(2, tf.sign(tf.randomNormal([n, 2], 0, 1, "float32", nextSeed())))));

describe("models/mrgan (Che et al. 2017)", () => {
  it("the regularisers: the mean squared error, and −E log D(G(E(x))) that falls as D judges the reconstructions real", () => {
    const x = tf.tensor2d([[1, 2], [3, 1]]), r = tf.tensor2d([[-1, 0.5], [5, 3.5]]);
    close(geometricRegulariser(x, r).dataSync()[0], (4 + 2.25 + 4 + 6.25) / 4, "d(x, G∘E(x))");
    assert.equal(geometricRegulariser(x, x).dataSync()[0], 0);
    const logits = tf.tensor2d([[-0.525], [1.725]]);
    close(modeRegulariser(logits).dataSync()[0], (softplus(0.525) + softplus(-1.725)) / 2, "−mean log σ(l)");
    const judgedReal = modeRegulariser(tf.add(logits, 3)).dataSync()[0];
    assert.ok(judgedReal < modeRegulariser(logits).dataSync()[0], "minimising it raises D(G(E(x))): the non-saturating reading of the sign");
    assert.throws(() => geometricRegulariser(x, tf.zeros([2, 3])), /must have the same shape, got \[2,2\] and \[2,3\]/);
    tf.dispose([x, r, logits]);
  });

  it("the terms of every player for fixed AFFINE networks, against hand values (MRGAN and MDGAN)", async () => {
    // E(x) = x·[1, −1]ᵀ + 0.5, G(z) = z·[2, 1] + [0, 1], D(x) = x·[0.5, −0.25]ᵀ + 0.1.
    // x = [[1, 2], [3, 1]] → E(x) = [−0.5, 2.5] → G(E(x)) = [[−1, 0.5], [5, 3.5]];
    // d = mean of (2², 1.5², 2², 2.5²) = 4.125; D's logits on G(E(x)): [−0.525, 1.725].
    const build = () => ({
      encoder: affine([[1], [-1]], [0.5]), generator: affine([[2, 1]], [0, 1]), discriminator: affine([[0.5], [-0.25]], [0.1]),
    });
    const data = () => tf.tensor2d([[1, 2], [3, 1]]);
    const d = 4.125, mode = (softplus(0.525) + softplus(-1.725)) / 2;
    const still = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, sgd(0)]));

    const mr = mrganGame(build());
    const { history } = await train({ gan: mr, data, steps: 1, batchSize: 2, seed: 1, optimizers: still(MRGAN_PLAYERS) });
    const { generator, encoder } = history.players;
    close(generator.terms.geometric[0], 0.2 * d, "generator geometric = λ1·d");
    close(generator.terms.mode[0], 0.4 * mode, "generator mode = λ2·(−mean log D(G(E(x))))");
    close(encoder.terms.geometric[0], 0.2 * d, "encoder geometric");
    close(encoder.terms.mode[0], 0.4 * mode, "encoder mode");
    close(encoder.scores.reconstruction[0], (1 / (1 + Math.exp(0.525)) + 1 / (1 + Math.exp(-1.725))) / 2, "mean D(G(E(x)))");
    // The discriminator's real side is known too: logits on x are [0.1, 1.35]; its fake side is G(z) of random z.
    close(history.players.discriminator.scores.real[0], (1 / (1 + Math.exp(-0.1)) + 1 / (1 + Math.exp(-1.35))) / 2, "mean D(x)");
    disposeGame(mr);

    const weighted = mrganGame({ ...build(), geometricWeight: 1, modeWeight: 2 });
    const h2 = (await train({ gan: weighted, data, steps: 1, batchSize: 2, seed: 1, optimizers: still(MRGAN_PLAYERS) })).history;
    close(h2.players.encoder.terms.geometric[0], d, "λ1 = 1");
    close(h2.players.encoder.terms.mode[0], 2 * mode, "λ2 = 2");
    disposeGame(weighted);

    // MDGAN, with D_M = D's weights: the manifold player sees −mean log D_M(G(E(x))) and λ1·d.
    const md = mrganGame({ ...build(), manifoldDiscriminator: affine([[0.5], [-0.25]], [0.1]), mdgan: true });
    const h3 = (await train({ gan: md, data, steps: 1, batchSize: 2, seed: 1, optimizers: still(MDGAN_PLAYERS) })).history;
    close(h3.players.manifold.terms.geometric[0], 0.2 * d, "manifold geometric");
    close(h3.players.manifold.terms.adversarial[0], mode, "manifold adversarial");
    // D_M: −mean log σ(D_M(x)) − mean log(1 − σ(D_M(G(E(x))))) = mean softplus(−[0.1, 1.35]) + mean softplus([−0.525, 1.725]).
    close(h3.players.manifoldDiscriminator.terms.adversarial[0],
      (softplus(-0.1) + softplus(-1.35)) / 2 + (softplus(-0.525) + softplus(1.725)) / 2, "D_M's BCE");
    // The diffusion D takes the reconstructions as real (the paper): its real score is mean σ([−0.525, 1.725]).
    close(h3.players.discriminator.scores.real[0], (1 / (1 + Math.exp(0.525)) + 1 / (1 + Math.exp(-1.725))) / 2, "diffusion D's real = G(E(x))");
    disposeGame(md);
  });

  it("each player trains its own networks and no other (one update each)", async function () {
    this.timeout(60000);
    seed(2);
    for (const mdgan of [false, true]) {
      const game = mrganGame({ dataSize: 2, latentSize: 3, hiddenSizes: [8], mdgan });
      for (const player of game.players) {
        const before = Object.fromEntries(Object.entries(game.networks).map(([n, net]) => [n, (net as tf.LayersModel).getWeights().map(values)]));
        const { optimizers } = await train({ gan: { ...game, players: [player] }, data: toyData, steps: 1, batchSize: 8, seed: 2 });
        for (const [name, net] of Object.entries(game.networks)) {
          const after = (net as tf.LayersModel).getWeights().map(values);
          const changed = after.some((w, i) => w.some((v, k) => v !== before[name][i][k]));
          assert.equal(changed, player.trains.includes(name), `${mdgan ? "MDGAN" : "MRGAN"} player ${player.name}: network ${name} ${changed ? "changed" : "did not change"}`);
        }
        Object.values(optimizers).forEach((o) => o.dispose());
      }
      disposeGame(game);
    }
  });

  it("MRGAN's three players and MDGAN's four, with their networks, terms and defaults", async function () {
    this.timeout(60000);
    seed(4);
    const mr = mrganGame({ dataSize: 2, hiddenSizes: [8] });
    assert.deepEqual(mr.players.map((p) => [p.name, p.trains]), [["discriminator", ["discriminator"]], ["generator", ["generator"]], ["encoder", ["encoder"]]]);
    assert.deepEqual(Object.keys(mr.networks), ["encoder", "generator", "discriminator"]);
    assert.deepEqual((mr.networks.encoder as tf.LayersModel).outputs[0].shape, [null, MRGAN_DEFAULTS.latentSize]);
    assert.deepEqual([MRGAN_DEFAULTS.geometricWeight, MRGAN_DEFAULTS.modeWeight], [0.2, 0.4]);
    const md = mrganGame({ dataSize: 2, hiddenSizes: [8], mdgan: true });
    assert.deepEqual(md.players.map((p) => [p.name, p.trains]), [
      ["manifoldDiscriminator", ["manifoldDiscriminator"]], ["manifold", ["generator", "encoder"]],
      ["discriminator", ["discriminator"]], ["generator", ["generator"]],
    ]);
    assert.deepEqual(Object.keys(md.networks), ["encoder", "generator", "discriminator", "manifoldDiscriminator"]);
    const terms = async (game: Game) => {
      const { history, optimizers } = await train({ gan: game, data: toyData, steps: 1, batchSize: 8, seed: 4 });
      Object.values(optimizers).forEach((o) => o.dispose());
      return Object.fromEntries(Object.entries(history.players).map(([n, p]) => [n, Object.keys(p.terms)]));
    };
    assert.deepEqual(await terms(mr), { discriminator: ["adversarial"], generator: ["adversarial", "geometric", "mode"], encoder: ["geometric", "mode"] });
    assert.deepEqual(await terms(md), { manifoldDiscriminator: ["adversarial"], manifold: ["adversarial", "geometric"], discriminator: ["adversarial"], generator: ["adversarial"] });
    const z = tf.randomNormal([5, MRGAN_DEFAULTS.latentSize], 0, 1, "float32", 1);
    assert.deepEqual(mr.sample?.({ z }).shape, [5, 2]);
    z.dispose();
    disposeGame(mr); disposeGame(md);
  });

  it("a few train() steps on a toy mixture: finite losses and no tensor leak per step (MRGAN and MDGAN)", async function () {
    this.timeout(60000);
    seed(5);
    for (const mdgan of [false, true]) {
      const game = mrganGame({ dataSize: 2, latentSize: 2, hiddenSizes: [16], mdgan });
      const counts: number[] = [];
      const { history, optimizers } = await train({
        gan: game, data: toyData, steps: 10, batchSize: 32, seed: 5, callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
      });
      const losses = Object.values(history.players).flatMap((p) => p.loss);
      assert.ok(losses.every(Number.isFinite), `${mdgan ? "MDGAN" : "MRGAN"}: finite losses`);
      assert.deepEqual(counts.slice(1), Array(counts.length - 1).fill(counts[1]), `${mdgan ? "MDGAN" : "MRGAN"}: numTensors per step ${counts}`);
      Object.values(optimizers).forEach((o) => o.dispose());
      disposeGame(game);
    }
  });

  it("says what is wrong with bad options", () => {
    assert.throws(() => mrganGame({ geometricWeight: -1 }), /geometricWeight must be a finite number ≥ 0, got -1/);
    assert.throws(() => mrganGame({ geometricWeight: 0, modeWeight: 0 }), /both 0 the encoder has nothing to learn/);
    assert.throws(() => mrganGame({ mdgan: true, modeWeight: 0.4 }), /modeWeight has no role in MDGAN/);
    assert.throws(() => mrganGame({ diffusionTarget: "data" }), /belong to MDGAN's two-step training; pass mdgan: true/);
    assert.throws(() => mrganGame({ mdgan: true, diffusionTarget: "noise" as never }), /diffusionTarget must be "reconstructions" or "data"/);
    assert.throws(() => mrganGame({ mdgan: "yes" as never }), /mdgan must be true or false/);
    assert.throws(() => mrganGame({ optimizers: { manifold: sgd(0.1) } }), /MRGAN has no player "manifold"; its players are discriminator, generator, encoder/);
    assert.throws(() => mrganGame({ dataSize: 0 }), /mrganGame: dataSize must be a positive integer, got 0/);
    const g = mlpGenerator({ latentSize: 4, dataSize: 2 });
    assert.throws(() => mrganGame({ generator: g, latentSize: 3, dataSize: 2 }), /latentSize and the generator's input differ: \[3\] vs \[4\]/);
    const wrongD = mlpDiscriminator({ dataSize: 3 });
    assert.throws(() => mrganGame({ generator: g, discriminator: wrongD, dataSize: 2 }), /the generator's output and the discriminator's input differ: \[2\] vs \[3\]; D must take the data's shape/);
    const e: Network = affine([[1, 0, 0], [0, 1, 0]], [0, 0, 0]);
    assert.throws(() => mrganGame({ generator: g, encoder: e, dataSize: 2 }), /the encoder's code and the generator's input differ: \[3\] vs \[4\]/);
    [g, wrongD, e].forEach((n) => (n as tf.LayersModel).dispose());
  });
});
