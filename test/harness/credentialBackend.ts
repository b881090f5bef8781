/*
 * The core plugin in an in-process test backend with credential modules beside it, for the
 * cloud credential modules' tests: entities whose `image-freshness/images` annotation lists the
 * images, refreshed one by one through the API, every log line kept for secret searches.
 * Loopback is allowed (the test registries listen there) and tag answers are not cached.
 */
import {
  BackendFeature,
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import imageFreshnessPlugin from 'backstage-plugin-image-freshness-backend';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import request from 'supertest';
import type { MintingRegistry } from './mintingRegistry';

/** A backend started by {@link startCredentialBackend}. */
export interface CredentialBackend {
  /**
   * Refreshes the next unused entity (each entity can be refreshed by hand once a minute, so
   * every call takes a fresh one) and answers its report once every image has its metadata or
   * its error.
   */
  resolve(): Promise<EntityImageReport>;
  /** every log line so far, as JSON, errors with their message and stack */
  logs(): string[];
  /** `/api/image-freshness/metrics` as Prometheus text (the route is public here) */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

function recordingLogger(
  lines: string[],
  fields: Record<string, unknown>,
): LoggerService {
  const log =
    (level: string) =>
    (message: string, meta?: Error | Record<string, unknown>) => {
      lines.push(
        JSON.stringify({ level, message, ...fields, ...meta }, (_key, value) =>
          value instanceof Error
            ? { name: value.name, message: value.message, stack: value.stack }
            : value,
        ),
      );
    };
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: meta => recordingLogger(lines, { ...fields, ...meta }),
  };
}

/** What {@link startCredentialBackend} starts. */
export interface CredentialBackendOptions {
  features: BackendFeature[];
  config: JsonObject;
  images: string[];
  entities?: number;
}

/**
 * Starts the core plugin with `features` (the modules under test), `config` as the root config
 * and `entities` components (`app-1`, `app-2`...), each annotated with all of `images`.
 */
export async function startCredentialBackend(
  options: CredentialBackendOptions,
): Promise<CredentialBackend> {
  const lines: string[] = [];
  const count = options.entities ?? 5;
  const entities = Array.from({ length: count }, (_, i) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `app-${i + 1}`,
      namespace: 'default',
      annotations: { 'image-freshness/images': options.images.join(',') },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  }));
  const backend = await startTestBackend({
    features: [
      createServiceFactory({
        service: coreServices.rootLogger,
        deps: {},
        factory: () => recordingLogger(lines, {}),
      }),
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      catalogServiceMock.factory({ entities }),
      imageFreshnessPlugin,
      ...options.features,
      mockServices.rootConfig.factory({
        data: {
          ...options.config,
          imageFreshness: {
            cacheDuration: '0s',
            // the test registries and stand-ins listen on loopback
            allowedHosts: ['127.0.0.0/8'],
            metrics: { public: true },
            ...(options.config.imageFreshness as JsonObject | undefined),
          },
        },
      }),
    ],
  });
  let next = 0;
  const resolve = async (): Promise<EntityImageReport> => {
    next += 1;
    if (next > count) {
      throw new Error(`only ${count} entities: start with more`);
    }
    const path = `/api/image-freshness/entities/component/default/app-${next}`;
    const accepted = await request(backend.server).post(`${path}/refresh`);
    if (accepted.status !== 202) {
      throw new Error(`refresh answered ${accepted.status}: ${accepted.text}`);
    }
    for (let i = 0; i < 200; i++) {
      const report: EntityImageReport = (
        await request(backend.server).get(path)
      ).body;
      const done = report.containers?.filter(c => c.metadata || c.error);
      if (done && done.length === options.images.length) return report;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`app-${next} was never refreshed`);
  };
  return {
    resolve,
    logs: () => [...lines],
    metrics: async () =>
      (await request(backend.server).get('/api/image-freshness/metrics')).text,
    stop: () => backend.stop(),
  };
}

