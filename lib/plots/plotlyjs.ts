/**
 * plotly.js carried by the notebook itself, so that a figure's `text/html` fallback can draw wherever HTML
 * outputs run scripts, with no setup step and no network: the classic Notebook, JupyterLab / Notebook 7
 * without plotly's extension, `jupyter nbconvert --to html` exports and notebook viewers that run scripts.
 *
 * How (the scheme of Python plotly's "notebook" renderer, made offline and smaller):
 * - Once per kernel session, just before the first figure, a `text/html` output holding the installed
 *   `plotly.js-dist-min` (`plotlyLoaderHtml`) is displayed. It is gzip-compressed and base64-encoded (4.8 MB
 *   of plotly.js 4.1 become 2.0 MB in the saved notebook instead of 4.9 MB as JSON-escaped source) and
 *   unpacked by the page with the browser's `DecompressionStream` (Chrome 80, Firefox 113, Safari 16.4).
 * - Each figure's HTML (`figureScript`) draws at once when `window.Plotly` is there, and otherwise queues
 *   its drawing on `window.tsganPlotly`, which the loader empties once plotly.js runs. So the order in which
 *   a front end renders outputs does not matter (JupyterLab renders only the cells in view, and unpacking
 *   is asynchronous), and one copy of plotly.js serves every figure of the page.
 * - Front ends that draw `application/vnd.plotly.v1+json` themselves (JupyterLab with plotly's extension,
 *   VS Code, the course site) ignore all of this; the loader is an output without visible content there.
 *
 * The cost, paid once per notebook: about 2 MB in the saved file. `TSGAN_PLOTLY_EMBED=off` turns the
 * automatic embedding off for those who only use such front ends; `plotlyInit()` embeds on request.
 */
import * as fs from "fs";
import * as zlib from "zlib";

/** The attribute that marks the loader's `<script>` (the course site skips that output: it has its own copy). */
export const PLOTLYJS_MARKER = "data-tsgan-plotlyjs";

/** Path of the installed plotly.min.js; names the package when it is missing. */
function plotlyJsPath(): string {
  try {
    return require.resolve("plotly.js-dist-min/plotly.min.js");
  } catch {
    throw new Error("plotly.js-dist-min is not installed: run `npm install` in the tsgan project (it is a dependency of tsgan).");
  }
}

/** The version of the installed plotly.js (from its package.json). */
export function plotlyJsVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(require.resolve("plotly.js-dist-min/package.json"), "utf8")) as { version?: string };
  return String(pkg.version ?? "unknown");
}

/**
 * The page-side queue shared by figures and the loader, as a script prelude: `T` is `window.tsganPlotly`,
 * `{ queue: Array<(error?: string) => void>, loading?: true, failed?: string }`.
 */
const SHARED = "var T = window.tsganPlotly = window.tsganPlotly || { queue: [] };";

/**
 * The script of a figure's `text/html`: draws the figure into element `id` with the page's plotly.js, or
 * queues the drawing until the loader has run. Until then the element keeps its readable description, with
 * a note saying what is missing when no loader is on the page (the output that carried it was cleared, or
 * embedding was turned off).
 */
export function figureScript(id: string, figureJson: string): string {
  return [
    "<script>",
    "(function () {",
    `  var el = document.getElementById(${JSON.stringify(id)});`,
    "  if (!el) return;",
    `  var fig = ${figureJson};`,
    "  function note(text) {",
    "    var n = el.querySelector('.tsgan-plot-note');",
    "    if (!n) { n = document.createElement('p'); n.className = 'tsgan-plot-note'; el.appendChild(n); }",
    "    n.textContent = text;",
    "  }",
    "  function draw(error) {",
    "    if (error) { note(error); return; }",
    "    el.innerHTML = '';",
    "    var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});",
    "    window.Plotly.newPlot(el, fig.data, fig.layout || {}, config);",
    "  }",
    "  if (window.Plotly) { draw(); return; }",
    `  ${SHARED}`,
    "  if (T.failed) { note(T.failed); return; }",
    "  T.queue.push(draw);",
    "  if (!T.loading) note('plotly.js is not on this page (the output that carried it was cleared, or TSGAN_PLOTLY_EMBED is off), so this is only a description of the chart: run tsgan.plotlyInit() in a cell to draw it.');",
    "})();",
    "</script>",
  ].join("\n");
}

