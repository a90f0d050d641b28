import type { V1NetworkPolicy } from "@kubernetes/client-node";
import type { Logger } from "../../../services/kernel/log.js";
import { failedPrecondition } from "../../../services/kernel/errors.js";
import { isNotFound, kubeFailure, apiStatusCode } from "./api-errors.js";
import type { Cluster } from "./cluster.js";
import { COMPONENT, COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from "./names.js";

export const DENY_EGRESS_POLICY = "pushpals-sandbox-deny-egress";

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
