/**
 * The training history as charts: every player's loss, its named terms, its recorded scores or its gradient
 * norm over the steps, smoothed by a trailing moving average (a GAN's per-step losses are noisy enough that
 * the raw curves hide their trend). One chart for any game: two players or four.
 */
import type { TrainHistory } from "../train/types";
import { ChartOptions, Figure, lineChart, Series } from "./plotly";

/**
 * The trailing moving average of `values` over `window` entries: entry i is the mean of entries
 * max(0, i − window + 1) … i (the first few average what there is). window 1 returns a copy.
 */
export function movingAverage(values: ArrayLike<number>, window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`movingAverage: window must be a positive integer, got ${window}.`);
  const out: number[] = new Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/** What a history chart draws for each player. */
export type HistorySeries = "loss" | "terms" | "scores" | "gradNorm";

export interface HistoryChartOptions extends ChartOptions {
  /** "loss" (default): each player's total; "terms": each named term; "scores": what players recorded; "gradNorm". */
  series?: HistorySeries;
  /** Players to draw, in order. Default: all. */
  players?: string[];
  /** Moving-average window in recorded steps. Default: about a fiftieth of the run (1 = raw values). */
  window?: number;
  /** Also draw the unsmoothed values beside the averages. Default false. */
  raw?: boolean;
  /** Short display names of players ({discriminator: "D"}); default the names. */
  labels?: Record<string, string>;
}

/** The named series a history chart shows, before smoothing: `[display name, values]`. */
export function historySeries(history: TrainHistory, options: HistoryChartOptions = {}): Array<[string, number[]]> {
  if (history == null || !Array.isArray(history.step) || history.players == null) {
    throw new Error("historyChart: expected a training history ({step, players}), such as train()'s result.history.");
  }
  const what = options.series ?? "loss";
  if (!["loss", "terms", "scores", "gradNorm"].includes(what)) {
    throw new Error(`historyChart: series must be "loss", "terms", "scores" or "gradNorm", got ${JSON.stringify(what)}.`);
  }
  const names = options.players ?? Object.keys(history.players);
  const out: Array<[string, number[]]> = [];
  for (const name of names) {
    const p = history.players[name];
    if (p === undefined) {
      throw new Error(`historyChart: no player "${name}" in the history (it has ${Object.keys(history.players).join(", ")}).`);
    }
    const label = options.labels?.[name] ?? name;
    if (what === "loss") out.push([`${label} loss`, p.loss]);
    else if (what === "gradNorm") out.push([`${label} gradient norm`, p.gradNorm]);
    else for (const [key, values] of Object.entries(what === "terms" ? p.terms : p.scores)) out.push([`${label} ${key}`, values]);
  }
  return out;
}

/**
 * A line chart of a training history: `showPlot(historyChart(result.history, {series: "terms"}))`.
 * Each series is smoothed by `movingAverage` over `window` recorded steps (named "(mean of w)").
 */
export function historyChart(history: TrainHistory, options: HistoryChartOptions = {}): Figure {
  const window = options.window ?? Math.max(1, Math.round(history.step.length / 50));
  const series: Series[] = [];
  for (const [name, values] of historySeries(history, options)) {
    if (options.raw && window > 1) series.push({ name, x: history.step, y: values });
    series.push({ name: window > 1 ? `${name} (mean of ${window})` : name, x: history.step, y: movingAverage(values, window) });
  }
  const what = options.series ?? "loss";
  const defaultY: Record<HistorySeries, string> = { loss: "loss", terms: "loss term", scores: "score", gradNorm: "gradient norm" };
  return lineChart(series, {
    ...options,
    title: options.title ?? `training: ${what === "gradNorm" ? "gradient norms" : what}`,
    xLabel: options.xLabel ?? "step",
    yLabel: options.yLabel ?? defaultY[what],
  });
}
