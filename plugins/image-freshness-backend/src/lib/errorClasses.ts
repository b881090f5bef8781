import {
  ERROR_ADVICE,
  type ErrorClass,
} from 'backstage-plugin-image-freshness-common';
import { OciError } from 'oci-client';

/**
 * The one place where failures become the plugin's error classes and advice.
 * oci-client's errors describe the registry's answer (status, the registry's
 * code, what was asked); the Kubernetes backend's describe the cluster's.
 * Both are classified here, by the same status table, and advised from the
 * same advice table, worded for what failed.
 */

/** What failed: a registry (or its token service), a cluster, or the Kubernetes backend in front of them. */
export type ErrorSubject = 'registry' | 'cluster' | 'kubernetes-backend';

/** HTTP status → class, for every HTTP answer the plugin classifies. */
export function classForStatus(status: number): ErrorClass {
  if (status === 401 || status === 403) return 'AUTHENTICATION';
  if (status === 404) return 'NOT_FOUND';
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status === 413) return 'TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER_ERROR';
  if (status >= 400) return 'INVALID_REQUEST';
  return 'UNKNOWN';
}

/** Whether an error is a caller's abort (backend shutdown, the run's timeout) or a timer's. */
function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * The class of any failure: a registry's answer by its status; a failure
 * without an answer by what oci-client saw (TIMEOUT, BLOCKED_HOST,
 * DIGEST_MISMATCH, TOO_LARGE...); an abort or a timer as TIMEOUT; anything
 * else UNKNOWN.
 */
export function classOf(error: unknown): ErrorClass {
  if (error instanceof OciError) {
    return error.status !== undefined && error.status >= 400
      ? classForStatus(error.status)
      : error.code;
  }
  return isAbort(error) ? 'TIMEOUT' : 'UNKNOWN';
}

/** Advice for clusters and the Kubernetes backend; registries use ERROR_ADVICE (the API's table). */
const ADVICE: Record<
  Exclude<ErrorSubject, 'registry'>,
  Partial<Record<ErrorClass, string>>
> = {
  cluster: {
    AUTHENTICATION:
      'Check the credentials the Kubernetes backend uses for this cluster (kubernetes.clusterLocatorMethods) and their RBAC permissions.',
    NOT_FOUND: 'The cluster does not serve this API version.',
    TIMEOUT:
      'The cluster API server did not answer in time; it is retried on the next refresh.',
    RATE_LIMITED:
      'The cluster API server is throttling (API Priority and Fairness); it is retried on the next refresh.',
    SERVER_ERROR:
      'The cluster API server failed; it is retried on the next refresh.',
    INVALID_REQUEST:
      'The cluster refused the request; check the Kubernetes backend configuration for this cluster.',
    UNKNOWN: 'The cluster could not be read; see the backend logs for details.',
  },
  'kubernetes-backend': {
    AUTHENTICATION:
      'The Kubernetes backend refused the plugin; check that it accepts service-to-service tokens.',
    INVALID_REQUEST:
      "The Kubernetes backend refused the workloads query; check the entity's Kubernetes annotations (backstage.io/kubernetes-id, backstage.io/kubernetes-label-selector).",
    NOT_FOUND:
      'Install @backstage/plugin-kubernetes-backend with a kubernetes config section.',
    TIMEOUT:
      'The Kubernetes backend did not answer in time; it is retried on the next refresh.',
    SERVER_ERROR:
      'The Kubernetes backend failed; see its logs. It is retried on the next refresh.',
    UNKNOWN:
      'The Kubernetes backend could not be queried; see the backend logs for details.',
  },
};

/**
 * What to do about one failure: for a registry that could not be reached at
 * all (DNS, connection refused), "could not reach HOST", not the class's
 * "the registry failed"; else {@link adviceFor} its class.
 */
export function adviceForError(
  error: unknown,
  errorClass: ErrorClass = classOf(error),
): string {
  if (error instanceof OciError && error.unreachable && error.host) {
    return `Could not reach ${error.host}; it is retried on the next refresh. If this persists, check the host name and that the backend can connect to it (DNS, proxy, firewall).`;
  }
  return adviceFor(errorClass);
}

/** What to do about a class of failure of `subject`. */
export function adviceFor(
  errorClass: ErrorClass,
  subject: ErrorSubject = 'registry',
): string {
  return (
    (subject === 'registry' ? undefined : ADVICE[subject][errorClass]) ??
    ERROR_ADVICE[errorClass]
  );
}
