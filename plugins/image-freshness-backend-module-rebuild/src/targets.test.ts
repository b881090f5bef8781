/**
 * Where a rebuild goes, from the entity's annotations and the configured
 * integrations, and how the APIs' refusals are classified (GitHub and
 * GitLab, rate limits by header): the messages a user reads on the tab.
 */
import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import { classifyAnswer, retryAtFrom } from './dispatch';
import { resolveTarget, type RebuildTarget } from './targets';

const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: {
      github: [
        {
          host: 'ghe.acme.test',
          apiBaseUrl: 'https://ghe.acme.test/api/v3',
          token: 't',
        },
      ],
      gitlab: [
        {
          host: 'gitlab.acme.test',
          apiBaseUrl: 'https://gitlab.acme.test/api/v4',
          token: 'g',
        },
      ],
    },
  }),
);

/** The GitHub target of shop/checkout's release-2 branch. */
const GITHUB: RebuildTarget = {
  provider: 'github',
  url: 'https://ghe.acme.test/shop/checkout',
  apiBaseUrl: 'https://ghe.acme.test/api/v3',
  owner: 'shop',
  repo: 'checkout',
  workflow: 'rebuild.yaml',
  ref: 'release-2',
};

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'x', annotations },
});

describe('resolveTarget', () => {
  it('takes owner/repo and the ref from a GitHub source location, the workflow file by name', () => {
    expect(
      resolveTarget(
        entity({
          'backstage.io/source-location':
            'url:https://ghe.acme.test/shop/checkout/tree/release-2/services/',
          'image-freshness/rebuild-workflow': '.github/workflows/rebuild.yaml',
        }),
        integrations,
      ),
    ).toEqual(GITHUB);
  });

  it('takes a nested GitLab project and its ref; the annotations override both', () => {
    const target = resolveTarget(
      entity({
        'backstage.io/source-location':
          'url:https://gitlab.acme.test/fin/core/ledger/-/tree/develop/',
      }),
      integrations,
    );
    expect(target).toMatchObject({
      provider: 'gitlab',
      project: 'fin/core/ledger',
      ref: 'develop',
      apiBaseUrl: 'https://gitlab.acme.test/api/v4',
    });
    expect(
      resolveTarget(
        entity({
          'backstage.io/source-location':
            'url:https://gitlab.acme.test/fin/core/ledger/',
          'image-freshness/rebuild-repository':
            'https://gitlab.acme.test/fin/images/ledger-image',
          'image-freshness/rebuild-ref': 'main-images',
        }),
        integrations,
      ),
    ).toMatchObject({ project: 'fin/images/ledger-image', ref: 'main-images' });
  });

  it.each([
    [{}, 'No repository to rebuild in: add backstage.io/source-location'],
    [
      { 'backstage.io/source-location': 'url:https://git.other.test/a/b/' },
      'No GitHub or GitLab integration for git.other.test',
    ],
    [
      { 'backstage.io/source-location': 'url:https://ghe.acme.test/a/b/' },
      'No workflow to dispatch: add image-freshness/rebuild-workflow',
    ],
    [{ 'backstage.io/source-location': 'url:not a url' }, 'is not a URL'],
  ])('names the annotation to fix: %j', (annotations, message) => {
    expect(() => resolveTarget(entity(annotations), integrations)).toThrow(
      message,
    );
  });
});

describe('classifyAnswer', () => {
  const now = new Date('2026-12-01T08:00:00Z');
  const github = GITHUB;
  const gitlab: RebuildTarget = {
    provider: 'gitlab',
    url: 'https://gitlab.acme.test/fin/ledger',
    apiBaseUrl: 'https://gitlab.acme.test/api/v4',
    project: 'fin/ledger',
    ref: 'main',
  };
  const classify = (
    target: RebuildTarget,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    const e = classifyAnswer({
      target,
      status,
      message,
      header: name => headers[name],
      now,
    });
    return { class: e.class, message: e.message, retryAt: e.retryAt };
  };

  it('says which scope each API needs on 401 and 403', () => {
    expect(classify(gitlab, 401, '401 Unauthorized')).toEqual({
      class: 'AUTHENTICATION',
      message:
        'GitLab answered 401 for project fin/ledger: 401 Unauthorized. Configure a token (integrations.gitlab) with the api scope and at least the Developer role on the project.',
      retryAt: undefined,
    });
    expect(
      classify(github, 403, 'Resource not accessible by integration').message,
    ).toContain(
      'Actions: write, or a classic token with the repo and workflow scopes',
    );
  });

  it('tells a rate limit by its headers, and waits for its reset', () => {
    expect(
      classify(github, 403, 'API rate limit exceeded for installation', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(now.getTime() / 1000 + 900),
      }),
    ).toMatchObject({
      class: 'RATE_LIMITED',
      retryAt: new Date(now.getTime() + 900_000),
    });
    expect(
      classify(gitlab, 429, 'Retry later', { 'retry-after': '60' }),
    ).toMatchObject({
      class: 'RATE_LIMITED',
      retryAt: new Date(now.getTime() + 60_000),
    });
    expect(
      retryAtFrom(
        name =>
          name === 'retry-after' ? 'Tue, 01 Dec 2026 08:02:00 GMT' : undefined,
        now,
      ),
    ).toEqual(new Date('2026-12-01T08:02:00Z'));
  });

  it('classifies a missing workflow_dispatch, a 404, bad inputs and server errors', () => {
    expect(
      classify(
        github,
        422,
        "Workflow does not have 'workflow_dispatch' trigger",
      ),
    ).toMatchObject({
      class: 'NOT_FOUND',
      message: expect.stringContaining(
        'Add a workflow_dispatch trigger to rebuild.yaml',
      ),
    });
    expect(classify(gitlab, 404, '404 Project Not Found').class).toBe(
      'NOT_FOUND',
    );
    expect(
      classify(github, 422, 'Unexpected inputs provided: ["base-image"]'),
    ).toMatchObject({
      class: 'INVALID_REQUEST',
      message: expect.stringContaining('declares the inputs image, base-image'),
    });
    expect(classify(gitlab, 502, '').message).toBe(
      'GitLab answered 502 for project fin/ledger. Retried later with backoff.',
    );
  });
});
