import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, nextSeed, restoreMathRandom } from "../../lib/engine/seed";
import { adam, sgd } from "../../lib/engine/optimizers";
import { train } from "../../lib/train/loop";
import { normalLatent, GanObjective, GanSpec } from "../../lib/train/gan-spec";
import type { StepLog } from "../../lib/train/types";
import { every, holdThenDecay, learningRateSchedule, progressBar, sampleEvery, formatProgress, TrainCallback } from "../../lib/train/callbacks";
import { mlpGenerator, mlpDiscriminator } from "../../lib/models/mlp";

const bceObjective: GanObjective = {
  discriminatorLoss: (real, fake) => tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))),
  generatorLoss: (fake) => tf.mean(tf.softplus(tf.neg(fake))),
};

function toyGan(seedValue: number): GanSpec {
  seed(seedValue);
  return {
    generator: mlpGenerator({ latentSize: 2, dataSize: 1, hiddenSizes: [8] }),
    discriminator: mlpDiscriminator({ dataSize: 1, hiddenSizes: [8] }),
    latent: normalLatent(2),
    objective: bceObjective,
  };
}

const data = (n: number) => tf.randomNormal([n, 1], 4, 1, "float32", nextSeed());

function run(steps: number, callbacks: TrainCallback[], extra: Partial<Parameters<typeof train>[0]> = {}) {
  return train({ data, steps, batchSize: 8, callbacks, ...extra, gan: extra.gan ?? toyGan(1) });
}

