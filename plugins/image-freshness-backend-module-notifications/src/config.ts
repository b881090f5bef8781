import type { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';
import { readTaskSchedule } from 'backstage-plugin-image-freshness-node';

/** The transitions an owner is told about. */
export type TransitionKind = 'stale' | 'rebuild-due';

/** `imageFreshness.notifications`, read once. */
export interface NotificationsConfig {
  severity: Record<TransitionKind, NotificationSeverity>;
  schedule: SchedulerServiceTaskScheduleDefinition;
}

const WHERE = 'imageFreshness.notifications';
const SEVERITIES: readonly NotificationSeverity[] = [
  'critical',
  'high',
  'normal',
  'low',
];

export const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { minutes: 2 },
};

function readSeverity(
  config: Config | undefined,
  key: string,
  fallback: NotificationSeverity,
): NotificationSeverity {
  const value = config?.getOptionalString(key) ?? fallback;
  if (!SEVERITIES.includes(value as NotificationSeverity)) {
    throw new Error(
      `Invalid ${WHERE}.severity.${key} ${JSON.stringify(
        value,
      )}: use one of ${SEVERITIES.join(', ')}`,
    );
  }
  return value as NotificationSeverity;
}

/**
 * Reads `imageFreshness.notifications`; `undefined` when the section is
 * absent (the module is opt-in). Throws naming the key on a bad value.
 */
export function readNotificationsConfig(
  root: Config,
): NotificationsConfig | undefined {
  if (!root.has(WHERE)) return undefined;
  const config = root.getConfig(WHERE);
  const severity = config.getOptionalConfig('severity');
  return {
    severity: {
      stale: readSeverity(severity, 'stale', 'normal'),
      'rebuild-due': readSeverity(severity, 'rebuildDue', 'high'),
    },
    schedule: readTaskSchedule(config, 'schedule', DEFAULT_SCHEDULE),
  };
}
