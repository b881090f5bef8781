import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_MAX_AGE,
  EntityImageReport,
  freshnessVerdict,
  parseDuration,
} from 'backstage-plugin-image-freshness-common';
import { DateTime, Duration } from 'luxon';
import type { BaseImageReports } from '../baseImages/BaseImageReports';
import { FreshnessStore } from '../database/FreshnessStore';

/** Builds an entity's report from the store; never calls a registry. */
export class ReportBuilder {
  private readonly store: FreshnessStore;
  private readonly maxAge: Duration;
  private readonly baseImages?: Pick<BaseImageReports, 'build'>;
  private readonly now: () => Date;

  constructor(options: {
    store: FreshnessStore;
    maxAge: Duration;
    /** The base-images section, from its own store. */
    baseImages?: Pick<BaseImageReports, 'build'>;
    now?: () => Date;
  }) {
    this.store = options.store;
    this.maxAge = options.maxAge;
    this.baseImages = options.baseImages;
    this.now = options.now ?? (() => new Date());
  }

  async build(entity: Entity): Promise<EntityImageReport> {
    const entityRef = stringifyEntityRef(entity);
    const stored = await this.store.getEntity(entityRef);
    const limit = this.entityMaxAge(entity);
    const maxAge = limit.duration;
    const now = DateTime.fromJSDate(this.now());
    return {
      entityRef,
      refreshedAt: stored?.refreshedAt.toISOString(),
      maxAge: { duration: maxAge.toISO() ?? 'P30D', source: limit.source },
      errors: stored?.errors ?? [],
      baseImages: (await this.baseImages?.build(entity)) ?? [],
      containers: (stored?.containers ?? []).map(c => ({
        container: c.container,
        workload: c.workload,
        image: c.image,
        runningDigest: c.runningDigest,
        metadata: c.metadata,
        freshness: c.metadata
          ? freshnessVerdict({ created: c.metadata.created, maxAge, now })
          : { verdict: 'unknown', reason: 'Not resolved yet' },
        resolvedAt: c.resolvedAt?.toISOString(),
        error: c.error,
      })),
    };
  }

  private entityMaxAge(entity: Entity): {
    duration: Duration;
    source: 'annotation' | 'config';
  } {
    const value = entity.metadata.annotations?.[ANNOTATION_MAX_AGE];
    if (value) {
      try {
        return {
          duration: parseDuration(value, ANNOTATION_MAX_AGE),
          source: 'annotation',
        };
      } catch {
        // an unreadable annotation falls back to the configured limit
      }
    }
    return { duration: this.maxAge, source: 'config' };
  }
}
