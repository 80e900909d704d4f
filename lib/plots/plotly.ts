/**
 * Plotly figures as notebook output.
 *
 * A figure is shown as one display bundle holding several mime types, so every front end finds one it can
 * draw (Jupyter messaging spec, "display_data": the front end picks the richest type it understands):
 * - `application/vnd.plotly.v1+json`: the figure itself; JupyterLab (with plotly's extension), VS Code and
 *   the course site draw it interactively.
 * - `text/html`: a `<div>` and a script that draws it with `window.Plotly` when the page has plotly.js (the
 *   classic Notebook after `plotlyInit()`), and otherwise says what is missing instead of failing silently.
 * - `text/plain`: a one-line summary for consoles and logs.
 *
 * Outside a tslab kernel (a script, a test, a CI log) nothing is displayed: `showPlot` prints one line and
 * returns the figure.
 */
import * as fs from "fs";

/** One plotly trace (https://plotly.com/javascript/reference/); kept loose so every trace type fits. */
export interface Trace {
  type?: string;
  name?: string;
  x?: ArrayLike<number> | number[] | string[];
  y?: ArrayLike<number> | number[] | string[];
  z?: number[][];
  [key: string]: unknown;
}

/** A plotly figure: what `Plotly.newPlot(div, data, layout, config)` takes. */
export interface Figure {
  data: Trace[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Mime type of plotly figures in Jupyter outputs (the one plotly's own renderers register). */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** The content of a `display_data` message: mime type -> data (strings, or JSON for `+json` types). */
export interface DisplayBundle {
  [mime: string]: string | object;
}

/** Hands a display message to the front end; `update` true sends `update_display_data` for its display_id. */
export type DisplaySink = (
  message: { data: DisplayBundle; metadata: Record<string, unknown>; transient?: { display_id?: string } },
  update: boolean,
) => void;

let sinkOverride: DisplaySink | null | undefined;

/**
 * Replaces where displays go: a function (tests, other front ends), `null` (behave as outside a kernel) or
 * `undefined` (back to finding the tslab kernel). Returns the previous override.
 */
export function setDisplaySink(sink: DisplaySink | null | undefined): DisplaySink | null | undefined {
  const previous = sinkOverride;
  sinkOverride = sink;
  return previous;
}

/**
 * The running tslab kernel's display writer, or null outside a kernel.
 *
 * tslab's public `display.raw` sends one mime type per message, so we use the writer it keeps for the cell
 * being executed (`lastWriteDisplayData` in tslab/dist/jupyter.js). We look it up among modules already
 * loaded instead of requiring tslab: requiring it outside a kernel would load a TypeScript compiler for
 * nothing, and a kernel started from another tslab install has its own module instance anyway.
 */
function kernelSink(): DisplaySink | null {
  if (sinkOverride !== undefined) return sinkOverride;
  for (const key of Object.keys(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(key)) continue;
    const writer = require.cache[key]?.exports?.lastWriteDisplayData;
    if (typeof writer === "function") return writer as DisplaySink;
  }
  return null;
}

/** True when displays reach a notebook front end. */
export function inNotebook(): boolean {
  return kernelSink() !== null;
}

/**
 * Sends one display bundle. With `displayId`, a later call with `update: true` replaces it in place
 * (`update_display_data`). Returns false when there is no kernel to send it to.
 */
export function displayBundle(bundle: DisplayBundle, options: { displayId?: string; update?: boolean } = {}): boolean {
  const sink = kernelSink();
  if (!sink) return false;
  const message = {
    data: bundle,
    metadata: {},
    ...(options.displayId ? { transient: { display_id: options.displayId } } : {}),
  };
  sink(message, Boolean(options.update && options.displayId));
  return true;
}

/** Converts typed arrays to plain arrays so the figure survives JSON (a Float32Array stringifies as an object). */
function plainFigure(figure: Figure): Figure {
  return JSON.parse(
    JSON.stringify(figure, (_key, value) =>
      ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value,
    ),
  );
}

function checkFigure(figure: Figure): void {
  if (!figure || !Array.isArray(figure.data)) {
    throw new Error("showPlot: expected a plotly figure { data: Trace[], layout? }; build one with lineChart(), scatter(), histogram() or heatmap().");
  }
}

/** A one-line description of a figure: its title and traces. */
export function figureSummary(figure: Figure): string {
  const title = figureTitle(figure);
  const traces = figure.data.map((t) => `${t.type ?? "scatter"}${t.name ? ` "${t.name}"` : ""}`).join(", ");
  return `Plotly figure${title ? ` "${title}"` : ""}: ${figure.data.length} trace${figure.data.length === 1 ? "" : "s"} (${traces})`;
}

function figureTitle(figure: Figure): string | undefined {
  const title = figure.layout?.title;
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string") return (title as { text: string }).text;
  return undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** JSON that is safe inside a `<script>` element (no `</script>` or `<!--` can close it early). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

let htmlIdCounter = 0;

/** The `text/html` fallback: draws with the page's plotly.js when it has one, otherwise explains. */
export function figureHtml(figure: Figure): string {
  const id = `tsgan-plot-${process.pid}-${Date.now().toString(36)}-${htmlIdCounter++}`;
  const summary = escapeHtml(figureSummary(figure));
  return [
    `<div id="${id}" class="tsgan-plot">${summary}</div>`,
    "<script>",
    "(function () {",
    `  var fig = ${scriptSafeJson(figure)};`,
    `  var el = document.getElementById(${JSON.stringify(id)});`,
    "  if (window.Plotly) { el.textContent = ''; window.Plotly.newPlot(el, fig.data, fig.layout || {}, fig.config || {}); }",
    "  else { el.textContent += ' (plotly.js is not loaded on this page: run tsgan.plotlyInit() once, or open the notebook in JupyterLab or VS Code)'; }",
    "})();",
    "</script>",
  ].join("\n");
}

/** The display bundle for a figure: plotly JSON, an HTML fallback and a text summary. */
export function figureBundle(figure: Figure): DisplayBundle {
  checkFigure(figure);
  const plain = plainFigure(figure);
  return {
    [PLOTLY_MIME]: plain,
    "text/html": figureHtml(plain),
    "text/plain": figureSummary(plain),
  };
}

/**
 * Shows a plotly figure as cell output. Outside a notebook it prints a one-line summary instead.
 * Returns nothing on purpose: tslab prints the value of a cell's last expression, and a figure's JSON
 * under its chart would only be noise.
 */
export function showPlot(figure: Figure): void {
  const bundle = figureBundle(figure);
  if (!displayBundle(bundle)) console.log(`[tsgan] ${bundle["text/plain"]} (not in a notebook: nothing displayed)`);
}

/**
 * Puts plotly.js into the classic Jupyter Notebook page (as `Plotly` on window) so the `text/html` fallback
 * of later plots draws offline. JupyterLab and VS Code do not need this. It embeds the installed
 * plotly.min.js (about 5 MB) in the notebook, so call it only where no plotly renderer exists.
 */
export function plotlyInit(): boolean {
  const source = fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  // Hide AMD's `define` while plotly loads, or it registers itself as a module instead of setting window.Plotly.
  const html = `<script>(function(){var d=window.define;window.define=undefined;\n${source.replace(/<\/script/gi, "<\\/script")}\nwindow.define=d;})();</script>`;
  return displayBundle({ "text/html": html, "text/plain": "plotly.js loaded into the page" });
}

// ---------------------------------------------------------------------------------------------------------
// Figure builders. Each returns a plain Figure that can be edited before showPlot().

/** Axis titles and a figure title, shared by the builders. */
export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Log-scaled y axis (losses spanning decades). */
  logY?: boolean;
}

/** A named series for lineChart: y values, with x defaulting to 0, 1, 2, ... */
export interface Series {
  name?: string;
  y: ArrayLike<number>;
  x?: ArrayLike<number>;
}

function toArray(values: ArrayLike<number>, what: string): number[] {
  if (values == null || typeof values.length !== "number") {
    throw new Error(`${what}: expected an array of numbers, got ${values === null ? "null" : typeof values}.`);
  }
  return Array.from(values);
}

function baseLayout(options: ChartOptions): Record<string, unknown> {
  const layout: Record<string, unknown> = {
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
    xaxis: { title: { text: options.xLabel ?? "" } },
    yaxis: { title: { text: options.yLabel ?? "" }, ...(options.logY ? { type: "log" } : {}) },
  };
  if (options.title) layout.title = { text: options.title };
  if (options.width) layout.width = options.width;
  if (options.height) layout.height = options.height;
  return layout;
}

/**
 * Line chart of one or more series: `lineChart([{name: "D loss", y: dLoss}, {name: "G loss", y: gLoss}])`.
 * A bare array is one unnamed series.
 */
export function lineChart(series: Series | Series[] | ArrayLike<number>, options: ChartOptions = {}): Figure {
  const list: Series[] = isSeriesList(series) ? series : isSeries(series) ? [series] : [{ y: series as ArrayLike<number> }];
  const data = list.map((s, i) => {
    const y = toArray(s.y, `lineChart series ${i}`);
    const x = s.x ? toArray(s.x, `lineChart series ${i} x`) : y.map((_, j) => j);
    if (x.length !== y.length) throw new Error(`lineChart series ${i}: x has ${x.length} values but y has ${y.length}; give them the same length.`);
    return { type: "scatter", mode: "lines", name: s.name ?? `series ${i}`, x, y };
  });
  return { data, layout: baseLayout(options) };
}

function isSeries(value: unknown): value is Series {
  return typeof value === "object" && value !== null && "y" in value;
}

function isSeriesList(value: unknown): value is Series[] {
  return Array.isArray(value) && value.length > 0 && isSeries(value[0]);
}

/** Scatter plot of points; `points` is [[x, y], ...] or {x, y}. Several groups: pass a record name -> points. */
export function scatter(
  points: Array<[number, number]> | { x: ArrayLike<number>; y: ArrayLike<number> } | Record<string, Array<[number, number]>>,
  options: ChartOptions & { markerSize?: number } = {},
): Figure {
  const groups: Array<[string | undefined, number[], number[]]> = [];
  if (Array.isArray(points)) {
    groups.push([undefined, points.map((p) => p[0]), points.map((p) => p[1])]);
  } else if (isXY(points)) {
    groups.push([undefined, toArray(points.x, "scatter x"), toArray(points.y, "scatter y")]);
  } else {
    for (const [name, pts] of Object.entries(points as Record<string, Array<[number, number]>>)) {
      if (!Array.isArray(pts)) throw new Error(`scatter: group "${name}" should be an array of [x, y] points.`);
      groups.push([name, pts.map((p) => p[0]), pts.map((p) => p[1])]);
    }
  }
  const data = groups.map(([name, x, y], i) => {
    if (x.length !== y.length) throw new Error(`scatter: x has ${x.length} values but y has ${y.length}.`);
    return { type: "scatter", mode: "markers", name: name ?? `points ${i}`, x, y, marker: { size: options.markerSize ?? 4 } };
  });
  return { data, layout: baseLayout(options) };
}

function isXY(value: unknown): value is { x: ArrayLike<number>; y: ArrayLike<number> } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return isArrayLike(v.x) && isArrayLike(v.y) && typeof (v.x as ArrayLike<unknown>)[0] !== "object";
}

function isArrayLike(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** Histogram of values (optionally several named samples overlaid, e.g. real vs generated). */
export function histogram(
  values: ArrayLike<number> | Record<string, ArrayLike<number>>,
  options: ChartOptions & { bins?: number; normalize?: boolean } = {},
): Figure {
  const groups: Array<[string | undefined, number[]]> = isArrayLike(values)
    ? [[undefined, toArray(values, "histogram")]]
    : Object.entries(values).map(([name, v]) => [name, toArray(v, `histogram "${name}"`)] as [string, number[]]);
  const data = groups.map(([name, x], i) => ({
    type: "histogram",
    name: name ?? `values ${i}`,
    x,
    opacity: groups.length > 1 ? 0.6 : 1,
    ...(options.bins ? { nbinsx: options.bins } : {}),
    ...(options.normalize ? { histnorm: "probability density" } : {}),
  }));
  return { data, layout: { ...baseLayout(options), barmode: "overlay" } };
}

/** A grid of values z[row][col] over x (columns) and y (rows), e.g. a discriminator's output on a plane. */
export interface Grid {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  z: ArrayLike<number>[] | number[][];
}

function gridTrace(grid: Grid, what: string): { x: number[]; y: number[]; z: number[][] } {
  const x = toArray(grid.x, `${what} x`);
  const y = toArray(grid.y, `${what} y`);
  const z = Array.from(grid.z, (row, r) => {
    const values = toArray(row, `${what} z row ${r}`);
    if (values.length !== x.length) throw new Error(`${what}: z row ${r} has ${values.length} values but x has ${x.length}; z is indexed z[row of y][column of x].`);
    return values;
  });
  if (z.length !== y.length) throw new Error(`${what}: z has ${z.length} rows but y has ${y.length} values; z is indexed z[row of y][column of x].`);
  return { x, y, z };
}

/** Heatmap of a grid. */
export function heatmap(grid: Grid, options: ChartOptions & { colorscale?: string; zmin?: number; zmax?: number } = {}): Figure {
  const trace = {
    type: "heatmap",
    ...gridTrace(grid, "heatmap"),
    colorscale: options.colorscale ?? "RdBu",
    ...(options.zmin !== undefined ? { zmin: options.zmin } : {}),
    ...(options.zmax !== undefined ? { zmax: options.zmax } : {}),
  };
  return { data: [trace], layout: baseLayout(options) };
}

/**
 * Filled contour of a grid with optional points on top: a decision surface with the real and generated
 * samples over it.
 */
export function contour(
  grid: Grid,
  options: ChartOptions & { colorscale?: string; points?: Record<string, Array<[number, number]>>; zmin?: number; zmax?: number } = {},
): Figure {
  const data: Trace[] = [
    {
      type: "contour",
      ...gridTrace(grid, "contour"),
      colorscale: options.colorscale ?? "RdBu",
      contours: { coloring: "heatmap" },
      ...(options.zmin !== undefined ? { zmin: options.zmin } : {}),
      ...(options.zmax !== undefined ? { zmax: options.zmax } : {}),
    },
  ];
  if (options.points) data.push(...scatter(options.points, { markerSize: 5 }).data);
  return { data, layout: baseLayout(options) };
}
