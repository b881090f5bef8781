import type { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_PLATFORM,
  ANNOTATION_REBUILD_DELAY,
  ImageError,
} from 'backstage-plugin-image-freshness-common';
import { EntityInfo, EntityStore, ResolveOutcome } from './EntityStore';
import type { BaseImageTracker } from '../baseImages/BaseImageTracker';
import { toImageError } from '../registry/imageErrors';
import { ImageResolver } from '../registry/ImageResolver';
import { redactImage } from '../lib/redactImage';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type {
  FoundContainer,
  ContainerSource,
  ContainerSourceRun,
} from 'backstage-plugin-image-freshness-node';

/** A source as one refresh asks it: its name and a finder (its own, or its run's). */
type Finder = Pick<ContainerSource, 'name'> & Pick<ContainerSourceRun, 'find'>;

/** One scheduled run's refresher, from {@link EntityRefresher.startRun}. */
export interface EntityRefreshRun {
  /** Refreshes one entity of the run; see {@link EntityRefreshOptions}. */
  refresh(
    entity: Entity,
    options?: EntityRefreshOptions,
  ): Promise<EntityRefreshSummary>;
  /** Ends every source's run; call once, when the run is over. */
  end(): Promise<void>;
}

function entityInfo(entity: Entity): EntityInfo {
  const spec = (entity.spec ?? {}) as Record<string, unknown>;
  const text = (value: unknown) =>
    typeof value === 'string' && value ? value : undefined;
  return {
    owner: text(spec.owner),
    system: text(spec.system),
    lifecycle: text(spec.lifecycle),
    type: text(spec.type),
    rebuildDelay: text(entity.metadata.annotations?.[ANNOTATION_REBUILD_DELAY]),
  };
}

/** How one entity's refresh is recorded. */
export interface EntityRefreshOptions {
  /** When the entity counts as processed (the scheduled run's start); default now. */
  processedAt?: Date;
}

/** Outcome of refreshing one entity, for logs and metrics. */
export interface EntityRefreshSummary {
  entityRef: string;
  containers: number;
  errors: number;
}

/**
 * Refreshes one entity: finds its containers through every source, resolves
 * their images, and stores the outcome. A failing container or source is
 * recorded beside the rest, never thrown; the containers a failing source
 * found before keep their last good answers.
 */
export class EntityRefresher {
  private readonly sources: ContainerSource[];
  private readonly resolver: ImageResolver;
  private readonly store: EntityStore;
  private readonly logger: LoggerService;
  private readonly defaultPlatform: string;
  private readonly baseImages?: Pick<BaseImageTracker, 'track'>;
  private readonly now: Clock;

  constructor(options: {
    sources: ContainerSource[];
    resolver: ImageResolver;
    store: EntityStore;
    logger: LoggerService;
    defaultPlatform: string;
    /** Tracks what the resolved images are built on; its failures never fail the refresh. */
    baseImages?: Pick<BaseImageTracker, 'track'>;
    now?: Clock;
  }) {
    this.sources = options.sources;
    this.resolver = options.resolver;
    this.store = options.store;
    this.logger = options.logger;
    this.defaultPlatform = options.defaultPlatform;
    this.baseImages = options.baseImages;
    this.now = options.now ?? systemClock;
  }

  /** Refreshes one entity outside a scheduled run (the Refresh button): every source's `find`. */
  refresh(
    entity: Entity,
    options?: EntityRefreshOptions,
  ): Promise<EntityRefreshSummary> {
    return this.refreshWith(this.sources, entity, options);
  }

  /**
   * Starts a scheduled run: every source with `startRun` is started once
   * and finds the run's entities through its run; one whose start fails is
   * asked through `find` (and the failure logged).
   */
  async startRun(signal: AbortSignal): Promise<EntityRefreshRun> {
    const runs = await Promise.all(
      this.sources.map(async source => {
        if (!source.startRun) return undefined;
        try {
          return await source.startRun({ signal });
        } catch (error) {
          this.logger.warn('Container source could not start its run', {
            source: source.name,
            error: (error as Error).message,
          });
          return undefined;
        }
      }),
    );
    const finders: Finder[] = this.sources.map((source, i) => {
      const run = runs[i];
      return run
        ? { name: source.name, find: (e, p) => run.find(e, p) }
        : source;
    });
    return {
      refresh: (entity, options) => this.refreshWith(finders, entity, options),
      end: async () => {
        for (const [i, run] of runs.entries()) {
          try {
            await run?.end?.();
          } catch (error) {
            this.logger.warn('Container source could not end its run', {
              source: this.sources[i].name,
              error: (error as Error).message,
            });
          }
        }
      },
    };
  }

  private async refreshWith(
    sources: readonly Finder[],
    entity: Entity,
    options: EntityRefreshOptions = {},
  ): Promise<EntityRefreshSummary> {
    const entityRef = stringifyEntityRef(entity);
    const platform =
      entity.metadata.annotations?.[ANNOTATION_PLATFORM]?.trim() ||
      this.defaultPlatform;
    const found: FoundContainer[] = [];
    const sourceErrors: Array<ImageError & { source: string }> = [];
    const unread: Array<(container: FoundContainer) => boolean> = [];
    for (const source of sources) {
      try {
        const result = await source.find(entity, platform);
        if (result.unread) unread.push(result.unread);
        // Credentials pasted into a reference go no further than here.
        found.push(
          ...result.containers.map(c => ({
            ...c,
            image: redactImage(c.image),
          })),
        );
        sourceErrors.push(...result.errors);
      } catch (error) {
        sourceErrors.push({
          ...toImageError(error, entityRef, this.now()),
          source: source.name,
        });
      }
    }
    const resolved = await Promise.all(
      found.map(async container => ({
        ...container,
        outcome: await this.resolve(container),
      })),
    );
    await this.store.saveEntity({
      entityRef,
      info: entityInfo(entity),
      containers: resolved,
      sourceErrors,
      refreshedAt: this.now(),
      processedAt: options.processedAt,
      unread: unread.length
        ? container => unread.some(isUnread => isUnread(container))
        : undefined,
    });
    await this.trackBaseImages(entity, resolved);
    const errors =
      sourceErrors.length + resolved.filter(c => 'error' in c.outcome).length;
    this.logger.debug('Refreshed entity images', {
      entityRef,
      containers: resolved.length,
      errors,
    });
    return { entityRef, containers: resolved.length, errors };
  }

  private async trackBaseImages(
    entity: Entity,
    containers: Array<FoundContainer & { outcome: ResolveOutcome }>,
  ): Promise<void> {
    try {
      await this.baseImages?.track(
        entity,
        containers.map(c => ({
          image: c.image,
          platform: c.platform,
          digest: 'digest' in c.outcome ? c.outcome.digest : undefined,
        })),
      );
    } catch (error) {
      this.logger.warn('Could not track base images', {
        entityRef: stringifyEntityRef(entity),
        error: (error as Error).message,
      });
    }
  }

  private async resolve(container: FoundContainer): Promise<ResolveOutcome> {
    try {
      const { digest } = await this.resolver.resolve(
        container.image,
        container.platform,
      );
      return { digest, resolvedAt: this.now() };
    } catch (error) {
      return { error: toImageError(error, container.image, this.now()) };
    }
  }
}
