/**
 * One executed notebook (nbformat 4) as the body of a lesson page: markdown cells with maths, highlighted
 * code, and the outputs a lesson makes (plotly figures, PNG images, text, HTML, errors).
 */
import hljs from "highlight.js/lib/core";
import typescript from "highlight.js/lib/languages/typescript";
import { renderMarkdown } from "./markdown";
import { PLOTLYJS_MARKER } from "../../lib/plots/plotlyjs";

hljs.registerLanguage("typescript", typescript);

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** The parts of nbformat 4 the site reads (https://nbformat.readthedocs.io/en/latest/format_description.html). */
export interface NotebookOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  id?: string;
  cell_type: "markdown" | "code" | "raw";
  source: string | string[];
  metadata?: { tags?: string[]; [key: string]: unknown };
  execution_count?: number | null;
  outputs?: NotebookOutput[];
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

export function joinSource(source: string | string[] | undefined): string {
  return Array.isArray(source) ? source.join("") : source ?? "";
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Reads and checks the shape of a notebook file's JSON; names the file when it is not a notebook. */
export function parseNotebook(json: string, name: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(json);
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message}); is it a Jupyter notebook?`);
  }
  if (!nb || !Array.isArray(nb.cells) || typeof nb.nbformat !== "number") {
    throw new Error(`${name}: not an nbformat 4 notebook (no "cells" array or "nbformat" number).`);
  }
  return nb;
}

/** The first error output in a notebook: where it is and what it says. */
export interface NotebookError {
  /** 0-based index of the cell in this (executed) notebook, for the page anchor. */
  index: number;
  /**
   * 1-based number of the cell in the source notebook, as a reader counts them and as the lesson runner
   * reports it: the runner's injected parameters cell counts as the parameters cell before it.
   */
  number: number;
  ename: string;
  evalue: string;
}

export const INJECTED_TAG = "injected-parameters";

function isInjected(cell: NotebookCell): boolean {
  return (cell.metadata?.tags ?? []).includes(INJECTED_TAG);
}

export function firstError(nb: Notebook): NotebookError | undefined {
  let number = 0;
  for (let i = 0; i < nb.cells.length; i++) {
    if (!isInjected(nb.cells[i])) number++;
    for (const out of nb.cells[i].outputs ?? []) {
      if (out.output_type === "error") return { index: i, number: Math.max(1, number), ename: out.ename ?? "Error", evalue: out.evalue ?? "" };
    }
  }
  return undefined;
}

/** The notebook's title: its first markdown heading, else the given fallback. */
export function notebookTitle(nb: Notebook, fallback: string): string {
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    const m = /^\s*#{1,6}\s+(.+?)\s*#*\s*$/m.exec(joinSource(cell.source));
    if (m) return m[1].replace(/[*_`]/g, "");
  }
  return fallback;
}

const ANSI_COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

/**
 * Terminal colour codes (SGR, ECMA-48) to spans with classes; other escape sequences are dropped. Jupyter
 * kernels colour tracebacks this way.
 */
export function ansiToHtml(text: string): string {
  let html = "";
  let classes: string[] = [];
  const pattern = /\x1b\[([0-9;]*)([A-Za-z])/g;
  let last = 0;
  const flush = (chunk: string) => {
    if (!chunk) return;
    html += classes.length ? `<span class="${classes.join(" ")}">${escapeHtml(chunk)}</span>` : escapeHtml(chunk);
  };
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    flush(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] !== "m") continue;
    for (const code of (m[1] || "0").split(";").map(Number)) {
      if (code === 0) classes = [];
      else if (code === 1) classes.push("ansi-bold");
      else if (code >= 30 && code <= 37) classes = classes.filter((c) => !c.startsWith("ansi-fg")).concat(`ansi-fg-${ANSI_COLOURS[code - 30]}`);
      else if (code >= 90 && code <= 97) classes = classes.filter((c) => !c.startsWith("ansi-fg")).concat(`ansi-fg-${ANSI_COLOURS[code - 90]}`);
      else if (code === 39) classes = classes.filter((c) => !c.startsWith("ansi-fg"));
    }
  }
  flush(text.slice(last));
  // Any other control characters left (e.g. a lone ESC) would show as boxes.
  return html.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "");
}

/** Keeps a page small and fast when a cell prints thousands of lines: the start and the end survive. */
function clipText(text: string, maxLines = 400): string {
  const lines = text.split("\n");
  if (lines.length <= maxLines) return text;
  const keep = maxLines / 2;
  return [...lines.slice(0, keep), `... ${lines.length - maxLines} lines not shown ...`, ...lines.slice(-keep)].join("\n");
}

/** Counter for element ids, unique within one page. */
export interface PageState {
  figureCount: number;
}

/**
 * The output that carries plotly.js for a notebook's figures (lib/plots/plotlyjs.ts). The site has its own
 * copy (assets/plotly.min.js) and draws figures from their plotly JSON, so a page skips it: 2 MB saved.
 */
