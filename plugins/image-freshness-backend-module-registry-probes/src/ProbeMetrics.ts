import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OciError, OciErrorCode } from 'oci-client';
import type { CheckType } from './config';

/** The registry exporter's error classes: the `error` label. */
export const PROBE_ERROR_CLASSES = [
  'TIMEOUT',
  'INVALID_REQUEST',
  'AUTHENTICATION',
  'NOT_FOUND',
  'SERVER_ERROR',
  'UNKNOWN',
] as const;

export type ProbeErrorClass = (typeof PROBE_ERROR_CLASSES)[number];

/** The client's class of a failure; UNKNOWN for anything but an OciError. */
export function errorCode(error: unknown): OciErrorCode {
  return error instanceof OciError ? error.code : 'UNKNOWN';
}

/**
 * The exporter's class of a failure: the client's class when it is one of
 * the six, else UNKNOWN (RATE_LIMITED, DIGEST_MISMATCH, TOO_LARGE,
 * BLOCKED_HOST: the log line names the precise class).
 */
export function probeErrorClass(error: unknown): ProbeErrorClass {
  const code = errorCode(error);
  return (PROBE_ERROR_CLASSES as readonly string[]).includes(code)
    ? (code as ProbeErrorClass)
    : 'UNKNOWN';
}

/** The labels of one probe on this backend instance. */
export interface ProbeLabels {
  tested_registry: string;
  node: string;
}

/**
 * The registry exporter's metrics, with its names, labels and buckets, in
 * their own prom-client Registry (`registry`), for the probes this instance
 * runs:
 * - `registry_exporter_success{tested_registry,node,type}`: 1 when the last
 *   check of that type succeeded, else 0;
 * - `registry_exporter_error_count{tested_registry,node,type,error}`: failed checks;
 * - `registry_exporter_duration_seconds{tested_registry,node,type}`: how long
 *   successful checks took (retries included);
 * - `registry_exporter_image_size_mbytes{tested_registry,node,type}`: the
 *   artifact size of the last successful pull, push or metadata check, in MiB.
 */
export class ProbeMetrics {
  readonly registry = new Registry();
  private readonly success: Gauge<string>;
  private readonly errors: Counter<string>;
  private readonly duration: Histogram<string>;
  private readonly size: Gauge<string>;

  constructor() {
    const registers = [this.registry];
    this.success = new Gauge({
      name: 'registry_exporter_success',
      help: 'Whether the last check of this type against the registry succeeded (1) or not (0).',
      labelNames: ['tested_registry', 'node', 'type'],
      registers,
    });
    this.errors = new Counter({
      name: 'registry_exporter_error_count',
      help: 'Checks against the registry that failed, by error class.',
      labelNames: ['tested_registry', 'node', 'type', 'error'],
      registers,
    });
    this.duration = new Histogram({
      name: 'registry_exporter_duration_seconds',
      help: 'How long successful checks against the registry took, in seconds.',
      labelNames: ['tested_registry', 'node', 'type'],
      buckets: [1, 1.5, 2, 4, 6, 8, 12, 16, 24, 32],
      registers,
    });
    this.size = new Gauge({
      name: 'registry_exporter_image_size_mbytes',
      help: 'Size of the artifact the last successful pull, push or metadata check moved, in megabytes (MiB).',
      labelNames: ['tested_registry', 'node', 'type'],
      registers,
    });
  }

  /** Starts every error count of a probe's checks at 0, so rates work from the first failure. */
  initialise(labels: ProbeLabels, types: readonly CheckType[]): void {
    for (const type of types) {
      for (const error of PROBE_ERROR_CLASSES) {
        this.errors.inc({ ...labels, type, error }, 0);
      }
    }
  }

  recordSuccess(
    labels: ProbeLabels,
    type: CheckType,
    seconds: number,
    bytes?: number,
  ): void {
    this.success.set({ ...labels, type }, 1);
    this.duration.observe({ ...labels, type }, seconds);
    if (bytes !== undefined) {
      this.size.set({ ...labels, type }, bytes / (1024 * 1024));
    }
  }

  recordFailure(
    labels: ProbeLabels,
    type: CheckType,
    error: ProbeErrorClass,
  ): void {
    this.success.set({ ...labels, type }, 0);
    this.errors.inc({ ...labels, type, error });
  }
}
