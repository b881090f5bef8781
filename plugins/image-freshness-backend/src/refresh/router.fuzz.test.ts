/**
 * Fuzzes the entity API through the real plugin on startTestBackend (with an
 * in-memory catalog holding one entity) over HTTP with supertest: arbitrary
 * kind/namespace/name segments (percent-encoded unicode, dots, slashes, broken
 * escapes, overlong), arbitrary query strings, and arbitrary methods, content
 * types and bodies on both routes. Every answer is a 200/202 for the one
 * existing entity, or a well-formed JSON error (`error.name`, `error.message`,
 * `response.statusCode`) with a 4xx status; never a 500, and the backend is
 * still up and correct afterwards. Each case sends a batch of requests at once,
 * so the run covers more than 10,000 requests in well under a minute.
 */
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import {
  CASE_LIMIT_MS,
  fuzzRuns,
  FUZZ_TEST_TIMEOUT_MS,
  startCaseClock,
} from '@internal/test/harness/fuzz';
import fc from 'fast-check';
import request from 'supertest';
import { startPluginBackend } from '../__testUtils__/pluginBackend';

const ENTITY: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'api', namespace: 'default' },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch' | 'head' | 'options';

interface Case {
  method: Method;
  path: string;
  /** The segments as the server will decode them, when they decode. */
  segments?: [string, string, string];
  refresh: boolean;
  contentType?: string;
  body?: string;
}

/** A segment as text: near the real one, odd, or arbitrary. */
const segmentText = fc.oneof(
  fc.constantFrom(
    'component',
    'Component',
    'default',
    'DEFAULT',
    'api',
    'API',
    'api ',
    '.',
    '..',
    '...',
    '%',
    '%2F',
    ':',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      '.',
      '/',
      '\\',
      '%',
      ':',
      '?',
      '#',
      ' ',
      'é',
      '😀',
      '\u0000',
    ),
    minLength: 1,
    maxLength: 8,
  }),
  fc.integer({ min: 250, max: 400 }).map(n => 'x'.repeat(n)),
);

/** How a segment is written into the URL. */
const encoding = fc.constantFrom('component', 'uri', 'broken');

function encode(
  text: string,
  how: string,
): { written: string; decoded?: string } {
  if (how === 'component')
    return { written: encodeURIComponent(text), decoded: text };
  if (how === 'uri') {
    // Slashes, dots, '%' and '?' as they are: they change the route or the query.
    const written = encodeURI(text).replace(/%25/g, '%');
    let decoded: string | undefined;
    try {
      decoded = /[/?#]/.test(written) ? undefined : decodeURIComponent(written);
    } catch {
      decoded = undefined;
    }
    return { written, decoded };
  }
  return { written: `${encodeURIComponent(text)}%E0%A4%A`, decoded: undefined };
}

const query = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), {
      maxKeys: 4,
    })
    .map(q => `?${new URLSearchParams(q).toString()}`),
  fc.constantFrom(
    '?a[b][c][d][e][f][g]=1',
    '?a=%',
    '?%=%',
    `?${'a[]=1&'.repeat(200)}`,
    '?__proto__[x]=1',
    '?kind=x&name=',
  ),
);

const body = fc.oneof(
  fc.record({
    contentType: fc.constant(undefined),
    body: fc.constant(undefined),
  }),
  fc.record({
    contentType: fc.constant('application/json'),
    body: fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '{',
        '{"a":',
        'null',
        '[]',
        '"x"',
        `{"a":"${'x'.repeat(200_000)}"}`,
      ),
    ),
  }),
  fc.record({
    contentType: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-7',
      'application/json; charset=nope',
      'multipart/form-data; boundary=x',
      '*/*',
      'application/octet-stream',
    ),
    body: fc.string({ unit: 'binary', maxLength: 60 }),
  }),
);

const requestCase: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom<Method>(
      'get',
      'get',
      'get',
      'post',
      'post',
      'put',
      'delete',
      'patch',
      'head',
      'options',
    ),
    kind: fc.tuple(segmentText, encoding),
    namespace: fc.tuple(segmentText, encoding),
    name: fc.tuple(segmentText, encoding),
    refresh: fc.boolean(),
    query,
    body,
    /** Sometimes the real entity, so 200/202/429 are exercised too. */
    real: fc.boolean(),
  })
  .map(c => {
    const parts = c.real
      ? [
          ['component', 'component'],
          ['default', 'component'],
          ['api', 'component'],
        ]
      : [c.kind, c.namespace, c.name];
    const encoded = parts.map(([t, how]) => encode(t, how));
    const path = `/api/image-freshness/entities/${encoded
      .map(e => e.written)
      .join('/')}${c.refresh ? '/refresh' : ''}${c.query}`;
    const decoded = encoded.map(e => e.decoded);
    return {
      method: c.method,
      path,
      segments: decoded.every(d => d !== undefined)
        ? (decoded as [string, string, string])
        : undefined,
      refresh: c.refresh,
      contentType: c.body.contentType,
      body: c.body.body,
    };
  });