/** A text sink that records what was written. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (s: string) => { chunks.push(s); return true; } };
}

describe("train/callbacks", () => {
  afterEach(() => restoreMathRandom());

  it("calls the hooks in order: begin, each step, epochs, end", async () => {
    const events: string[] = [];
    await run(5, [{
      onTrainBegin: (s) => { events.push(`begin@${s.step}`); },
      onStepEnd: (log) => { events.push(`step${log.step}`); },
      onEpochEnd: (epoch, s) => { events.push(`epoch${epoch}@${s.step}`); },
      onTrainEnd: (s) => { events.push(`end@${s.step}`); },
    }], { stepsPerEpoch: 2 });
    assert.deepEqual(events, ["begin@0", "step1", "step2", "epoch1@2", "step3", "step4", "epoch2@4", "step5", "end@5"]);
  });

  it("every(n, fn) fires on multiples of n, and state.stop() ends the run after that step", async () => {
    const fired: number[] = [];
    const result = await run(10, [
      every(3, (log) => { fired.push(log.step); }),
      every(7, (_log, state) => state.stop()),
    ]);
    assert.deepEqual(fired, [3, 6]);
    assert.equal(result.step, 7);
    assert.equal(result.stopped, true);
    assert.equal(result.history.step.length, 7);
    assert.throws(() => every(0, () => undefined), /positive integer/);
  });

  it("calls onTrainEnd when training fails, so a progress line is closed", async () => {
    let ended = false;
    await assert.rejects(
      run(3, [{ onTrainEnd: () => { ended = true; } }], { data: (n: number) => tf.fill([n, 1], NaN) }),
      /step 1: discriminator loss is NaN/,
    );
    assert.ok(ended);
  });

  it("formatProgress prints step, bar, each player's loss and the scores it recorded", () => {
    const player = (loss: number, scores: Record<string, number>) => ({ loss, gradNorm: 1, terms: { adversarial: loss }, scores, updates: 1 });
    const log: StepLog = { step: 120, players: { discriminator: player(1.23456, { real: 0.612, fake: 0.4213 }), generator: player(0.98765, {}) } };
    const labels = { discriminator: "D", generator: "G" };
    assert.equal(
      formatProgress(log, 500, 10, 35.25, labels),
      "step 120/500 [##--------]  24% | D 1.2346 G 0.9877 | D real 0.6120 fake 0.4213 | 35.3 step/s",
    );
    const broken: StepLog = { step: 1, players: { discriminator: player(NaN, {}), generator: player(12345, {}) } };
    assert.match(formatProgress(broken, 500, 20, undefined, labels), /D NaN G 1\.23e\+4/);
    // Without labels, the players' names; any number of players.
    const three: StepLog = { step: 2, players: { encoder: player(0.5, {}), generator: player(0.25, {}), discriminator: player(1, { real: 0.5 }) } };
    assert.match(formatProgress(three, 4), /\| encoder 0\.5000 generator 0\.2500 discriminator 1\.0000 \| discriminator real 0\.5000$/);
  });

  it("progressBar: ~10 new lines in a notebook, one redrawn line on a terminal", async () => {
    const notebook = sink(false);
    await run(20, [progressBar({ stream: notebook })]);
    assert.equal(notebook.chunks.length, 10);
    assert.ok(notebook.chunks.every((c) => c.endsWith("\n") && !c.includes("\r")));
    assert.match(notebook.chunks[0], /^step  2\/20 \[/);
    assert.match(notebook.chunks[9], /^step 20\/20 \[#{20}\] 100%/);

    const terminal = sink(true);
    await run(5, [progressBar({ stream: terminal, width: 5 })]);
    assert.ok(terminal.chunks.length >= 2, "first and last step are drawn");
    assert.ok(terminal.chunks.slice(0, -1).every((c) => c.startsWith("\rstep ")));
    assert.match(terminal.chunks[terminal.chunks.length - 2], /^\rstep 5\/5 \[#####\] 100%/);
    assert.equal(terminal.chunks[terminal.chunks.length - 1], "\n");
  });

  it("sampleEvery hands over samples of the same fixed noise every n steps and frees them", async () => {
    const calls: { step: number; values: number[]; shape: number[]; tensor: tf.Tensor }[] = [];
    const record = (samples: tf.Tensor, step: number) => {
      calls.push({ step, values: Array.from(samples.dataSync()), shape: samples.shape, tensor: samples });
    };
    // With learning rate 0 the generator never changes, so fixed noise must give identical samples.
    const frozen = { generator: sgd(0), discriminator: sgd(0) };
    const gan = toyGan(1);
    const before = tf.memory().numTensors;
    await run(6, [sampleEvery(3, record, { count: 5, atStart: true })], { gan, optimizers: frozen });
    assert.deepEqual(calls.map((c) => c.step), [0, 3, 6]);
    assert.deepEqual(calls[0].shape, [5, 1]);
    assert.deepEqual(calls[1].values, calls[0].values);
    assert.deepEqual(calls[2].values, calls[0].values);
    assert.ok(calls.every((c) => c.tensor.isDisposed));
    assert.equal(tf.memory().numTensors, before);
    // And the generator's map does show up in them: a trained run's samples move.
    const moving: number[][] = [];
    await run(6, [sampleEvery(3, (s) => { moving.push(Array.from(s.dataSync())); }, { count: 5 })], {
      optimizers: { generator: adam(0.05), discriminator: adam(0.05) },
    });
    assert.notDeepEqual(moving[1], moving[0]);
  });

  describe("learningRateSchedule", () => {
    const weightsOf = (gan: GanSpec) => [gan.generator, gan.discriminator].flatMap((n) => (n as unknown as tf.LayersModel).getWeights().map((w) => Array.from(w.dataSync())));

    it("sets each player's rate before every round from schedule(step, player, initial rate)", async () => {
      const gan = toyGan(3);
      const seen: string[] = [];
      const snapshots: number[][][] = [];
      const rates: number[] = [];
      const result = await run(5, [
        // Rate 0 from step 3 on: the weights must stop moving after step 2 — and only then.
        learningRateSchedule((step, player, initial) => {
          seen.push(`${step}:${player}:${initial}`);
          return step >= 3 ? 0 : initial;
        }),
        { onStepEnd: (_log, state) => { snapshots.push(weightsOf(gan)); rates.push((state.optimizers.generator as unknown as { learningRate: number }).learningRate); } },
      ], { gan, optimizers: { generator: sgd(0.05), discriminator: adam(0.01, 0.5) } });
      // In the game's order of players (the discriminator first).
      assert.deepEqual(seen.slice(0, 4), ["1:discriminator:0.01", "1:generator:0.05", "2:discriminator:0.01", "2:generator:0.05"]);
      assert.deepEqual(seen.slice(-2), ["6:discriminator:0.01", "6:generator:0.05"]); // set after the last round too
      assert.deepEqual(rates, [0.05, 0, 0, 0, 0]); // read after each round's schedule call for the next one
      assert.notDeepEqual(snapshots[1], snapshots[0], "step 2 (rate 0.05) moved the weights");
      assert.deepEqual(snapshots[4], snapshots[1], "steps 3–5 (rate 0) left them where step 2 did");
      Object.values(result.optimizers).forEach((o) => o.dispose());
    });

    it("holdThenDecay: the rate held for the first half, then r · f^((step − hold)/(steps − hold)), the last step at r · f", () => {
      const schedule = holdThenDecay(10, 0.01);
      // Lesson 04's inline form, step ≤ half ? r : r · 0.01^((step − half)/half), for every step.
      for (let step = 1; step <= 10; step++) {
        const want = step <= 5 ? 0.001 : 0.001 * Math.pow(0.01, (step - 5) / 5);
        assert.ok(Math.abs(schedule(step, "generator", 0.001) - want) <= 1e-18, `step ${step}`);
      }
      assert.equal(schedule(5, "g", 0.002), 0.002);
      assert.ok(Math.abs(schedule(6, "g", 0.002) - 0.002 * Math.pow(0.01, 0.2)) < 1e-15);
      assert.ok(Math.abs(schedule(10, "g", 0.002) - 0.00002) < 1e-15);
      assert.ok(Math.abs(schedule(14, "g", 0.002) - 0.00002) < 1e-15, "past the last step: the final rate");
      // Another hold, a rate of its own (replacing the player's), and f = 1: constant.
      const early = holdThenDecay(8, 0.5, { holdFraction: 0.25, rate: 0.1 });
      assert.equal(early(2, "d", 7), 0.1);
      assert.ok(Math.abs(early(5, "d", 7) - 0.1 * Math.pow(0.5, 0.5)) < 1e-15);
      assert.ok(Math.abs(early(8, "d", 7) - 0.05) < 1e-15);
      assert.deepEqual([1, 4, 8].map((s) => holdThenDecay(8, 1, { rate: 0.3 })(s, "g", 1)), [0.3, 0.3, 0.3]);
      assert.deepEqual([1, 4].map((s) => holdThenDecay(4, 1, { holdFraction: 0 })(s, "g", 0.2)), [0.2, 0.2]);
      assert.throws(() => holdThenDecay(0, 0.1), /steps must be a positive integer, got 0/);
      assert.throws(() => holdThenDecay(10, 0), /finalFraction is the share of the rate left at the last step, in \(0, 1\]; got 0/);
      assert.throws(() => holdThenDecay(10, 1.5), /in \(0, 1\]; got 1\.5/);
      assert.throws(() => holdThenDecay(10, 0.1, { holdFraction: 1 }), /holdFraction must lie in \[0, 1\), got 1/);
      assert.throws(() => holdThenDecay(10, 0.1, { rate: -1 }), /rate must be a positive number, got -1/);
    });

    it("refuses an optimizer that cannot change its rate, and a negative rate", async () => {
      await assert.rejects(
        run(2, [learningRateSchedule((_s, _p, r) => r)], { optimizers: { generator: tf.train.adam(0.01), discriminator: adam(0.01) } }),
        /learningRateSchedule: the optimizer of player "generator" \(Adam\) cannot change its rate; use tsgan\.adam/,
      );
      assert.throws(() => adam(0.01).setLearningRate(-1), /setLearningRate: the rate must be a finite number ≥ 0, got -1/);
    });
  });
});
