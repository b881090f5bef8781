/*
 * A real permission policy for the end-to-end tests: signed-in users may not
 * read catalog entities labelled `confidential: 'true'` (a catalog
 * conditional decision, so the catalog itself filters them); everything else
 * is allowed. backend-with-policy.ts runs the portal backend with it;
 * `confidentialPermissions` applies it in a test backend (startTestBackend),
 * whose mock tokens the real permission backend does not take from plugins.
 */
import {
  type BackstageCredentials,
  type BackstageUserPrincipal,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  type ConditionalPolicyDecision,
  type DefinitivePolicyDecision,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import path from 'node:path';

/** The label that hides an entity from users. */
export const CONFIDENTIAL_LABEL = { label: 'confidential', value: 'true' };

/** The entry file to pass to `startBackend({ entry })`. */
export const BACKEND_WITH_POLICY = path.join(
  __dirname,
  'backend-with-policy.ts',
);

const CATALOG_ENTITY_READ = 'catalog.entity.read';

/** Users read every entity but confidential ones; all else is allowed. */
class ConfidentialEntitiesPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (
      user &&
      permission.name === CATALOG_ENTITY_READ &&
      isResourcePermission(permission, 'catalog-entity')
    ) {
      return createCatalogConditionalDecision(permission, {
        not: catalogConditions.hasLabel(CONFIDENTIAL_LABEL),
      });
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** The permission backend module that installs the policy. */
export const confidentialEntitiesPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'confidential-entities-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new ConfidentialEntitiesPolicy());
      },
    });
  },
});

/**
 * The permissions service of a test backend deciding as the policy does:
 * users get the catalog's conditional decision (the real catalog filters
 * its queries with it), services and every other permission are allowed.
 */
export function confidentialPermissions() {
  const policy = new ConfidentialEntitiesPolicy();
  const decide = async (
    permission: PolicyQuery['permission'],
    credentials: BackstageCredentials,
  ) => {
    const principal = credentials.principal as Partial<BackstageUserPrincipal>;
    return policy.handle(
      { permission },
      principal.type === 'user' && principal.userEntityRef
        ? {
            credentials,
            info: {
              userEntityRef: principal.userEntityRef,
              ownershipEntityRefs: [principal.userEntityRef],
            },
          }
        : undefined,
    );
  };
  return mockServices.permissions.mock({
    async authorizeConditional(requests, { credentials }) {
      return Promise.all(
        requests.map(
          async r =>
            (await decide(r.permission, credentials)) as
              | ConditionalPolicyDecision
              | DefinitivePolicyDecision,
        ),
      ) as never;
    },
    async authorize(requests, { credentials }) {
      return Promise.all(
        requests.map(async r => {
          const decision = await decide(r.permission, credentials);
          // a conditional answer to a yes/no question: the resource is not known here
          return {
            result:
              decision.result === AuthorizeResult.ALLOW
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          };
        }),
      );
    },
  });
}
