/**
 * The site's own files: one stylesheet and one small script that draws the plotly figures. Third-party
 * files (KaTeX's stylesheet and fonts, plotly.js) are copied from the installed packages, so the site works
 * offline and never loads anything from a CDN.
 */
import * as fs from "fs";
import * as path from "path";

export const STYLE_CSS = `
:root { --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --code-bg: #f6f8fa; --accent: #0969da; --bad: #cf222e; --bad-bg: #ffebe9; --ok: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header.site { border-bottom: 1px solid var(--line); padding: 0.6rem 1.5rem; display: flex; gap: 1rem; align-items: baseline; }
header.site a { color: var(--text); text-decoration: none; font-weight: 600; }
header.site nav { margin-left: auto; font-size: 0.9rem; display: flex; gap: 1rem; }
header.site nav a { font-weight: normal; color: var(--accent); }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
a { color: var(--accent); }
h1, h2, h3 { line-height: 1.25; }
pre, code { font: 13.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { overflow-x: auto; margin: 0; padding: 0.6rem 0.8rem; white-space: pre-wrap; word-break: break-word; }
p code, li code { background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
.cell { margin: 1rem 0; }
.cell.code { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.cell.code.failed { border-color: var(--bad); }
.prompt { font: 12px ui-monospace, monospace; color: var(--muted); padding: 0.2rem 0.8rem; background: var(--code-bg); border-bottom: 1px solid var(--line); }
.cell-tag { margin-left: 0.5rem; padding: 0 0.4rem; border-radius: 8px; background: #ddf4ff; color: #0550ae; }
pre.source { background: var(--code-bg); }
.outputs { border-top: 1px solid var(--line); padding: 0.4rem 0; }
.outputs > * { margin: 0.3rem 0; }
.output-stream.stderr { background: #fff8c5; }
.output-image { display: block; max-width: 100%; image-rendering: pixelated; margin: 0.4rem 0.8rem; }
.output-html, .output-markdown { padding: 0 0.8rem; overflow-x: auto; }
.plotly-figure { width: 100%; min-height: 360px; }
.output-error { background: var(--bad-bg); color: var(--bad); }
.output-error .error-head { font-weight: 600; padding: 0.4rem 0.8rem 0; font-family: ui-monospace, monospace; }
.lesson-failed { border: 1px solid var(--bad); background: var(--bad-bg); color: var(--bad); padding: 0.6rem 0.9rem; border-radius: 6px; margin: 1rem 0; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
ol.lessons { padding-left: 1.5rem; }
ol.lessons li { margin: 0.3rem 0; }
.status { font-size: 0.8rem; padding: 0.05rem 0.45rem; border-radius: 8px; margin-left: 0.4rem; white-space: nowrap; }
.status.failed { background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); }
.status.not-run { background: var(--code-bg); color: var(--muted); border: 1px solid var(--line); }
.status.ok { color: var(--ok); }
.lesson-meta { color: var(--muted); font-size: 0.9rem; }
footer.pager { display: flex; justify-content: space-between; border-top: 1px solid var(--line); margin-top: 2rem; padding-top: 1rem; }
/* highlight.js tokens */
.hljs-keyword, .hljs-meta .hljs-keyword { color: #cf222e; }
.hljs-string, .hljs-regexp { color: #0a3069; }
.hljs-number, .hljs-literal, .hljs-attr { color: #0550ae; }
.hljs-comment { color: #6e7781; font-style: italic; }
.hljs-title, .hljs-title.function_, .hljs-title.class_ { color: #8250df; }
.hljs-built_in, .hljs-type { color: #953800; }
.hljs-variable.language_, .hljs-params { color: #24292f; }
/* terminal colours in tracebacks */
.ansi-bold { font-weight: 700; }
.ansi-fg-red { color: #cf222e; } .ansi-fg-green { color: #1a7f37; } .ansi-fg-yellow { color: #9a6700; }
.ansi-fg-blue { color: #0969da; } .ansi-fg-magenta { color: #8250df; } .ansi-fg-cyan { color: #1b7c83; }
.ansi-fg-black { color: #24292f; } .ansi-fg-white { color: #6e7781; }
`;

/** Draws every figure on the page from the JSON that follows its element. */
export const SITE_JS = `
(function () {
  "use strict";
  function draw() {
    var scripts = document.querySelectorAll("script[data-figure-for]");
    for (var i = 0; i < scripts.length; i++) {
      var el = document.getElementById(scripts[i].getAttribute("data-figure-for"));
      var fig = JSON.parse(scripts[i].textContent);
      var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
      Plotly.newPlot(el, fig.data, fig.layout || {}, config);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
`;

/** Copies the stylesheet, KaTeX's CSS and fonts, plotly.js and the figure script into `<siteDir>/assets`. */
export function writeAssets(siteDir: string): void {
  const assets = path.join(siteDir, "assets");
  fs.mkdirSync(path.join(assets, "katex", "fonts"), { recursive: true });
  fs.writeFileSync(path.join(assets, "style.css"), STYLE_CSS.trimStart());
  fs.writeFileSync(path.join(assets, "site.js"), SITE_JS.trimStart());
  fs.copyFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), path.join(assets, "plotly.min.js"));
  const katexDist = path.dirname(require.resolve("katex/dist/katex.min.css"));
  fs.copyFileSync(path.join(katexDist, "katex.min.css"), path.join(assets, "katex", "katex.min.css"));
  // KaTeX's CSS names fonts as url(fonts/...), relative to itself; woff2 is all current browsers need.
  for (const font of fs.readdirSync(path.join(katexDist, "fonts"))) {
    if (font.endsWith(".woff2") || font.endsWith(".woff")) {
      fs.copyFileSync(path.join(katexDist, "fonts", font), path.join(assets, "katex", "fonts", font));
    }
  }
}
