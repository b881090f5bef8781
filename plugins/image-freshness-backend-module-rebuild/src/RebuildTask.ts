import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_DOCKERFILE,
  type Clock,
} from 'backstage-plugin-image-freshness-common';
import type { EntityImageReports } from 'backstage-plugin-image-freshness-node';
import type { RebuildMetrics } from './metrics';
import type { RebuildStore } from './RebuildStore';
import { baseMove, type RebuildTrigger } from './RebuildTrigger';
import { autoRebuild, resolveTarget, type RebuildTarget } from './targets';
import type { ScmIntegrationRegistry } from '@backstage/integration';

/** Catalog reads per request. */
const BATCH = 100;

/**
 * The scheduled run (scope `global`): marks tries whose answer was never
 * recorded as `unknown`, then, for every stored entity that opts in
 * (`image-freshness/auto-rebuild: "true"`, managed images), triggers each
 * base whose verdict is `rebuild-due` through {@link RebuildTrigger} (once
 * per base move; failed tries when their retry is due). One entity's error
 * never stops the others.
 */
export class RebuildTask {
  constructor(
    private readonly options: {
      reports: EntityImageReports;
      catalog: CatalogService;
      auth: AuthService;
      integrations: ScmIntegrationRegistry;
      store: RebuildStore;
      trigger: RebuildTrigger;
      metrics: RebuildMetrics;
      logger: LoggerService;
      now: Clock;
      unknownOutcomeAfterMs: number;
    },
  ) {}

  async run(signal: AbortSignal): Promise<{ dispatched: number }> {
    const { reports, store, trigger, metrics, logger, now } = this.options;
    const started = now();
    const expired = await store.expirePending(
      new Date(started.getTime() - this.options.unknownOutcomeAfterMs),
      started,
      attempt => trigger.retryAt(attempt, started),
    );
    for (const attempt of expired) {
      metrics.attempt({
        outcome: 'unknown',
        error: 'UNKNOWN',
        provider: attempt.provider,
        trigger: attempt.trigger,
      });
      logger.warn('Rebuild try has no recorded answer; marked unknown', {
        entityRef: attempt.entityRef,
        image: attempt.image,
        baseDigest: attempt.baseDigest,
        nextRetryAt: attempt.nextRetryAt,
      });
    }
    let dispatched = 0;
    const refs = await reports.listEntityRefs();
    for (let i = 0; i < refs.length && !signal.aborted; i += BATCH) {
      for (const entity of await this.optedIn(refs.slice(i, i + BATCH))) {
        if (signal.aborted) break;
        dispatched += await this.entity(entity, signal);
      }
    }
    return { dispatched };
  }

  /** The entities of `refs` that opt in and have a managed image, read with the plugin's own credentials. */
  private async optedIn(refs: string[]): Promise<Entity[]> {
    const { catalog, auth } = this.options;
    const { items } = await catalog.getEntitiesByRefs(
      { entityRefs: refs },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    return items.filter(
      (e): e is Entity =>
        !!e &&
        autoRebuild(e) &&
        !!e.metadata.annotations?.[ANNOTATION_DOCKERFILE],
    );
  }

  private async entity(entity: Entity, signal: AbortSignal): Promise<number> {
    const { reports, integrations, trigger, logger } = this.options;
    const report = await reports.build(entity);
    let target: RebuildTarget | undefined;
    let dispatched = 0;
    for (const base of report.baseImages) {
      if (base.verdict.verdict !== 'rebuild-due') continue;
      const due = baseMove(report.entityRef, base);
      if (!due) continue;
      try {
        target ??= resolveTarget(entity, integrations);
        const result = await trigger.trigger(due, target, {
          trigger: 'scheduled',
          signal,
        });
        if (result.dispatched) dispatched++;
      } catch (error) {
        if (signal.aborted) break;
        logger.warn('Cannot trigger the rebuild', {
          entityRef: report.entityRef,
          image: base.image,
          error: String(error),
        });
      }
    }
    return dispatched;
  }
}
