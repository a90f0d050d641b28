import { create } from "@bufbuild/protobuf";
import { CandidateSchema, ObjectiveOutcome, ObjectiveStatus, type Candidate, type KindPrior, type Objective } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { AutonomySection } from "../../../shared/config/sections/autonomy.js";
import { fromTimestamp } from "../../../shared/time.js";
import { kindRules } from "./kind-rules.js";

const NEUTRAL_PRIOR = 0.5;

const ms = (t: Parameters<typeof fromTimestamp>[0]) => fromTimestamp(t) ?? 0;

/**
 * priority · evidence · size · prior: the kind's configured priority (0..100), scaled by how
 * strong the evidence is (0.5..1), how small the fix should be (1 file = 1, each more file
 * a quarter less) and the kind's learned prior (0.5..1.5, an even prior leaves it as is).
 */
export function scoreOf(candidate: Candidate, priority: number, prior: number): number {
  const evidence = 0.5 + 0.5 * candidate.evidenceStrength;
  const size = 1 / (1 + 0.25 * Math.max(0, (candidate.estimatedFiles || 1) - 1));
  return priority * evidence * size * (0.5 + prior);
}

/**
 * Why a candidate may not be acted on now, from the objectives history: one with the same key
 * still open, a no from a person (remembered for good), or a cooldown after it ended (per
 * target) or after any dispatch of its kind. Empty when it may go.
 */
export function skipReason(candidate: Candidate, history: Objective[], config: AutonomySection, now: number): string {
  const key = candidate.key || `${candidate.kind}:${candidate.target}`;
  for (const objective of history) {
    if (objective.key !== key) continue;
    if (objective.status === ObjectiveStatus.DECLINED) return `declined before (${objective.id}): ${objective.comment}`;
    if (objective.status !== ObjectiveStatus.FINISHED) return `already open as ${objective.id}`;
    const cooldownS = objective.outcome === ObjectiveOutcome.MERGED ? config.cooldowns.mergedSeconds : config.cooldowns.failureSeconds;
    const until = ms(objective.finishedAt) + cooldownS * 1000;
    if (until > now) {
      const outcome = ObjectiveOutcome[objective.outcome]!.toLowerCase();
      return `cooling down until ${new Date(until).toISOString()} after ${objective.id} ended ${outcome}`;
    }
  }
  if (config.cooldowns.kindSeconds > 0) {
    const last = history.find((o) => o.kind === candidate.kind && o.dispatchedAt);
    const until = last ? ms(last.dispatchedAt) + config.cooldowns.kindSeconds * 1000 : 0;
    if (until > now) return `kind ${candidate.kind} cooling down until ${new Date(until).toISOString()} after ${last!.id}`;
  }
  return "";
}

/**
 * Candidates of enabled kinds, duplicates merged (same key: the strongest evidence kept, the
 * others' evidence appended), each scored, given its kind's risk and its skip reason; best first,
 * eligible before skipped.
 */
export function rankCandidates(found: Candidate[], history: Objective[], priors: KindPrior[], config: AutonomySection, now: number): Candidate[] {
  const merged = new Map<string, Candidate>();
  for (const raw of found) {
    const rules = kindRules(config, raw.kind);
    if (!rules?.enabled) continue;
    const key = raw.key || `${raw.kind}:${raw.target}`;
    const earlier = merged.get(key);
    if (!earlier) {
      merged.set(key, create(CandidateSchema, { ...raw, key }));
      continue;
    }
    const [strong, weak] = raw.evidenceStrength > earlier.evidenceStrength ? [raw, earlier] : [earlier, raw];
    merged.set(key, create(CandidateSchema, { ...strong, key, evidence: `${strong.evidence}\n---\n${weak.evidence}`.slice(0, 16 * 1024) }));
  }
  const priorOf = new Map(priors.map((p) => [p.kind, p.value]));
  const ranked = [...merged.values()].map((candidate) => {
    const rules = kindRules(config, candidate.kind)!;
    candidate.risk = Math.max(candidate.risk, rules.risk);
    candidate.score = scoreOf(candidate, rules.priority, priorOf.get(candidate.kind) ?? NEUTRAL_PRIOR);
    candidate.skipped = skipReason(candidate, history, config, now);
    return candidate;
  });
  return ranked.sort((a, b) => Number(a.skipped !== "") - Number(b.skipped !== "") || b.score - a.score || a.key.localeCompare(b.key));
}

/** Ask a person instead of dispatching: risky at or above the threshold, or evidence too weak to be sure. */
export function needsQuestion(candidate: Candidate, config: AutonomySection): boolean {
  return candidate.risk >= config.riskThreshold || candidate.evidenceStrength < 0.5;
}
