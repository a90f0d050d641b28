import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { AutonomyMode, CandidateSchema, type AutonomyService } from "../../gen/pushpals/v1/autonomy_pb.js";
import { parseRequest } from "../../shared/rpc/validate.js";
import { durationMs } from "../../shared/time.js";
import type { ControlPlaneDeps } from "./deps.js";
import * as requests from "./requests/autonomy-requests.js";

/**
 * The autonomy loop's state in the store, for the planner's dispatcher (its only writer besides
 * people's mode changes) and for `pushpals autonomy status`. Each write checks the dispatch
 * lock and the switch in its own transaction, so the planner's view can lag without harm.
 */
export function autonomyService({ store, commit, config, logger }: ControlPlaneDeps): ServiceImpl<typeof AutonomyService> {
  const defaultMode = config.autonomy.mode;
  return {
    async getAutonomyStatus(req) {
      const input = parseRequest(requests.getAutonomyStatusRequest, req);
      return store.autonomyStatus({ defaultMode, objectivesLimit: input.objectivesLimit || 50 });
    },

    async setAutonomyMode(req) {
      const input = parseRequest(requests.setAutonomyModeRequest, req);
      const frozenUntil = input.mode === AutonomyMode.FROZEN ? Date.now() + (durationMs(input.freezeFor) ?? 0) : undefined;
      const changed = await commit(store.setAutonomyMode({ mode: input.mode, frozenUntil, by: input.by, defaultMode }));
      logger.info({ mode: AutonomyMode[input.mode], by: input.by, cancelled: changed.cancelledItemIds.length }, "autonomy mode changed");
      return changed;
    },

    async acquireDispatchLease(req) {
      const input = parseRequest(requests.acquireDispatchLeaseRequest, req);
      return store.acquireDispatchLease({ holder: input.holder, ttlMs: durationMs(input.ttl) ?? 0 });
    },

    async releaseDispatchLease(req) {
      const input = parseRequest(requests.releaseDispatchLeaseRequest, req);
      return { released: await store.releaseDispatchLease(input.holder) };
    },

    async reportEvaluation(req) {
      const input = parseRequest(requests.reportEvaluationRequest, req);
      await store.saveEvaluation({ holder: input.holder, evaluation: input.evaluation, defaultMode });
      return {};
    },

    async proposeObjective(req) {
      const input = parseRequest(requests.proposeObjectiveRequest, req);
      const objective = await commit(
        store.proposeObjective({
          holder: input.holder,
          candidate: create(CandidateSchema, { ...input.candidate, key: `${input.candidate.kind}:${input.candidate.target}` }),
          ask: input.ask,
          questionTimeoutMs: durationMs(input.questionTimeout) ?? 0,
          requestText: input.requestText,
          defaultMode,
        }),
      );
      logger.info(
        { objectiveId: objective.id, key: objective.key, sessionId: objective.sessionId, requestId: objective.requestId, asked: input.ask },
        "autonomy objective proposed",
      );
      return { objective };
    },

    async dispatchObjective(req) {
      const input = parseRequest(requests.dispatchObjectiveRequest, req);
      const objective = await commit(store.dispatchObjective({ holder: input.holder, objectiveId: input.objectiveId, requestText: input.requestText, defaultMode }));
      logger.info({ objectiveId: objective.id, requestId: objective.requestId }, "approved autonomy objective dispatched");
      return { objective };
    },

    async settleObjectives(req) {
      const input = parseRequest(requests.settleObjectivesRequest, req);
      const changed = await commit(store.settleObjectives({ holder: input.holder, alpha: input.priorAlpha, defaultMode }));
      return { changed };
    },

    async markObjectiveReverted(req) {
      const input = parseRequest(requests.markObjectiveRevertedRequest, req);
      const objective = await commit(
        store.markObjectiveReverted({ holder: input.holder, objectiveId: input.objectiveId, revertSha: input.revertSha, alpha: input.priorAlpha, defaultMode }),
      );
      logger.info({ objectiveId: objective.id, revertSha: input.revertSha }, "autonomy objective's change was reverted");
      return { objective };
    },
  };
}
