/*
 * A module that captures the instance of a service a plugin gets in a test backend (its scheduler, say),
 * shared by the plugin tests and the module tests.
 */
import {
  BackendFeature,
  createBackendModule,
  ServiceRef,
} from '@backstage/backend-plugin-api';

/**
 * A module for a test backend that captures the instance of `service` a
 * plugin gets, e.g. the plugin's own scheduler, so a test can trigger its
 * tasks when it wants. `get()` answers it once the backend has started.
 */
export function captureService<T>(
  pluginId: string,
  service: ServiceRef<T, 'plugin' | 'root', 'singleton'>,
): { module: BackendFeature; get(): T } {
  let captured: { value: T } | undefined;
  const module = createBackendModule({
    pluginId,
    moduleId: `capture-${service.id.replace(/[^a-z0-9-]/gi, '-')}`,
    register(env) {
      env.registerInit({
        deps: { value: service },
        async init({ value }) {
          captured = { value };
        },
      });
    },
  });
  return {
    module,
    get() {
      if (!captured) {
        throw new Error(
          `${service.id} was not captured: start the backend with this module first`,
        );
      }
      return captured.value;
    },
  };
}
