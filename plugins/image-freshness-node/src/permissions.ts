import type {
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  type BasicPermission,
} from '@backstage/plugin-permission-common';
import type { Request } from 'express';

/**
 * The check every image-freshness route behind a basic permission makes, in
 * one place: the caller's user or service credentials (401 without), then
 * `permission` (403 `NotAllowedError` on DENY, its message naming `what` and
 * the permission). Answers the credentials for the route's further use.
 *
 * @example
 * ```ts
 * router.get('/health-probes', async (req, res) => {
 *   await requirePermission({ httpAuth, permissions }, req, {
 *     permission: imageFreshnessHealthProbesReadPermission,
 *     what: 'Reading the health probes',
 *   });
 *   res.json(probes.status());
 * });
 * ```
 *
 * @public
 */
export async function requirePermission(
  services: { httpAuth: HttpAuthService; permissions: PermissionsService },
  req: Request,
  check: {
    permission: BasicPermission;
    /** what the route does, for the 403's message: `Reading the health probes` */
    what: string;
    /** Lets any service token through unasked (routes a CI job or GitOps tool reads); users still need the permission. */
    allowServices?: boolean;
  },
): Promise<
  BackstageCredentials<BackstageUserPrincipal | BackstageServicePrincipal>
> {
  const credentials = await services.httpAuth.credentials(req, {
    allow: ['user', 'service'],
  });
  if (check.allowServices && credentials.principal.type === 'service') {
    return credentials;
  }
  const [decision] = await services.permissions.authorize(
    [{ permission: check.permission }],
    { credentials },
  );
  if (decision.result === AuthorizeResult.DENY) {
    throw new NotAllowedError(
      `${check.what} needs ${
        check.allowServices ? 'a service token or ' : ''
      }the ${check.permission.name} permission`,
    );
  }
  return credentials;
}
