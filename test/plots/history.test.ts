import { strict as assert } from "assert";
import { movingAverage, historyChart, historySeries } from "../../lib/plots/history";
import { flatHistory, TrainHistory } from "../../lib/train/types";

const history: TrainHistory = {
  step: [1, 2, 3, 4],
  players: {
    discriminator: { loss: [4, 2, 2, 0], gradNorm: [1, 1, 1, 1], terms: { adversarial: [3, 1, 1, 0], gradientPenalty: [1, 1, 1, 0] }, scores: { real: [0.9, 0.8, 0.7, 0.6], fake: [0.1, 0.2, 0.3, 0.4] } },
    generator: { loss: [1, 2, 3, 4], gradNorm: [2, 2, 2, 2], terms: { adversarial: [1, 2, 3, 4] }, scores: {} },
  },
};

describe("plots/history", () => {
  it("movingAverage: the trailing mean, averaging what there is at the start", () => {
    assert.deepEqual(movingAverage([4, 2, 2, 0], 2), [4, 3, 2, 1]);
    assert.deepEqual(movingAverage([1, 2, 3, 4, 5], 3), [1, 1.5, 2, 3, 4]);
    assert.deepEqual(movingAverage(Float32Array.from([1, 2]), 1), [1, 2]);
    assert.throws(() => movingAverage([1], 0), /window must be a positive integer/);
  });

  it("draws every player's loss, named terms, scores or gradient norm, smoothed, against the step", () => {
    assert.deepEqual(historySeries(history).map(([n]) => n), ["discriminator loss", "generator loss"]);
    assert.deepEqual(
      historySeries(history, { series: "terms", labels: { discriminator: "D", generator: "G" } }).map(([n]) => n),
      ["D adversarial", "D gradientPenalty", "G adversarial"],
    );
    assert.deepEqual(historySeries(history, { series: "scores", players: ["discriminator"] }).map(([n]) => n), ["discriminator real", "discriminator fake"]);
    const figure = historyChart(history, { series: "terms", window: 2, raw: true });
    assert.deepEqual(figure.data.map((t) => t.name), [
      "discriminator adversarial", "discriminator adversarial (mean of 2)", "discriminator gradientPenalty",
      "discriminator gradientPenalty (mean of 2)", "generator adversarial", "generator adversarial (mean of 2)",
    ]);
    assert.deepEqual(figure.data[1].y, [3, 2, 1, 0.5]);
    assert.deepEqual(figure.data[1].x, [1, 2, 3, 4]);
    const gradients = historyChart(history, { series: "gradNorm", window: 1 });
    assert.deepEqual(gradients.data.map((t) => t.name), ["discriminator gradient norm", "generator gradient norm"]);
    assert.match(JSON.stringify(gradients.layout), /gradient norm/);
  });

  it("flatHistory names every series of every player", () => {
    const flat = flatHistory(history);
    assert.deepEqual(Object.keys(flat), [
      "discriminator.loss", "discriminator.gradNorm", "discriminator.terms.adversarial", "discriminator.terms.gradientPenalty",
      "discriminator.scores.real", "discriminator.scores.fake", "generator.loss", "generator.gradNorm", "generator.terms.adversarial",
    ]);
    assert.equal(flat["discriminator.scores.fake"], history.players.discriminator.scores.fake);
  });

  it("names what is missing", () => {
    assert.throws(() => historyChart(history, { players: ["critic"] }), /no player "critic" in the history \(it has discriminator, generator\)/);
    assert.throws(() => historyChart(history, { series: "losses" as never }), /series must be "loss", "terms", "scores" or "gradNorm"/);
    assert.throws(() => historyChart({ step: [] } as unknown as TrainHistory), /expected a training history/);
  });
});
