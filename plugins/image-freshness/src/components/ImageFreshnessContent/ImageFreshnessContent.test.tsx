import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import { screen, within } from '@testing-library/react';
import { ImageFreshnessApi, imageFreshnessApiRef } from '../../api';
import { ImageFreshnessContent } from './ImageFreshnessContent';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    annotations: { 'image-freshness/images': 'ghcr.io/acme/checkout:2.1.0' },
  },
  spec: { type: 'service' },
};

const digest = `sha256:${'ab12cd34ef56'.repeat(5)}abcd`;

const report: EntityImageReport = {
  entityRef: 'component:default/checkout',
  refreshedAt: '2026-11-22T10:00:00.000Z',
  errors: [],
  baseImages: [],
  containers: [
    {
      container: 'annotation',
      workload: { kind: 'Annotation', name: 'checkout' },
      image: 'ghcr.io/acme/checkout:2.1.0',
      metadata: {
        digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        labels: {},
        annotations: {},
        size: 1024,
      },
      freshness: {
        verdict: 'unknown',
        reason: 'Build time unknown: the image records no created time',
      },
    },
    {
      container: 'annotation',
      workload: { kind: 'Annotation', name: 'checkout' },
      image: 'ghcr.io/acme/worker:1.0',
      freshness: { verdict: 'unknown', reason: 'Not resolved yet' },
      error: {
        class: 'NOT_FOUND',
        message: 'ghcr.io answered 404 to GET /v2/acme/worker/manifests/1.0',
        advice: 'The image or tag does not exist in the registry',
        at: '2026-11-22T10:00:00.000Z',
      },
    },
  ],
};

function apiAnswering(
  answer: () => Promise<EntityImageReport>,
): ImageFreshnessApi {
  return { getEntityReport: answer, refreshEntity: async () => {} };
}

async function renderTab(api: ImageFreshnessApi, subject: Entity = entity) {
  await renderInTestApp(
    <TestApiProvider apis={[[imageFreshnessApiRef, api]]}>
      <EntityProvider entity={subject}>
        <ImageFreshnessContent />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('ImageFreshnessContent', () => {
  it('lists each container with its short digest, build time and error', async () => {
    await renderTab(apiAnswering(async () => report));
    const checkout = within(
      (await screen.findByText('ghcr.io/acme/checkout:2.1.0')).closest('tr')!,
    );
    expect(checkout.getByText('ab12cd34ef56')).toHaveAttribute('title', digest);
    expect(checkout.getByText('build time unknown')).toBeInTheDocument();
    const worker = within(
      screen.getByText('ghcr.io/acme/worker:1.0').closest('tr')!,
    );
    expect(worker.getByText(/NOT_FOUND: ghcr.io answered 404/)).toHaveAttribute(
      'title',
      'The image or tag does not exist in the registry',
    );
  });

  it('shows the error when the backend fails', async () => {
    await renderTab(
      apiAnswering(async () => {
        throw new Error('backend unavailable');
      }),
    );
    expect(
      await screen.findByText('Error: backend unavailable', { selector: 'h6' }),
    ).toBeInTheDocument();
  });

  it('explains the missing annotation for entities without images', async () => {
    await renderTab(
      apiAnswering(async () => report),
      {
        ...entity,
        metadata: { name: 'plain' },
      },
    );
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
    expect(
      screen.getAllByText(/image-freshness\/images/).length,
    ).toBeGreaterThan(0);
  });
});
