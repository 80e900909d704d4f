/**
 * A line chart that redraws itself while a model trains.
 *
 * In a notebook the chart is one display whose content is replaced (`update_display_data`, the mechanism
 * behind tslab's `newDisplay()`), so the saved notebook holds only the final chart. Redraws are throttled:
 * each one re-sends every point, and a training loop reporting every step would otherwise flood the front
 * end and the CI log. Outside a notebook the same throttle prints one line of the latest values instead.
 *
 * Where the chart is drawn from its HTML (the classic Notebook, JupyterLab without plotly's extension), each
 * update's script draws the new state with the plotly.js the page already has.
 */
import { randomBytes } from "crypto";
import { ChartOptions, displayFigure, Figure, inNotebook, lineChart } from "./plotly";

export interface LivePlotOptions extends ChartOptions {
  /** Redraw at most once per this many milliseconds (default 1000). `close()` always draws the final state. */
  throttleMs?: number;
  /** Points drawn per series at most; older points are thinned by striding (default 500). All are kept. */
  maxPointsDrawn?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
  /** Where the text lines go outside a notebook (default console.log). */
  log?: (line: string) => void;
}

export interface LivePlot {
  /**
   * Adds one value per named series at step `x` (default: one past the previous step) and redraws if the
   * throttle allows. `update({ "D loss": 0.69, "G loss": 0.71 }, step)`.
   */
  update(values: Record<string, number>, x?: number): void;
  /** Draws the final state and stops; later updates are an error. (Returns nothing, so a cell ending in it prints nothing.) */
  close(): void;
  /** The figure as it would be drawn now. */
  figure(): Figure;
  /** How many times the chart (or log line) was drawn. */
  readonly draws: number;
}

/** Every `stride`-th index of n, always keeping the last one, so at most `max` points remain. */
export function thinIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const stride = Math.ceil(n / max);
  const kept: number[] = [];
  for (let i = 0; i < n; i += stride) kept.push(i);
  if (kept[kept.length - 1] !== n - 1) kept[kept.length - 1] = n - 1;
  return kept;
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)) : String(v);
}

/**
 * Starts a live line chart. `seriesNames` fixes the legend order; values for other names are an error, so a
 * typo does not silently start a new series.
 */
export function livePlot(seriesNames: string[], options: LivePlotOptions = {}): LivePlot {
  if (!Array.isArray(seriesNames) || seriesNames.length === 0) {
    throw new Error('livePlot: give the series names up front, e.g. livePlot(["D loss", "G loss"]).');
  }
  const throttleMs = options.throttleMs ?? 1000;
  const maxPointsDrawn = options.maxPointsDrawn ?? 500;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(line));
  const displayId = randomBytes(8).toString("hex");
  const xs: Record<string, number[]> = {};
  const ys: Record<string, number[]> = {};
  for (const name of seriesNames) {
    xs[name] = [];
    ys[name] = [];
  }
  let lastX = -1;
  let lastDrawAt = -Infinity;
  let drawnOnce = false;
  let dirty = false;
  let closed = false;
  let draws = 0;
  let lastValues: Record<string, number> = {};

  function figure(): Figure {
    const series = seriesNames.map((name) => {
      const kept = thinIndices(ys[name].length, maxPointsDrawn);
      return { name, x: kept.map((i) => xs[name][i]), y: kept.map((i) => ys[name][i]) };
    });
    return lineChart(series, options);
  }

  function draw(): void {
    draws++;
    dirty = false;
    lastDrawAt = now();
    if (inNotebook()) {
      // The first draw embeds plotly.js when the session has not yet (an output of its own, above the chart,
      // so that the updates, which replace the chart's output, keep it).
      displayFigure(figure(), { displayId, update: drawnOnce });
      drawnOnce = true;
    } else {
      const parts = Object.entries(lastValues).map(([k, v]) => `${k}=${formatValue(v)}`);
      log(`[${options.title ?? "live plot"}] step ${lastX}: ${parts.join(" ")}`);
    }
  }

  return {
    update(values, x) {
      if (closed) throw new Error("livePlot: update() after close(); start a new livePlot for a new run.");
      const step = x ?? lastX + 1;
      for (const [name, value] of Object.entries(values)) {
        if (!(name in ys)) {
          throw new Error(`livePlot: unknown series "${name}"; this plot has ${seriesNames.map((s) => `"${s}"`).join(", ")}.`);
        }
        xs[name].push(step);
        ys[name].push(value);
      }
      lastX = step;
      lastValues = { ...lastValues, ...values };
      dirty = true;
      if (now() - lastDrawAt >= throttleMs) draw();
    },
    close() {
      if (!closed && dirty) draw();
      closed = true;
    },
    figure,
    get draws() {
      return draws;
    },
  };
}
