/**
 * Markdown with LaTeX to HTML, rendered ahead of time so the site needs no script and no network for maths.
 *
 * Maths is cut out before marked sees the text (marked would read `_` and `*` inside it as emphasis), rendered
 * with KaTeX, and put back afterwards. Code spans and fenced code are left alone, so `$` in code stays `$`.
 * Delimiters: `$$...$$` and `\[...\]` for display maths, `$...$` and `\(...\)` inline (as Jupyter's MathJax).
 */
import katex from "katex";

// marked@4 ships no type declarations; this is the one function we use.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { marked } = require("marked") as { marked: { parse(source: string, options?: Record<string, unknown>): string } };

/** Placeholder text that marked passes through unchanged (letters and digits only). */
const placeholder = (i: number) => `KATEXMATH${i}XEND`;

/** Splits text into code (fenced blocks, inline spans) and prose, so only prose is searched for maths. */
function splitCode(text: string): Array<{ code: boolean; text: string }> {
  const parts: Array<{ code: boolean; text: string }> = [];
  const codePattern = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[^\n]*$|(?![\s\S]))|(`+)(?!`)[\s\S]*?[^`]\2(?!`)/gm;
  let last = 0;
  for (let m = codePattern.exec(text); m; m = codePattern.exec(text)) {
    if (m.index > last) parts.push({ code: false, text: text.slice(last, m.index) });
    parts.push({ code: true, text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ code: false, text: text.slice(last) });
  return parts;
}

const mathPattern = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|(?<![\\$\w])\$(?![\s$])((?:\\\$|[^$\n])+?)(?<![\s\\])\$(?![\w$])/g;

export interface MarkdownResult {
  html: string;
  /** KaTeX parse errors, one line each (the maths is still shown, in red). */
  mathErrors: string[];
}

function renderMath(tex: string, displayMode: boolean, errors: string[]): string {
  try {
    return katex.renderToString(tex, { displayMode, throwOnError: true, output: "htmlAndMathml" });
  } catch (e) {
    errors.push(`${(e as Error).message} in ${displayMode ? "display" : "inline"} maths: ${tex.trim().slice(0, 80)}`);
    return katex.renderToString(tex, { displayMode, throwOnError: false, output: "htmlAndMathml" });
  }
}

/** Renders a notebook markdown cell (or course.md) to HTML with maths typeset by KaTeX. */
export function renderMarkdown(source: string): MarkdownResult {
  const rendered: string[] = [];
  const mathErrors: string[] = [];
  const prose = splitCode(source)
    .map((part) =>
      part.code
        ? part.text
        : part.text.replace(mathPattern, (_all, display1, display2, inline1, inline2) => {
            const display = display1 ?? display2;
            const tex = display ?? inline1 ?? inline2;
            rendered.push(renderMath(tex, display !== undefined, mathErrors));
            // Display maths on its own line becomes its own paragraph, which is where it belongs.
            return placeholder(rendered.length - 1);
          }),
    )
    .join("");
  let html = marked.parse(prose, { mangle: false, headerIds: true });
  html = html.replace(/KATEXMATH(\d+)XEND/g, (_all: string, i: string) => rendered[Number(i)]);
  return { html, mathErrors };
}