export function isPlotlyLoader(data: Record<string, unknown>): boolean {
  const html = data["text/html"];
  return html !== undefined && data[PLOTLY_MIME] === undefined && joinSource(html as string | string[]).includes(PLOTLYJS_MARKER);
}

function renderData(data: Record<string, unknown>, page: PageState): string {
  if (isPlotlyLoader(data)) return "";
  if (data[PLOTLY_MIME]) {
    const id = `figure-${page.figureCount++}`;
    const json = JSON.stringify(data[PLOTLY_MIME]).replace(/</g, "\\u003c");
    return `<div class="plotly-figure" id="${id}"></div><script type="application/json" data-figure-for="${id}">${json}</script>`;
  }
  for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
    const value = data[mime];
    if (typeof value === "string") {
      const alt = typeof data["text/plain"] === "string" ? escapeHtml(joinSource(data["text/plain"] as string)) : "output image";
      return `<img class="output-image" alt="${alt}" src="data:${mime};base64,${value.replace(/\s+/g, "")}">`;
    }
  }
  if (data["image/svg+xml"] !== undefined) {
    return `<img class="output-image" alt="SVG output" src="data:image/svg+xml;base64,${Buffer.from(joinSource(data["image/svg+xml"] as string)).toString("base64")}">`;
  }
  if (data["text/html"] !== undefined) return `<div class="output-html">${joinSource(data["text/html"] as string)}</div>`;
  if (data["text/markdown"] !== undefined) return `<div class="output-markdown">${renderMarkdown(joinSource(data["text/markdown"] as string)).html}</div>`;
  if (data["text/latex"] !== undefined) return `<div class="output-markdown">${renderMarkdown(joinSource(data["text/latex"] as string)).html}</div>`;
  if (data["text/plain"] !== undefined) return `<pre class="output-text">${ansiToHtml(clipText(joinSource(data["text/plain"] as string)))}</pre>`;
  return `<pre class="output-text">(output of type ${escapeHtml(Object.keys(data).join(", "))} not shown)</pre>`;
}

export function renderOutput(out: NotebookOutput, page: PageState): string {
  switch (out.output_type) {
    case "stream": {
      const stream = out.name === "stderr" ? "stderr" : "stdout";
      return `<pre class="output-stream ${stream}">${ansiToHtml(clipText(joinSource(out.text)))}</pre>`;
    }
    case "display_data":
    case "execute_result":
      return renderData(out.data ?? {}, page);
    case "error": {
      const traceback = (out.traceback ?? []).join("\n");
      const head = `${out.ename ?? "Error"}: ${out.evalue ?? ""}`;
      return `<div class="output-error"><div class="error-head">${ansiToHtml(head)}</div>${traceback ? `<pre>${ansiToHtml(traceback)}</pre>` : ""}</div>`;
    }
    default:
      return "";
  }
}

/** The lesson page body for a notebook. */
export function renderNotebookBody(nb: Notebook): { html: string; mathErrors: string[] } {
  const page: PageState = { figureCount: 0 };
  const mathErrors: string[] = [];
  const error = firstError(nb);
  const parts: string[] = [];
  if (error) {
    parts.push(
      `<div class="lesson-failed" role="alert"><strong>This lesson failed</strong> in <a href="#cell-${error.index}">cell ${error.number}</a>: ` +
        `${ansiToHtml(`${error.ename}: ${error.evalue}`)}</div>`,
    );
  }
  nb.cells.forEach((cell, i) => {
    const source = joinSource(cell.source);
    if (cell.cell_type === "markdown") {
      const md = renderMarkdown(source);
      mathErrors.push(...md.mathErrors.map((e) => `cell ${i + 1}: ${e}`));
      parts.push(`<section class="cell markdown" id="cell-${i}">${md.html}</section>`);
      return;
    }
    if (cell.cell_type !== "code") return;
    const tags = cell.metadata?.tags ?? [];
    const label = tags.includes(INJECTED_TAG) ? "parameters for this run" : tags.includes("parameters") ? "parameters" : "";
    const count = cell.execution_count ?? " ";
    const code = hljs.highlight(source, { language: "typescript", ignoreIllegals: true }).value;
    const outputs = (cell.outputs ?? []).map((o) => renderOutput(o, page)).join("\n");
    const failed = (cell.outputs ?? []).some((o) => o.output_type === "error");
    parts.push(
      `<section class="cell code${failed ? " failed" : ""}" id="cell-${i}">` +
        `<div class="prompt">[${count}]${label ? ` <span class="cell-tag">${label}</span>` : ""}</div>` +
        `<pre class="source"><code class="hljs language-typescript">${code}</code></pre>` +
        (outputs ? `<div class="outputs">${outputs}</div>` : "") +
        `</section>`,
    );
  });
  return { html: parts.join("\n"), mathErrors };
}
