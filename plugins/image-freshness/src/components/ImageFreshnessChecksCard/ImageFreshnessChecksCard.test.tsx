import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { entity } from '../../__testUtils__/fixtures';
import { ImageFreshnessChecksCard } from './ImageFreshnessChecksCard';

const BASE = 'http://backstage.test/api/tech-insights';

// msw answers as the Tech Insights backend does; the card uses the real fetch path.
const server = setupServer();
registerMswTestHooks(server);

const CHECKS = [
  {
    id: 'imageFreshnessNoStaleImages',
    name: 'No stale images',
    description: 'Every image was built within its freshness limit.',
    factIds: ['image-freshness'],
  },
  {
    id: 'imageFreshnessNoRebuildDue',
    name: 'No rebuild due',
    description: 'No image waits for a rebuild on a moved base.',
    factIds: ['image-freshness'],
  },
  {
    id: 'groupOwnerCheck',
    name: 'Group owner',
    description: 'Owned by a group',
    factIds: ['entityOwnershipFactRetriever'],
  },
];

function techInsights(options: {
  checks?: unknown;
  checksStatus?: number;
  results?: unknown;
  runStatus?: number;
}) {
  const runs: Array<{ url: string; body: unknown }> = [];
  server.use(
    http.get(`${BASE}/checks`, () =>
      HttpResponse.json(options.checks ?? CHECKS, {
        status: options.checksStatus ?? 200,
      }),
    ),
    http.post(
      `${BASE}/checks/run/:namespace/:kind/:name`,
      async ({ request }) => {
        runs.push({ url: request.url, body: await request.json() });
        return HttpResponse.json(options.results ?? [], {
          status: options.runStatus ?? 200,
        });
      },
    ),
  );
  return runs;
}

function render() {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          discoveryApiRef,
          {
            getBaseUrl: async (id: string) => `http://backstage.test/api/${id}`,
          },
        ],
        [fetchApiRef, { fetch }],
      ]}
    >
      <EntityProvider entity={entity}>
        <ImageFreshnessChecksCard />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('ImageFreshnessChecksCard', () => {
  it('shows each image-freshness check passed or failed, with what a failed one asks for', async () => {
    const runs = techInsights({
      results: [
        { check: { id: 'imageFreshnessNoStaleImages' }, result: false },
        { check: { id: 'imageFreshnessNoRebuildDue' }, result: true },
      ],
    });
    await render();
    expect(await screen.findByTestId('checks-summary')).toHaveTextContent(
      '1 of 2 checks passed',
    );
    const stale = screen.getByTestId('check-imageFreshnessNoStaleImages');
    expect(stale).toHaveAttribute('data-status', 'failed');
    expect(stale).toHaveTextContent('No stale images');
    expect(stale).toHaveTextContent('Failed');
    expect(stale).toHaveTextContent(
      'Every image was built within its freshness limit.',
    );
    const rebuild = screen.getByTestId('check-imageFreshnessNoRebuildDue');
    expect(rebuild).toHaveAttribute('data-status', 'passed');
    expect(rebuild).not.toHaveTextContent('No image waits');
    // checks on other facts are not this card's
    expect(screen.queryByText('Group owner')).not.toBeInTheDocument();
    expect(runs).toEqual([
      {
        url: `${BASE}/checks/run/default/Component/checkout`,
        body: {
          checks: ['imageFreshnessNoStaleImages', 'imageFreshnessNoRebuildDue'],
        },
      },
    ]);
  });

  it('says when the fact retriever has not run for the entity yet', async () => {
    techInsights({ results: [] });
    await render();
    expect(await screen.findByTestId('checks-summary')).toHaveTextContent(
      'No facts yet: the image-freshness fact retriever has not run for this entity.',
    );
    expect(
      screen.getByTestId('check-imageFreshnessNoStaleImages'),
    ).toHaveAttribute('data-status', 'unknown');
  });

  it('says when Tech Insights is not installed', async () => {
    techInsights({ checksStatus: 404, checks: { error: {} } });
    await render();
    expect(
      await screen.findByText(/Tech Insights is not installed on this backend/),
    ).toBeInTheDocument();
  });

  it('says when no check uses the image-freshness facts', async () => {
    techInsights({ checks: [CHECKS[2]] });
    await render();
    expect(
      await screen.findByText(
        /No Tech Insights check uses the image-freshness facts/,
      ),
    ).toBeInTheDocument();
  });

  it('shows the error the backend gives when the checks cannot run', async () => {
    techInsights({
      runStatus: 403,
      results: {
        error: { name: 'NotAllowedError', message: 'Unauthorized' },
        response: { statusCode: 403 },
      },
    });
    await render();
    expect(
      await screen.findByText('Could not run the image-freshness checks'),
    ).toBeInTheDocument();
    expect(screen.getByText(/403.*: Unauthorized$/)).toBeInTheDocument();
  });
});
