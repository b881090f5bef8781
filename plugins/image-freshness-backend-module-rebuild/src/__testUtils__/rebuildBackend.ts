import type { BackendFeature } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { imageFreshnessPlugin } from '@internal/test/harness/corePlugin';
import { pushImage } from '@internal/test/harness/images';
import { allowAllBut } from '@internal/test/harness/permissions';
import type { TestRegistry } from '@internal/test/harness/registry';
import type { ApiStandIn } from '@internal/test/harness/scm';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import { Settings } from 'luxon';
import request from 'supertest';
import imageFreshnessModuleRebuild from '../index';

export const API = '/api/image-freshness';
export const GITHUB_TOKEN = 'ghs_rebuild-stand-in-token';
export const GITLAB_TOKEN = 'glpat-rebuild-stand-in-token';
const HOUR = 3600_000;

/** The fixture clock every part reads (luxon's `Settings.now`, behind `systemClock`). */
export class FixtureClock {
  private at: number;
  constructor(iso: string) {
    this.at = Date.parse(iso);
    Settings.now = () => this.at;
  }
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
  advanceHours(hours: number): void {
    this.advance(hours * HOUR);
  }
  static restore(): void {
    Settings.now = () => Date.now();
  }
}

/** A managed component: its image built from its Dockerfile, its rebuild annotations. */
export function managedComponent(
  name: string,
  image: string,
  annotations: Record<string, string>,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'image-freshness/images': image,
        'image-freshness/dockerfile': 'Dockerfile',
        ...annotations,
      },
    },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  };
}

/** GitHub-built: `owner/repo` from the source location, the workflow file. */
export function githubAnnotations(
  github: ApiStandIn,
  repo: string,
  workflow: string,
  auto = true,
): Record<string, string> {
  return {
    'backstage.io/source-location': `url:${github.url}/${repo}/tree/main/`,
    'image-freshness/rebuild-workflow': workflow,
    ...(auto ? { 'image-freshness/auto-rebuild': 'true' } : {}),
  };
}

/** The integrations and settings a test backend needs for the stand-ins. */
export function rebuildConfig(options: {
  registry: TestRegistry;
  github: ApiStandIn;
  gitlab?: ApiStandIn;
}): JsonObject {
  const { registry, github, gitlab } = options;
  return {
    integrations: {
      github: [
        { host: github.host, apiBaseUrl: github.url, token: GITHUB_TOKEN },
      ],
      ...(gitlab
        ? {
            gitlab: [
              {
                host: gitlab.host,
                baseUrl: gitlab.url,
                apiBaseUrl: `${gitlab.url}/api/v4`,
                token: GITLAB_TOKEN,
              },
            ],
          }
        : {}),
    },
    imageFreshness: {
      cacheDuration: '0s',
      allowedHosts: [registry.host],
      rebuildDelay: '1d',
      rebuild: {
        minRetryDelay: '5m',
        maxRetryDelay: '6h',
        unknownOutcomeAfter: '15m',
      },
    },
  };
}

/** Pushes the base `runtime/node:22` (content `version`) and answers its digest. */
export async function pushBase(
  registry: TestRegistry,
  version: string,
): Promise<string> {
  const pushed = await pushImage(registry.url, 'runtime/node', '22', {
    created: '2026-10-01T00:00:00Z',
    files: { version },
  });
  return pushed.digest;
}

/** Pushes a managed image built on `baseDigest` and answers its reference. */
export async function pushManaged(
  registry: TestRegistry,
  repository: string,
  baseDigest: string,
): Promise<string> {
  await pushImage(registry.url, repository, '1.0', {
    created: '2026-11-01T00:00:00Z',
    files: { app: repository },
    annotations: {
      'org.opencontainers.image.base.name': `${registry.host}/runtime/node:22`,
      'org.opencontainers.image.base.digest': baseDigest,
    },
  });
  return `${registry.host}/${repository}:1.0`;
}

/** A test backend: the core plugin, the rebuild module, a catalog, the tasks captured to run by hand. */
export async function startRebuildBackend(options: {
  entities: Entity[];
  config: JsonObject;
  features?: BackendFeature[];
}) {
  const tasks = new Map<string, (signal: AbortSignal) => Promise<unknown>>();
  const scheduler = mockServices.scheduler.mock({
    async scheduleTask(task) {
      tasks.set(task.id, task.fn as (signal: AbortSignal) => Promise<unknown>);
    },
  });
  const backend = await startTestBackend({
    features: [
      imageFreshnessPlugin,
      imageFreshnessModuleRebuild,
      catalogServiceMock.factory({ entities: options.entities }),
      allowAllBut().factory,
      scheduler.factory,
      mockServices.rootConfig.factory({ data: options.config }),
      ...(options.features ?? []),
    ],
  });
  /** One run of the rebuild task. */
  async function runRebuilds(signal = new AbortController().signal) {
    const fn = tasks.get('image-freshness-rebuild');
    if (!fn) throw new Error('the rebuild task was not scheduled');
    await fn(signal);
  }
  /** Refreshes the entity by hand and waits until its base's current digest is `digest`. */
  async function refreshed(name: string, digest: string) {
    const url = `${API}/entities/component/default/${name}`;
    const started = await request(backend.server).post(`${url}/refresh`);
    if (started.status !== 202) {
      throw new Error(`refresh of ${name}: ${started.status} ${started.text}`);
    }
    for (let i = 0; i < 600; i++) {
      const report: EntityImageReport = (await request(backend.server).get(url))
        .body;
      if (report.baseImages?.[0]?.base?.currentDigest === digest) return report;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`${name} was never refreshed to base ${digest}`);
  }
  return { backend, runRebuilds, refreshed };
}
