import type { AutonomyKindName, AutonomySection } from "../../../shared/config/sections/autonomy.js";

const CONFIG_KEY: Record<string, AutonomyKindName> = {
  failing_test: "failingTest",
  flaky_check: "flakyCheck",
  lint: "lint",
  outdated: "outdated",
  todo: "todo",
  failed_request: "failedRequest",
};

/** autonomy.kinds.<kind> for a candidate kind; undefined for a kind the config does not know. */
export function kindRules(config: AutonomySection, kind: string): AutonomySection["kinds"][AutonomyKindName] | undefined {
  const key = CONFIG_KEY[kind];
  return key ? config.kinds[key] : undefined;
}
