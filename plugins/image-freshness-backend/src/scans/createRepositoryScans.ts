import type {
  DatabaseService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { Duration } from 'luxon';
import type { OciClient } from 'oci-client';
import type { BaseImageStore } from '../baseImages/BaseImageStore';
import { readBaseImagesConfig } from '../baseImages/config';
import { OciTagLister } from '../baseImages/TagDiscovery';
import type { HostPolicy } from '../registry/HostPolicy';
import type { ImageResolver } from '../registry/ImageResolver';
import { readScansConfig } from './config';
import { KnexScanStore } from './KnexScanStore';
import { RepositoryScanner } from './RepositoryScanner';
import { DEFAULT_SCAN_TASK_PERIOD, ScanTask } from './ScanTask';
import { type Clock } from 'backstage-plugin-image-freshness-common';

/** When the scan task looks for repositories that are due (one replica at a time). */
export const SCAN_TASK_SCHEDULE = {
  frequency: DEFAULT_SCAN_TASK_PERIOD.toObject(),
  timeout: { minutes: 30 },
  initialDelay: { seconds: 30 },
};

/**
 * Builds repository scans on the plugin's shared pieces (its client, host
 * policy and resolver): the targets (`imageFreshness.scans` and the tracked
 * base repositories), the store the API reads, and the task that scans and
 * feeds base-image tag discovery.
 */
export async function createRepositoryScans(options: {
  config: Config;
  database: DatabaseService;
  logger: LoggerService;
  client: Pick<OciClient, 'listTags'>;
  hosts: Pick<HostPolicy, 'check'>;
  resolver: Pick<ImageResolver, 'resolve'>;
  /** The plugin's platform (os/arch[/variant]) for sizes of multi-arch tags. */
  platform: string;
  /** How long TagDiscovery trusts a discovery: base repositories are scanned this often. */
  cacheDuration: Duration;
  /** Where TagDiscovery keeps discoveries; a base repository's scan is stored there. */
  discoveries: Pick<BaseImageStore, 'getTagDiscovery' | 'putTagDiscovery'>;
  /** How often the scan task runs (its schedule's frequency); default 5 minutes. */
  period?: Duration;
  now?: Clock;
}) {
  const { targets } = readScansConfig(options.config, {
    baseImages: readBaseImagesConfig(options.config),
    baseImageInterval: options.cacheDuration,
  });
  const store = await KnexScanStore.create({ database: options.database });
  const task = new ScanTask({
    targets,
    scanner: new RepositoryScanner({
      tags: new OciTagLister({ client: options.client, hosts: options.hosts }),
      resolver: options.resolver,
      platform: options.platform,
      now: options.now,
    }),
    store,
    discoveries: options.discoveries,
    logger: options.logger,
    period: options.period,
    now: options.now,
  });
  return { targets, store, task };
}
