import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { readRefreshConfig } from './config';

const read = (imageFreshness?: JsonObject) =>
  readRefreshConfig(new ConfigReader(imageFreshness ? { imageFreshness } : {}));

describe('the refresh config', () => {
  it('refreshes each entity once per scheduled run, up to 10,000 entities a run, by default', () => {
    const config = read();
    expect(config.interval.toMillis()).toBe(30 * 60_000);
    expect(config.batchSize).toBe(10_000);
    expect(config.concurrency).toBe(16);
  });

  it('takes the interval from the schedule, and the batch from refresh.batchSize', () => {
    const config = read({
      schedule: { frequency: { minutes: 5 }, timeout: { minutes: 2 } },
      refresh: { batchSize: 250, concurrency: 4 },
    });
    expect(config.interval.toMillis()).toBe(5 * 60_000);
    expect(config.batchSize).toBe(250);
    expect(config.concurrency).toBe(4);
    expect(
      read({ schedule: { frequency: 'PT2H', timeout: 'PT10M' } }).interval.as(
        'hours',
      ),
    ).toBe(2);
  });

  it('has no interval for a cron or manually triggered schedule: every run refreshes every entity', () => {
    for (const frequency of [{ cron: '0 * * * *' }, { trigger: 'manual' }]) {
      expect(
        read({
          schedule: { frequency, timeout: { minutes: 10 } },
        }).interval.toMillis(),
      ).toBe(0);
    }
  });

  it.each([0, -5, 2.5])('refuses a batch size of %s', batchSize => {
    expect(() => read({ refresh: { batchSize } })).toThrow(
      `imageFreshness.refresh.batchSize must be a whole number of entities, at least 1; got ${batchSize}`,
    );
  });

  it.each([0, -1, 1.5])('refuses a concurrency of %s', concurrency => {
    expect(() => read({ refresh: { concurrency } })).toThrow(
      `imageFreshness.refresh.concurrency must be a whole number of entities, at least 1; got ${concurrency}`,
    );
  });
});
