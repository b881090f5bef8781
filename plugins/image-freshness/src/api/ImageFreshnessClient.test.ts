import { ResponseError } from '@backstage/errors';
import { registerMswTestHooks } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ImageFreshnessClient } from './ImageFreshnessClient';
import { retryAfterSeconds } from './retryAfter';

const BASE = 'http://backstage.test/api/image-freshness';

// msw answers like the backend would; the client uses the real fetch path.
const server = setupServer();
registerMswTestHooks(server);

function backend(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const requests: Array<{ url: string; method: string; auth?: string }> = [];
  server.use(
    http.all(`${BASE}/*`, ({ request }) => {
      requests.push({
        url: request.url,
        method: request.method,
        auth: request.headers.get('authorization') ?? undefined,
      });
      return HttpResponse.json(body as object, { status, headers });
    }),
  );
  const fetchApi = {
    // as the app's fetchApi does: the user's token on every request
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      fetch(input, {
        ...init,
        headers: { ...init?.headers, authorization: 'Bearer user-token' },
      }),
  };
  const discoveryApi = {
    getBaseUrl: async (pluginId: string) =>
      `http://backstage.test/api/${pluginId}`,
  };
  return {
    client: new ImageFreshnessClient({ discoveryApi, fetchApi }),
    requests,
  };
}

describe('ImageFreshnessClient', () => {
  it('asks for a page of the overview with its filters, leaving out the unset ones', async () => {
    const { client, requests } = backend(200, { items: [], totalItems: 0 });
    const page = await client.getOverview({
      offset: 50,
      limit: 25,
      owner: 'group:default/team-a',
      verdict: 'rebuild-due',
      system: undefined,
      q: '',
    });
    expect(page.totalItems).toBe(0);
    expect(requests).toEqual([
      {
        url: `${BASE}/overview?offset=50&limit=25&owner=group%3Adefault%2Fteam-a&verdict=rebuild-due`,
        method: 'GET',
        auth: 'Bearer user-token',
      },
    ]);
  });

  it('throws a ResponseError with the backend’s message when the overview query is refused', async () => {
    const { client } = backend(400, {
      error: { name: 'InputError', message: 'Invalid overview query: limit' },
      response: { statusCode: 400 },
    });
    const error = await client.getOverview({ limit: 500 }).catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(400);
    expect(error.body.error.message).toBe('Invalid overview query: limit');
  });

  it('asks for the entity report at an encoded path', async () => {
    const { client, requests } = backend(200, {
      entityRef: 'component:default/a b',
      containers: [],
      errors: [],
    });
    const report = await client.getEntityReport({
      kind: 'Component',
      namespace: 'default',
      name: 'a b',
    });
    expect(report.entityRef).toBe('component:default/a b');
    expect(requests).toEqual([
      {
        url: 'http://backstage.test/api/image-freshness/entities/Component/default/a%20b',
        method: 'GET',
        auth: 'Bearer user-token',
      },
    ]);
  });

  it('turns failures into ResponseErrors that keep the backend message', async () => {
    const { client } = backend(404, {
      error: {
        name: 'NotFoundError',
        message: 'No entity component:default/x',
      },
      response: { statusCode: 404 },
    });
    const failure = client.getEntityReport({
      kind: 'Component',
      namespace: 'default',
      name: 'x',
    });
    const error = await failure.catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect((error as ResponseError).response.status).toBe(404);
    expect((error as ResponseError).cause.message).toBe(
      'No entity component:default/x',
    );
  });

  it('posts refresh requests', async () => {
    const { client, requests } = backend(202, { status: 'accepted' });
    await client.refreshEntity({
      kind: 'Component',
      namespace: 'default',
      name: 'a',
    });
    expect(requests[0]).toEqual({
      url: 'http://backstage.test/api/image-freshness/entities/Component/default/a/refresh',
      method: 'POST',
      auth: 'Bearer user-token',
    });
  });

  it('turns a 429 into a ResponseError that says how long to wait', async () => {
    const { client } = backend(
      429,
      {
        error: {
          name: 'TooManyRequestsError',
          message:
            'component:default/a was refreshed less than 60 s ago; try again in 37 s',
        },
        response: { statusCode: 429 },
      },
      { 'retry-after': '37' },
    );
    const error = await client
      .refreshEntity({ kind: 'Component', namespace: 'default', name: 'a' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(retryAfterSeconds(error)).toBe(37);
    expect((error as ResponseError).cause.message).toMatch(/try again in 37 s/);
  });

  it('reads Retry-After as an HTTP date too, and only for 429s', async () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const dated = await backend(
      429,
      { error: { name: 'TooManyRequestsError', message: 'slow down' } },
      { 'retry-after': 'Sun, 22 Nov 2026 12:00:30 GMT' },
    )
      .client.refreshEntity({ kind: 'c', namespace: 'd', name: 'e' })
      .catch(e => e);
    expect(retryAfterSeconds(dated, now)).toBe(30);
    const notFound = await backend(404, {
      error: { name: 'NotFoundError', message: 'no' },
    })
      .client.refreshEntity({ kind: 'c', namespace: 'd', name: 'e' })
      .catch(e => e);
    expect(retryAfterSeconds(notFound)).toBeUndefined();
  });

  it('reads the rebuild attempts, and answers undefined when the backend has no rebuild routes (404)', async () => {
    const entity = { kind: 'Component', namespace: 'default', name: 'a' };
    const attempts = { entityRef: 'component:default/a', attempts: [] };
    const { client, requests } = backend(200, attempts);
    expect(await client.getRebuilds(entity)).toEqual(attempts);
    expect(requests[0].url).toBe(`${BASE}/rebuilds/Component/default/a`);
    const absent = backend(404, {
      error: {
        name: 'NotFoundError',
        message: 'The image-freshness API has no route GET /rebuilds/...',
      },
    });
    expect(await absent.client.getRebuilds(entity)).toBeUndefined();
    const denied = await backend(401, {
      error: { name: 'AuthenticationError', message: 'no' },
    })
      .client.getRebuilds(entity)
      .catch(e => e);
    expect(denied).toBeInstanceOf(ResponseError);
  });

  it('posts a rebuild trigger naming the image, and throws the 403 of a denied user', async () => {
    const entity = { kind: 'Component', namespace: 'default', name: 'a' };
    const { client, requests } = backend(201, { outcome: 'triggered' });
    expect(await client.triggerRebuild(entity, 'ghcr.io/acme/a:1')).toEqual({
      outcome: 'triggered',
    });
    expect(requests).toEqual([
      {
        url: `${BASE}/rebuilds/Component/default/a/trigger`,
        method: 'POST',
        auth: 'Bearer user-token',
      },
    ]);
    const denied = await backend(403, {
      error: {
        name: 'NotAllowedError',
        message:
          'Triggering a rebuild needs the image-freshness.rebuild.trigger permission',
      },
    })
      .client.triggerRebuild(entity, 'ghcr.io/acme/a:1')
      .catch(e => e);
    expect(denied).toBeInstanceOf(ResponseError);
    expect((denied as ResponseError).statusCode).toBe(403);
  });
});
