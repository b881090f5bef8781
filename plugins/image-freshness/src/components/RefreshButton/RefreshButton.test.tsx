import { act, screen, within } from '@testing-library/react';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import {
  fakeApi,
  fakeTimersAt,
  NOW,
  renderForEntity,
  report,
  responseError,
} from '../../__testUtils__/fixtures';
import { ImageFreshnessContent } from '../ImageFreshnessContent';
import { BaseImagesContent } from '../BaseImagesContent';

// Polling and the 429 countdown run on timers: fake ones at NOW, advanced
// by Testing Library's waits, so no step depends on how fast the machine is.
const user = fakeTimersAt();

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

    await user.click(button);
    expect(
      await screen.findByText('Refresh started; waiting for the new report…'),
    ).toBeInTheDocument();
    expect(button).toBeDisabled();

    expect(
      await screen.findByText('Report updated.', {}, { timeout: 10_000 }),
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
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(
      await screen.findByText('Report updated.', {}, { timeout: 10_000 }),
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
    await user.click(button);
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
    // One second later by the clock, one second less to wait.
    act(() => {
      jest.advanceTimersByTime(1000);
    });
    expect(status()).toHaveTextContent(
      'Refreshed less than a minute ago; try again in 41 s.',
    );
    expect(button).toBeDisabled();
    // When the wait is over, the button is back.
    act(() => {
      jest.advanceTimersByTime(41_000);
    });
    expect(button).toBeEnabled();
    expect(status()).toHaveTextContent('');
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
    await user.click(button);
    expect(
      await screen.findByText(/Refresh failed: .*You may not refresh/),
    ).toBeInTheDocument();
    expect(button).toBeEnabled();
    await user.click(button);
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
    await user.click(await screen.findByRole('button', { name: 'Refresh' }));
    expect(
      await screen.findByText(
        'Warning: Could not reload the report; showing the last one',
        {},
        { timeout: 10_000 },
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
