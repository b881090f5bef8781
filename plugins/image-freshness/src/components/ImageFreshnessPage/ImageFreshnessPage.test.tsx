import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ImageFreshnessOverview } from 'backstage-plugin-image-freshness-common';
import type { OverviewRequest } from '../../api';
import {
  fakeApi,
  fakeTimersAt,
  fixClock,
  overview,
  renderPage,
  responseError,
} from '../../__testUtils__/fixtures';
import { ImageFreshnessPage } from './ImageFreshnessPage';

fixClock();

/** An API answering the overview with `answer`, keeping every request. */
function overviewApi(
  answer: (
    request: OverviewRequest,
  ) => Promise<ImageFreshnessOverview> = async () => overview,
) {
  const requests: OverviewRequest[] = [];
  const api = fakeApi(
    async () => {
      throw new Error('no entity report on this page');
    },
    async () => {},
    async request => {
      requests.push(request);
      return answer(request);
    },
  );
  return { api, requests };
}

/** The rows after the header of the table in the region named `name`, as cell texts. */
function tableRows(name: string) {
  const table = within(screen.getByRole('region', { name }));
  return table
    .getAllByRole('row')
    .slice(1)
    .map(row =>
      [...row.querySelectorAll('[role=rowheader],[role=gridcell]')].map(cell =>
        cell.textContent?.trim(),
      ),
    );
}

