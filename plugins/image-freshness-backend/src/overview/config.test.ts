import { ConfigReader } from '@backstage/config';
import { readOverviewReloadInterval } from './config';

describe('readOverviewReloadInterval', () => {
  it('is 30 seconds unless configured, and reads a duration as written or as an object', () => {
    expect(readOverviewReloadInterval(new ConfigReader({})).toMillis()).toBe(
      30_000,
    );
    for (const reloadInterval of ['2m', { minutes: 2 }, 'PT2M']) {
      expect(
        readOverviewReloadInterval(
          new ConfigReader({
            imageFreshness: { overview: { reloadInterval } },
          }),
        ).toMillis(),
      ).toBe(120_000);
    }
  });

  it('refuses an unreadable duration, naming the key', () => {
    expect(() =>
      readOverviewReloadInterval(
        new ConfigReader({
          imageFreshness: { overview: { reloadInterval: 'soon' } },
        }),
      ),
    ).toThrow('imageFreshness.overview.reloadInterval');
  });
});
