export * from "./backend";
export * from "./seed";
export { adam, rmsprop, FusedAdamOptimizer, FusedRMSPropOptimizer, installFusedOptimizerKernels } from "./optimizers";
export { installSecondOrderGradients } from "./gradients";
export { installWasmKernels, wasmKernelsInstalled, installCpuKernelFixes } from "./wasm-kernels";
export { installPerfKernels, uninstallPerfKernels, perfKernelsInstalled } from "./perf-kernels";
