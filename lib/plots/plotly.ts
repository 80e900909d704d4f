/**
 * Plotly figures as notebook output.
 *
 * A figure is shown as one display bundle holding several mime types, so every front end finds one it can
 * draw (Jupyter messaging spec, "display_data": the front end picks the richest type it understands):
 * - `application/vnd.plotly.v1+json`: the figure itself; JupyterLab / Notebook 7 with plotly's extension,
 *   VS Code and the course site draw it interactively with their own plotly.js.
 * - `text/html`: a readable description of the figure (title, axes, each trace's size and range) and a
 *   script that replaces it with the interactive chart, drawn by the plotly.js the notebook carries (see
 *   plotlyjs.ts: embedded once per kernel session, before the first figure). This is what the classic
 *   Notebook, JupyterLab without plotly's extension and `jupyter nbconvert --to html` exports show; a viewer
 *   that runs no scripts (GitHub's) shows the description.
 * - `text/plain`: the same description as text, for consoles and logs.
 *
 * Outside a tslab kernel (a script, a test, a CI log) nothing is displayed: `showPlot` prints one line.
 */
import { autoEmbedEnabled, figureScript, plotlyJsVersion, plotlyLoaderHtml } from "./plotlyjs";

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
  // Another front end has not received plotly.js yet.
  setPlotlyEmbedded(false);
  return previous;
}

/**
 * Whether plotly.js was embedded in this kernel session. Kept on globalThis, not in this module, so that two
 * copies of tsgan loaded in one kernel (say, from two paths) embed it once between them.
 */
const EMBEDDED = Symbol.for("tsgan.plotlyjs.embedded");

function plotlyEmbedded(): boolean {
  return (globalThis as Record<symbol, unknown>)[EMBEDDED] === true;
}

