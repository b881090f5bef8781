import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { imageFreshnessFeaturesExtensionPoint } from 'backstage-plugin-image-freshness-node';
import { readNotificationsConfig } from './config';
import { OwnerNotifier } from './OwnerNotifier';
import { KnexTransitionStore } from './TransitionStore';

/** The id the module schedules its task under. */
export const NOTIFICATIONS_TASK = 'image-freshness-notifications';

/**
 * Owner notifications for the image-freshness plugin: when an entity's
 * image turns stale or its base makes a rebuild due, the entity's owner gets
 * one notification per transition through the notifications backend
 * (`@backstage/plugin-notifications-backend`), scoped per entity, image and
 * kind, linking to the entity's tab. Off unless `imageFreshness.notifications`
 * is configured.
 *
 * @public
 */
export const imageFreshnessModuleNotifications = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'notifications',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        notifications: notificationService,
        features: imageFreshnessFeaturesExtensionPoint,
      },
      async init({ config, logger, database, features, ...services }) {
        const settings = readNotificationsConfig(config);
        if (!settings) {
          logger.info(
            'Owner notifications are off: configure imageFreshness.notifications to turn them on',
          );
          return;
        }
        features.addFeature(async context => {
          const reports = context.reports;
          if (!reports) {
            throw new Error(
              'The notifications module needs an image-freshness backend that shares its entity reports; upgrade backstage-plugin-image-freshness-backend',
            );
          }
          const notifier = new OwnerNotifier({
            ...services,
            reports,
            logger,
            store: await KnexTransitionStore.create({ database }),
            config: settings,
          });
          return {
            name: 'notifications',
            tasks: [
              {
                id: NOTIFICATIONS_TASK,
                schedule: settings.schedule,
                // one replica at a time; the store makes a send once-only anyway
                scope: 'global',
                fn: signal => notifier.run(signal).then(() => undefined),
              },
            ],
          };
        });
      },
    });
  },
});
