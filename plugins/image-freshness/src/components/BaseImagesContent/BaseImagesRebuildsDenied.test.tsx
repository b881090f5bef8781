/*
 * The Base images tab with the rebuild module, for a user the policy denies
 * image-freshness.rebuild.trigger: the attempts show, the Trigger rebuild
 * button does not. A file of its own: usePermission keeps its answers for
 * the process (SWR), so an allowed user's answer from another test would
 * stand in for this one.
 */
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import {
  digest,
  fixClock,
  renderForEntity,
} from '../../__testUtils__/fixtures';
import { attempt, inMinutes, rebuildApi } from '../../__testUtils__/rebuilds';
import { BaseImagesContent } from './BaseImagesContent';

fixClock();

describe('the Base images tab with rebuilds, for a denied user', () => {
  it('hides the button from a user without the permission, still showing the attempts', async () => {
    renderForEntity(
      <BaseImagesContent />,
      rebuildApi([
        attempt({
          baseDigest: digest('21'),
          outcome: 'unknown',
          error: {
            class: 'UNKNOWN',
            message: 'No answer was recorded for the try',
          },
          nextRetryAt: inMinutes(30),
        }),
      ]),
      undefined,
      AuthorizeResult.DENY,
    );
    expect(
      await screen.findByText(/^trigger outcome unknown/),
    ).toHaveTextContent(
      'trigger outcome unknown (UNKNOWN): No answer was recorded for the try',
    );
    expect(screen.getByText(/^retried/)).toHaveTextContent(
      'retried in 30 minutes',
    );
    // the permission answered, the attempt shown: and no button
    await waitFor(() =>
      expect(
        screen.getByText(/^trigger outcome unknown/).closest('tr'),
      ).toBeInTheDocument(),
    );
    expect(
      screen.queryByRole('button', { name: 'Trigger rebuild' }),
    ).not.toBeInTheDocument();
  });
});