/** Starts a {@link CredentialBackend}, runs `use` with it, and stops it however `use` ends. */
export async function withCredentialBackend<T>(
  options: CredentialBackendOptions,
  use: (backend: CredentialBackend) => Promise<T>,
): Promise<T> {
  const backend = await startCredentialBackend(options);
  try {
    return await use(backend);
  } finally {
    await backend.stop();
  }
}

/** Each container's digest and error, to compare a report with what was pushed. */
export function digestsAndErrors(report: EntityImageReport) {
  return report.containers.map(c => [c.metadata?.digest, c.error]);
}

/**
 * The scenario of a module whose tokens are fresh for 2 s past the core's renewal margin: the
 * first refresh resolves every image with one token (`checkFirst` says what the stand-in saw),
 * the registry takes that token and not its initial password; 2.5 s later the next refresh
 * mints again (`checkSecond`) and the registry takes the new token and not the old. No log line
 * or report shows any of `secrets()`.
 */
/**
 * A token the renewal tests mint stays this long outside the core's renewal
 * margin (5 minutes before expiry): long enough for a first refresh to finish
 * on a loaded 2-core machine (a 2 s window was not), after which the test
 * waits it out with {@link waitOutRenewalWindow}.
 */
export const RENEWAL_WINDOW_SECONDS = 10;

/** The lifetime to give a token that should be renewed after {@link RENEWAL_WINDOW_SECONDS}. */
export const RENEWED_TOKEN_LIFETIME_SECONDS = 5 * 60 + RENEWAL_WINDOW_SECONDS;

/** Waits until a token minted with {@link RENEWED_TOKEN_LIFETIME_SECONDS} is inside the renewal margin. */
export function waitOutRenewalWindow(): Promise<void> {
  return new Promise(r => setTimeout(r, RENEWAL_WINDOW_SECONDS * 1000 + 500));
}

export async function expectRenewalInsideMargin(options: {
  backend: CredentialBackendOptions;
  registry: MintingRegistry;
  /** the registry passwords minted so far, oldest first */
  minted: () => string[];
  checkFirst: () => void;
  checkSecond: () => void;
  /** every secret the stand-in handed out */
  secrets: () => string[];
}) {
  const { registry, minted } = options;
  const expected = registry.digests.map(digest => [digest, undefined]);
  await withCredentialBackend(options.backend, async backend => {
    const first = await backend.resolve();
    expect(digestsAndErrors(first)).toEqual(expected);
    options.checkFirst();
    expect(await registry.v2Status(minted()[0])).toBe(200);
    expect(await registry.v2Status(registry.initialPassword)).toBe(401);

    await waitOutRenewalWindow();
    const second = await backend.resolve();
    expect(digestsAndErrors(second)).toEqual(expected);
    options.checkSecond();
    const [old, renewed] = minted();
    expect(await registry.v2Status(renewed)).toBe(200);
    expect(await registry.v2Status(old)).toBe(401);

    const everything = [
      ...backend.logs(),
      JSON.stringify(first),
      JSON.stringify(second),
    ].join('\n');
    for (const secret of options.secrets()) {
      expect(everything).not.toContain(secret);
    }
  });
}

/**
 * A module installed without its config section adds nothing: the image on `host` is asked
 * for anonymously and refused (AUTHENTICATION saying no credentials are configured), and the
 * stand-in's count of requests (`asked`) does not move.
 */
export async function expectNothingWithoutConfig(options: {
  features: BackendFeature[];
  image: string;
  host: string;
  asked: () => number;
}) {
  const before = options.asked();
  await withCredentialBackend(
    {
      features: options.features,
      config: {},
      images: [options.image],
      entities: 1,
    },
    async backend => {
      const report = await backend.resolve();
      expect(report.containers[0].error).toMatchObject({
        class: 'AUTHENTICATION',
        message: expect.stringContaining(
          `no credentials are configured for ${options.host}`,
        ),
      });
      expect(options.asked()).toBe(before);
    },
  );
}
