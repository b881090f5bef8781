import type {
  DatabaseService,
  LoggerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { Duration } from 'luxon';
import type { OciClient } from 'oci-client';
import type { RegistryCache } from '../registry/RegistryCache';
import type { HostPolicy } from '../registry/HostPolicy';
import type { ImageResolver } from '../registry/ImageResolver';
import { BaseImageFinder } from './BaseImageFinder';
import { BaseImageReports } from './BaseImageReports';
import { BaseImageTracker } from './BaseImageTracker';
import { KnexBuildRecordStore } from './BuildRecordStore';
import { ProvenanceSource } from './ProvenanceSource';
import { readBaseImagesConfig } from './config';
import { KnexBaseImageStore } from './KnexBaseImageStore';
import { OciTagLister, TagDiscovery } from './TagDiscovery';
import { type Clock } from 'backstage-plugin-image-freshness-common';

/**
 * Builds the base-image parts on the plugin's shared pieces (the same
 * client, resolver, caches and host policy as every image): the tracker the
 * refresh calls, the report section the API serves, and the store a metrics
 * collector can read (`listAllBaseImages`).
 */
export async function createBaseImageTracking(options: {
  config: Config;
  database: DatabaseService;
  urlReader: UrlReaderService;
  logger: LoggerService;
  client: Pick<OciClient, 'listTags' | 'readAttestations'>;
  hosts: Pick<HostPolicy, 'check'>;
  resolver: Pick<ImageResolver, 'resolve'>;
  registryCache: Pick<RegistryCache, 'getMetadata'>;
  /** How long a tag discovery is trusted (the plugin's `cacheDuration`). */
  cacheDuration: Duration;
  now?: Clock;
}) {
  const config = readBaseImagesConfig(options.config);
  const store = await KnexBaseImageStore.create({ database: options.database });
  const records = await KnexBuildRecordStore.create({
    database: options.database,
  });
  const discovery = new TagDiscovery({
    tags: new OciTagLister({ client: options.client, hosts: options.hosts }),
    resolver: options.resolver,
    store,
    cacheDuration: options.cacheDuration,
    now: options.now,
  });
  const tracker = new BaseImageTracker({
    finder: new BaseImageFinder({ urlReader: options.urlReader, records }),
    provenance: new ProvenanceSource({
      client: options.client,
      hosts: options.hosts,
      store: records,
    }),
    resolver: options.resolver,
    discovery,
    store,
    metadata: (digest, platform) =>
      options.registryCache.getMetadata(digest, platform),
    config,
    logger: options.logger,
    now: options.now,
  });
  const reports = new BaseImageReports({
    store,
    rebuildDelay: config.rebuildDelay,
    now: options.now,
  });
  return { tracker, reports, store, records };
}
