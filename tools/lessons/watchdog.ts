/**
 * Preloaded into the kernel process (`node --require watchdog.js tslab kernel ...`): when the runner that
 * started the kernel goes away, even by SIGKILL, the kernel's stdin pipe closes and the kernel exits with it.
 * This is what keeps a crashed or killed CI job from leaving a kernel behind.
 */
process.stdin.on("end", () => process.exit(70));
process.stdin.on("error", () => process.exit(70));
process.stdin.resume();
