/**
 * The command line's grammar: each command declares its positional arguments and flags once, and that one
 * declaration both parses argv and prints `--help`, so the two cannot drift apart. Every mistake is a
 * `UsageError` of one line that names the wrong value and what would have been right.
 */

/** A mistake in the command line (exit code 2), as opposed to a failure while running (exit code 1). */
export class UsageError extends Error {}

export interface FlagSpec {
  /** Without the dashes: "batch-size". */
  name: string;
  /** Placeholder of its value in the help ("N"); absent for a switch that takes no value. */
  value?: string;
  help: string;
  /** Turns the raw text into the value, or throws a UsageError saying what it should have been. */
  parse?: (raw: string, flag: string) => unknown;
  required?: boolean;
}

export interface PositionalSpec {
  name: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** One line: what the command does. */
  summary: string;
  positionals: PositionalSpec[];
  flags: FlagSpec[];
  /** Paragraphs after the flags in --help. */
  notes?: string;
}

export interface ParsedArgs {
  positionals: string[];
  /** Parsed values by flag name; switches are true when given. */
  flags: Record<string, unknown>;
  help: boolean;
}

const HELP_FLAG: FlagSpec = { name: "help", help: "show this help" };

/** "--a, --b and --c" for messages. */
function flagList(spec: CommandSpec): string {
  return [...spec.flags, HELP_FLAG].map((f) => `--${f.name}`).join(", ");
}

/**
 * Parses `argv` (the words after the command's name) against `spec`. Accepts `--flag value` and
 * `--flag=value`; a flag's value may start with "-" (so `--steps -5` is read, and then refused by its parser
 * with a message about the number, not about a missing value).
 */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  // --help wins over every other mistake: someone asking for help should get it.
  if (argv.some((a) => a === "--help" || a === "-h")) return { positionals: [], flags: {}, help: true };
  const parsed: ParsedArgs = { positionals: [], flags: {}, help: false };
  const command = `tsgan ${spec.name}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-") {
      parsed.positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const flag = arg.startsWith("--") ? spec.flags.find((f) => f.name === name) : undefined;
    if (!flag) throw new UsageError(`unknown flag ${arg.split("=")[0]} for ${command}; its flags are ${flagList(spec)}.`);
    if (name in parsed.flags) throw new UsageError(`--${name} is given twice; give it once.`);
    if (flag.value === undefined) {
      if (inline !== undefined) throw new UsageError(`--${name} is a switch and takes no value, got "${inline}".`);
      parsed.flags[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value (${flag.value}).`);
    parsed.flags[name] = flag.parse ? flag.parse(raw, `--${name}`) : raw;
  }
  const wanted = spec.positionals.map((p) => `<${p.name}>`).join(" ");
  if (parsed.positionals.length > spec.positionals.length) {
    const extra = parsed.positionals[spec.positionals.length];
    throw new UsageError(
      `unexpected argument "${extra}" for ${command}${wanted ? `, which takes ${wanted}` : ", which takes none"}; see ${command} --help.`,
    );
  }
  if (parsed.positionals.length < spec.positionals.length) {
    const missing = spec.positionals[parsed.positionals.length];
    throw new UsageError(`${command} needs <${missing.name}>: ${missing.help}.`);
  }
  for (const f of spec.flags) {
    if (f.required && !(f.name in parsed.flags)) throw new UsageError(`${command} needs --${f.name} ${f.value}: ${f.help}.`);
  }
  return parsed;
}

/** The --help text of a command. */
export function helpText(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => `<${p.name}>`).join(" ");
  const required = spec.flags.filter((f) => f.required).map((f) => `--${f.name} ${f.value}`).join(" ");
  const lines = [
    `usage: tsgan ${spec.name}${positionals ? ` ${positionals}` : ""}${required ? ` ${required}` : ""} [flags]`,
    "",
    spec.summary,
  ];
  if (spec.positionals.length > 0) {
    lines.push("", "arguments:");
    for (const p of spec.positionals) lines.push(`  <${p.name}>`.padEnd(28) + p.help);
  }
  lines.push("", "flags:");
  for (const f of [...spec.flags, HELP_FLAG]) {
    lines.push(`  --${f.name}${f.value ? ` ${f.value}` : ""}`.padEnd(28) + f.help + (f.required ? " (required)" : ""));
  }
  if (spec.notes) lines.push("", spec.notes);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// Value parsers

/** A positive integer: digits only, so "1e3", "2.5", "-5" and "" are all refused by name. */
export function positiveInteger(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} must be a positive integer, got "${raw}".`);
  }
  return n;
}

/** A seed: an integer in [0, 2³² − 1]. */
export function seedValue(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 0xffffffff) {
    throw new UsageError(`${flag} must be an integer from 0 to 4294967295, got "${raw}".`);
  }
  return n;
}

/** One of a list of names. */
export function oneOf(names: readonly string[], what: string): (raw: string, flag: string) => string {
  return (raw, flag) => {
    if (!names.includes(raw)) throw new UsageError(`unknown ${what} "${raw}" for ${flag}; the ${what}s are ${names.join(", ")}.`);
    return raw;
  };
}

/** A positive, finite number ("2e-4", "0.001"). */
export function positiveNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got "${raw}".`);
  return n;
}

/** A share in (0, 1]. */
export function fraction(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !(n > 0 && n <= 1)) throw new UsageError(`${flag} must be a number in (0, 1], got "${raw}".`);
  return n;
}

/** A comma-separated list of positive integers ("128,128,128"). */
export function positiveIntegerList(raw: string, flag: string): number[] {
  const parts = raw.split(",");
  if (!parts.every((p) => /^\s*\d+\s*$/.test(p) && Number(p) >= 1 && Number.isSafeInteger(Number(p)))) {
    throw new UsageError(`${flag} must be positive integers separated by commas (e.g. 128,128,128), got "${raw}".`);
  }
  return parts.map(Number);
}
