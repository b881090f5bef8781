/*
 * The portal backend (every feature packages/backend adds) with the test
 * permission policy of confidential-policy.ts instead of allow-all. An entry
 * file for `startBackend({ entry: BACKEND_WITH_POLICY })`.
 */
import { createBackend } from '@backstage/backend-defaults';
// The same features as the portal, so the test runs the real backend.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { backendFeatures } from '../../packages/backend/src/features';
import { confidentialEntitiesPolicyModule } from './confidential-policy';

const backend = createBackend();
for (const feature of backendFeatures()) {
  backend.add(feature);
}
backend.add(confidentialEntitiesPolicyModule);
backend.start();
