import type { BackendFeature } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  imageFreshnessHealthProbesReadPermission,
  imageFreshnessPermissions,
  imageFreshnessRebuildTriggerPermission,
  imageFreshnessScansReadPermission,
} from 'backstage-plugin-image-freshness-common';
import request from 'supertest';
import { startPluginBackend } from './__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const API = '/api/image-freshness';
const REPOSITORY = '127.0.0.1:9/acme/api';

/**
 * The scans and health-probes routes behind their permissions, with the
 * plugin as the portal installs it (both modules) and a permission policy
 * per test; users call with a user token.
 */
describe('permissions of /scans and /health-probes', () => {
  async function start(options: {
    permissions?: BackendFeature;
    modules?: boolean;
  }) {
    return startPluginBackend({
      modules: options.modules,
      features: [
        catalogServiceMock.factory({ entities: [] }),
        ...(options.permissions ? [options.permissions] : []),
      ],
      config: {
        imageFreshness: {
          scans: [{ repository: REPOSITORY, sort: 'semver' }],
          healthProbes: [
            {
              name: 'local',
              registry: '127.0.0.1:9',
              repository: 'probe/health',
              node: 'node-x',
            },
          ],
        },
      },
    });
  }

  const get = (
    backend: Awaited<ReturnType<typeof start>>['backend'],
    path: string,
  ) =>
    request(backend.server)
      .get(`${API}${path}`)
      .set('authorization', mockCredentials.user.header());

  it('answers 403 NotAllowedError when the policy denies, and leaves the other routes alone', async () => {
    const { backend } = await start({
      permissions: mockServices.permissions.factory({
        result: AuthorizeResult.DENY,
      }),
    });
    try {
      for (const [path, permission] of [
        ['/scans', imageFreshnessScansReadPermission],
        [`/scans/${REPOSITORY}`, imageFreshnessScansReadPermission],
        ['/health-probes', imageFreshnessHealthProbesReadPermission],
      ] as const) {
        const res = await get(backend, path);
        expect([path, res.status]).toEqual([path, 403]);
        expect(res.body.error).toMatchObject({
          name: 'NotAllowedError',
          message: expect.stringContaining(permission.name),
        });
        // nothing of the answer leaks
        expect(res.text).not.toContain('probe/health');
      }
      // an invalid repository is still refused only after the permission
      expect((await get(backend, '/scans/Team/API')).status).toBe(403);
      // routes without a permission of their own answer as before
      expect((await get(backend, '/vulnerabilities')).status).toBe(200);
      expect(
        (await get(backend, '/entities/component/default/nope')).status,
      ).toBe(404);
    } finally {
      await backend.stop();
    }
  });

  it('answers as before when the policy allows', async () => {
    const { backend } = await start({
      permissions: mockServices.permissions.factory({
        result: AuthorizeResult.ALLOW,
      }),
    });
    try {
      const scans = await get(backend, '/scans');
      expect(scans.status).toBe(200);
      expect(scans.body).toEqual({ items: [] });
      // allowed, then not scanned yet
      const one = await get(backend, `/scans/${REPOSITORY}`);
      expect(one.status).toBe(404);
      expect(one.body.error.message).toContain('is not scanned');
      const probes = await get(backend, '/health-probes');
      expect(probes.status).toBe(200);
      expect(probes.body.probes).toMatchObject([
        { name: 'local', repository: 'probe/health', results: [] },
      ]);
    } finally {
      await backend.stop();
    }
  });

  it('asks for each route its own permission, with the caller’s credentials', async () => {
    const asked: Array<{ permission: string; principal: unknown }> = [];
    // allows the health probes only
    const permissions = mockServices.permissions.mock({
      async authorize(requests, { credentials }) {
        return requests.map(r => {
          asked.push({
            permission: r.permission.name,
            principal: credentials.principal,
          });
          return {
            result:
              r.permission.name ===
              imageFreshnessHealthProbesReadPermission.name
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          };
        });
      },
    });
    const { backend } = await start({ permissions: permissions.factory });
    try {
      expect((await get(backend, '/scans')).status).toBe(403);
      expect((await get(backend, `/scans/${REPOSITORY}`)).status).toBe(403);
      expect((await get(backend, '/health-probes')).status).toBe(200);
      const user = { type: 'user', userEntityRef: 'user:default/mock' };
      expect(asked).toEqual([
        { permission: 'image-freshness.scans.read', principal: user },
        { permission: 'image-freshness.scans.read', principal: user },
        { permission: 'image-freshness.health-probes.read', principal: user },
      ]);
    } finally {
      await backend.stop();
    }
  });

  it.each([
    [true, imageFreshnessPermissions.map(p => p.name).sort()],
    // without the probes module its permission is not registered
    [false, [imageFreshnessScansReadPermission.name]],
  ])(
    'lists its permissions in the permission metadata (modules: %s)',
    async (modules, names) => {
      const { backend } = await start({ modules });
      try {
        const res = await request(backend.server)
          .get(`${API}/.well-known/backstage/permissions/metadata`)
          .set('authorization', mockCredentials.service.header());
        expect(res.status).toBe(200);
        expect(
          res.body.permissions
            .map((p: { name: string; type: string }) => `${p.name} ${p.type}`)
            .sort(),
        ).toEqual(names.map(name => `${name} basic`));
        // reads, but the rebuild trigger, which starts a build
        expect(
          Object.fromEntries(
            res.body.permissions.map(
              (p: { name: string; attributes: object }) => [
                p.name,
                p.attributes,
              ],
            ),
          ),
        ).toEqual(
          Object.fromEntries(
            names.map(name => [
              name,
              {
                action:
                  name === imageFreshnessRebuildTriggerPermission.name
                    ? 'create'
                    : 'read',
              },
            ]),
          ),
        );
      } finally {
        await backend.stop();
      }
    },
  );
});
