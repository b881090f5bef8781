/**
 * The entity route asks the catalog with each caller's credentials. Requests
 * with the very same token for the same entity while the catalog is being
 * asked share its answer (one permission check for the entity page's tab and
 * card); another caller's request never does, so one caller's access never
 * answers for another. The catalog is a stand-in that lets each user read a
 * fixed set of entities and holds its answers until the test releases them.
 */
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import type {
  BackstageUserPrincipal,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  type CompoundEntityRef,
  type Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import knexFactory, { Knex } from 'knex';
import { Duration } from 'luxon';
import request from 'supertest';
import type { EntityRefresher } from './EntityRefresher';
import { KnexEntityStore } from './KnexEntityStore';
import { ReportBuilder } from './ReportBuilder';
import { createRouter } from './router';

const api: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'api', namespace: 'default' },
  spec: { type: 'service', owner: 'team-a' },
};

/** Who may read what. */
const READERS: Record<string, string[]> = {
  'user:default/alice': ['component:default/api'],
  'user:default/bob': [],
};

/** The mock HttpAuthService, calling `onChecked` after each credentials check (passed or refused). */
function countingHttpAuth(onChecked: () => void): HttpAuthService {
  const inner = mockServices.httpAuth();
  return {
    ...inner,
    credentials: (async (req: express.Request, options?: object) => {
      try {
        return await inner.credentials(req, options as never);
      } finally {
        onChecked();
      }
    }) as HttpAuthService['credentials'],
  };
}

describe('the catalog read of the entity routes', () => {
  let knex: Knex;
  let app: express.Express;
  /** Every catalog read, by user, and the gate that holds the answers back. */
  let reads: string[];
  let release: () => void;
  let held: Promise<void>;
  /** Requests whose credentials were checked (or refused) so far. */
  let checked: number;

  beforeEach(async () => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    const store = await KnexEntityStore.create({
      database: { getClient: async () => knex },
    });
    reads = [];
    checked = 0;
    held = new Promise(resolve => {
      release = resolve;
    });
    const catalog = {
      async getEntityByRef(
        ref: CompoundEntityRef,
        { credentials }: { credentials: { principal: unknown } },
      ) {
        const user = (credentials.principal as BackstageUserPrincipal)
          .userEntityRef;
        reads.push(user);
        await held;
        const wanted = stringifyEntityRef(ref);
        return READERS[user]?.includes(wanted) &&
          wanted === stringifyEntityRef(api)
          ? api
          : undefined;
      },
    } as unknown as CatalogService;
    app = express();
    app.use(
      await createRouter({
        httpAuth: countingHttpAuth(() => checked++),
        catalog,
        reports: new ReportBuilder({
          store,
          maxAge: Duration.fromObject({ days: 30 }),
        }),
        refresher: {} as EntityRefresher,
        store,
        logger: mockServices.logger.mock(),
      }),
    );
    app.use(
      MiddlewareFactory.create({
        config: new ConfigReader({}),
        logger: mockServices.logger.mock(),
      }).error(),
    );
  });
  afterEach(() => knex.destroy());

  const get = (header: string) =>
    request(app)
      .get('/entities/component/default/api')
      .set('authorization', header);

  /**
   * Sends the requests, lets the catalog answer once every one of them has
   * had its credentials checked (and so asked the catalog or joined a read
   * under way), and answers the responses.
   */
  async function concurrently(headers: string[]) {
    const responses = headers.map(header => get(header).then(res => res));
    while (checked < headers.length) {
      await new Promise(r => setTimeout(r, 10));
    }
    release();
    return Promise.all(responses);
  }

  it('shares one catalog read among requests with the same token for the same entity', async () => {
    const alice = mockCredentials.user.header('user:default/alice');
    const responses = await concurrently([alice, alice, alice]);
    expect(responses.map(r => r.status)).toEqual([200, 200, 200]);
    expect(
      responses.every(r => r.body.entityRef === 'component:default/api'),
    ).toBe(true);
    expect(reads).toEqual(['user:default/alice']);

    // Once answered, the next request asks the catalog again.
    const later = await get(alice);
    expect(later.status).toBe(200);
    expect(reads).toEqual(['user:default/alice', 'user:default/alice']);
  });

  it("never answers one caller with another's read: each is asked with its own credentials", async () => {
    const responses = await concurrently([
      mockCredentials.user.header('user:default/alice'),
      mockCredentials.user.header('user:default/bob'),
    ]);
    expect(responses.map(r => r.status)).toEqual([200, 404]);
    expect(responses[1].body.error.name).toBe('NotFoundError');
    expect([...reads].sort()).toEqual([
      'user:default/alice',
      'user:default/bob',
    ]);
  });

  it('checks every request’s credentials, also one that would join a read under way', async () => {
    const alice = mockCredentials.user.header('user:default/alice');
    const responses = await concurrently([alice, 'Bearer not-a-token']);
    expect(responses.map(r => r.status)).toEqual([200, 401]);
    expect(reads).toEqual(['user:default/alice']);
  });
});
