/*
 * Catalog files for the tests: the Components a test declares, one YAML
 * document each. Each document is written as JSON, which YAML reads as it is,
 * so no value needs quoting by hand.
 */

/** A catalog Component as a test declares it. */
export interface TestComponent {
  name: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  /** default `service` */
  type?: string;
  /** default `production` */
  lifecycle?: string;
  /** default `guests` */
  owner?: string;
  system?: string;
}

/** The text of a catalog file holding `components`. */
export function catalogYaml(components: TestComponent[]): string {
  return components
    .map(c =>
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: c.name,
          ...(c.labels && { labels: c.labels }),
          ...(c.annotations && { annotations: c.annotations }),
        },
        spec: {
          type: c.type ?? 'service',
          lifecycle: c.lifecycle ?? 'production',
          owner: c.owner ?? 'guests',
          ...(c.system && { system: c.system }),
        },
      }),
    )
    .join('\n---\n');
}
