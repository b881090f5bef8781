import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import {
  APP_DIGEST,
  daysAgo,
  entity,
  fakeApi,
  fixClock,
  manyContainers,
  plainEntity,
  PREVIOUS_APP_DIGEST,
  REDIS_AMD64,
  REDIS_INDEX,
  renderForEntity,
  report,
  responseError,
} from '../../__testUtils__/fixtures';
import { ImageFreshnessContent } from './ImageFreshnessContent';

fixClock();

const render = (api: Parameters<typeof renderForEntity>[1], subject = entity) =>
  renderForEntity(<ImageFreshnessContent />, api, subject);

/** The table row that holds `text` (a workload name, an image...). */
function rowWith(text: string | RegExp) {
  const cell = screen.getAllByText(text)[0];
  return within(cell.closest('tr')!);
}

describe('ImageFreshnessContent', () => {
  it('shows a progress bar while the report loads', async () => {
    render(fakeApi(() => new Promise(() => {})));
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    expect(screen.queryByText('Summary')).not.toBeInTheDocument();
  });

  it('summarises the containers: counts, oldest image, chart and table', async () => {
    render(fakeApi(async () => report));
    expect(
      await screen.findByRole('button', { name: 'Containers: 7' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Fresh: 2' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Aging: 1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Stale: 2' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Unknown: 2' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Errors: 1' }),
    ).toBeInTheDocument();
    // only the us-east-1 pod drifts; the redis pod runs its index digest
    expect(
      screen.getByRole('button', { name: 'Drift: 1' }),
    ).toBeInTheDocument();

    const oldest = within(screen.getByTestId('oldest-image'));
    expect(
      oldest.getByText('registry.acme.test/platform/redis:7.2.4-alpine'),
    ).toBeInTheDocument();
    expect(oldest.getByText('120 days')).toBeInTheDocument();

    // the chart: one bar per distinct dated image, oldest first, against the limit
    const bars = screen
      .getAllByRole('img')
      .filter(e => e.getAttribute('data-verdict'));
    expect(bars.map(b => b.getAttribute('aria-label'))).toEqual([
      'registry.acme.test/platform/redis:7.2.4-alpine: built 120 days ago, stale',
      'registry.acme.test/platform/envoy:v1.30.1: built 20 days ago, aging',
      'registry.acme.test/shop/checkout:1.4.2: built 3 days ago, fresh',
    ]);
    expect(
      screen.getByText(
        'limit 30 days (from the image-freshness/max-age annotation)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Build time unknown for 2 images/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('7 containers, 5 distinct images · 6 workloads'),
    ).toBeInTheDocument();
  });

  it('shows per workload row the image, tag digest, build time, verdict and pods; size, platform and the platform manifest in its details', async () => {
    render(fakeApi(async () => report));
    await screen.findByText('checkout-7d9f-abcde');

    const drifting = rowWith('checkout-7d9f-abcde');
    expect(drifting.getByText('Pod · us-east-1 / shop')).toBeInTheDocument();
    expect(drifting.getByText('checkout:1.4.2')).toBeInTheDocument();
    expect(drifting.getByText('registry.acme.test/shop/')).toBeInTheDocument();
    expect(drifting.getByText(APP_DIGEST.slice(7, 19))).toHaveAttribute(
      'title',
      APP_DIGEST,
    );
    expect(
      drifting.getByRole('button', { name: `Copy tag digest ${APP_DIGEST}` }),
    ).toBeInTheDocument();
    const built = drifting.getByText('3 days ago');
    expect(built).toHaveAttribute('dateTime', '2026-11-19T12:00:00.000Z');
    expect(built.getAttribute('title')).toMatch(/November 19, 2026/);
    expect(drifting.getByText('Fresh')).toBeInTheDocument();
    expect(
      drifting.getByText('Built 3 days ago, within the 30 days limit'),
    ).toBeInTheDocument();
    expect(drifting.getByText('⚠ Drift: 1 of 1')).toBeInTheDocument();
    expect(
      drifting.getByText(`runs ${PREVIOUS_APP_DIGEST.slice(7, 19)}`),
    ).toBeInTheDocument();

    // the StatefulSet's row, its pod folded under it: the tag's (index) digest first
    const cache = rowWith('checkout-cache');
    expect(cache.getByText('In sync')).toBeInTheDocument();
    expect(cache.getByText('Stale')).toBeInTheDocument();
    expect(cache.getByText(REDIS_INDEX.slice(7, 19))).toBeInTheDocument();
    await userEvent.click(
      cache.getByRole('button', {
        name: 'Show details of checkout-cache redis',
      }),
    );
    const image = within(await screen.findByRole('region', { name: 'Image' }));
    expect(image.getByText('linux/arm64/v8 manifest')).toBeInTheDocument();
    expect(image.getByText(REDIS_AMD64)).toBeInTheDocument();
    expect(image.getByText('tag digest')).toBeInTheDocument();
    expect(image.getByText('17.4 MB (17400000 bytes)')).toBeInTheDocument();

    const cronJob = rowWith('checkout-nightly-report');
    expect(cronJob.getByText('build time unknown')).toBeInTheDocument();
    expect(cronJob.getByText('no pods')).toBeInTheDocument();

    const broken = rowWith('ephemeral container debugger-7z2zv');
    expect(
      broken.getByText('ephemeral container debugger-7z2zv'),
    ).toBeInTheDocument();
    const notice = broken.getByRole('note', { name: 'NOT_FOUND error' });
    expect(notice).toHaveTextContent(
      'NOT_FOUND The image or tag does not exist in the registry; check the reference or push the image. Needs a fix.',
    );
    expect(notice).toHaveAttribute('data-recovery', 'action');
    expect(notice).toHaveAttribute(
      'title',
      expect.stringContaining('answered 404'),
    );
    expect(broken.getByText('not resolved')).toBeInTheDocument();
  });
  it('sorts the worst verdicts first', async () => {
    render(fakeApi(async () => report));
    await screen.findByText('checkout-7d9f-abcde');
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map(r => r.getAttribute('data-verdict-row'))).toEqual([
      'stale',
      'aging',
      'unknown',
      'unknown',
      'fresh',
      'fresh',
    ]);
  });
  it('filters the table by a count in the summary, and back', async () => {
    render(fakeApi(async () => report));
    const stale = await screen.findByRole('button', { name: 'Stale: 2' });
    await userEvent.click(stale);
    expect(stale).toHaveAttribute('aria-pressed', 'true');
    // both stale containers are the StatefulSet's: one row
    expect(
      screen.getByText('Showing the 2 of 7 containers stale · 1 workload'),
    ).toBeInTheDocument();
    expect(screen.queryByText('checkout-7d9f-abcde')).not.toBeInTheDocument();
    expect(screen.getByText('checkout-cache')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Drift: 1' }));
    expect(screen.getByText('checkout-7d9f-abcde')).toBeInTheDocument();
    expect(screen.queryByText('checkout-cache')).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Drift: 1' }));
    expect(
      screen.getByText('7 containers, 5 distinct images · 6 workloads'),
    ).toBeInTheDocument();
  });
  it('finds rows by search, also by label values', async () => {
    render(fakeApi(async () => report));
    await screen.findByText('checkout-cache');
    await userEvent.type(
      screen.getByRole('searchbox', { name: 'Search containers' }),
      '7.2.4',
    );
    await waitFor(() =>
      expect(screen.queryByText('checkout-7d9f-abcde')).not.toBeInTheDocument(),
    );
    // the StatefulSet row matches through its label org.opencontainers.image.version=7.2.4
    expect(screen.getByText('checkout-cache')).toBeInTheDocument();
  });
  it('expands a row to its labels, annotations and digests', async () => {
    render(fakeApi(async () => report));
    await screen.findByText('checkout-7d9f-abcde');
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Show details of checkout-7d9f-abcde checkout',
      }),
    );
    const labels = await screen.findByRole('region', { name: 'Labels' });
    expect(within(labels).getByText('Labels (2)')).toBeInTheDocument();
    expect(
      within(labels).getByText('org.opencontainers.image.version'),
    ).toBeInTheDocument();
    expect(within(labels).getByText('1.4.2')).toBeInTheDocument();
    const annotations = screen.getByRole('region', { name: 'Annotations' });
    expect(
      within(annotations).getByText('docker.io/library/node:22'),
    ).toBeInTheDocument();
    const image = screen.getByRole('region', { name: 'Image' });
    expect(within(image).getByText(PREVIOUS_APP_DIGEST)).toBeInTheDocument();
  });
  it('explains the error when the report cannot be loaded, and tries again', async () => {
    let calls = 0;
    render(
      fakeApi(async () => {
        calls++;
        if (calls === 1) {
          throw await responseError(500, 'database is locked');
        }
        return report;
      }),
    );
    expect(
      await screen.findByText('Error: Could not load the image report'),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/database is locked/).length).toBeGreaterThan(0);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(
      await screen.findByRole('button', { name: 'Containers: 7' }),
    ).toBeInTheDocument();
  });

  it("shows vulnerability counts in a row's details, most severe first, or why there are none", async () => {
    const [first, ...rest] = report.containers;
    render(
      fakeApi(async () => ({
        ...report,
        vulnerabilities: {
          available: true,
          severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
        },
        containers: [
          {
            ...first,
            vulnerabilities: {
              counts: { LOW: 7, CRITICAL: 2, HIGH: 0 },
              total: 9,
              scannedAt: daysAgo(1),
            },
          },
          ...rest,
        ],
      })),
    );
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Show details of checkout checkout',
      }),
    );
    const counts = await screen.findByText('2 critical');
    expect(counts.closest('span[title]')).toHaveAttribute(
      'title',
      expect.stringContaining('CRITICAL: 2, HIGH: 0, LOW: 7'),
    );
    expect(screen.getByText('7 low')).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Show details of checkout-cache redis',
      }),
    );
    expect(screen.getAllByLabelText('not scanned')).toHaveLength(1);
    expect(
      screen.queryByText(/Vulnerability summaries are unavailable/),
    ).toBeNull();
  });
  it('says when the backend has no vulnerability scanner', async () => {
    render(
      fakeApi(async () => ({
        ...report,
        vulnerabilities: {
          available: false,
          reason: 'no trivy binary on the PATH',
          severities: [],
        },
      })),
    );
    expect(
      await screen.findByText(
        /Vulnerability summaries are unavailable on this backend: no trivy binary on the PATH/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Show details of checkout-cache redis',
      }),
    );
    expect(screen.getAllByLabelText('unavailable')).toHaveLength(1);
  });

  it('says the images were not checked yet before the first refresh', async () => {
    render(
      fakeApi(async () => ({
        entityRef: 'component:default/checkout',
        containers: [],
        baseImages: [],
        errors: [],
      })),
    );
    expect(await screen.findByText('Not checked yet')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Refresh/ })).toBeEnabled();
  });

  it('says when the last refresh found no containers', async () => {
    render(
      fakeApi(async () => ({
        ...report,
        containers: [],
        baseImages: [],
      })),
    );
    expect(await screen.findByText('No containers found')).toBeInTheDocument();
    expect(screen.getByText(/5 minutes ago/)).toBeInTheDocument();
  });

  it('shows the containers it has and names the sources that failed', async () => {
    const partial: EntityImageReport = {
      ...report,
      containers: report.containers.slice(0, 3),
      errors: [
        {
          source: 'kubernetes:us-east-1',
          class: 'TIMEOUT',
          message: 'Cluster us-east-1 did not answer within 30 s',
          advice: 'Check that the cluster is reachable from the backend.',
          at: report.refreshedAt!,
        },
      ],
    };
    render(fakeApi(async () => partial));
    expect(
      await screen.findByText(
        'Warning: One source could not be read, so this report may be incomplete',
      ),
    ).toBeInTheDocument();
    const notice = screen.getByRole('note', { name: 'TIMEOUT error' });
    expect(notice).toHaveTextContent(
      'TIMEOUT in kubernetes:us-east-1: Cluster us-east-1 did not answer within 30 s',
    );
    expect(notice).toHaveTextContent(
      'What to do: Check that the cluster is reachable from the backend.',
    );
    expect(
      screen.getByRole('button', { name: 'Containers: 3' }),
    ).toBeInTheDocument();
    expect(screen.getByText('checkout-7d9f-abcde')).toBeInTheDocument();
  });

  it('keeps 500 containers usable: counted, paged, searchable and sortable', async () => {
    const many: EntityImageReport = {
      ...report,
      containers: manyContainers(500),
      errors: [],
    };
    const started = performance.now();
    render(fakeApi(async () => many));
    expect(
      await screen.findByRole('button', { name: 'Containers: 500' }),
    ).toBeInTheDocument();
    // eslint-disable-next-line no-console
    console.log(
      `500 containers: first render in ${Math.round(
        performance.now() - started,
      )} ms`,
    );
    // 500 pods without controllers: 500 rows, paged
    expect(screen.getAllByText(/of 500/).length).toBeGreaterThan(0);
    // 25 rows on the page, not 500 in the document
    expect(screen.getAllByRole('row').length).toBeLessThan(40);
    // 12 bars at most, the rest counted
    expect(screen.getByText(/younger images not drawn/)).toBeInTheDocument();

    // sorting by build time puts the newest or the oldest (89 days) first
    const builtTimes = () =>
      screen
        .getAllByRole('row')
        .slice(1, 6)
        .map(r => r.querySelector('time')?.getAttribute('dateTime'));
    const builtHeader = within(screen.getAllByRole('row')[0]).getByText(
      'Built',
    );
    await userEvent.click(builtHeader);
    const first = builtTimes();
    await userEvent.click(builtHeader);
    const second = builtTimes();
    expect([first[0], second[0]].sort()).toEqual([daysAgo(89), daysAgo(0)]);
    expect(new Set(first).size).toBe(1);

    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Search containers' }),
      { target: { value: 'service-437-pod' } },
    );
    expect(await screen.findByText('service-437-pod')).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
  });

  it('explains the missing annotations for entities without them, and asks for nothing', async () => {
    const api = fakeApi(async () => {
      throw new Error('must not be asked');
    });
    render(api, plainEntity);
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
    expect(
      screen.getAllByText(/backstage.io\/kubernetes-id/).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByText('must not be asked')).not.toBeInTheDocument();
  });
});
