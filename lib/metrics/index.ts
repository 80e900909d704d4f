export * from "./mode-collapse";
export * from "./classifier";
export * from "./quality";
export * from "./statistics";
export * from "./gradients";
export * from "./stacked-mnist";
export * from "./probes";
export * from "./step-work";
