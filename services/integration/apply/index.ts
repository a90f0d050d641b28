import type { MergeStrategy } from "../settings.js";
import { cherryPick } from "./cherry-pick.js";
import { fastForwardOnly } from "./ff-only.js";
import { noFastForward } from "./no-ff.js";
import type { ApplyStrategy } from "./strategy.js";

export type { ApplyInput, ApplyResult, ApplyStrategy } from "./strategy.js";

export const STRATEGIES: Record<MergeStrategy, ApplyStrategy> = {
  "cherry-pick": cherryPick,
  "no-ff": noFastForward,
  "ff-only": fastForwardOnly,
};
