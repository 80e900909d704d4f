export * from "./mlp";
export * from "./vanilla-gan";
export * from "./dcgan";
