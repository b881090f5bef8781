import Ajv2020 from 'ajv/dist/2020';
import fs from 'node:fs';

/**
 * Kargo 1.11's own JSON Schema for image subscriptions (a copy in
 * `test/kargo/`, with its source and version), compiled with ajv in strict
 * mode: `validate(subscription)` lists what Kargo would refuse.
 */
export function kargoImageSubscriptionValidator() {
  const schema = JSON.parse(
    fs.readFileSync(require.resolve('@internal/test/kargo/image.json'), 'utf8'),
  );
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const check = ajv.compile(schema);
  return (subscription: unknown): string[] =>
    check(subscription)
      ? []
      : (check.errors ?? []).map(
          e =>
            `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
        );
}

/** The Warehouse CRD's `spec.interval` pattern (Kargo 1.11, `kargo.akuity.io_warehouses.yaml`). */
export const KARGO_INTERVAL = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;

/** An RFC 1123 label: what Kubernetes accepts as a name (and a label value). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