function setPlotlyEmbedded(value: boolean): void {
  (globalThis as Record<symbol, unknown>)[EMBEDDED] = value;
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
export function displayBundle(
  bundle: DisplayBundle,
  options: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> } = {},
): boolean {
  const sink = kernelSink();
  if (!sink) return false;
  const message = {
    data: bundle,
    metadata: options.metadata ?? {},
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

function axisTitle(axis: unknown): string | undefined {
  if (!axis || typeof axis !== "object") return undefined;
  const title = (axis as { title?: unknown }).title;
  if (typeof title === "string") return title || undefined;
  if (title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string") return (title as { text: string }).text || undefined;
  return undefined;
}

/** Four significant digits, without trailing zeros: enough to read a range. */
function short(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  return String(Number(value.toPrecision(4)));
}

/** "x a to b": the range of the finite numbers among `values` (nested for z); strings are categories, only counted. */
function describeValues(values: unknown, what: string): string | undefined {
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) return undefined;
  const list = Array.from(values as ArrayLike<unknown>).flat(2) as unknown[];
  const numbers = list.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (numbers.length === 0) return list.length ? `${what} ${list.length} categories` : undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const v of numbers) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return `${what} ${short(min)} to ${short(max)}`;
}

const MAX_DESCRIBED_TRACES = 20;

/** One line per trace: its type and name, how many points, and the range of each coordinate. */
function traceLines(figure: Figure): string[] {
  const lines = figure.data.slice(0, MAX_DESCRIBED_TRACES).map((t) => {
    const type = t.type ?? "scatter";
    const head = `${type}${t.name ? ` "${t.name}"` : ""}`;
    const parts: string[] = [];
    if (Array.isArray(t.z)) {
      const rows = t.z.length;
      const cols = Array.isArray(t.z[0]) ? t.z[0].length : 0;
      parts.push(`${rows} × ${cols} grid`);
      for (const [key, label] of [["x", "x"], ["y", "y"], ["z", "values"]] as const) {
        const d = describeValues(t[key], label);
        if (d) parts.push(d);
      }
    } else {
      const n = Math.max(lengthOf(t.x), lengthOf(t.y));
      if (n > 0) parts.push(`${n} ${type === "histogram" ? "values" : "points"}`);
      for (const key of ["x", "y"] as const) {
        const d = describeValues(t[key], key);
        if (d) parts.push(d);
      }
    }
    return parts.length ? `${head}: ${parts.join(", ")}` : head;
  });
  if (figure.data.length > MAX_DESCRIBED_TRACES) lines.push(`... and ${figure.data.length - MAX_DESCRIBED_TRACES} more traces`);
  return lines;
}

function lengthOf(values: unknown): number {
  return Array.isArray(values) || ArrayBuffer.isView(values) ? (values as ArrayLike<unknown>).length : 0;
}

/** The axes' titles, "x: step, y: loss", or undefined when neither has one. */
function axesLine(figure: Figure): string | undefined {
  const x = axisTitle(figure.layout?.xaxis);
  const y = axisTitle(figure.layout?.yaxis);
  if (!x && !y) return undefined;
  return [x ? `x: ${x}` : "", y ? `y: ${y}` : ""].filter(Boolean).join(", ");
}

/**
 * A figure as text a reader can use without any chart: the summary line, the axes, then one line per
 * trace with its size and ranges. This is the `text/plain` of a figure, and what its HTML shows until (or
 * where never) plotly.js draws it.
 */
export function figureDescription(figure: Figure): string {
  const axes = axesLine(figure);
  return [figureSummary(figure), ...(axes ? [`  axes: ${axes}`] : []), ...traceLines(figure).map((l) => `  ${l}`)].join("\n");
}

/** JSON that is safe inside a `<script>` element (no `</script>` or `<!--` can close it early). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

let htmlIdCounter = 0;

/**
 * The `text/html` of a figure: its description (what a page that runs no scripts shows) and a script that
 * replaces it with the chart, drawn by the page's plotly.js (see plotlyjs.ts).
 */
export function figureHtml(figure: Figure): string {
  const id = `tsgan-plot-${process.pid}-${Date.now().toString(36)}-${htmlIdCounter++}`;
  const title = figureTitle(figure);
  const axes = axesLine(figure);
  const traces = traceLines(figure);
  const description = [
    `<p><strong>${escapeHtml(title ? `Plotly figure "${title}"` : "Plotly figure")}</strong>` +
      ` (interactive where the page runs scripts)${axes ? `<br>axes: ${escapeHtml(axes)}` : ""}</p>`,
    traces.length ? `<ul>${traces.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>` : "",
  ].join("");
  return [`<div id="${id}" class="tsgan-plot">${description}</div>`, figureScript(id, scriptSafeJson(figure))].join("\n");
}

/** The display bundle for a figure: plotly JSON, an HTML fallback that draws by itself, and a text description. */
export function figureBundle(figure: Figure): DisplayBundle {
  checkFigure(figure);
  const plain = plainFigure(figure);
  return {
    [PLOTLY_MIME]: plain,
    "text/html": figureHtml(plain),
    "text/plain": figureDescription(plain),
  };
}

/**
 * Shows a figure bundle (or, with `update`, replaces the display `displayId`). Before the first figure of a
 * kernel session the notebook gets plotly.js (see plotlyjs.ts), as an output of its own just above the
 * figure: a live plot's later updates replace the figure's output, and must not take plotly.js with them.
 * Returns false outside a notebook.
 */
export function displayFigure(figure: Figure, options: { displayId?: string; update?: boolean } = {}): boolean {
  const bundle = figureBundle(figure);
  if (!inNotebook()) return false;
  if (!(options.update && options.displayId) && !plotlyEmbedded() && autoEmbedEnabled()) plotlyInit();
  return displayBundle(bundle, options);
}

/**
 * Shows a plotly figure as cell output. Outside a notebook it prints a one-line summary instead.
 * Returns nothing on purpose: tslab prints the value of a cell's last expression, and a figure's JSON
 * under its chart would only be noise.
 */
export function showPlot(figure: Figure): void {
  if (!displayFigure(figure)) console.log(`[tsgan] ${figureSummary(plainFigure(figure))} (not in a notebook: nothing displayed)`);
}

/**
 * Optional: embeds plotly.js in the notebook now. Figures do this by themselves before the first one of a
 * kernel session, so there is no need to call it; it is for a notebook whose output holding plotly.js was
 * cleared (by re-running that cell) and for `TSGAN_PLOTLY_EMBED=off`. It adds the installed plotly.js,
 * compressed (about 2 MB), to the notebook; the figures of the page, earlier ones included, then draw.
 * Returns false outside a notebook.
 */
export function plotlyInit(): boolean {
  const version = plotlyJsVersion();
  const sent = displayBundle(
    { "text/html": plotlyLoaderHtml(), "text/plain": `(plotly.js ${version}, embedded for this notebook's charts)` },
    { metadata: { tsgan: { plotlyjs: version } } },
  );
  if (sent) setPlotlyEmbedded(true);
  return sent;
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
