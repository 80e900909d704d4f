export * from "./backend";
export * from "./seed";
export {
  adam, rmsprop, sgd, FusedAdamOptimizer, FusedRMSPropOptimizer, SGDOptimizer, installFusedOptimizerKernels, isStatefulOptimizer,
} from "./optimizers";
export type { OptimizerState, StatefulOptimizer } from "./optimizers";
export { installSecondOrderGradients } from "./gradients";
export { installWasmKernels, wasmKernelsInstalled, installCpuKernelFixes } from "./wasm-kernels";
export { installPerfKernels, uninstallPerfKernels, perfKernelsInstalled } from "./perf-kernels";
export { outsideGradientTape } from "./tape";
export { denseActivation, activationGrad, fusedDenseAvailable } from "./fused-dense";
export type { FusedDenseActivation } from "./fused-dense";
