/**
 * The Jupyter kernelspec of this project: tslab, started from this project's own node_modules, so a lesson
 * runs against the tsgan and tfjs versions of this checkout. Written directly as kernel.json (what
 * `tslab install` does through Python), so registering needs neither Python nor Jupyter; VS Code finds it too.
 * Spec: https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultTslabBin } from "./kernel";

/** The kernel name notebooks of this course use in metadata.kernelspec.name. */
export const KERNEL_NAME = "tsgan";
export const KERNEL_DISPLAY_NAME = "TypeScript (tsgan)";

/** metadata.kernelspec for an executed notebook. */
export function kernelspecMetadata(): { name: string; display_name: string; language: string } {
  return { name: KERNEL_NAME, display_name: KERNEL_DISPLAY_NAME, language: "typescript" };
}

/** The kernel.json that starts this project's tslab. */
export function kernelJson(tslabBin = defaultTslabBin()): Record<string, unknown> {
  return {
    // `--config-path` and `{connection_file}` are separate arguments (tslab issue #36)
    argv: [path.resolve(tslabBin), "kernel", "--config-path", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/**
 * Jupyter's per-user data directory, as jupyter_core computes it: $JUPYTER_DATA_DIR, else
 * ~/Library/Jupyter on macOS, %APPDATA%\jupyter on Windows, $XDG_DATA_HOME/jupyter (~/.local/share/jupyter).
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32" && env.APPDATA) return path.join(env.APPDATA, "jupyter");
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "jupyter");
}

export interface InstallOptions {
  /** Install under {prefix}/share/jupyter/kernels, like `jupyter kernelspec install --prefix`. */
  prefix?: string;
  /** Install under {dataDir}/kernels (a directory on JUPYTER_PATH); default: the user's data directory. */
  dataDir?: string;
  tslabBin?: string;
  name?: string;
}

/** Write the kernelspec; returns the directory holding kernel.json. */
export function installKernelspec(options: InstallOptions = {}): string {
  const base = options.prefix ? path.join(options.prefix, "share", "jupyter") : (options.dataDir ?? userDataDir());
  const name = options.name ?? KERNEL_NAME;
  if (!/^[a-z0-9._-]+$/i.test(name)) throw new Error(`kernel name ${JSON.stringify(name)} may only use letters, digits, . _ -`);
  const tslabBin = options.tslabBin ?? defaultTslabBin();
  if (!fs.existsSync(tslabBin)) throw new Error(`tslab not found at ${tslabBin}: run \`npm install\` first`);
  const dir = path.join(base, "kernels", name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelJson(tslabBin), null, 2) + "\n");
  return dir;
}
