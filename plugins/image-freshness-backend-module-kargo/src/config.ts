import type { Config } from '@backstage/config';
import { readDuration } from 'backstage-plugin-image-freshness-node';
import type { Duration } from 'luxon';

/** `imageFreshness.kargo`, read once. */
export interface KargoConfig {
  /** The Kargo project's namespace the Warehouses go in. */
  namespace: string;
  /** Kargo's reconciliation interval, as a Go duration (`5m0s`). */
  interval: string;
  freightCreationPolicy: 'Automatic' | 'Manual';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const WHERE = 'imageFreshness.kargo';

/** A whole number of seconds as Go prints a duration: `5m0s`, `1h30m0s`, `45s`. */
export function goDuration(duration: Duration, where: string): string {
  const total = duration.as('seconds');
  if (!Number.isInteger(total) || total < 1) {
    throw new Error(
      `Invalid ${where} ${duration.toISO()}: use whole seconds, at least 1s (Kargo's interval)`,
    );
  }
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/** Reads `imageFreshness.kargo`; throws naming the key on a value Kargo would refuse. */
export function readKargoConfig(root: Config): KargoConfig {
  const config = root.getOptionalConfig(WHERE);
  const namespace = config?.getOptionalString('namespace') ?? 'image-freshness';
  if (!DNS_LABEL.test(namespace)) {
    throw new Error(
      `Invalid ${WHERE}.namespace ${JSON.stringify(
        namespace,
      )}: a Kubernetes namespace is at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  const policy =
    config?.getOptionalString('freightCreationPolicy') ?? 'Automatic';
  if (policy !== 'Automatic' && policy !== 'Manual') {
    throw new Error(
      `Invalid ${WHERE}.freightCreationPolicy ${JSON.stringify(
        policy,
      )}: use Automatic or Manual`,
    );
  }
  const interval = config
    ? readDuration(config, 'interval', '5m', WHERE)
    : undefined;
  return {
    namespace,
    interval: interval ? goDuration(interval, `${WHERE}.interval`) : '5m0s',
    freightCreationPolicy: policy,
  };
}