let loaderCache: { html: string; version: string; embeddedBytes: number; sourceBytes: number } | undefined;

/**
 * The loader output's HTML: plotly.js, gzip + base64, and the code that unpacks it, runs it as a script
 * (so it sets `window.Plotly` as its own `<script>` would) and draws the queued figures. Computed once per
 * process (reading and compressing plotly.js takes about 0.2 s).
 */
export function plotlyLoaderHtml(): string {
  return loader().html;
}

/** What embedding costs: plotly.min.js's size, and what it takes in the loader's HTML. */
export function plotlyEmbedSize(): { version: string; sourceBytes: number; embeddedBytes: number } {
  const { version, sourceBytes, embeddedBytes } = loader();
  return { version, sourceBytes, embeddedBytes };
}

function loader(): NonNullable<typeof loaderCache> {
  if (loaderCache) return loaderCache;
  const source = fs.readFileSync(plotlyJsPath());
  const version = plotlyJsVersion();
  const packed = zlib.gzipSync(source, { level: 9 }).toString("base64");
  const html = [
    `<script ${PLOTLYJS_MARKER}="${version}">`,
    "(function () {",
    `  ${SHARED}`,
    "  function flush(error) {",
    "    var queue = T.queue; T.queue = [];",
    "    for (var i = 0; i < queue.length; i++) { try { queue[i](error); } catch (e) { console.error(e); } }",
    "  }",
    "  if (window.Plotly) { flush(); return; }",
    "  if (T.loading) return;", // another copy on this page is already being unpacked
    "  if (typeof DecompressionStream !== 'function') {",
    `    T.failed = 'This browser cannot unpack the plotly.js ${version} embedded in the notebook (it has no DecompressionStream; Chrome 80, Firefox 113 and Safari 16.4 have), so this is only a description of the chart.';`,
    "    flush(T.failed); return;",
    "  }",
    "  T.loading = true; T.failed = undefined;",
    `  var packed = "${packed}";`,
    "  var binary = atob(packed), bytes = new Uint8Array(binary.length);",
    "  for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);",
    "  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (source) {",
    "    if (!window.Plotly) {",
    // An inline script element runs like plotly's own <script> tag would. The wrapper hides a page's AMD loader
    // (the classic Notebook has require.js) and CommonJS globals, so plotly sets window.Plotly instead of
    // registering itself as a module.
    "      var s = document.createElement('script');",
    "      s.text = '(function (define, module, exports) {\\n' + source + '\\n}).call(window);';",
    "      (document.head || document.documentElement).appendChild(s);",
    "      s.parentNode.removeChild(s);",
    "    }",
    "    T.loading = false;",
    `    if (!window.Plotly) throw new Error('plotly.js ${version} ran but did not define window.Plotly');`,
    "    flush();",
    "  }).catch(function (e) {",
    "    T.loading = false;",
    `    T.failed = 'The plotly.js embedded in the notebook could not be loaded (' + e + '), so this is only a description of the chart.';`,
    "    console.error(T.failed);",
    "    flush(T.failed);",
    "  });",
    "})();",
    "</script>",
  ].join("\n");
  loaderCache = { html, version, embeddedBytes: Buffer.byteLength(html), sourceBytes: source.length };
  return loaderCache;
}

/** Whether figures embed plotly.js by themselves: `TSGAN_PLOTLY_EMBED` is `auto` (default) or `off`. */
export function autoEmbedEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.TSGAN_PLOTLY_EMBED ?? "").trim().toLowerCase();
  if (value === "" || value === "auto" || value === "on" || value === "1") return true;
  if (value === "off" || value === "0") return false;
  throw new Error(
    `TSGAN_PLOTLY_EMBED=${env.TSGAN_PLOTLY_EMBED} is not understood: use "auto" (default: plotly.js is embedded ` +
      `once per kernel session, before the first figure) or "off" (never by itself; tsgan.plotlyInit() still embeds it).`,
  );
}
