import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Test files that mostly sleep and run for minutes (the 10-minute idle run) go first, so their
 * wall time overlaps the rest of the suite on a worker slot of their own instead of being added
 * to the end of the run. Everything else keeps vitest's own order.
 */
export const LONG_RUNS = ["tests/idle/"];

export class LongRunsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isLong = (file: TestSpecification) => LONG_RUNS.some((dir) => file.moduleId.includes(`/${dir}`));
    return [...sorted.filter(isLong), ...sorted.filter((file) => !isLong(file))];
  }
}
