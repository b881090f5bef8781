import { HumanDuration } from '@backstage/types';

export interface Config {
  imageFreshness?: {
    /**
     * Owner notifications (notifications module): when an entity's image
     * turns stale or its base makes a rebuild due, the entity's owner gets
     * one notification through the notifications backend. Off unless this
     * section is present (`notifications: {}` turns it on with the
     * defaults).
     */
    notifications?: {
      /** The severity of each kind of notification. */
      severity?: {
        /**
         * An image the entity runs turned stale (older than its maximum age).
         * @default normal
         */
        stale?: 'critical' | 'high' | 'normal' | 'low';
        /**
         * An image's base moved longer than the rebuild delay ago: a rebuild
         * is due.
         * @default high
         */
        rebuildDue?: 'critical' | 'high' | 'normal' | 'low';
      };
      /**
       * How often the verdicts are compared with the notifications sent
       * (one replica at a time). Frequency and timeout as HumanDurations,
       * cron or ISO 8601.
       * @default { frequency: { minutes: 30 }, timeout: { minutes: 10 }, initialDelay: { minutes: 2 } }
       */
      schedule?: {
        frequency:
          | HumanDuration
          | string
          | { cron: string }
          | { trigger: 'manual' };
        timeout: HumanDuration | string;
        initialDelay?: HumanDuration | string;
      };
    };
  };
}
