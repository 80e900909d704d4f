/** `tsgan list`: the variants (paper, what each is, the datasets it trains on) and the datasets. */
import { DATASET_NAMES, GAN_VARIANTS, supportedDatasets, TRAINING_DATASETS } from "../../lib/models/registry";
import type { CommandSpec } from "./args";
import type { Io } from "./io";

export const LIST_COMMAND: CommandSpec = {
  name: "list",
  summary: "Lists the variants (paper, what each is, its datasets) and the datasets.",
  positionals: [],
  flags: [],
};

/** The text of `tsgan list`. */
export function listText(): string {
  const width = Math.max(...GAN_VARIANTS.map((v) => v.name.length)) + 2;
  const lines = ["variants (tsgan train <variant> --dataset NAME --steps N):"];
  for (const v of GAN_VARIANTS) {
    const extras = [
      v.conditional ? "conditional" : "",
      v.trunks ? `--trunk ${v.trunks.join("|")} on images` : "",
    ].filter(Boolean);
    lines.push(`  ${v.name.padEnd(width)}${v.summary}`);
    lines.push(`  ${"".padEnd(width)}${v.paper}`);
    lines.push(`  ${"".padEnd(width)}datasets: ${supportedDatasets(v).join(", ")}${extras.length ? `; ${extras.join("; ")}` : ""}`);
  }
  lines.push("", "datasets (--dataset):");
  const dWidth = Math.max(...DATASET_NAMES.map((d) => d.length)) + 2;
  for (const d of DATASET_NAMES) lines.push(`  ${d.padEnd(dWidth)}${TRAINING_DATASETS[d].description}`);
  return lines.join("\n");
}

export function listCommand(_args: unknown, io: Io): number {
  io.out.write(listText() + "\n");
  return 0;
}
