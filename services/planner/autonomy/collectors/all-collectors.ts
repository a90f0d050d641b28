import type { Collector } from "./collector.js";
import { failedRequests } from "./failed-requests.js";
import { failingTests } from "./failing-tests.js";
import { flakyChecks } from "./flaky-checks.js";
import { lintErrors } from "./lint-errors.js";
import { outdatedDeps } from "./outdated-deps.js";
import { todoMarkers } from "./todo-markers.js";

/** Every collector; the config's kinds switch each on or off. */
export const ALL_COLLECTORS: readonly Collector[] = [failingTests, flakyChecks, lintErrors, outdatedDeps, todoMarkers, failedRequests];
