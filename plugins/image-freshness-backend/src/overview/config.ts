import { type Config, ConfigReader } from '@backstage/config';
import { readDuration } from 'backstage-plugin-image-freshness-node';
import type { Duration } from 'luxon';

/** `imageFreshness.overview.reloadInterval` unless configured. */
export const OVERVIEW_RELOAD_INTERVAL = '30s';

/** How old the org-wide overview's facts may get before a request reloads them. */
export function readOverviewReloadInterval(config: Config): Duration {
  return readDuration(
    config.getOptionalConfig('imageFreshness.overview') ?? new ConfigReader({}),
    'reloadInterval',
    OVERVIEW_RELOAD_INTERVAL,
    'imageFreshness.overview',
  );
}
