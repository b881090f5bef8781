import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  type Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  type Clock,
  type EntityImageReport,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type { EntityImageReports } from 'backstage-plugin-image-freshness-node';
import type { NotificationsConfig } from './config';
import {
  type Condition,
  notificationPayload,
  transitionId,
} from './notificationPayload';
import type { TransitionKey, TransitionStore } from './TransitionStore';

/** What one run did, as its log line says it. */
export interface NotifierRunSummary {
  /** Entities whose reports were read. */
  entities: number;
  /** Notifications sent. */
  sent: number;
  /** Transitions that ended (image refreshed, rebuild done), so the next one notifies again. */
  cleared: number;
  /** Entities gone from the plugin's store or the catalog whose transitions were forgotten. */
  removed: number;
  /** Entities with a transition to tell but no owner. */
  withoutOwner: number;
  /** Entities that failed (logged each); the others went on. */
  failed: number;
}

/** Entities read from the catalog per request. */
const BATCH = 100;

/**
 * Tells owners about transitions: reads every entity's report, and for each
 * image that turned `stale`, or whose base made a rebuild due, sends the
 * entity's owner one notification (scoped per entity, image and kind) unless
 * one was sent for this transition already. A condition that ends (the image
 * is fresh or aging again, the base is current or updated, the image is no
 * longer run) is forgotten, so its next transition notifies again. An
 * `unknown` verdict (an unreachable registry) changes nothing.
 */
export class OwnerNotifier {
  private readonly reports: EntityImageReports;
  private readonly catalog: CatalogService;
  private readonly auth: AuthService;
  private readonly notifications: NotificationService;
  private readonly store: TransitionStore;
  private readonly logger: LoggerService;
  private readonly config: NotificationsConfig;
  private readonly now: Clock;

  constructor(options: {
    reports: EntityImageReports;
    catalog: CatalogService;
    auth: AuthService;
    notifications: NotificationService;
    store: TransitionStore;
    logger: LoggerService;
    config: NotificationsConfig;
    now?: Clock;
  }) {
    this.reports = options.reports;
    this.catalog = options.catalog;
    this.auth = options.auth;
    this.notifications = options.notifications;
    this.store = options.store;
    this.logger = options.logger;
    this.config = options.config;
    this.now = options.now ?? systemClock;
  }

  /** One pass over every entity the core knows; stops between entities once `signal` aborts. */
  async run(signal?: AbortSignal): Promise<NotifierRunSummary> {
    const started = performance.now();
    const summary: NotifierRunSummary = {
      entities: 0,
      sent: 0,
      cleared: 0,
      removed: 0,
      withoutOwner: 0,
      failed: 0,
    };
    const refs = await this.reports.listEntityRefs();
    // the entities the catalog still has (by their refs as stored)
    const present = new Set<string>();
    for (let i = 0; i < refs.length && !signal?.aborted; i += BATCH) {
      const batch = refs.slice(i, i + BATCH);
      let entities: Array<Entity | undefined>;
      try {
        entities = await this.entities(batch);
      } catch (error) {
        // unknown, not gone: keep their transitions
        batch.forEach(ref => present.add(ref));
        summary.failed += batch.length;
        this.logger.warn('Owner notifications: the catalog did not answer', {
          entities: batch.length,
          error: String(error),
        });
        continue;
      }
      for (const [index, entity] of entities.entries()) {
        if (signal?.aborted) break;
        // gone from the catalog: nobody to tell, nothing to link to
        if (!entity) continue;
        present.add(stringifyEntityRef(entity));
        summary.entities += 1;
        try {
          await this.notifyEntity(entity, summary);
        } catch (error) {
          summary.failed += 1;
          this.logger.warn('Owner notifications failed for an entity', {
            entityRef: batch[index],
            error: String(error),
          });
        }
      }
    }
    if (!signal?.aborted) {
      summary.removed = await this.forgetRemoved(refs, present);
    }
    this.logger.info('Image freshness owner notifications finished', {
      ...summary,
      durationMs: Math.round(performance.now() - started),
    });
    return summary;
  }

  /**
   * Forgets the transitions of entities that left the plugin's store or the
   * catalog, so one that comes back is told about again. Answers how many
   * entities that were.
   */
  private async forgetRemoved(
    refs: readonly string[],
    present: ReadonlySet<string>,
  ): Promise<number> {
    const known = new Set(refs);
    const removed = (await this.store.listEntityRefs()).filter(
      ref => !known.has(ref) || !present.has(ref),
    );
    await this.store.releaseEntities(removed);
    return removed.length;
  }

