/** Second-order-correct gradients (filled in by the engine work). */
export function installSecondOrderGradients(): void {}
