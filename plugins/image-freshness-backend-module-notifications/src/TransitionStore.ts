import {
  type DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import type { TransitionKind } from './config';

/** One condition of one image of one entity. */
export interface TransitionKey {
  entityRef: string;
  kind: TransitionKind;
  /** The image reference as the entity runs it. */
  image: string;
}

/** A transition the owner was told about, recorded while it lasts. */
export interface NotifiedTransition extends TransitionKey {
  ownerRef: string;
  notifiedAt: Date;
}

/**
 * The transitions owners were told about. A transition is claimed before
 * its notification is sent, so however many replicas or restarts look at
 * it, one send happens; it is released when the condition ends (or the send
 * failed), so the next transition notifies again.
 */
export interface TransitionStore {
  /** The recorded transitions of one entity. */
  list(entityRef: string): Promise<NotifiedTransition[]>;
  /** Records `transition`: true when this call did, false when it was recorded already. */
  claim(transition: NotifiedTransition): Promise<boolean>;
  /** Forgets transitions; unknown keys are ignored. */
  release(keys: readonly TransitionKey[]): Promise<void>;
  /** The entities with recorded transitions. */
  listEntityRefs(): Promise<string[]>;
  /** Forgets every transition of these entities (gone from the plugin's store or the catalog). */
  releaseEntities(entityRefs: readonly string[]): Promise<void>;
}

const TABLE = 'notification_transitions';
/** The module's own migrations table, beside the core's `knex_migrations` in the plugin database. */
export const MIGRATIONS_TABLE = 'notification_knex_migrations';

interface TransitionRow {
  entity_ref: string;
  kind: string;
  image: string;
  owner_ref: string;
  notified_at: Date | string | number;
}

/** {@link TransitionStore} on the plugin's database (SQLite or PostgreSQL). */
export class KnexTransitionStore implements TransitionStore {
  /** Runs the module's migrations (unless the database service skips them) and answers the store. */
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexTransitionStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({
        directory: resolvePackagePath(
          'backstage-plugin-image-freshness-backend-module-notifications',
          'migrations',
        ),
        tableName: MIGRATIONS_TABLE,
      });
    }
    return new KnexTransitionStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  async list(entityRef: string): Promise<NotifiedTransition[]> {
    const rows = await this.knex<TransitionRow>(TABLE)
      .where({ entity_ref: entityRef })
      .orderBy(['kind', 'image']);
    return rows.map(row => ({
      entityRef: row.entity_ref,
      kind: row.kind as NotifiedTransition['kind'],
      image: row.image,
      ownerRef: row.owner_ref,
      notifiedAt:
        row.notified_at instanceof Date
          ? row.notified_at
          : new Date(row.notified_at),
    }));
  }

  async claim(transition: NotifiedTransition): Promise<boolean> {
    const inserted = await this.knex<TransitionRow>(TABLE)
      .insert({
        entity_ref: transition.entityRef,
        kind: transition.kind,
        image: transition.image,
        owner_ref: transition.ownerRef,
        notified_at: transition.notifiedAt,
      })
      .onConflict(['entity_ref', 'kind', 'image'])
      .ignore()
      .returning('entity_ref');
    return inserted.length > 0;
  }

  async listEntityRefs(): Promise<string[]> {
    const rows = await this.knex<TransitionRow>(TABLE)
      .distinct('entity_ref')
      .orderBy('entity_ref');
    return rows.map(row => row.entity_ref);
  }

  async releaseEntities(entityRefs: readonly string[]): Promise<void> {
    // in chunks: a database takes a bounded number of parameters
    for (let i = 0; i < entityRefs.length; i += 500) {
      await this.knex<TransitionRow>(TABLE)
        .whereIn('entity_ref', entityRefs.slice(i, i + 500))
        .delete();
    }
  }

  async release(keys: readonly TransitionKey[]): Promise<void> {
    if (keys.length === 0) return;
    await this.knex<TransitionRow>(TABLE)
      .where(builder => {
        for (const key of keys) {
          builder.orWhere({
            entity_ref: key.entityRef,
            kind: key.kind,
            image: key.image,
          });
        }
      })
      .delete();
  }
}
