/**
 * A client for one tslab kernel: starts it, speaks the Jupyter messaging protocol 5.3 to it over ZeroMQ, and
 * always ends it.
 *
 * The kernel is the project's own `node_modules/.bin/tslab kernel --config-path <file>`, run by the same
 * `node` as the runner, bound to 127.0.0.1 on free ports with a fresh random HMAC key, in its own process
 * group (so it and anything it starts can be killed together), with `watchdog.js` preloaded (so it ends when
 * the runner dies, within a moment, even in the middle of a cell that computes without yielding).
 *
 * tslab specifics, read from tslab 1.0.22's source, that shape this client:
 * - It answers shell and control on ZeroMQ ROUTER sockets, heartbeat on a REP socket, publishes iopub.
 * - It ignores `interrupt_request`; an interrupt is SIGINT to the process (kernelspec interrupt_mode "signal").
 * - Its heartbeat runs on the JavaScript thread, so a cell doing long synchronous work stops it: heartbeat
 *   silence during a cell is not proof of a hang, and only the cell's time limit decides that.
 * - It never sends `execute_result` or `error` messages: the last expression is printed to stdout, and an
 *   error is printed to stderr while execute_reply says status "error" (see errors.ts).
 */
import { ChildProcess, spawn } from "child_process";
import { EventEmitter } from "events";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { randomUUID } from "crypto";
import * as zmq from "zeromq";
import { Message, decode, encode, newKey, newMessage } from "./wire";

export interface KernelOptions {
  /** Working directory of the kernel: the notebook's folder, so relative paths and `tsgan` resolve. */
  cwd: string;
  /** The tslab launcher; default: this project's node_modules/.bin/tslab. */
  tslabBin?: string;
  /** How long the kernel may take to answer kernel_info (default 60 s: tslab warms a TypeScript compiler). */
  startupTimeoutMs?: number;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string>;
}

/** Why a kernel could not finish what it was asked. */
export type KernelFailure = "startup" | "timeout" | "died" | "hung";

export class KernelError extends Error {
  constructor(
    readonly failure: KernelFailure,
    message: string,
  ) {
    super(message);
    this.name = "KernelError";
  }
}

