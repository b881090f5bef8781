/*
 * The Base images tab with the rebuild module: each image's attempt
 * ("rebuild triggered 2 hours ago, run #123", "trigger failed: …, retried in
 * 5 minutes"), the Trigger rebuild button for an allowed user on a managed
 * image whose rebuild is due, and nothing at all when the backend has no
 * rebuild routes (the denied user: BaseImagesRebuildsDenied.test.tsx). At
 * the fixture clock.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  baseImages,
  fakeApi,
  fixClock,
  NOW,
  renderForEntity,
  report,
  responseError,
} from '../../__testUtils__/fixtures';
import { attempt, inMinutes, rebuildApi } from '../../__testUtils__/rebuilds';
import { BaseImagesContent } from './BaseImagesContent';

fixClock();

const [checkout, envoy] = baseImages;

function rowOf(image: string) {
  return within(screen.getAllByText(image.split('/').pop()!)[0].closest('tr')!);
}

describe('the Base images tab with rebuilds', () => {
  it('shows a triggered rebuild with its run linked', async () => {
    renderForEntity(
      <BaseImagesContent />,
      rebuildApi([
        attempt({
          run: {
            id: 7000000100,
            number: 123,
            url: 'https://github.example/shop/checkout/actions/runs/7000000100',
          },
        }),
      ]),
    );
    expect(
      await screen.findByRole('columnheader', { name: 'Rebuild' }),
    ).toBeInTheDocument();
    const row = rowOf(checkout.image);
    expect(row.getByText(/^rebuild triggered/)).toHaveTextContent(
      'rebuild triggered 2 hours ago, run #123',
    );
    expect(row.getByRole('link', { name: 'run #123' })).toHaveAttribute(
      'href',
      'https://github.example/shop/checkout/actions/runs/7000000100',
    );
    // triggered for this base move: no button
    expect(
      row.queryByRole('button', { name: 'Trigger rebuild' }),
    ).not.toBeInTheDocument();
  });

  it('shows a failed trigger with its class, message and retry time, and offers to retry now', async () => {
    renderForEntity(
      <BaseImagesContent />,
      rebuildApi([
        attempt({
          outcome: 'failed',
          attempts: 2,
          error: {
            class: 'RATE_LIMITED',
            status: 429,
            message:
              'GitHub answered 429 for workflow rebuild.yaml of shop/checkout',
          },
          nextRetryAt: inMinutes(5),
        }),
      ]),
    );
    const row = within(
      (await screen.findByText(/^trigger failed/)).closest('tr')!,
    );
    expect(row.getByText(/^trigger failed/)).toHaveTextContent(
      'trigger failed (RATE_LIMITED): GitHub answered 429 for workflow rebuild.yaml of shop/checkout',
    );
    expect(row.getByText(/^retried/)).toHaveTextContent(
      'retried in 5 minutes (try 2)',
    );
    expect(
      row.getByRole('button', { name: 'Trigger rebuild' }),
    ).toBeInTheDocument();
  });

  it('triggers a rebuild from the button and shows the recorded attempt', async () => {
    const triggered = attempt({
      trigger: 'manual',
      triggeredBy: 'user:default/alice',
      attemptedAt: NOW.toISOString(),
      run: { number: 124, url: 'https://github.example/runs/124' },
    });
    renderForEntity(<BaseImagesContent />, rebuildApi([], { triggered }));
    const button = await screen.findByRole('button', {
      name: 'Trigger rebuild',
    });
    // only the managed image whose rebuild is due has it
    expect(
      screen.getAllByRole('button', { name: 'Trigger rebuild' }),
    ).toHaveLength(1);
    expect(
      rowOf(envoy.image).queryByRole('button', { name: 'Trigger rebuild' }),
    ).toBeNull();
    await userEvent.click(button);
    expect(await screen.findByText(/^rebuild triggered/)).toHaveTextContent(
      'rebuild triggered just now by alice, run #124',
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('button', { name: 'Trigger rebuild' }),
      ).not.toBeInTheDocument(),
    );
  });

  it('says why a trigger was refused', async () => {
    renderForEntity(
      <BaseImagesContent />,
      rebuildApi([], {
        refusal: await responseError(
          409,
          'Not triggered: a rebuild for base digest sha256:22 is being triggered since 2026-11-22T11:59:00.000Z',
        ),
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Trigger rebuild' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      /^Not triggered: a rebuild for base digest sha256:22 is being triggered since/,
    );
  });

  it('shows nothing about rebuilds when the backend has no rebuild routes', async () => {
    renderForEntity(<BaseImagesContent />, {
      ...fakeApi(async () => report),
      getRebuilds: async () => undefined,
    });
    await screen.findByText('checkout:1.4.2');
    expect(
      screen.queryByRole('columnheader', { name: 'Rebuild' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Trigger rebuild' }),
    ).not.toBeInTheDocument();
  });
});
