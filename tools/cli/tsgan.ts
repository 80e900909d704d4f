#!/usr/bin/env node
/**
 * `npx tsgan`: training outside a notebook.
 *
 *   tsgan train <variant> --dataset mnist|fashion-mnist|ring|grid --steps N [--out runs/NAME] [flags]
 *   tsgan resume runs/NAME [--steps N]
 *   tsgan sample runs/NAME [--n 64] [--out grid.png]
 *   tsgan eval runs/NAME [--n N] [--out eval.json]
 *   tsgan list
 *
 * Exit codes: 0 done (also after a Ctrl-C that stopped training cleanly), 1 a failure while running,
 * 2 a mistake in the command line, 130 a second Ctrl-C.
 */
import { CommandSpec, helpText, parseArgs, ParsedArgs, UsageError } from "./args";
import { EVAL_COMMAND, evalCommand } from "./eval";
import type { Io } from "./io";
import { LIST_COMMAND, listCommand } from "./list";
import { tsganVersion } from "./run-folder";
import { SAMPLE_COMMAND, sampleCommand } from "./sample";
import { RESUME_COMMAND, resumeCommand, TRAIN_COMMAND, trainCommand } from "./train";

interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, io: Io): Promise<number> | number;
}

const COMMANDS: Record<string, Command> = {
  train: { spec: TRAIN_COMMAND, run: trainCommand },
  resume: { spec: RESUME_COMMAND, run: resumeCommand },
  sample: { spec: SAMPLE_COMMAND, run: sampleCommand },
  eval: { spec: EVAL_COMMAND, run: evalCommand },
  list: { spec: LIST_COMMAND, run: listCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    "usage: tsgan <command> [arguments] [flags]",
    "",
    "Trains the GANs of the tsgan course outside a notebook.",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.spec.summary}`),
    "",
    "tsgan <command> --help describes a command's flags. Example:",
    "  tsgan train vanilla --dataset ring --steps 2000 --out runs/ring && tsgan eval runs/ring",
  ].join("\n");
}

/** The first line of an error, and its stack too when TSGAN_DEBUG is set. */
function errorText(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  return process.env.TSGAN_DEBUG ? String(e.stack) : e.message.split("\n")[0];
}

/** Runs one command line; resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err.write(usage() + "\n");
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    io.out.write((topic && COMMANDS[topic] ? helpText(COMMANDS[topic].spec) : usage()) + "\n");
    return 0;
  }
  if (name === "--version") {
    io.out.write(tsganVersion() + "\n");
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; the commands are ${Object.keys(COMMANDS).join(", ")} (tsgan --help).`);
    const args = parseArgs(command.spec, rest);
    if (args.help) {
      io.out.write(helpText(command.spec) + "\n");
      return 0;
    }
    return await command.run(args, io);
  } catch (err) {
    const usageMistake = err instanceof UsageError;
    io.err.write(`tsgan${command ? ` ${name}` : ""}: error: ${errorText(err)}\n`);
    return usageMistake ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { out: process.stdout, err: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
