import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import knexFactory from 'knex';
import { readImageFreshnessConfig } from '../../registry/config';
import { readRefreshConfig } from '../../refresh/config';
import { KnexEntityStore } from '../../refresh/KnexEntityStore';
import { KnexRegistryCache } from '../../registry/KnexRegistryCache';
import { AnnotationImageSource } from '../../refresh/AnnotationImageSource';
import { createOciClient } from '../../registry/createOciClient';
import { EntityRefresher } from '../../refresh/EntityRefresher';
import { HostPolicy } from '../../registry/HostPolicy';
import { ImageResolver } from '../../registry/ImageResolver';
import { ReportBuilder } from '../../refresh/ReportBuilder';
import { createBaseImageTracking } from '../createBaseImageTracking';

/** A clock the test moves. */
export interface TestClock {
  now: Date;
  set(iso: string): void;
  advance(ms: number): void;
}

export function testClock(iso: string): TestClock {
  const clock: TestClock = {
    now: new Date(iso),
    set: (value: string) => {
      clock.now = new Date(value);
    },
    advance: (ms: number) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  return clock;
}

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/**
 * The plugin's real parts (OCI client, resolver, stores on an in-memory
 * SQLite, real UrlReader, annotation source, refresher, report builder) with
 * a test clock: what plugin.ts wires, minus the scheduler and HTTP.
 */
export async function createTestParts(options: {
  registryHost: string;
  readingHost?: string;
  clock: TestClock;
  imageFreshness?: Record<string, unknown>;
  /** Default: a fresh in-memory SQLite; give one to share it across parts (a restart). */
  database?: DatabaseService;
}) {
  const config = new ConfigReader({
    backend: {
      reading: options.readingHost
        ? { allow: [{ host: options.readingHost }] }
        : {},
    },
    imageFreshness: {
      cacheDuration: '0s',
      allowedHosts: [options.registryHost],
      ...options.imageFreshness,
    },
  });
  const knex = options.database
    ? await options.database.getClient()
    : knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
  const database: DatabaseService = options.database ?? {
    getClient: async () => knex,
  };
  const logger = mockServices.logger.mock();
  const now = () => options.clock.now;
  const settings = readImageFreshnessConfig(config);
  const freshnessStore = await KnexEntityStore.create({ database });
  const registryCache = await KnexRegistryCache.create({ database });
  const hosts = new HostPolicy(settings);
  const client = createOciClient({ config: settings, hosts });
  const resolver = new ImageResolver({
    client,
    cache: registryCache,
    hosts,
    cacheDuration: settings.cacheDuration,
    now,
  });
  const bases = await createBaseImageTracking({
    config,
    database,
    urlReader: UrlReaders.default({ config, logger }),
    logger,
    client,
    hosts,
    resolver,
    registryCache,
    cacheDuration: settings.cacheDuration,
    now,
  });
  const refresher = new EntityRefresher({
    sources: [new AnnotationImageSource()],
    resolver,
    store: freshnessStore,
    logger,
    defaultPlatform: 'linux/amd64',
    baseImages: bases.tracker,
    now,
  });
  const reports = new ReportBuilder({
    store: freshnessStore,
    maxAge: readRefreshConfig(config).maxAge,
    baseImages: bases.reports,
    now,
  });
  return {
    ...bases,
    resolver,
    freshnessStore,
    refresher,
    knex,
    logger,
    client,
    hosts,
    /** Refreshes the entity and answers its report, both at the clock's time. */
    async refresh(target: Entity): Promise<EntityImageReport> {
      await refresher.refresh(target);
      return reports.build(target);
    },
    report: (target: Entity) => reports.build(target),
    async close() {
      if (!options.database) await knex.destroy();
    },
  };
}

/** A catalog entity declaring images, with extra annotations. */
export function entity(
  name: string,
  images: string[],
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'image-freshness/images': images.join(','),
        ...annotations,
      },
    },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  };
}