describe('ImageFreshnessPage', () => {
  it('lists every entity’s images, most urgent first, linking to each entity’s tab', async () => {
    const { api, requests } = overviewApi();
    await renderPage(<ImageFreshnessPage />, api);
    expect(await screen.findByText('Checkout')).toBeInTheDocument();
    expect(requests).toEqual([{ offset: 0, limit: 25 }]);
    const rows = tableRows('Images');
    expect(rows.map(r => [r[0], r[1], r[4], r[5], r[6]])).toEqual([
      [
        'Checkoutshop',
        'team-payments',
        'Stale',
        '—',
        '3 workloadseu-west, us-east',
      ],
      ['cartshop', 'team-payments', 'Fresh', 'Rebuild due', 'declared'],
      [
        'search',
        'ops/team-search',
        expect.stringContaining('Unknown'),
        '—',
        'declared',
      ],
    ]);
    // the build time is relative to the fixed clock, the absolute one on hover
    expect(rows[0][3]).toBe('3 months ago');
    // the tag's digest, short
    expect(rows[0][2]).toContain('c3c3c3c3c3c3');
    // an error says its class, what to do and whether it clears by itself
    expect(
      screen.getByRole('note', { name: 'NOT_FOUND error' }),
    ).toHaveTextContent(
      'NOT_FOUND Check the tag in the image-freshness/images annotation Needs a fix.',
    );
    expect(screen.getByRole('link', { name: /Checkout/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/image-freshness',
    );
    expect(screen.getByRole('link', { name: /search/ })).toHaveAttribute(
      'href',
      '/catalog/ops/component/search/image-freshness',
    );
  });

  it('counts images by verdict and per owner', async () => {
    const { api } = overviewApi();
    await renderPage(<ImageFreshnessPage />, api);
    expect(
      await screen.findByRole('button', { name: 'Images: 60' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Stale: 1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Rebuild due: 1' }),
    ).toBeInTheDocument();
    expect(tableRows('Images per owner')).toEqual([
      ['team-payments', '40', '1', '1', '0', '0'],
      ['ops/team-search', '20', '0', '0', '0', '1'],
    ]);
  });

  it('filters by verdict, owner, system, registry and text, and pages', async () => {
    const user = userEvent.setup();
    const { api, requests } = overviewApi();
    await renderPage(<ImageFreshnessPage />, api);
    await screen.findByText('Checkout');

    await user.click(screen.getByRole('button', { name: 'Stale: 1' }));
    await waitFor(() =>
      expect(requests.at(-1)).toEqual({
        verdict: 'stale',
        offset: 0,
        limit: 25,
      }),
    );
    await user.click(
      screen.getByRole('button', { name: "Show ops/team-search's images" }),
    );
    await waitFor(() =>
      expect(requests.at(-1)).toMatchObject({
        verdict: 'stale',
        owner: 'group:ops/team-search',
      }),
    );

    // a select: the system
    await user.click(screen.getByRole('button', { name: /System/ }));
    await user.click(await screen.findByRole('option', { name: 'shop' }));
    await waitFor(() =>
      expect(requests.at(-1)).toMatchObject({ system: 'system:default/shop' }),
    );
    await user.click(screen.getByRole('button', { name: /Registry/ }));
    await user.click(await screen.findByRole('option', { name: 'ghcr.io' }));
    await waitFor(() =>
      expect(requests.at(-1)).toMatchObject({ registry: 'ghcr.io' }),
    );

    await user.type(screen.getByRole('searchbox'), 'redis');
    await waitFor(() => expect(requests.at(-1)).toMatchObject({ q: 'redis' }));

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() =>
      expect(requests.at(-1)).toEqual({ offset: 0, limit: 25 }),
    );

    await user.click(screen.getByRole('button', { name: 'Next table page' }));
    await waitFor(() =>
      expect(requests.at(-1)).toEqual({ offset: 25, limit: 25 }),
    );
  });

  describe('on fake timers', () => {
    const user = fakeTimersAt();

    it('keeps the page the user moved to when the cleared search’s debounce fires', async () => {
      const { api, requests } = overviewApi();
      await renderPage(<ImageFreshnessPage />, api);
      await screen.findByText('Checkout');
      await user.type(screen.getByRole('searchbox'), 'redis');
      await waitFor(() =>
        expect(requests.at(-1)).toMatchObject({ q: 'redis' }),
      );

      await user.click(screen.getByRole('button', { name: 'Clear filters' }));
      await user.click(screen.getByRole('button', { name: 'Next table page' }));
      await waitFor(() =>
        expect(requests.at(-1)).toEqual({ offset: 25, limit: 25 }),
      );
      // the emptied search box's debounce: the filters stay as they are
      const asked = requests.length;
      act(() => {
        jest.advanceTimersByTime(1_000);
      });
      expect(requests.slice(asked)).toEqual([]);
      expect(requests.at(-1)).toEqual({ offset: 25, limit: 25 });
    });
  });

  it('keeps the other tiles’ counts while a verdict is chosen', async () => {
    const user = userEvent.setup();
    const { api } = overviewApi(async request =>
      request.verdict === 'stale'
        ? {
            ...overview,
            items: overview.items.slice(0, 1),
            totalItems: 1,
            totals: {
              images: 1,
              stale: 1,
              aging: 0,
              fresh: 0,
              unknown: 0,
              rebuildDue: 0,
              updated: 0,
            },
          }
        : overview,
    );
    await renderPage(<ImageFreshnessPage />, api);
    await user.click(await screen.findByRole('button', { name: 'Stale: 1' }));
    await waitFor(() => expect(tableRows('Images')).toHaveLength(1));
    expect(screen.getByRole('button', { name: 'Stale: 1' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(
      screen.getByRole('button', { name: 'Fresh: 58' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Images: 60' }),
    ).toBeInTheDocument();
  });

  it('says when there are no images at all, and when no image matches', async () => {
    const empty = {
      ...overview,
      items: [],
      totalItems: 0,
      owners: [],
      totals: {
        ...overview.totals,
        images: 0,
        stale: 0,
        fresh: 0,
        unknown: 0,
        rebuildDue: 0,
      },
    };
    const { api } = overviewApi(async request =>
      request.q
        ? empty
        : { ...empty, facets: { owners: [], systems: [], registries: [] } },
    );
    await renderPage(<ImageFreshnessPage />, api);
    expect(await screen.findByText(/No images yet/)).toBeInTheDocument();
  });

  it('shows the error and tries again', async () => {
    const user = userEvent.setup();
    let fail = true;
    const { api } = overviewApi(async () => {
      if (fail) throw await responseError(500, 'database is locked');
      return overview;
    });
    await renderPage(<ImageFreshnessPage />, api);
    expect(await screen.findByText(/database is locked/)).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Checkout')).toBeInTheDocument();
  });
});