/** Whether the decoded segments name the one entity (kind and namespace are case-insensitive). */
function isTheEntity(segments?: [string, string, string]): boolean {
  if (!segments) return false;
  const [kind, namespace, name] = segments;
  return (
    kind.toLowerCase() === 'component' &&
    namespace.toLowerCase() === 'default' &&
    name === 'api'
  );
}

describe('the entity API under fuzzing', () => {
  jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);
  let backend: Awaited<ReturnType<typeof startPluginBackend>>['backend'];
  let requests = 0;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    ({ backend } = await startPluginBackend({
      features: [catalogServiceMock.factory({ entities: [ENTITY] })],
      config: { imageFreshness: { cacheDuration: '0s' } },
    }));
  });

  afterAll(async () => {
    await backend?.stop();
    // eslint-disable-next-line no-console
    console.log(
      `requests: ${requests}; statuses: ${JSON.stringify(
        Object.fromEntries(statuses),
      )}`,
    );
  });

  async function send(c: Case) {
    let req = request(backend.server)[c.method](c.path);
    if (c.contentType) req = req.set('content-type', c.contentType);
    if (c.body !== undefined) req = req.send(c.body);
    const res = await req;
    requests++;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res;
  }

  function check(c: Case, res: request.Response) {
    const where = `${c.method.toUpperCase()} ${c.path.slice(0, 200)} (${
      c.contentType ?? 'no body'
    })`;
    if (res.status >= 500)
      throw new Error(
        `${where} answered ${res.status}: ${res.text.slice(0, 500)}`,
      );
    if (res.status >= 200 && res.status < 300) {
      if (c.method === 'options') return; // the framework's answer to a preflight
      const entity = isTheEntity(c.segments);
      if (!entity)
        throw new Error(`${where} answered ${res.status} for no entity`);
      if (c.refresh) {
        expect([c.method, res.status, res.body]).toEqual([
          'post',
          202,
          { status: 'accepted' },
        ]);
      } else {
        expect(['get', 'head']).toContain(c.method);
        expect(res.status).toBe(200);
        if (c.method === 'get')
          expect(res.body.entityRef).toBe('component:default/api');
      }
      return;
    }
    expect(res.status).toBeGreaterThanOrEqual(400);
    if (c.method === 'head') return; // no body by definition
    if (res.status === 429) {
      expect(c.refresh && isTheEntity(c.segments)).toBe(true);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    if (!/json/.test(res.headers['content-type'] ?? '')) {
      throw new Error(
        `${where} answered ${res.status} without a JSON body: ${JSON.stringify(
          res.text?.slice(0, 200),
        )}`,
      );
    }
    expect(typeof res.body.error?.name).toBe('string');
    expect(typeof res.body.error?.message).toBe('string');
    expect(res.body.response?.statusCode).toBe(res.status);
    // A JSON body the parser refuses (bad JSON 400, too large 413, unknown charset 415) may fail any route.
    const refusedBody =
      c.body !== undefined &&
      /json/.test(c.contentType ?? '') &&
      [400, 413, 415].includes(res.status);
    if (
      isTheEntity(c.segments) &&
      c.method === 'get' &&
      !c.refresh &&
      !refusedBody
    ) {
      throw new Error(
        `${where} answered ${res.status} for the existing entity`,
      );
    }
  }

  it('answers every request with 200/202 for the entity or a JSON 4xx error, never a 500', async () => {
    const before = requests;
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestCase, { minLength: 4, maxLength: 4 }),
        async batch => {
          const elapsed = startCaseClock();
          const answers = await Promise.all(batch.map(send));
          // The requests of a batch run together: the CPU bound is per request, times the batch.
          expect(elapsed()).toBeLessThan(CASE_LIMIT_MS * batch.length);
          answers.forEach((res, i) => check(batch[i], res));
        },
      ),
      fuzzRuns(2550),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(requests - before).toBe(2550 * 4);
  });

  it('is still up and correct afterwards', async () => {
    const res = await request(backend.server).get(
      '/api/image-freshness/entities/component/default/api',
    );
    expect(res.status).toBe(200);
    expect(res.body.entityRef).toBe('component:default/api');
    const missing = await request(backend.server).get(
      '/api/image-freshness/entities/component/default/nothing',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.name).toBe('NotFoundError');
  });

  it('ran at least 10,000 generated requests in all', () => {
    expect(requests).toBeGreaterThanOrEqual(10_000);
  });
});
