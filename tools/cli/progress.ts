/**
 * What a command-line run does besides training: a progress line with the rate and the time left, and a
 * clean stop on Ctrl-C.
 */
import { formatProgress, playerLabels, TextSink } from "../../lib/train/callbacks";
import type { TrainCallback, TrainState } from "../../lib/train/types";

/** "1h02m", "3m07s", "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Seconds between two progress lines when the output is not a terminal (a log file, a pipe). */
const LOG_INTERVAL_S = 10;

/**
 * lib/train's progress line (bar, each player's loss and scores, steps/s) with the time left appended. On a
 * terminal it is redrawn in place at most ~10 times a second; elsewhere it is a new line after the first step
 * (so a log shows the run has started, and its first losses), then every tenth of the run or every
 * LOG_INTERVAL_S seconds, whichever comes first, and at the last step.
 */
export function progressWithEta(stream: TextSink): TrainCallback {
  const tty = stream.isTTY === true;
  let startTime = 0;
  let startStep = 0;
  let lastDraw = 0;
  let every = 1;
  let drew = false;
  return {
    onTrainBegin(state) {
      startTime = lastDraw = Date.now();
      startStep = state.step;
      every = Math.max(1, Math.ceil((state.totalSteps - state.step) / 10));
    },
    onStepEnd(log, state) {
      const now = Date.now();
      const first = log.step === startStep + 1;
      const last = log.step >= state.totalSteps;
      const due = tty ? now - lastDraw >= 100 : log.step % every === 0 || now - lastDraw >= LOG_INTERVAL_S * 1000;
      if (!first && !last && !due) return;
      lastDraw = now;
      const seconds = (now - startTime) / 1000;
      const rate = seconds > 0 ? (log.step - startStep) / seconds : undefined;
      const eta = rate ? ` | ETA ${formatDuration((state.totalSteps - log.step) / rate)}` : "";
      const line = formatProgress(log, state.totalSteps, 20, rate, playerLabels(state.game)) + eta;
      stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      drew = true;
    },
    onTrainEnd() {
      if (tty && drew) stream.write("\n");
    },
  };
}

/** Yields to the event loop: signal handlers run only there, never between two awaited promises. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Ctrl-C during training. The first SIGINT asks the loop to stop after the current step (`state.stop()`), and
 * the loop then writes its end-of-run checkpoint, so the run can be resumed exactly; a second SIGINT exits at
 * once (code 130), without that checkpoint. `install()` before training, `remove()` after the run's last file
 * is written.
 *
 * The loop runs a whole step synchronously, so the callback yields to the event loop after every step: without
 * that the signal would wait for the end of training.
 */
export class Interrupt {
  private state: TrainState | null = null;
  private signals = 0;
  private readonly handler = () => this.onSignal();

  constructor(private readonly stream: TextSink, private readonly exit: (code: number) => never = (code) => process.exit(code)) {}

  readonly callback: TrainCallback = {
    onTrainBegin: (state) => {
      this.state = state;
      // A Ctrl-C while the data loaded: train no step, only write the checkpoint.
      if (this.signals > 0) state.stop();
    },
    onStepEnd: () => nextTurn(),
  };

  /** True once a SIGINT came. */
  get interrupted(): boolean {
    return this.signals > 0;
  }

  install(): void {
    process.on("SIGINT", this.handler);
  }

  remove(): void {
    process.off("SIGINT", this.handler);
  }

  private onSignal(): void {
    this.signals++;
    if (this.signals === 1) {
      this.state?.stop();
      this.stream.write("\ntsgan: interrupted; finishing this step and writing a checkpoint (Ctrl-C again to quit now, without it)\n");
      return;
    }
    this.stream.write("\ntsgan: interrupted twice; quitting without a checkpoint\n");
    this.exit(130);
  }
}
