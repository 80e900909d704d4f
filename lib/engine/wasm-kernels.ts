/** Kernels the wasm backend lacks or runs slowly (filled in by the engine work). */
export function installWasmKernels(): void {}
