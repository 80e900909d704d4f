/**
 * Notebooks as nbformat 4.5 data: reading, injecting parameters, collecting outputs from iopub messages.
 * Format: https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import { Message } from "./wire";

export type MultilineString = string | string[];

export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  [key: string]: unknown;
}

export interface Cell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  metadata: Record<string, unknown> & { tags?: string[] };
  source: MultilineString;
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: unknown;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** Jupyter's on-disk form of text: a list of lines, each but the last ending in "\n". */
export function toLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((line) => line !== "");
}

export function readNotebook(file: string): Notebook {
  let notebook: Notebook;
  try {
    notebook = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
  } catch (error) {
    throw new Error(`Cannot read notebook ${file}: ${(error as Error).message}`);
  }
  if (notebook.nbformat !== 4 || !Array.isArray(notebook.cells)) {
    throw new Error(`${file} is not an nbformat 4 notebook (nbformat ${notebook.nbformat}); save it with Jupyter 4+`);
  }
  return notebook;
}

/** A cell id as nbformat 4.5 wants it: 1-64 of [a-zA-Z0-9-_]. */
const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

export function newCellId(): string {
  return randomBytes(6).toString("hex");
}

/** Give every cell a valid id, unique in the notebook, keeping the ones that already are. */
export function ensureCellIds(cells: Cell[]): void {
  const seen = new Set<string>();
  for (const cell of cells) {
    if (!cell.id || !CELL_ID.test(cell.id) || seen.has(cell.id)) cell.id = newCellId();
    seen.add(cell.id);
  }
}

export function hasTag(cell: Cell, tag: string): boolean {
  return Array.isArray(cell.metadata?.tags) && cell.metadata.tags.includes(tag);
}

/** A profile's parameter values, from `metadata.tsgan.profiles[profile]`; undefined when there is none. */
export function profileParameters(notebook: Notebook, profile: string): Record<string, unknown> | undefined {
  const tsgan = notebook.metadata?.tsgan as { profiles?: Record<string, unknown> } | undefined;
  const values = tsgan?.profiles?.[profile];
  if (values === undefined || values === null) return undefined;
  if (typeof values !== "object" || Array.isArray(values)) {
    throw new Error(`metadata.tsgan.profiles.${profile} must be an object of parameter values, not ${JSON.stringify(values)}`);
  }
  return values as Record<string, unknown>;
}

/** TypeScript that assigns `values` to the parameters the `parameters` cell declared with `let`. */
export function parameterSource(profile: string, values: Record<string, unknown>): string {
  const lines = [`// Parameters of the "${profile}" profile, injected by the lesson runner (npm run lessons)`];
  for (const [name, value] of Object.entries(values)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new Error(`parameter name ${JSON.stringify(name)} in profile "${profile}" is not a TypeScript identifier`);
    }
    if (value === undefined || (typeof value === "number" && !Number.isFinite(value))) {
      throw new Error(`parameter ${name} in profile "${profile}" must be JSON (a finite number, string, boolean, array, object or null)`);
    }
    lines.push(`${name} = ${JSON.stringify(value)};`);
  }
  // A cell's last expression is displayed as its result; end on `undefined` so the cell shows only its comment.
  lines.push("undefined;");
  return lines.join("\n");
}

/**
 * Insert the injected-parameters cell after the cell tagged `parameters` (replacing an injected cell left
 * from an earlier run). Returns its index, or -1 when the profile has no values.
 */
export function injectParameters(notebook: Notebook, profile: string): number {
  const values = profileParameters(notebook, profile);
  notebook.cells = notebook.cells.filter((cell) => !hasTag(cell, INJECTED_TAG));
  if (values === undefined) return -1;
  const at = notebook.cells.findIndex((cell) => cell.cell_type === "code" && hasTag(cell, PARAMETERS_TAG));
  if (at < 0) {
    throw new Error(
      `metadata.tsgan.profiles.${profile} gives parameter values but no code cell is tagged "${PARAMETERS_TAG}": ` +
        `tag the cell that declares them (let ${Object.keys(values)[0] ?? "steps"} = ...)`,
    );
  }
  notebook.cells.splice(at + 1, 0, {
    id: newCellId(),
    cell_type: "code",
    metadata: { tags: [INJECTED_TAG] },
    source: toLines(parameterSource(profile, values)),
    outputs: [],
    execution_count: null,
  });
  return at + 1;
}

/**
 * The outputs of one code cell, built from the kernel's iopub messages the way Jupyter front ends do:
 * consecutive stream text of the same name is merged, update_display_data replaces the data of every
 * earlier output with the same display_id (in any cell of the notebook, hence the shared `displays` map).
 */
export class OutputCollector {
  readonly outputs: Output[] = [];

  constructor(private readonly displays: Map<string, Output[]>) {}

