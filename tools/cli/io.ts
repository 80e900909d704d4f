/** Where a command writes: results to `out` (stdout), progress and messages to `err` (stderr). */
import { ready } from "../../lib/engine/backend";
import type { TextSink } from "../../lib/train/callbacks";

export interface Io {
  out: TextSink;
  err: TextSink;
}

/**
 * Starts TensorFlow.js's engine (TSGAN_BACKEND picks one), once the command line has been checked: a mistake
 * is reported at once, without waiting for a backend. `announce` says on stderr which backend it is.
 */
export async function startEngine(io: Io, announce = false): Promise<void> {
  const engine = await ready({ env: { ...process.env, TSGAN_QUIET: "1" } });
  if (announce) io.err.write(`tsgan: backend ${engine.choice}\n`);
}