  private async entities(refs: string[]): Promise<Array<Entity | undefined>> {
    const { items } = await this.catalog.getEntitiesByRefs(
      { entityRefs: refs },
      { credentials: await this.auth.getOwnServiceCredentials() },
    );
    return items;
  }

  private async notifyEntity(entity: Entity, summary: NotifierRunSummary) {
    const entityRef = stringifyEntityRef(entity);
    const report = await this.reports.build(entity);
    const { holding, isOver } = conditions(report);
    const recorded = await this.store.list(entityRef);
    const recordedIds = new Set(recorded.map(transitionId));

    const over = recorded.filter(t => isOver(transitionId(t)));
    await this.store.release(over);
    summary.cleared += over.length;

    const news = holding.filter(
      c => !recordedIds.has(transitionId({ entityRef, ...c })),
    );
    if (news.length === 0) return;
    const ownerRef = ownerOf(entity);
    if (!ownerRef) {
      summary.withoutOwner += 1;
      this.logger.warn(
        'Owner notifications: the entity has no owner (spec.owner), so nobody was told',
        {
          entityRef,
          transitions: news.map(c => `${c.kind} ${c.image}`).join(', '),
        },
      );
      return;
    }
    for (const condition of news) {
      const key: TransitionKey = {
        entityRef,
        kind: condition.kind,
        image: condition.image,
      };
      // another replica, or an earlier run that got this far, has it
      if (
        !(await this.store.claim({ ...key, ownerRef, notifiedAt: this.now() }))
      ) {
        continue;
      }
      try {
        await this.notifications.send({
          recipients: { type: 'entity', entityRef: ownerRef },
          payload: notificationPayload({
            entity,
            condition,
            severity: this.config.severity[condition.kind],
          }),
        });
      } catch (error) {
        // not sent: the next run tries again
        await this.store.release([key]);
        throw error;
      }
      summary.sent += 1;
      this.logger.info('Owner notified', {
        entityRef,
        ownerRef,
        kind: condition.kind,
        image: condition.image,
      });
    }
  }
}

/** What a verdict says about a condition: it holds, it is over, or the verdict cannot tell. */
type ConditionState = 'holds' | 'over' | 'unknown';

function stateOf(verdict: string, holds: string): ConditionState {
  if (verdict === holds) return 'holds';
  return verdict === 'unknown' ? 'unknown' : 'over';
}

/**
 * The conditions the report shows: `holding`, stale images and due
 * rebuilds (one per image and kind); `isOver(id)`, whether a recorded
 * condition ended: a row says it is over (fresh or aging again, base current
 * or updated) and none that it holds, or the image is no longer in the
 * report. An `unknown` verdict alone ends nothing.
 */
export function conditions(report: EntityImageReport): {
  holding: Condition[];
  isOver(id: string): boolean;
} {
  const holding = new Map<string, Condition>();
  const over = new Set<string>();
  const seen = new Set<string>();
  const note = (state: ConditionState, condition: Condition) => {
    const id = transitionId({ entityRef: report.entityRef, ...condition });
    seen.add(id);
    if (state === 'holds' && !holding.has(id)) holding.set(id, condition);
    if (state === 'over') over.add(id);
  };
  for (const container of report.containers) {
    note(stateOf(container.freshness.verdict, 'stale'), {
      kind: 'stale',
      image: container.image,
      reason: container.freshness.reason,
      digest: container.digest,
    });
  }
  for (const base of report.baseImages) {
    note(stateOf(base.verdict.verdict, 'rebuild-due'), {
      kind: 'rebuild-due',
      image: base.image,
      reason: base.verdict.reason,
      digest: base.imageDigest,
      base: base.base?.name,
    });
  }
  return {
    holding: [...holding.values()],
    isOver: id => !seen.has(id) || (over.has(id) && !holding.has(id)),
  };
}

/** The entity's owner: its `ownedBy` relation, else `spec.owner` (a group by default). */
export function ownerOf(entity: Entity): string | undefined {
  const related = entity.relations?.find(
    r => r.type === RELATION_OWNED_BY,
  )?.targetRef;
  if (related) return related;
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || owner.trim() === '') return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}
