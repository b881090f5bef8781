import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { DEFAULT_SCHEDULE, readNotificationsConfig } from './config';

const read = (notifications: JsonObject) =>
  readNotificationsConfig(
    new ConfigReader({ imageFreshness: { notifications } }),
  );

describe('readNotificationsConfig', () => {
  it('is off without the section', () => {
    expect(readNotificationsConfig(new ConfigReader({}))).toBeUndefined();
    expect(
      readNotificationsConfig(new ConfigReader({ imageFreshness: {} })),
    ).toBeUndefined();
  });

  it('turns on with the defaults for an empty section', () => {
    expect(read({})).toEqual({
      severity: { stale: 'normal', 'rebuild-due': 'high' },
      schedule: DEFAULT_SCHEDULE,
    });
  });

  it('reads the severity per kind and the schedule', () => {
    expect(
      read({
        severity: { stale: 'low', rebuildDue: 'critical' },
        schedule: { frequency: '5m', timeout: { minutes: 2 } },
      }),
    ).toEqual({
      severity: { stale: 'low', 'rebuild-due': 'critical' },
      schedule: { frequency: { minutes: 5 }, timeout: { minutes: 2 } },
    });
  });

  it('names the key and the choices for a severity the notifications backend does not know', () => {
    expect(() => read({ severity: { rebuildDue: 'urgent' } })).toThrow(
      'Invalid imageFreshness.notifications.severity.rebuildDue "urgent": use one of critical, high, normal, low',
    );
  });
});