  add(msg: Message): void {
    const content = msg.content as Record<string, unknown>;
    switch (msg.header.msg_type) {
      case "stream": {
        const name = String(content.name);
        const text = String(content.text ?? "");
        const last = this.outputs[this.outputs.length - 1];
        if (last && last.output_type === "stream" && last.name === name) last.text = String(last.text) + text;
        else this.outputs.push({ output_type: "stream", name, text });
        break;
      }
      case "display_data":
      case "execute_result": {
        const output: Output = {
          output_type: msg.header.msg_type,
          data: content.data ?? {},
          metadata: content.metadata ?? {},
        };
        if (msg.header.msg_type === "execute_result") output.execution_count = content.execution_count ?? null;
        this.outputs.push(output);
        const id = (content.transient as { display_id?: string } | undefined)?.display_id;
        if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
        break;
      }
      case "update_display_data": {
        const id = (content.transient as { display_id?: string } | undefined)?.display_id;
        for (const output of (id && this.displays.get(id)) || []) {
          output.data = content.data ?? {};
          output.metadata = content.metadata ?? {};
        }
        break;
      }
      case "error":
        this.outputs.push({
          output_type: "error",
          ename: String(content.ename ?? "Error"),
          evalue: String(content.evalue ?? ""),
          traceback: (content.traceback as string[] | undefined) ?? [],
        });
        break;
      case "clear_output":
        this.outputs.length = 0;
        break;
      default:
        break; // status, execute_input, comm messages: not outputs
    }
  }

  /** The text the cell wrote to stderr last (its error, for tslab), and that output's index. */
  lastStderr(): { text: string; index: number } | undefined {
    for (let i = this.outputs.length - 1; i >= 0; i--) {
      const output = this.outputs[i];
      if (output.output_type === "stream" && output.name === "stderr") return { text: String(output.text), index: i };
    }
    return undefined;
  }
}

/** Outputs in their on-disk form: multi-line strings as lists of lines. */
export function serializeOutputs(outputs: Output[]): Output[] {
  return outputs.map((output) => {
    const copy: Output = { ...output };
    if (output.output_type === "stream") copy.text = toLines(String(output.text));
    if (output.data && typeof output.data === "object") {
      const data: Record<string, unknown> = {};
      for (const [mime, value] of Object.entries(output.data as Record<string, unknown>)) {
        // JSON mime types stay objects; text types become lists of lines; base64 images stay strings
        data[mime] = typeof value === "string" && mime.startsWith("text/") ? toLines(value) : value;
      }
      copy.data = data;
    }
    return copy;
  });
}

/**
 * The problems that make `notebook` invalid nbformat 4.5 (the structural rules of its JSON schema:
 * versions, cell ids, cell and output fields); empty when it is valid.
 */
export function nbformatProblems(notebook: Notebook): string[] {
  const problems: string[] = [];
  if (notebook.nbformat !== 4 || notebook.nbformat_minor < 5) {
    problems.push(`nbformat ${notebook.nbformat}.${notebook.nbformat_minor}, want 4.5+`);
  }
  if (typeof notebook.metadata !== "object" || notebook.metadata === null) problems.push("metadata is not an object");
  const ids = new Set<string>();
  notebook.cells.forEach((cell, i) => {
    const where = `cell ${i + 1}`;
    if (!cell.id || !CELL_ID.test(cell.id)) problems.push(`${where}: id ${JSON.stringify(cell.id)} is not valid`);
    else if (ids.has(cell.id)) problems.push(`${where}: id ${cell.id} is not unique`);
    else ids.add(cell.id);
    if (typeof cell.metadata !== "object" || cell.metadata === null) problems.push(`${where}: metadata missing`);
    if (typeof cell.source !== "string" && !Array.isArray(cell.source)) problems.push(`${where}: source missing`);
    const allowed = { code: ["id", "cell_type", "metadata", "source", "outputs", "execution_count"], markdown: ["id", "cell_type", "metadata", "source", "attachments"], raw: ["id", "cell_type", "metadata", "source", "attachments"] }[cell.cell_type];
    if (!allowed) {
      problems.push(`${where}: cell_type ${JSON.stringify(cell.cell_type)}`);
      return;
    }
    for (const key of Object.keys(cell)) if (!allowed.includes(key)) problems.push(`${where}: unexpected field ${key}`);
    if (cell.cell_type !== "code") return;
    if (!Array.isArray(cell.outputs)) problems.push(`${where}: outputs missing`);
    if (!(cell.execution_count === null || Number.isInteger(cell.execution_count))) problems.push(`${where}: execution_count missing`);
    for (const output of cell.outputs ?? []) {
      const fields: Record<string, string[]> = {
        stream: ["output_type", "name", "text"],
        display_data: ["output_type", "data", "metadata"],
        execute_result: ["output_type", "data", "metadata", "execution_count"],
        error: ["output_type", "ename", "evalue", "traceback"],
      };
      const want = fields[output.output_type];
      if (!want) {
        problems.push(`${where}: output_type ${JSON.stringify(output.output_type)}`);
        continue;
      }
      const keys = Object.keys(output);
      for (const key of want) if (!keys.includes(key)) problems.push(`${where}: ${output.output_type} output lacks ${key}`);
      for (const key of keys) if (!want.includes(key)) problems.push(`${where}: ${output.output_type} output has extra field ${key}`);
    }
  });
  return problems;
}
