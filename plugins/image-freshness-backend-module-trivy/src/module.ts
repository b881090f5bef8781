import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { imageFreshnessVulnerabilityScannersExtensionPoint } from 'backstage-plugin-image-freshness-node';
import { readTrivyConfig } from './config';
import { TrivyScanner } from './TrivyScanner';

/**
 * Vulnerability summaries with Trivy for the image-freshness plugin: every
 * digest in use is scanned with `trivy image`, its counts per severity shown
 * in the Image freshness tab and exported on `/metrics`. Configured under
 * `imageFreshness.trivy`; without a Trivy binary it logs why and the plugin
 * goes on without summaries.
 *
 * @public
 */
export const imageFreshnessModuleTrivy = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'trivy',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        scanners: imageFreshnessVulnerabilityScannersExtensionPoint,
      },
      async init({ config, scanners }) {
        scanners.setScanner(
          new TrivyScanner({ config: readTrivyConfig(config) }),
        );
      },
    });
  },
});
