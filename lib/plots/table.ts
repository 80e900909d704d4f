/**
 * Tables as notebook output: the same rows as HTML (what the course site and JupyterLab draw), Markdown and
 * aligned plain text (consoles, CI logs). Cells are strings: format numbers before (e.g. `formatMeanSe`).
 */
import { displayBundle } from "./plotly";
import { meanAndStandardError } from "../metrics/statistics";

/** A table: a header row and body rows of the same width. */
export interface Table {
  columns: string[];
  rows: string[][];
  /** Shown above the table. */
  title?: string;
}

function checkTable(table: Table, who: string): void {
  if (!table || !Array.isArray(table.columns) || table.columns.length === 0 || !Array.isArray(table.rows)) {
    throw new Error(`${who}: expected { columns: string[] (at least one), rows: string[][] }.`);
  }
  table.rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== table.columns.length) {
      throw new Error(`${who}: row ${i} has ${Array.isArray(row) ? row.length : "no"} cells but there are ${table.columns.length} columns.`);
    }
  });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The table as an HTML `<table>` (cells escaped), with the title as its caption. */
export function tableHtml(table: Table): string {
  checkTable(table, "tableHtml");
  const cells = (row: string[], tag: "th" | "td") => `<tr>${row.map((c) => `<${tag}>${escapeHtml(String(c))}</${tag}>`).join("")}</tr>`;
  return [
    "<table>",
    table.title ? `<caption>${escapeHtml(table.title)}</caption>` : "",
    `<thead>${cells(table.columns, "th")}</thead>`,
    `<tbody>${table.rows.map((r) => cells(r, "td")).join("")}</tbody>`,
    "</table>",
  ].join("");
}

/** The table in GitHub-flavoured Markdown (`|` in cells escaped), the title in bold above it. */
export function tableMarkdown(table: Table): string {
  checkTable(table, "tableMarkdown");
  const line = (row: string[]) => `| ${row.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
  return [
    ...(table.title ? [`**${table.title}**`, ""] : []),
    line(table.columns),
    `|${table.columns.map(() => "---").join("|")}|`,
    ...table.rows.map(line),
  ].join("\n");
}

/** The table as plain text with columns padded to a common width. */
export function tableText(table: Table): string {
  checkTable(table, "tableText");
  const all = [table.columns, ...table.rows];
  const widths = table.columns.map((_, j) => Math.max(...all.map((r) => [...String(r[j])].length)));
  const line = (row: string[]) => row.map((c, j) => String(c).padEnd(widths[j])).join("  ").trimEnd();
  return [...(table.title ? [table.title] : []), line(table.columns), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join("\n");
}

/** Shows a table in the notebook (HTML, Markdown and text); outside a notebook prints the text form. */
export function showTable(table: Table): void {
  const text = tableText(table);
  if (!displayBundle({ "text/html": tableHtml(table), "text/markdown": tableMarkdown(table), "text/plain": text })) console.log(text);
}

/**
 * "mean ± standard error" of repeated measurements, with `digits` decimals (see `meanAndStandardError`); with one
 * value only the mean is given (no spread can be estimated). Values that are not finite (a metric undefined for
 * a run, such as the reverse KL of a run without one high-quality sample) are left out and the text says how
 * many runs remain, "(2 of 3 runs)"; with none left it is "–".
 */
export function formatMeanSe(values: ArrayLike<number>, digits = 2): string {
  if (values.length === 0) throw new Error("formatMeanSe: no values.");
  const finite = Array.from(values).filter(Number.isFinite);
  if (finite.length === 0) return "–";
  const { mean, standardError, n } = meanAndStandardError(finite);
  const text = n === 1 ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${standardError.toFixed(digits)}`;
  return n < values.length ? `${text} (${n} of ${values.length} runs)` : text;
}