export interface ExecuteReply {
  status: "ok" | "error" | "abort";
  execution_count: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** The root of this project (tools/lessons/ is two levels below it, build/tools/lessons/ three). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}: cannot find the project root`);
    dir = parent;
  }
  return dir;
}

export function defaultTslabBin(): string {
  return path.join(projectRoot(), "node_modules", ".bin", "tslab");
}

/** Emits "start" (pid) for every kernel process started: lets tests check that each one is gone after. */
export const kernelEvents = new EventEmitter();

/** Kernels started by this process and not yet ended; killed on exit and on SIGINT/SIGTERM. */
const liveKernels = new Set<Kernel>();

/** Kill every kernel this process started. Synchronous, so it also works in an `exit` handler. */
export function killAllKernels(): void {
  for (const kernel of [...liveKernels]) kernel.kill();
}

process.on("exit", killAllKernels);

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Pending {
  msgId: string;
  onIopub: (msg: Message) => void;
  reply?: Message;
  idle: boolean;
  settle: () => void;
}

export class Kernel {
  /** language_info from kernel_info_reply. */
  languageInfo: Record<string, unknown> = {};
  /** The exit code or signal once the process ended; undefined while it runs. */
  exited?: { code: number | null; signal: NodeJS.Signals | null };

  private readonly session = randomUUID();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly heartbeat = new zmq.Dealer({ linger: 0 });
  private readonly pending = new Map<string, Pending>();
  /** Output handlers by request msg_id, kept after the reply: late output still belongs to its cell. */
  private readonly outputHandlers = new Map<string, (msg: Message) => void>();
  private readonly exitWaiters = new Set<() => void>();
  private heartbeatWaiter?: () => void;
  private stderrTail = "";
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly connectionFile: string,
    private readonly key: string,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Start a kernel and wait until it answers kernel_info on shell and publishes on iopub. */
  static async start(options: KernelOptions): Promise<Kernel> {
    const tslabBin = options.tslabBin ?? defaultTslabBin();
    if (!fs.existsSync(tslabBin)) {
      throw new KernelError("startup", `tslab not found at ${tslabBin}: run \`npm install\` in ${projectRoot()}`);
    }
    const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    if (new Set(ports).size !== ports.length) throw new KernelError("startup", "could not find 5 distinct free ports");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-kernel-"));
    const connectionFile = path.join(dir, "connection.json");
    const key = newKey();
    const [shell_port, iopub_port, stdin_port, control_port, hb_port] = ports;
    const connection = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port,
      iopub_port,
      stdin_port,
      control_port,
      hb_port,
      signature_scheme: "hmac-sha256",
      key,
      kernel_name: "tslab",
    };
    fs.writeFileSync(connectionFile, JSON.stringify(connection, null, 2), { mode: 0o600 });
    const child = spawn(
      process.execPath,
      [
        // deep stacks, so the cell's own frame is still there under a library's frames (default: 10)
        "--stack-trace-limit=100",
        "--require",
        path.join(__dirname, "watchdog.js"),
        fs.realpathSync(tslabBin),
        "kernel",
        "--config-path",
        connectionFile,
      ],
      {
        cwd: options.cwd,
        detached: true, // its own process group: kill(-pid) ends the kernel and its children
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, ...options.env },
      },
    );
    const kernel = new Kernel(child, connectionFile, key);
    liveKernels.add(kernel);
    kernelEvents.emit("start", child.pid);
    try {
      await kernel.connect(connection, options.startupTimeoutMs ?? 60_000);
    } catch (error) {
      kernel.kill();
      throw error;
    }
    return kernel;
  }

  private async connect(
    connection: { ip: string; shell_port: number; iopub_port: number; control_port: number; hb_port: number },
    timeoutMs: number,
  ): Promise<void> {
    this.child.stdout?.on("data", () => undefined); // drained: tslab logs there outside of cells
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-4000);
    });
    this.child.stdin?.on("error", () => undefined);
    this.child.on("exit", (code, signal) => {
      this.exited = { code, signal };
      for (const wake of [...this.exitWaiters]) wake();
    });
    this.child.on("error", (error) => {
      this.exited = { code: null, signal: null };
      this.stderrTail += `\n${error.message}`;
      for (const wake of [...this.exitWaiters]) wake();
    });
    const address = (port: number) => `tcp://${connection.ip}:${port}`;
    this.shell.connect(address(connection.shell_port));
    this.control.connect(address(connection.control_port));
    this.iopub.connect(address(connection.iopub_port));
    this.iopub.subscribe();
    this.heartbeat.connect(address(connection.hb_port));
    void this.receiveLoop(this.shell, (msg) => this.onReply(msg));
    void this.receiveLoop(this.control, (msg) => this.onReply(msg));
    void this.receiveLoop(this.iopub, (msg) => this.onIopub(msg));
    void this.heartbeatLoop();

    // kernel_info until iopub shows the kernel's status too: a SUB socket misses what is published before it
    // has joined, so the first cell's output could be lost without this.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new KernelError(
          "startup",
          `the tslab kernel did not answer kernel_info within ${Math.round(timeoutMs / 1000)} s${this.describeStderr()}`,
        );
      }
      const request = newMessage(this.session, "kernel_info_request", {});
      let iopubSeen = false;
      const outcome = await this.request(this.shell, request, Math.min(2000, remaining), () => {
        iopubSeen = true;
      }).catch((error: unknown) => {
        if (error instanceof KernelError && error.failure === "timeout") return undefined;
        throw error;
      });
      if (outcome && iopubSeen) {
        this.languageInfo = (outcome.reply.content.language_info as Record<string, unknown>) ?? {};
        return;
      }
    }
  }

  private async receiveLoop(socket: zmq.Dealer | zmq.Subscriber, handle: (msg: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = decode(this.key, frames);
        } catch {
          continue; // not signed with our key: ignore it, as Jupyter clients do
        }
        handle(msg);
      }
    } catch {
      // the socket was closed
    }
  }

  private async heartbeatLoop(): Promise<void> {
    try {
      for await (const frames of this.heartbeat) {
        void frames;
        const wake = this.heartbeatWaiter;
        this.heartbeatWaiter = undefined;
        wake?.();
      }
    } catch {
      // the socket was closed
    }
  }

  private onReply(msg: Message): void {
    const pending = this.pending.get(String(msg.parent_header.msg_id));
    if (!pending) return;
    pending.reply = msg;
    pending.settle();
  }

  private onIopub(msg: Message): void {
    const parentId = String(msg.parent_header.msg_id);
    this.outputHandlers.get(parentId)?.(msg);
    const pending = this.pending.get(parentId);
    if (!pending) return;
    if (msg.header.msg_type === "status" && (msg.content as { execution_state?: string }).execution_state === "idle") {
      pending.idle = true;
      pending.settle();
    }
  }

  /**
   * Send `request` on `socket`; resolve with its reply once the reply has come and iopub has said idle for
   * it. Rejects with KernelError "timeout" after `timeoutMs`, "died" when the process ends first.
   */
  private request(
    socket: zmq.Dealer,
    request: Message<unknown>,
    timeoutMs: number,
    onIopub: (msg: Message) => void,
  ): Promise<{ reply: Message }> {
    if (this.exited) return Promise.reject(this.diedError());
    const msgId = request.header.msg_id;
    this.outputHandlers.set(msgId, onIopub);
    return new Promise<{ reply: Message }>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.pending.delete(msgId);
        this.exitWaiters.delete(onExit);
        if (error) reject(error);
        else resolve({ reply: pending.reply as Message });
      };
      const pending: Pending = {
        msgId,
        onIopub,
        idle: false,
        settle: () => {
          if (pending.reply && pending.idle) finish();
        },
      };
      const onExit = () => finish(this.diedError());
      this.pending.set(msgId, pending);
      this.exitWaiters.add(onExit);
      timer = setTimeout(
        () => finish(new KernelError("timeout", `no reply to ${request.header.msg_type} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.send(encode(this.key, request)).catch((error: Error) => finish(error));
    });
  }

  /**
   * Run `code`; every iopub message the kernel sends for it goes to `onOutput`, also ones that arrive after
   * the reply (a timer's output belongs to the cell that started it). Rejects with KernelError "timeout"
   * after `timeoutMs` (the caller then interrupts or kills) or "died" when the kernel process ends.
   */
  async execute(code: string, timeoutMs: number, onOutput: (msg: Message) => void): Promise<ExecuteReply> {
    const request = newMessage(this.session, "execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    try {
      const { reply } = await this.request(this.shell, request, timeoutMs, onOutput);
      return reply.content as unknown as ExecuteReply;
    } catch (error) {
      if (error instanceof KernelError && error.failure === "timeout") {
        throw new KernelError("timeout", `the cell ran longer than its limit of ${formatMs(timeoutMs)}`);
      }
      throw error;
    }
  }

  /**
   * Interrupt the running cell (SIGINT, which tslab turns into an error in the awaiting or running cell) and
   * wait up to `graceMs` for the process to be responsive again (heartbeat). Returns whether it was.
   */
  async interrupt(graceMs = 3000): Promise<boolean> {
    if (this.exited) return false;
    try {
      process.kill(this.pid, "SIGINT");
    } catch {
      return false;
    }
    return this.ping(graceMs);
  }

  /** Whether the kernel answers a heartbeat within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<boolean> {
    if (this.exited || this.closed) return false;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.heartbeatWaiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.heartbeatWaiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      // DEALER to REP: an empty delimiter frame stands for the REQ envelope
      this.heartbeat.send(["", "ping"]).catch(() => resolve(false));
    });
  }

  /** The error for a kernel process that ended while we waited on it. */
  diedError(): KernelError {
    const how = this.exited?.signal
      ? `was killed by ${this.exited.signal}`
      : `exited with code ${this.exited?.code ?? "unknown"}`;
    return new KernelError("died", `the kernel process (pid ${this.pid}) ${how}${this.describeStderr()}`);
  }

  private describeStderr(): string {
    const tail = this.stderrTail.trim();
    return tail ? `; its stderr ended with:\n${tail}` : "";
  }

  /** Wait up to `ms` for the process to exit; true when it has. */
  waitForExit(ms: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.exitWaiters.delete(wake);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        this.exitWaiters.delete(wake);
        resolve(true);
      };
      this.exitWaiters.add(wake);
    });
  }

  /**
   * End the kernel for good: SIGKILL its process group, close the sockets, delete the connection file.
   * Synchronous and idempotent; safe in exit and signal handlers.
   */
  kill(): void {
    if (this.child.pid !== undefined && !this.exited) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        try {
          process.kill(this.child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    if (!this.closed) {
      this.closed = true;
      for (const socket of [this.shell, this.control, this.iopub, this.heartbeat]) {
        try {
          socket.close();
        } catch {
          // already closed
        }
      }
      this.child.stdin?.destroy();
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
      fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
    }
    liveKernels.delete(this);
  }

  /**
   * Ask politely (shutdown_request on control, so tslab closes its compiler's watchers), then kill the
   * process group anyway and wait (up to 5 s) until the process is really gone.
   */
  async shutdown(): Promise<void> {
    if (!this.exited && !this.closed) {
      const request = newMessage(this.session, "shutdown_request", { restart: false });
      await this.request(this.control, request, 1000, () => undefined).catch(() => undefined);
    }
    this.kill();
    await this.waitForExit(5000);
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${+(ms / 60_000).toFixed(1)} min`;
}
