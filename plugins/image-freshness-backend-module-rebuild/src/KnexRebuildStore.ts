import {
  type DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import type {
  ErrorClass,
  RebuildAttempt,
  RebuildOutcome,
} from 'backstage-plugin-image-freshness-common';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import type {
  BaseMoveKey,
  Claim,
  ClaimRefusal,
  ClaimRequest,
  RebuildStore,
  RecordedOutcome,
} from './RebuildStore';

const TABLE = 'rebuild_attempts';
/** The module's own knex migrations table, apart from the core plugin's `knex_migrations`. */
export const MIGRATIONS_TABLE = 'rebuild_knex_migrations';

type DateValue = Date | string | number;

interface AttemptRow {
  id: number;
  entity_ref: string;
  image: string;
  base_digest: string;
  base_name: string;
  built_on_digest: string | null;
  provider: string;
  target: string;
  trigger: string;
  triggered_by: string | null;
  outcome: string;
  claim: string;
  attempts: number;
  attempted_at: DateValue;
  finished_at: DateValue | null;
  run_id: number | string | null;
  run_number: number | null;
  run_url: string | null;
  error_class: string | null;
  error_message: string | null;
  error_status: number | null;
  next_retry_at: DateValue | null;
}

/** Dates as the drivers answer them: SQLite a number or string, PostgreSQL a Date. */
function iso(value: DateValue | null): string | undefined {
  if (value === null || value === undefined) return undefined;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function toAttempt(row: AttemptRow): RebuildAttempt {
  const run =
    row.run_id !== null || row.run_number !== null || row.run_url !== null
      ? {
          ...(row.run_id !== null ? { id: Number(row.run_id) } : {}),
          ...(row.run_number !== null ? { number: row.run_number } : {}),
          ...(row.run_url !== null ? { url: row.run_url } : {}),
        }
      : undefined;
  return {
    entityRef: row.entity_ref,
    image: row.image,
    baseName: row.base_name,
    baseDigest: row.base_digest,
    ...(row.built_on_digest ? { builtOnDigest: row.built_on_digest } : {}),
    provider: row.provider as RebuildAttempt['provider'],
    target: row.target,
    trigger: row.trigger as RebuildAttempt['trigger'],
    ...(row.triggered_by ? { triggeredBy: row.triggered_by } : {}),
    outcome: row.outcome as RebuildOutcome,
    attempts: row.attempts,
    attemptedAt: iso(row.attempted_at)!,
    ...(row.finished_at !== null ? { finishedAt: iso(row.finished_at) } : {}),
    ...(run ? { run } : {}),
    ...(row.error_class
      ? {
          error: {
            class: row.error_class as ErrorClass,
            message: row.error_message ?? '',
            ...(row.error_status !== null ? { status: row.error_status } : {}),
          },
        }
      : {}),
    ...(row.next_retry_at !== null
      ? { nextRetryAt: iso(row.next_retry_at) }
      : {}),
  };
}

/** A fresh try's columns: pending, no answer yet. */
const PENDING = {
  outcome: 'pending',
  finished_at: null,
  run_id: null,
  run_number: null,
  run_url: null,
  error_class: null,
  error_message: null,
  error_status: null,
  next_retry_at: null,
};

/** {@link RebuildStore} on the plugin's database (SQLite or PostgreSQL). */
export class KnexRebuildStore implements RebuildStore {
  private constructor(private readonly db: Knex) {}

  /** Runs the module's migrations (its own directory and knex table) unless the database service skips them. */
  static async create(database: DatabaseService): Promise<KnexRebuildStore> {
    const db = await database.getClient();
    if (!database.migrations?.skip) {
      await db.migrate.latest({
        directory: resolvePackagePath(
          'backstage-plugin-image-freshness-backend-module-rebuild',
          'migrations',
        ),
        tableName: MIGRATIONS_TABLE,
      });
    }
    return new KnexRebuildStore(db);
  }

  private where(key: BaseMoveKey) {
    return this.db<AttemptRow>(TABLE).where({
      entity_ref: key.entityRef,
      image: key.image,
      base_digest: key.baseDigest,
    });
  }

  async claim(
    request: ClaimRequest,
    now: Date,
    options: { force?: boolean } = {},
  ): Promise<({ claimed: true } & Claim) | ClaimRefusal> {
    const token = randomUUID();
    const key: BaseMoveKey = {
      entityRef: request.entityRef,
      image: request.image,
      baseDigest: request.baseDigest,
    };
    const who = {
      base_name: request.baseName,
      built_on_digest: request.builtOnDigest ?? null,
      provider: request.provider,
      target: request.target,
      trigger: request.trigger,
      triggered_by: request.triggeredBy ?? null,
      claim: token,
      attempted_at: now,
      ...PENDING,
    };
    await this.db(TABLE)
      .insert({
        entity_ref: key.entityRef,
        image: key.image,
        base_digest: key.baseDigest,
        attempts: 1,
        ...who,
      })
      .onConflict(['entity_ref', 'image', 'base_digest'])
      .ignore();
    let row = await this.where(key).first();
    if (row?.claim === token) {
      return { claimed: true, key, token, attempt: 1 };
    }
    // A try that failed (or whose answer was lost) is taken over when its
    // retry is due; the update's condition makes one claimer win.
    const retry = this.where(key)
      .whereIn('outcome', ['failed', 'unknown'])
      .update({ ...who, attempts: this.db.raw('attempts + 1') });
    const updated = options.force
      ? await retry
      : await retry.andWhere('next_retry_at', '<=', now);
    row = await this.where(key).first();
    if (updated === 1 && row?.claim === token) {
      return { claimed: true, key, token, attempt: row.attempts };
    }
    return { claimed: false, existing: toAttempt(row!) };
  }

  async record(
    claim: Claim,
    recorded: RecordedOutcome,
    now: Date,
  ): Promise<boolean> {
    const columns =
      recorded.outcome === 'triggered'
        ? {
            outcome: 'triggered',
            run_id: recorded.run.id ?? null,
            run_number: recorded.run.number ?? null,
            run_url: recorded.run.url ?? null,
          }
        : {
            outcome: recorded.outcome,
            error_class: recorded.error.class,
            error_message: recorded.error.message,
            error_status: recorded.error.status ?? null,
            next_retry_at: recorded.nextRetryAt,
          };
    const updated = await this.where(claim.key)
      .andWhere({ claim: claim.token, outcome: 'pending' })
      .update({ finished_at: now, ...columns });
    return updated === 1;
  }

  async expirePending(
    cutoff: Date,
    now: Date,
    retryAt: (attempt: number) => Date,
  ): Promise<RebuildAttempt[]> {
    const stale = await this.db<AttemptRow>(TABLE)
      .where('outcome', 'pending')
      .andWhere('attempted_at', '<', cutoff);
    const marked: RebuildAttempt[] = [];
    for (const row of stale) {
      const updated = await this.db<AttemptRow>(TABLE)
        .where({ id: row.id, claim: row.claim, outcome: 'pending' })
        .update({
          outcome: 'unknown',
          finished_at: now,
          error_class: 'UNKNOWN',
          error_message: `No answer was recorded for the try started at ${iso(
            row.attempted_at,
          )}: the backend stopped after claiming it, so the dispatch may or may not have been sent. Check the runs of ${
            row.target
          }; it is retried at the time shown unless a run already started.`,
          next_retry_at: retryAt(row.attempts),
        });
      if (updated === 1) {
        const after = await this.db<AttemptRow>(TABLE)
          .where({ id: row.id })
          .first();
        if (after) marked.push(toAttempt(after));
      }
    }
    return marked;
  }

  async listForEntity(entityRef: string): Promise<RebuildAttempt[]> {
    const rows = await this.db<AttemptRow>(TABLE)
      .where({ entity_ref: entityRef })
      .orderBy([
        { column: 'attempted_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return rows.map(toAttempt);
  }

  async get(key: BaseMoveKey): Promise<RebuildAttempt | undefined> {
    const row = await this.where(key).first();
    return row ? toAttempt(row) : undefined;
  }
}
