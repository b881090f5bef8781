/*
 * A permission policy for test backends: allows everyone but one user, so a test sees both a
 * permitted and a denied caller of the same route.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

/** The user {@link allowAllBut} denies by default. */
export const OUTSIDER = 'user:default/outsider';

/** A permissions service (its `.factory` for a test backend) that denies `userEntityRef` everything and allows all others. */
export function allowAllBut(userEntityRef: string = OUTSIDER) {
  return mockServices.permissions.mock({
    async authorize(requests, { credentials }) {
      const denied =
        (credentials.principal as { userEntityRef?: string }).userEntityRef ===
        userEntityRef;
      return requests.map(() => ({
        result: denied ? AuthorizeResult.DENY : AuthorizeResult.ALLOW,
      }));
    },
  });
}
