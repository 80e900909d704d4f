export * from "./mlp";
export * from "./vanilla-gan";
export * from "./dcgan";
export * from "./cgan";
export * from "./acgan";
export * from "./latent";
export * from "./params";
