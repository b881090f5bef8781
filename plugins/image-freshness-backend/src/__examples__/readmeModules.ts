// The module examples of plugins/image-freshness-node/README.md, verbatim
// between the markers (readmeModules.test.ts checks the README against this
// file, type-checks it with the repository and runs it in a backend).
// README example start
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  imageFreshnessContainerSourcesExtensionPoint,
  imageFreshnessFeaturesExtensionPoint,
  imageFreshnessRegistryCredentialsExtensionPoint,
  imageFreshnessVulnerabilityScannersExtensionPoint,
} from 'backstage-plugin-image-freshness-node';
import express from 'express';
import { Duration } from 'luxon';

/** Containers from a `example.com/image` annotation: one image per entity. */
export const exampleSourceModule = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'example-source',
  register(reg) {
    reg.registerInit({
      deps: { sources: imageFreshnessContainerSourcesExtensionPoint },
      async init({ sources }) {
        sources.addContainerSource({
          name: 'example',
          // the scheduled refresh reads the entities that carry it
          annotations: ['example.com/image'],
          async find(entity, platform) {
            const image = entity.metadata.annotations?.['example.com/image'];
            if (!image) return { containers: [], errors: [] };
            return {
              containers: [
                {
                  key: `example/${image}`,
                  container: 'app',
                  workload: { kind: 'Annotation', name: entity.metadata.name },
                  image,
                  platform,
                },
              ],
              errors: [],
            };
          },
        });
      },
    });
  },
});

/** Short-lived credentials for one registry, from a token service of your own. */
export const exampleCredentialsModule = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'example-credentials',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        credentials: imageFreshnessRegistryCredentialsExtensionPoint,
      },
      async init({ config, credentials }) {
        const host = config.getString('example.registry');
        credentials.addCredentialProvider({
          name: 'example-token-service',
          matches: registry => registry === host,
          async getCredentials() {
            // ask your token service here; kept until 5 minutes before expiry
            return {
              credentials: {
                username: config.getString('example.username'),
                password: config.getString('example.password'),
              },
              expiresAt: new Date(Date.parse('2999-01-01T00:00:00Z')),
            };
          },
        });
      },
    });
  },
});

/** A vulnerability scanner (here one that finds nothing). */
export const exampleScannerModule = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'example-scanner',
  register(reg) {
    reg.registerInit({
      deps: { scanners: imageFreshnessVulnerabilityScannersExtensionPoint },
      async init({ scanners }) {
        scanners.setScanner({
          name: 'example-scanner',
          severities: ['CRITICAL', 'HIGH'],
          rescanInterval: Duration.fromObject({ hours: 24 }),
          locate: async () => ({ available: true, version: '1.0.0' }),
          scan: async () => ({ counts: { CRITICAL: 0, HIGH: 0 }, total: 0 }),
        });
      },
    });
  },
});

/** A feature: a route under /api/image-freshness (tasks, metrics, shutdown work alike). */
export const exampleFeatureModule = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'example-feature',
  register(reg) {
    reg.registerInit({
      deps: { features: imageFreshnessFeaturesExtensionPoint },
      async init({ features }) {
        features.addFeature(context => {
          const router = express.Router();
          router.get('/example/:host', async (req, res) => {
            // the core's host check: blocked hosts are refused
            const blocked = await context.checkHost(req.params.host).then(
              () => false,
              () => true,
            );
            res.json({ host: req.params.host, blocked });
          });
          return { name: 'example', router };
        });
      },
    });
  },
});
// README example end
