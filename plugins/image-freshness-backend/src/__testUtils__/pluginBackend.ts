import { BackendFeature, coreServices } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import request from 'supertest';
import imageFreshnessModuleRegistryProbes from 'backstage-plugin-image-freshness-backend-module-registry-probes';
import imageFreshnessModuleTrivy from 'backstage-plugin-image-freshness-backend-module-trivy';
import imageFreshnessModuleKargo from 'backstage-plugin-image-freshness-backend-module-kargo';
import imageFreshnessModuleRebuild from 'backstage-plugin-image-freshness-backend-module-rebuild';
import { imageFreshnessPlugin } from '../plugin';
import { captureService } from './captureService';

/**
 * The plugin as plugin.ts wires it, with the Trivy, registry-probes, kargo
 * and rebuild modules as the portal backend installs them (rebuild off
 * without `imageFreshness.rebuild`) (none with `modules: false`),
 * in a test backend with `config` as the
 * root config and `features` (a catalog, service overrides) beside it. The
 * scheduler runs no task at start-up: `scheduler` is the plugin's own, so a
 * test runs the tasks when it wants.
 */
export async function startPluginBackend(options: {
  config: JsonObject;
  features?: BackendFeature[];
  modules?: boolean;
}) {
  const scheduler = captureService('image-freshness', coreServices.scheduler);
  const backend = await startTestBackend({
    features: [
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      scheduler.module,
      imageFreshnessPlugin,
      ...(options.modules === false
        ? []
        : [
            imageFreshnessModuleTrivy,
            imageFreshnessModuleRegistryProbes,
            imageFreshnessModuleKargo,
            imageFreshnessModuleRebuild,
          ]),
      ...(options.features ?? []),
      mockServices.rootConfig.factory({ data: options.config }),
    ],
  });
  return { backend, scheduler: scheduler.get() };
}

/**
 * Waits until the catalog serves `component:default/<name>` (asked with
 * `authorization` when given); throws when it never does.
 */
export async function waitForComponent(
  server: Parameters<typeof request>[0],
  name: string,
  authorization?: string,
) {
  for (let i = 0; i < 100; i++) {
    const req = request(server).get(
      `/api/catalog/entities/by-name/component/default/${name}`,
    );
    const res = await (authorization
      ? req.set('authorization', authorization)
      : req);
    if (res.status === 200) return;
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`the catalog never ingested component:default/${name}`);
}
