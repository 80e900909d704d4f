/**
 * Turning tslab's error text into a Jupyter error (ename, evalue, traceback) and the failing line of the cell.
 *
 * tslab sends no `error` message: a failing cell prints to stderr and its execute_reply says "error".
 * Two shapes reach stderr:
 *  - compile errors, one per TypeScript diagnostic: `LINE:COL - message` (`file LINE:COL - message` for a
 *    module cell), with LINE in the cell's own source;
 *  - runtime errors, as `console.error(error)` prints them: an optional `evalmachine.<anonymous>:N` header
 *    with the offending line, then `Name: message` and the stack, where `evalmachine.<anonymous>:N:C` frames
 *    point into the JavaScript that tslab compiled the cell to (reprinted code: its lines are not the cell's).
 * The JavaScript line is mapped back to the cell by compiling the cell again with tslab's own converter and
 * matching that line's tokens against the cell's lines (see {@link mapJsLineToSource}).
 */

export interface ParsedError {
  ename: string;
  evalue: string;
  traceback: string[];
  /** 1-based line in the cell's source, when it could be found. */
  line?: number;
  /** For runtime errors: the compiled-JavaScript lines of the `evalmachine` stack frames, innermost first. */
  jsFrames?: number[];
}

const DIAGNOSTIC = /^(?:(\S+) )?(\d+):(\d+) - (.*)$/;
const ERROR_HEAD = /^([A-Za-z_$][\w$]*)(?:: ([\s\S]*))?$/;
const TSLAB_FRAME = /^\s+at (?:async )?.*(?:node:vm|node:internal|[\\/]tslab[\\/]dist[\\/]|sigintHandlersWrap)/;
const FRAME = /^\s+at .*evalmachine\.<anonymous>:(\d+):(\d+)\)?$/;

/** Parse what a failed cell wrote to stderr. `stderr` empty gives a generic error. */
export function parseTslabError(stderr: string): ParsedError {
  const lines = stderr.replace(/\s+$/, "").split("\n");
  // tslab's and node's own frames below the cell say nothing about the lesson
  const traceback = lines.filter((line) => !TSLAB_FRAME.test(line));

  const diagnostics = lines.map((line) => DIAGNOSTIC.exec(line)).filter((m): m is RegExpExecArray => m !== null);
  if (diagnostics.length > 0 && diagnostics.length >= lines.filter((l) => l.trim() !== "").length / 2) {
    const first = diagnostics.find((m) => m[1] === undefined) ?? diagnostics[0];
    return {
      ename: "CompileError",
      evalue: first[4],
      traceback,
      line: first[1] === undefined ? Number(first[2]) : undefined,
    };
  }

  // The error's head is the line right before the first stack frame (`    at ...`).
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  let ename = "Error";
  let evalue = "";
  if (firstFrame > 0) {
    // a message may span lines: walk back to the line that starts with the error's name
    let start = firstFrame - 1;
    while (start > 0 && !ERROR_HEAD.test(lines[start]) && lines[start - 1].trim() !== "") start--;
    const head = ERROR_HEAD.exec(lines.slice(start, firstFrame).join("\n"));
    if (head) {
      ename = head[1];
      evalue = head[2] ?? "";
    } else {
      evalue = lines.slice(start, firstFrame).join("\n");
    }
  } else {
    const text = lines.filter((line) => line.trim() !== "");
    const head = text.length === 1 ? /^([A-Z][\w$]*(?:Error|Exception)): (.*)$/.exec(text[0]) : null;
    if (head) {
      ename = head[1];
      evalue = head[2];
    } else {
      evalue = text.join("\n") || "the cell failed without printing an error";
    }
  }

  const jsFrames = lines.map((line) => FRAME.exec(line)).filter((m): m is RegExpExecArray => m !== null);
  return { ename, evalue, traceback, ...(jsFrames.length ? { jsFrames: jsFrames.map((m) => Number(m[1])) } : {}) };
}

/**
 * The compiled line of the cell's own top-level code: the outermost `evalmachine` frame within the compiled
 * code (the line after it is tslab's wrapper `})(__tslab__.exports, ...)`, whose frame is skipped).
 */
export function cellFrame(jsFrames: number[], compiled: string): number | undefined {
  const lineCount = compiled.replace(/\n$/, "").split("\n").length;
  const inside = jsFrames.filter((line) => line <= lineCount);
  return inside.length ? inside[inside.length - 1] : undefined;
}

/** Words, numbers and string contents of a line: what survives TypeScript's reprinting of it. */
function tokens(line: string): string[] {
  return (line.match(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"[^"]*"|'[^']*'|`[^`]*`/g) ?? []).map((t) =>
    t.replace(/^['`]|['`]$/g, '"'),
  );
}

const TS_ONLY = new Set(["as", "any", "number", "string", "boolean", "unknown", "void", "never", "readonly", "exports"]);

/**
 * The 1-based line of `source` that line `jsLine` of `compiled` (tslab's JavaScript for that source) came
 * from: the source line sharing the most tokens with it, ties going to the line nearest in relative position.
 * Returns undefined when no source line shares a token.
 */
export function mapJsLineToSource(source: string, compiled: string, jsLine: number): number | undefined {
  const jsLines = compiled.split("\n");
  const target = jsLines[jsLine - 1];
  if (target === undefined) return undefined;
  // `exports.x = <expr>` is how tslab keeps a value; `exports.tsLastExpr = <expr>` is the cell's last expression
  const wanted = tokens(target.replace(/^\s*exports\.[\w$]+ = /, "")).filter((t) => !TS_ONLY.has(t));
  if (wanted.length === 0) return undefined;
  const sourceLines = source.split("\n");
  let best: { line: number; score: number; distance: number } | undefined;
  sourceLines.forEach((text, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(text)) return;
    const have = new Set(tokens(text));
    const shared = wanted.filter((t) => have.has(t)).length;
    if (shared === 0) return;
    const score = shared / wanted.length - (have.size - shared) / (20 * Math.max(1, have.size));
    const distance = Math.abs(i / Math.max(1, sourceLines.length) - (jsLine - 1) / Math.max(1, jsLines.length));
    if (!best || score > best.score + 1e-9 || (Math.abs(score - best.score) <= 1e-9 && distance < best.distance)) {
      best = { line: i + 1, score, distance };
    }
  });
  return best?.line;
}

interface TslabConverter {
  convert(prevDecl: string, src: string): { output?: string; declOutput?: string };
  close(): void;
}

/**
 * The JavaScript that tslab runs for `source` (its converter, loaded from the project's tslab), or undefined
 * when tslab's converter cannot be loaded. Slow (a TypeScript program): only called after a failure.
 */
export function compileLikeTslab(source: string, tslabDir: string): string | undefined {
  let converter: TslabConverter | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { createConverter } = require(`${tslabDir}/dist/converter`) as {
      createConverter(options: { isJS: boolean; isBrowser: boolean }): TslabConverter;
    };
    converter = createConverter({ isJS: false, isBrowser: false });
    return converter.convert("", source).output;
  } catch {
    return undefined;
  } finally {
    converter?.close();
  }
}
