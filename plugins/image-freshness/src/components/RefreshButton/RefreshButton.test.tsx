import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import {
  fakeApi,
  fixClock,
  NOW,
  renderForEntity,
  report,
  responseError,
} from '../../__testUtils__/fixtures';
import { ImageFreshnessContent } from '../ImageFreshnessContent';
import { BaseImagesContent } from '../BaseImagesContent';

fixClock();

const status = () => screen.getByRole('status');

describe('RefreshButton', () => {
  it('asks for a refresh, waits for the new report and says it arrived', async () => {
    const refreshed: EntityImageReport = {
      ...report,
      refreshedAt: NOW.toISOString(),
      containers: report.containers.slice(0, 2),
    };
    let current = report;
    const requested: string[] = [];
    renderForEntity(
      <ImageFreshnessContent />,
      fakeApi(
        async () => current,
        async ref => {
          requested.push(`${ref.kind}:${ref.namespace}/${ref.name}`);
          // the backend refreshes in the background; the next GET sees it
          current = refreshed;
        },
      ),
    );
    const button = await screen.findByRole('button', { name: 'Refresh' });
    expect(screen.getByRole('button', { name: 'Containers: 7' })).toBeVisible();

    await userEvent.click(button);
    expect(
      await screen.findByText('Refresh started; waiting for the new report…'),
    ).toBeInTheDocument();
    expect(button).toBeDisabled();

    expect(
      await screen.findByText('Report updated.', {}, { timeout: 5000 }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Containers: 2' }),
    ).toBeInTheDocument();
    expect(screen.getByText('just now')).toHaveAttribute(
      'dateTime',
      NOW.toISOString(),
    );
    expect(button).toBeEnabled();
    expect(requested).toEqual(['Component:default/checkout']);
  });

  it('fills an empty tab on the first refresh and still says it worked', async () => {
    let current: EntityImageReport = {
      entityRef: 'component:default/checkout',
      containers: [],
      baseImages: [],
      errors: [],
    };
    renderForEntity(
      <ImageFreshnessContent />,
      fakeApi(
        async () => current,
        async () => {
          current = report;
        },
      ),
    );
    await screen.findByText('Not checked yet');
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(
      await screen.findByText('Report updated.', {}, { timeout: 5000 }),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Containers: 7' })).toBeVisible();
  });

  it('counts down the wait a 429 answer asks for', async () => {
    renderForEntity(
      <ImageFreshnessContent />,
      fakeApi(
        async () => report,
        async () => {
          throw await responseError(
            429,
            'component:default/checkout was refreshed less than 60 s ago; try again in 42 s',
            { 'retry-after': '42' },
          );
        },
      ),
    );
    const button = await screen.findByRole('button', { name: 'Refresh' });
    await userEvent.click(button);
    expect(
      await screen.findByText(
        'Refreshed less than a minute ago; try again in 42 s.',
      ),
    ).toBeInTheDocument();
    expect(status()).toHaveAttribute(
      'title',
      'component:default/checkout was refreshed less than 60 s ago; try again in 42 s',
    );
    expect(button).toBeDisabled();
    expect(
      await screen.findByText(
        'Refreshed less than a minute ago; try again in 41 s.',
        {},
        { timeout: 2500 },
      ),
    ).toBeInTheDocument();
  });

  it('says why a refresh failed and lets the user try again', async () => {
    let attempts = 0;
    renderForEntity(
      <ImageFreshnessContent />,
      fakeApi(
        async () => report,
        async () => {
          attempts++;
          throw await responseError(403, 'You may not refresh this entity');
        },
      ),
    );
    const button = await screen.findByRole('button', { name: 'Refresh' });
    await userEvent.click(button);
    expect(
      await screen.findByText(/Refresh failed: .*You may not refresh/),
    ).toBeInTheDocument();
    expect(button).toBeEnabled();
    await userEvent.click(button);
    expect(attempts).toBe(2);
  });

  it('keeps the last report on screen when reloading fails', async () => {
    let fail = false;
    renderForEntity(
      <ImageFreshnessContent />,
      fakeApi(
        async () => {
          if (fail) throw await responseError(503, 'backend restarting');
          return report;
        },
        async () => {
          fail = true;
        },
      ),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Refresh' }),
    );
    expect(
      await screen.findByText(
        'Warning: Could not reload the report; showing the last one',
        {},
        { timeout: 5000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Containers: 7' })).toBeVisible();
    expect(screen.getByText('checkout-7d9f-abcde')).toBeInTheDocument();
  });

  it('is on the base images tab too', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => report),
    );
    const card = (await screen.findByText('Rebuilds')).closest(
      '[class*="MuiCard-root"]',
    ) as HTMLElement;
    expect(within(card).getByRole('button', { name: 'Refresh' })).toBeEnabled();
  });
});
