/** Shared helpers of the lesson-runner tests. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kernelEvents } from "../../../tools/lessons/kernel";
import { Notebook, Output, sourceText } from "../../../tools/lessons/notebook";

/** test/fixtures/notebooks, found from build/test/tools/lessons or test/tools/lessons. */
export function fixture(name: string): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return path.join(dir, "test", "fixtures", "notebooks", name);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tsgan-${prefix}-`));
}

/** The pids of the kernels started while `run` ran. */
export async function withKernelPids<T>(run: () => Promise<T>): Promise<{ value: T; pids: number[] }> {
  const pids: number[] = [];
  const onStart = (pid: number) => pids.push(pid);
  kernelEvents.on("start", onStart);
  try {
    return { value: await run(), pids };
  } finally {
    kernelEvents.off("start", onStart);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readJson(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** All stream text of `name` in a cell's outputs. */
export function streamText(outputs: Output[] | undefined, name: string): string {
  return (outputs ?? [])
    .filter((o) => o.output_type === "stream" && o.name === name)
    .map((o) => sourceText(o.text as string | string[]))
    .join("");
}

/** The code cell whose source contains `marker`. */
export function cellWith(notebook: Notebook, marker: string) {
  const cell = notebook.cells.find((c) => c.cell_type === "code" && sourceText(c.source).includes(marker));
  if (!cell) throw new Error(`no cell contains ${JSON.stringify(marker)}`);
  return cell;
}
