/**
 * `npm run jupyter [-- [notebooks|assignments] --no-start] [--prefix DIR] [--name NAME]`: registers this project's
 * tslab as a Jupyter kernel ("TypeScript (tsgan)"), then starts Jupyter (Lab if installed, else Notebook) on
 * notebooks/ (the lessons) or assignments/.
 * Registering writes kernel.json itself, so it needs neither Python nor Jupyter: VS Code's notebooks find the
 * kernel too.
 */
import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { installKernelspec, KERNEL_DISPLAY_NAME, KERNEL_NAME } from "./lessons/kernelspec";
import { projectRoot } from "./lessons/kernel";

const USAGE = `Usage: npm run jupyter -- [notebooks|assignments] [--no-start] [--prefix DIR] [--name NAME]

Registers the "${KERNEL_DISPLAY_NAME}" kernel (this project's tslab) for Jupyter and VS Code, then starts
Jupyter on notebooks/ (the lessons, the default) or assignments/.
  --no-start     only register the kernel
  --prefix DIR   register under DIR/share/jupyter/kernels (default: your user's Jupyter data directory)
  --name NAME    kernel name (default: ${KERNEL_NAME})`;

const HOW_TO_GET_JUPYTER = `Jupyter is not installed (no \`jupyter\` on PATH). Install it with one of:
  pip install notebook                      (or: pip install jupyterlab)
  conda install -c conda-forge notebook
  sudo apt install jupyter-notebook         (Debian/Ubuntu)
then run \`npm run jupyter\` again.
Without Jupyter: open a notebook in VS Code (Jupyter extension) and pick the kernel "${KERNEL_DISPLAY_NAME}".
Or run the lessons headless: \`npm run lessons\`.`;

/** Whether `command` runs (is on PATH). */
function has(command: string): boolean {
  const probe = spawnSync(command, ["--version"], { stdio: "ignore" });
  return !probe.error && probe.status === 0;
}

function main(argv: string[]): number {
  let start = true;
  let prefix: string | undefined;
  let name: string | undefined;
  let folder = "notebooks";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      return 0;
    } else if (arg === "--no-start") start = false;
    else if (arg === "--prefix") prefix = path.resolve(argv[++i] ?? "");
    else if (arg === "--name") name = argv[++i];
    else if (!arg.startsWith("-") && (arg === "notebooks" || arg === "assignments")) folder = arg;
    else {
      console.error(`Unknown argument ${arg}\n\n${USAGE}`);
      return 2;
    }
  }
  const dir = installKernelspec({ prefix, name });
  console.log(`Registered the Jupyter kernel "${KERNEL_DISPLAY_NAME}" (${name ?? KERNEL_NAME}) in ${dir}`);
  if (!start) return 0;
  if (!has("jupyter")) {
    console.log(HOW_TO_GET_JUPYTER);
    return 0;
  }
  const app = has("jupyter-lab") ? "lab" : "notebook";
  const notebooks = path.join(projectRoot(), folder);
  console.log(`Starting jupyter ${app} in ${notebooks} (Ctrl+C to stop)`);
  const env = { ...process.env };
  if (prefix) env.JUPYTER_PATH = [path.join(prefix, "share", "jupyter"), env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  // Jupyter refuses to run as root (containers) unless told to
  const args = process.getuid?.() === 0 ? [app, "--allow-root"] : [app];
  const child = spawn("jupyter", args, { cwd: notebooks, stdio: "inherit", env });
  // Ctrl+C reaches Jupyter too (same terminal); we only wait for it to end
  process.on("SIGINT", () => undefined);
  child.on("exit", (code) => process.exit(code ?? 0));
  return -1;
}

const code = main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
