import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_IMAGES,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  isImageFreshnessAvailable,
} from 'backstage-plugin-image-freshness-common';
import { EntityStore } from './EntityStore';
import { EntityRefresher } from './EntityRefresher';

/** Anything that keeps data per entity and must forget entities that left the catalog. */
export interface EntityDataStore {
  deleteEntities(entityRefs: string[]): Promise<void>;
}

const PAGE_SIZE = 200;
/** Entities refreshed side by side; registry load is bounded per host by the client. */
const BATCH_SIZE = 8;

/**
 * The scheduled refresh: pages through the catalog for entities with images,
 * refreshes each, and removes the data of entities that left the catalog.
 */
export class RefreshTask {
  private readonly catalog: CatalogService;
  private readonly auth: AuthService;
  private readonly refresher: EntityRefresher;
  private readonly store: EntityStore;
  private readonly otherStores: EntityDataStore[];
  private readonly logger: LoggerService;
  private readonly sourceAnnotations: readonly string[];

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    refresher: EntityRefresher;
    store: EntityStore;
    /** Other stores keyed by entity, cleaned up with the main one. */
    otherStores?: EntityDataStore[];
    /** Annotations registered container sources read (their `annotations`). */
    sourceAnnotations?: readonly string[];
    logger: LoggerService;
  }) {
    this.sourceAnnotations = options.sourceAnnotations ?? [];
    this.catalog = options.catalog;
    this.auth = options.auth;
    this.refresher = options.refresher;
    this.store = options.store;
    this.otherStores = options.otherStores ?? [];
    this.logger = options.logger;
  }

  async run(): Promise<{ entities: number; failed: number; removed: number }> {
    const started = performance.now();
    const credentials = await this.auth.getOwnServiceCredentials();
    const seen = new Set<string>();
    let failed = 0;
    const annotation = (key: string) => ({
      [`metadata.annotations.${key}`]: CATALOG_FILTER_EXISTS,
    });
    for await (const page of this.catalog.streamEntities(
      {
        filter: [
          annotation(ANNOTATION_IMAGES),
          annotation(ANNOTATION_KUBERNETES_ID),
          annotation(ANNOTATION_KUBERNETES_LABEL_SELECTOR),
          ...this.sourceAnnotations.map(annotation),
        ],
        pageSize: PAGE_SIZE,
      },
      { credentials },
    )) {
      const entities = page.filter(
        entity =>
          isImageFreshnessAvailable(entity) ||
          this.sourceAnnotations.some(
            key => entity.metadata.annotations?.[key],
          ),
      );
      for (let i = 0; i < entities.length; i += BATCH_SIZE) {
        const batch = entities.slice(i, i + BATCH_SIZE);
        batch.forEach(entity => seen.add(stringifyEntityRef(entity)));
        failed += await this.refreshBatch(batch);
      }
    }
    const gone = (await this.store.listEntityRefs()).filter(
      ref => !seen.has(ref),
    );
    await this.store.deleteEntities(gone);
    for (const other of this.otherStores) {
      await other.deleteEntities(gone);
    }
    this.logger.info('Image freshness refresh finished', {
      entities: seen.size,
      failed,
      removed: gone.length,
      durationMs: Math.round(performance.now() - started),
    });
    return { entities: seen.size, failed, removed: gone.length };
  }

  /** Refreshes entities side by side; answers how many failed. One bad entity never blocks the rest. */
  private async refreshBatch(batch: Entity[]): Promise<number> {
    const outcomes = await Promise.all(
      batch.map(async entity => {
        try {
          await this.refresher.refresh(entity);
          return true;
        } catch (error) {
          this.logger.warn('Could not refresh entity images', {
            entityRef: stringifyEntityRef(entity),
            error: (error as Error).message,
          });
          return false;
        }
      }),
    );
    return outcomes.filter(ok => !ok).length;
  }
}
