import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  BaseImageReport,
  Clock,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import { DispatchError, type Dispatcher } from './dispatch';
import type { RebuildMetrics } from './metrics';
import type { RebuildStore } from './RebuildStore';
import { describeTarget, type RebuildTarget } from './targets';

/** A managed image's base that moved: what a rebuild is for. */
export interface DueRebuild {
  entityRef: string;
  image: string;
  baseName: string;
  baseDigest: string;
  builtOnDigest?: string;
}

/** The base move of a report row, when it is a managed image whose base tag points elsewhere than it was built on. */
export function baseMove(
  entityRef: string,
  report: BaseImageReport,
): DueRebuild | undefined {
  const base = report.base;
  if (!report.managed || !base?.currentDigest) return undefined;
  if (base.builtOnDigest === base.currentDigest) return undefined;
  return {
    entityRef,
    image: report.image,
    baseName: base.name,
    baseDigest: base.currentDigest,
    builtOnDigest: base.builtOnDigest,
  };
}

/**
 * Claim, dispatch, record: the one path of every rebuild, scheduled or
 * manual. Only the claim's holder dispatches; a failure is recorded with
 * its class and the next retry (exponential backoff from `minRetryDelay`
 * to `maxRetryDelay`, never before a rate limit's reset); a dispatch whose
 * answer was lost is recorded `unknown`.
 */
export class RebuildTrigger {
  constructor(
    private readonly options: {
      store: RebuildStore;
      dispatcher: Dispatcher;
      metrics: RebuildMetrics;
      logger: LoggerService;
      now: Clock;
      minRetryDelayMs: number;
      maxRetryDelayMs: number;
    },
  ) {}

  /** The next retry of try number `attempt`, counted from `from`. */
  retryAt(attempt: number, from: Date): Date {
    const { minRetryDelayMs, maxRetryDelayMs } = this.options;
    const delay = Math.min(
      maxRetryDelayMs,
      minRetryDelayMs * 2 ** Math.min(attempt - 1, 30),
    );
    return new Date(from.getTime() + delay);
  }

  /**
   * Triggers the rebuild when its claim is won; answers the attempt as
   * recorded, and whether this call dispatched.
   */
  async trigger(
    due: DueRebuild,
    target: RebuildTarget,
    how: {
      trigger: 'scheduled' | 'manual';
      triggeredBy?: string;
      signal?: AbortSignal;
    },
  ): Promise<{ dispatched: boolean; attempt: RebuildAttempt }> {
    const { store, dispatcher, metrics, logger, now } = this.options;
    const claim = await store.claim(
      {
        ...due,
        provider: target.provider,
        target: describeTarget(target),
        trigger: how.trigger,
        triggeredBy: how.triggeredBy,
      },
      now(),
      { force: how.trigger === 'manual' },
    );
    if (!claim.claimed) return { dispatched: false, attempt: claim.existing };
    const labels = { provider: target.provider, trigger: how.trigger };
    try {
      const run = await dispatcher.dispatch(target, due, {
        signal: how.signal,
        now,
      });
      if (!(await store.record(claim, { outcome: 'triggered', run }, now()))) {
        // slower than unknownOutcomeAfter: already marked unknown (and maybe retried)
        logger.warn(
          'A rebuild was triggered after its try was marked unknown',
          {
            entityRef: due.entityRef,
            image: due.image,
            baseDigest: due.baseDigest,
            run: run.url ?? run.id,
          },
        );
      }
      metrics.attempt({ ...labels, outcome: 'triggered' });
      logger.info('Triggered a rebuild', {
        entityRef: due.entityRef,
        image: due.image,
        baseDigest: due.baseDigest,
        target: describeTarget(target),
        trigger: how.trigger,
        run: run.url ?? run.id,
      });
    } catch (error) {
      if (how.signal?.aborted) {
        // Shutting down mid-dispatch: the answer is lost. The claim stays
        // pending and becomes `unknown` after unknownOutcomeAfter.
        throw error;
      }
      const failure =
        error instanceof DispatchError
          ? error
          : new DispatchError({
              class: 'UNKNOWN',
              message: `The rebuild could not be sent: ${String(error)}`,
            });
      const finished = now();
      const backoff = this.retryAt(claim.attempt, finished);
      const nextRetryAt =
        failure.retryAt && failure.retryAt > backoff
          ? failure.retryAt
          : backoff;
      const outcome = failure.sent === 'maybe' ? 'unknown' : 'failed';
      await store.record(
        claim,
        {
          outcome,
          error: {
            class: failure.class,
            message: failure.message,
            status: failure.status,
          },
          nextRetryAt,
        },
        finished,
      );
      metrics.attempt({ ...labels, outcome, error: failure.class });
      logger.warn('Rebuild trigger failed', {
        entityRef: due.entityRef,
        image: due.image,
        baseDigest: due.baseDigest,
        target: describeTarget(target),
        error: failure.class,
        status: failure.status,
        message: failure.message,
        nextRetryAt: nextRetryAt.toISOString(),
      });
    }
    return {
      dispatched: true,
      attempt: (await store.get(claim.key))!,
    };
  }
}
