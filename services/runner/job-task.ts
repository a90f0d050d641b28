import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { Lane as LaneKind, type TaskExecuteV2 } from "../../gen/pushpals/v1/task_pb.js";
import { JobFailure } from "./job-failure.js";
import type { Lane } from "./lanes/lane.js";

/** The job's task and the lane that runs it; a job that is not a task.execute v2 fails for good. */
export function jobTask(item: QueueItem, lanes: Record<Lane["name"], Lane>): { task: TaskExecuteV2; lane: Lane } {
  const payload = item.payload?.kind;
  if (payload?.case !== "taskExecuteV2") {
    throw new JobFailure(`job ${item.id} carries ${payload?.case ?? "no payload"}, not task_execute_v2; enqueue jobs with a TaskExecuteV2 payload`, "final");
  }
  const task = payload.value;
  switch (task.lane) {
    case LaneKind.DETERMINISTIC:
      return { task, lane: lanes.deterministic };
    case LaneKind.WORKER:
      return { task, lane: lanes.worker };
    default:
      throw new JobFailure(`job ${item.id} has no lane (task_execute_v2.lane is ${task.lane}); set LANE_DETERMINISTIC or LANE_WORKER`, "final");
  }
}
