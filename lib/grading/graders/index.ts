/** Every assignment's grader, by id (the order of the course). */
import type { Grader } from "../core";
import { ganLossesGrader } from "./gan-losses";
import { optimalDiscriminatorGrader } from "./optimal-discriminator";
import { trainingStepGrader } from "./training-step";
import { gradientPenaltyGrader } from "./gradient-penalty";
import { powerIterationGrader } from "./power-iteration";
import { labelConditioningGrader } from "./label-conditioning";

export const GRADERS: Readonly<Record<string, Grader<any>>> = Object.freeze({
  [ganLossesGrader.id]: ganLossesGrader,
  [optimalDiscriminatorGrader.id]: optimalDiscriminatorGrader,
  [trainingStepGrader.id]: trainingStepGrader,
  [gradientPenaltyGrader.id]: gradientPenaltyGrader,
  [powerIterationGrader.id]: powerIterationGrader,
  [labelConditioningGrader.id]: labelConditioningGrader,
});
