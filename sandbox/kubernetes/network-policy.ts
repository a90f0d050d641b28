import type { V1NetworkPolicy } from "@kubernetes/client-node";
import type { Logger } from "../../shared/log.js";
import { failedPrecondition } from "../../shared/errors.js";
import { isNotFound, kubeFailure, apiStatusCode } from "./api-errors.js";
import type { Cluster } from "./cluster.js";
import { COMPONENT, COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL, PHASE_LABEL, SETUP_PHASE } from "./names.js";

export const DENY_EGRESS_POLICY = "pushpals-sandbox-deny-egress";
export const SETUP_EGRESS_POLICY = "pushpals-sandbox-setup-egress";

/** Selects every sandbox pod; Egress with no rules allows no traffic out of them at all. */
export function denyEgressPolicy(namespace: string): V1NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: DENY_EGRESS_POLICY, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    spec: {
      podSelector: { matchLabels: { [MANAGED_BY_LABEL]: MANAGED_BY, [COMPONENT_LABEL]: COMPONENT } },
      policyTypes: ["Egress"],
    },
  };
}

/**
 * Makes sure the deny-egress policy exists before any sandbox pod does: read it, create it
 * when missing (a concurrent runner creating it first is fine). An existing policy of that
 * name that lets traffic out is refused rather than trusted or silently replaced.
 */
export async function ensureDenyEgressPolicy(cluster: Cluster, namespace: string, logger: Logger): Promise<void> {
  const context = { namespace, server: cluster.server };
  const read = () => cluster.networking.readNamespacedNetworkPolicy({ name: DENY_EGRESS_POLICY, namespace });
  let existing: V1NetworkPolicy;
  try {
    existing = await read();
  } catch (error) {
    if (!isNotFound(error)) throw kubeFailure(`read NetworkPolicy ${DENY_EGRESS_POLICY} in namespace ${namespace}`, error, context);
    try {
      await cluster.networking.createNamespacedNetworkPolicy({ namespace, body: denyEgressPolicy(namespace) });
      logger.info({ policy: DENY_EGRESS_POLICY }, "created the NetworkPolicy that denies sandbox pods all egress");
      return;
    } catch (createError) {
      if (apiStatusCode(createError) !== 409) {
        throw kubeFailure(`create NetworkPolicy ${DENY_EGRESS_POLICY} in namespace ${namespace}`, createError, context);
      }
      existing = await read().catch((again: unknown) => {
        throw kubeFailure(`read NetworkPolicy ${DENY_EGRESS_POLICY} in namespace ${namespace}`, again, context);
      });
    }
  }
  if (!deniesAllEgress(existing)) {
    throw failedPrecondition(
      `NetworkPolicy ${DENY_EGRESS_POLICY} in namespace ${namespace} does not deny all egress of sandbox pods; delete it (kubectl -n ${namespace} delete networkpolicy ${DENY_EGRESS_POLICY}) so the driver recreates it`,
    );
  }
  logger.debug({ policy: DENY_EGRESS_POLICY }, "the deny-egress NetworkPolicy is in place");
}

function deniesAllEgress(policy: V1NetworkPolicy): boolean {
  const spec = policy.spec;
  const labels = spec?.podSelector?.matchLabels ?? {};
  const selectsSandboxes =
    Object.keys(labels).every((key) => key === MANAGED_BY_LABEL || key === COMPONENT_LABEL) &&
    (labels[MANAGED_BY_LABEL] ?? MANAGED_BY) === MANAGED_BY &&
    (labels[COMPONENT_LABEL] ?? COMPONENT) === COMPONENT &&
    (spec?.podSelector?.matchExpressions ?? []).length === 0;
  return selectsSandboxes && (spec?.policyTypes ?? []).includes("Egress") && (spec?.egress ?? []).length === 0;
}

/**
 * Lets a job's setup pod out (registries), and no other pod: it selects the setup phase label
 * only. Policies add up, so sandbox pods without the label stay under the deny-all policy.
 */
export function setupEgressPolicy(namespace: string): V1NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: SETUP_EGRESS_POLICY, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    spec: {
      podSelector: { matchLabels: { [MANAGED_BY_LABEL]: MANAGED_BY, [COMPONENT_LABEL]: COMPONENT, [PHASE_LABEL]: SETUP_PHASE } },
      policyTypes: ["Egress"],
      egress: [{}],
    },
  };
}

/**
 * Makes sure the setup egress policy exists before the first setup pod: created when missing.
 * One of that name that selects more than setup pods (it would open the agent's pods) is refused.
 */
export async function ensureSetupEgressPolicy(cluster: Cluster, namespace: string, logger: Logger): Promise<void> {
  const context = { namespace, server: cluster.server };
  let existing: V1NetworkPolicy | undefined;
  try {
    existing = await cluster.networking.readNamespacedNetworkPolicy({ name: SETUP_EGRESS_POLICY, namespace });
  } catch (error) {
    if (!isNotFound(error)) throw kubeFailure(`read NetworkPolicy ${SETUP_EGRESS_POLICY} in namespace ${namespace}`, error, context);
  }
  if (!existing) {
    try {
      await cluster.networking.createNamespacedNetworkPolicy({ namespace, body: setupEgressPolicy(namespace) });
      logger.info({ policy: SETUP_EGRESS_POLICY }, "created the NetworkPolicy that lets setup pods (and only them) reach the network");
      return;
    } catch (error) {
      if (apiStatusCode(error) !== 409) throw kubeFailure(`create NetworkPolicy ${SETUP_EGRESS_POLICY} in namespace ${namespace}`, error, context);
      return; // a concurrent runner made it; the next start reads and checks it
    }
  }
  if (existing.spec?.podSelector?.matchLabels?.[PHASE_LABEL] !== SETUP_PHASE || (existing.spec.podSelector.matchExpressions ?? []).length > 0) {
    throw failedPrecondition(
      `NetworkPolicy ${SETUP_EGRESS_POLICY} in namespace ${namespace} selects more than setup pods (${PHASE_LABEL}=${SETUP_PHASE}), so agent pods could reach the network; delete it (kubectl -n ${namespace} delete networkpolicy ${SETUP_EGRESS_POLICY}) so the driver recreates it`,
    );
  }
}
