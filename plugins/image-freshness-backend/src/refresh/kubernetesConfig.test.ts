import type { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  locateClusters,
  readKubernetesSourceSettings,
} from './kubernetesConfig';
import { resourcePath } from './kubernetesObjects';

const entity = (
  annotations: Record<string, string> = {},
  relations: Entity['relations'] = [],
  namespace = 'default',
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace, annotations },
  relations,
});
const CLUSTERS = ['eu-west', 'us-east'];

describe('readKubernetesSourceSettings', () => {
  it('defaults to auto, 500 a page, the seven workload types at their versions', () => {
    const settings = readKubernetesSourceSettings(
      new ConfigReader({
        kubernetes: { serviceLocatorMethod: { type: 'multiTenant' } },
      }),
    );
    expect(settings.mode).toBe('auto');
    expect(settings.pageSize).toBe(500);
    expect(settings.locator).toBe('multiTenant');
    expect(settings.workloadTypes.map(t => resourcePath(t))).toEqual([
      '/api/v1/pods',
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/replicasets',
      '/apis/batch/v1/jobs',
      '/apis/batch/v1/cronjobs',
      '/apis/apps/v1/statefulsets',
      '/apis/apps/v1/daemonsets',
    ]);
  });

  it('lists only the types kubernetes.objectTypes names, at the apiVersionOverrides version', () => {
    const settings = readKubernetesSourceSettings(
      new ConfigReader({
        kubernetes: {
          objectTypes: ['pods', 'services', 'cronjobs'],
          apiVersionOverrides: { cronjobs: 'v1beta1' },
        },
        imageFreshness: {
          kubernetes: { source: 'clusterWide', pageSize: 50 },
        },
      }),
    );
    expect(settings.mode).toBe('clusterWide');
    expect(settings.pageSize).toBe(50);
    expect(settings.workloadTypes.map(t => resourcePath(t, 'shop'))).toEqual([
      '/api/v1/namespaces/shop/pods',
      '/apis/batch/v1beta1/namespaces/shop/cronjobs',
    ]);
  });

  it.each([
    [
      { source: 'sometimes' },
      /imageFreshness.kubernetes.source must be one of auto, clusterWide, perEntity; got "sometimes"/,
    ],
    [
      { pageSize: 0 },
      /imageFreshness.kubernetes.pageSize must be a whole number of objects, at least 1; got 0/,
    ],
  ])('refuses %j, naming the key', (kubernetes, message) => {
    expect(() =>
      readKubernetesSourceSettings(
        new ConfigReader({ imageFreshness: { kubernetes } }),
      ),
    ).toThrow(message);
  });
});

describe('locateClusters, as the Kubernetes backend service locators do', () => {
  it('multiTenant: every cluster', () => {
    expect(locateClusters('multiTenant', entity(), CLUSTERS)).toEqual(CLUSTERS);
  });

  it('singleTenant: the annotated cluster, else every cluster', () => {
    const pinned = entity({ 'backstage.io/kubernetes-cluster': 'us-east' });
    expect(locateClusters('singleTenant', pinned, CLUSTERS)).toEqual([
      'us-east',
    ]);
    const unknown = entity({ 'backstage.io/kubernetes-cluster': 'nowhere' });
    expect(locateClusters('singleTenant', unknown, CLUSTERS)).toEqual([]);
    expect(locateClusters('singleTenant', entity(), CLUSTERS)).toEqual(
      CLUSTERS,
    );
  });

  it("catalogRelation: the clusters a dependsOn relation names, in the entity's namespace", () => {
    const dependsOn = (targetRef: string) => ({ type: 'dependsOn', targetRef });
    expect(
      locateClusters(
        'catalogRelation',
        entity({}, [dependsOn('resource:default/eu-west')]),
        CLUSTERS,
      ),
    ).toEqual(['eu-west']);
    // the resource must be in the entity's own namespace
    expect(
      locateClusters(
        'catalogRelation',
        entity({}, [dependsOn('resource:default/eu-west')], 'shop'),
        CLUSTERS,
      ),
    ).toEqual([]);
    expect(
      locateClusters(
        'catalogRelation',
        entity({}, [
          { type: 'ownedBy', targetRef: 'resource:default/eu-west' },
        ]),
        CLUSTERS,
      ),
    ).toEqual([]);
    expect(locateClusters('catalogRelation', entity(), CLUSTERS)).toEqual([]);
  });

  it('knows no other locator', () => {
    expect(locateClusters('http', entity(), CLUSTERS)).toBeUndefined();
    expect(locateClusters(undefined, entity(), CLUSTERS)).toBeUndefined();
  });
});
