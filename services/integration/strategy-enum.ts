import { MergeStrategy as StrategyEnum } from "../../gen/pushpals/v1/kinds_pb.js";

const BY_NAME: Readonly<Record<string, StrategyEnum>> = {
  "cherry-pick": StrategyEnum.CHERRY_PICK,
  "no-ff": StrategyEnum.NO_FF,
  "ff-only": StrategyEnum.FF_ONLY,
};

/**
 * The wire enum of a strategy as the config, merge records and git notes name it
 * ("cherry-pick", "no-ff", "ff-only"): the one place the text becomes the enum.
 * A name from an older record that no strategy has is UNSPECIFIED, not an error.
 */
export function strategyEnum(name: string): StrategyEnum {
  return BY_NAME[name] ?? StrategyEnum.UNSPECIFIED;
}
