import { create } from "@bufbuild/protobuf";
import { AutonomyEvaluationSchema, CandidateSchema, ObjectiveStatus, type AutonomyEvaluation, type Candidate } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { Clients } from "../../../shared/clients.js";
import type { AutonomySection } from "../../../shared/config/sections/autonomy.js";
import type { Logger } from "../../../shared/log.js";
import { durationFromMs, toTimestamp } from "../../../shared/time.js";
import type { Collector } from "./collectors/collector.js";
import { withBaseExport } from "./base-export.js";
import { evaluateGates, firstBlocked } from "./gates.js";
import { gateSnapshot } from "./gate-snapshot.js";
import { kindRules } from "./kind-rules.js";
import { requestText } from "./request-text.js";
import type { RunRepoCommand } from "./sandboxed-command.js";
import { markReverts } from "./revert-watch.js";
import { needsQuestion, rankCandidates } from "./scoring.js";

export interface PassDeps {
  clients: Clients;
  config: AutonomySection;
  collectors: readonly Collector[];
  /** How collectors run configured commands (sandboxed-command.ts). */
  runCommand: RunRepoCommand;
  repoPath: string;
  baseBranch: string;
  /** The lock holder's id (the planner's worker id). */
  holder: string;
  /** Where merged objectives land; watched for reverts when set. */
  integrationBranch?: string;
  logger: Logger;
}

/**
 * One pass of the lock holder: settle what finished, read the state, check the gates; only
 * when they all pass run the collectors, score, and act on the best eligible candidate (an
 * approved question first) — dispatch it, or ask about it when it is risky or ambiguous.
 * The pass is stored for the status either way.
 */
export async function runPass(deps: PassDeps, signal: AbortSignal): Promise<AutonomyEvaluation> {
  const { clients, config, holder, logger } = deps;
  const call = { signal };
  await clients.autonomy.settleObjectives({ holder, priorAlpha: config.priorAlpha }, call);
  let status = await clients.autonomy.getAutonomyStatus({ objectivesLimit: 500 }, call);
  if (deps.integrationBranch) {
    const reverted = await markReverts(
      { clients, repoPath: deps.repoPath, integrationBranch: deps.integrationBranch, holder, priorAlpha: config.priorAlpha },
      status.objectives,
      signal,
    );
    if (reverted.length > 0) {
      logger.info({ objectiveIds: reverted.map((o) => o.id) }, "merged objectives were reverted");
      status = await clients.autonomy.getAutonomyStatus({ objectivesLimit: 500 }, call);
    }
  }
  const snapshot = await gateSnapshot(clients, status, config, deps.repoPath, signal);
  const gates = evaluateGates(snapshot, config);
  const evaluation = create(AutonomyEvaluationSchema, { at: toTimestamp(snapshot.now), holder, gates, health: snapshot.health });
  const blocked = firstBlocked(gates);
  if (blocked) {
    evaluation.summary = `blocked by ${blocked.gate}: ${blocked.reason}`;
    return report(deps, evaluation, signal);
  }

  const approved = status.objectives.filter((o) => o.status === ObjectiveStatus.APPROVED).at(-1);
  if (approved) {
    // The approval is where the person's words are: a yes with text shapes the request.
    const { approval } = await clients.approvals.getApproval({ id: approved.approvalId }, call);
    const answer = approval ? { answeredBy: approval.answeredBy, comment: approval.comment } : undefined;
    const text = requestText(create(CandidateSchema, { kind: approved.kind, title: approved.title, evidence: approved.evidence }), answer);
    const { objective } = await clients.autonomy.dispatchObjective({ holder, objectiveId: approved.id, requestText: text }, call);
    logger.info({ objectiveId: objective!.id, requestId: objective!.requestId, sessionId: objective!.sessionId }, "dispatched an approved objective");
    evaluation.summary = `dispatched approved ${approved.key} as ${objective!.requestId}`;
    return report(deps, evaluation, signal);
  }

  const found = await collect(deps, signal);
  evaluation.candidates = rankCandidates(found, status.objectives, status.priors, config, snapshot.now);
  const best = evaluation.candidates.find((c) => c.skipped === "");
  if (!best) {
    evaluation.summary = found.length === 0 ? "nothing to do: no collector found anything" : "nothing eligible: every candidate is cooling down, open or declined";
    return report(deps, evaluation, signal);
  }
  const ask = needsQuestion(best, config);
  const { objective } = await clients.autonomy.proposeObjective(
    { holder, candidate: best, ask, questionTimeout: durationFromMs(config.questionTimeoutSeconds * 1000), requestText: ask ? "" : requestText(best) },
    call,
  );
  logger.info(
    { objectiveId: objective!.id, key: best.key, score: best.score, asked: ask, sessionId: objective!.sessionId, requestId: objective!.requestId },
    ask ? "asked about an objective" : "dispatched an objective",
  );
  evaluation.summary = ask ? `asked about ${best.key} (approval ${objective!.approvalId})` : `dispatched ${best.key} as ${objective!.requestId}`;
  return report(deps, evaluation, signal);
}

async function collect(deps: PassDeps, signal: AbortSignal): Promise<Candidate[]> {
  // The export is made once, by the first collector that needs it, and removed after the pass.
  let tree: Promise<string> | undefined;
  let release: (() => void) | undefined;
  let exported: Promise<void> | undefined;
  const baseTree = () => {
    tree ??= new Promise<string>((resolveTree, rejectTree) => {
      exported = withBaseExport(deps.repoPath, deps.baseBranch, signal, (dir) => {
        resolveTree(dir);
        return new Promise<void>((done) => (release = done));
      }).catch(rejectTree);
    });
    return tree;
  };
  const found: Candidate[] = [];
  try {
    for (const collector of deps.collectors) {
      if (!kindRules(deps.config, collector.kind)?.enabled) continue;
      try {
        found.push(
          ...(await collector.collect({
            clients: deps.clients,
            config: deps.config,
            repoPath: deps.repoPath,
            baseBranch: deps.baseBranch,
            baseTree,
            runCommand: deps.runCommand,
            signal,
          })),
        );
      } catch (error) {
        if (signal.aborted) throw error;
        // One broken collector (a bad command, a missing tool) must not stop the others.
        deps.logger.warn({ kind: collector.kind, err: (error as Error).message }, "an autonomy collector failed");
      }
    }
  } finally {
    release?.();
    await exported;
  }
  return found;
}

async function report(deps: PassDeps, evaluation: AutonomyEvaluation, signal: AbortSignal): Promise<AutonomyEvaluation> {
  await deps.clients.autonomy.reportEvaluation({ holder: deps.holder, evaluation }, { signal });
  return evaluation;
}
