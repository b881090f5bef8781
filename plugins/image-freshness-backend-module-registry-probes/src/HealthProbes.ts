import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { Duration } from 'luxon';
import os from 'node:os';
import type { ImageFreshnessFeatureContext } from 'backstage-plugin-image-freshness-node';
import {
  chainCredentials,
  OciClient,
  staticCredentials,
  TokenCache,
} from 'oci-client';
import { HealthProbeConfig, readHealthProbesConfig } from './config';
import { ProbeMetrics } from './ProbeMetrics';
import { CheckResult, RegistryProber } from './RegistryProber';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** This process's name in tags: host name and process id, as a tag allows. */
export function defaultInstanceId(): string {
  return `${os.hostname()}-${process.pid}`
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 100);
}

/** How long shutdown waits for a running cycle before cleaning up anyway. */
const SHUTDOWN_WAIT_MS = 30_000;

/**
 * The registry health probes of this backend instance (each instance probes
 * on its own: scheduled with scope `local`), their metrics in one
 * prom-client Registry (`metrics.registry`), their last results, and the
 * cleanup of this instance's tags at shutdown.
 */
export class HealthProbes {
  readonly metrics: ProbeMetrics;
  readonly instance: string;
  private readonly probers: Map<string, RegistryProber>;
  private readonly logger: LoggerService;
  private readonly running = new Map<string, Promise<CheckResult[]>>();
  private readonly lastRun = new Map<string, Date>();
  private readonly now: Clock;
  private stopping?: Promise<void>;

  /** Reads `imageFreshness.healthProbes` and builds a prober per entry. */
  static create(options: {
    config: Config;
    /** The core's host check and registry access. */
    access: ImageFreshnessFeatureContext;
    logger: LoggerService;
    /** Unique to this backend instance; default host name and process id. */
    instance?: string;
    env?: NodeJS.ProcessEnv;
    sleep?: (ms: number) => Promise<void>;
    now?: Clock;
  }): HealthProbes {
    const probes = readHealthProbesConfig(options.config, { env: options.env });
    return new HealthProbes({ ...options, probes });
  }

  constructor(options: {
    probes: HealthProbeConfig[];
    access: ImageFreshnessFeatureContext;
    logger: LoggerService;
    instance?: string;
    sleep?: (ms: number) => Promise<void>;
    now?: Clock;
  }) {
    const { access } = options;
    this.now = options.now ?? systemClock;
    this.metrics = new ProbeMetrics();
    this.instance = options.instance ?? defaultInstanceId();
    this.logger = options.logger.child({ task: 'health-probes' });
    this.probers = new Map(
      options.probes.map(probe => {
        // The probe's own credentials first, then the core's chain.
        const credentials = chainCredentials(
          probe.credentials
            ? staticCredentials({ [probe.registry]: probe.credentials })
            : undefined,
          access.credentials,
        );
        const clientOptions = (tokens?: TokenCache) => ({
          userAgent: 'backstage-plugin-image-freshness-probe',
          credentials,
          // As configured for this registry (the probe, else the core's
          // `registries`, else plain HTTP only on loopback).
          insecure: (registry: string) =>
            (registry === probe.registry ? probe.insecure : undefined) ??
            access.isInsecure(registry),
          timeoutMs: probe.timeout.toMillis(),
          // The probe retries whole attempts itself, with its own backoff.
          retry: { retries: 0 },
          // by name before each request, by address for each connection
          checkHost: (host: string) => access.checkHost(host),
          checkAddress: access.checkAddress?.bind(access),
          resolveHost: access.resolveHost?.bind(access),
          tokens,
        });
        return [
          probe.name,
          new RegistryProber({
            probe,
            instance: this.instance,
            client: new OciClient(clientOptions()),
            loginClient: () => new OciClient(clientOptions(new TokenCache())),
            metrics: this.metrics,
            logger: this.logger,
            sleep: options.sleep,
            now: this.now,
          }),
        ];
      }),
    );
  }

  /** The configured probes. */
  get probes(): HealthProbeConfig[] {
    return [...this.probers.values()].map(p => p.probe);
  }

  /**
   * One scheduled task per probe, every `interval`, with a timeout that
   * covers every attempt and backoff of every check (the pull check's
   * re-creation counted).
   */
  tasks(): Array<{
    id: string;
    frequency: Duration;
    timeout: Duration;
    fn: () => Promise<void>;
  }> {
    return this.probes.map(probe => {
      const attempts = probe.retries + 1;
      const backoffMs = probe.retryDelay.toMillis() * (2 ** probe.retries - 1);
      const perCheckMs = attempts * probe.timeout.toMillis() + backoffMs;
      return {
        id: `image-freshness-health-probe:${probe.name}`,
        frequency: probe.interval,
        timeout: Duration.fromMillis(
          (probe.checks.length + 2) * perCheckMs + 60_000,
        ),
        fn: async () => {
          await this.run(probe.name);
        },
      };
    });
  }

  /** Runs one probe's checks (a run already going is joined); nothing once shutting down. */
  async run(name: string): Promise<CheckResult[]> {
    const prober = this.probers.get(name);
    if (!prober) throw new Error(`No health probe named ${name}`);
    if (this.stopping) return [];
    let pending = this.running.get(name);
    if (!pending) {
      pending = prober.runChecks().finally(() => {
        this.running.delete(name);
        this.lastRun.set(name, this.now());
      });
      this.running.set(name, pending);
    }
    const results = await pending;
    this.logger.info('Registry health probe finished', {
      probe: name,
      node: prober.probe.node,
      succeeded: results.filter(r => r.success).length,
      failed: results.filter(r => !r.success).length,
    });
    return results;
  }

  /**
   * Stops new runs, waits (up to 30 s) for running ones, then deletes this
   * instance's tags from every probed repository. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      const running = Promise.allSettled([...this.running.values()]);
      await Promise.race([
        running,
        new Promise(resolve => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref()),
      ]);
      for (const prober of this.probers.values()) {
        if (
          !prober.probe.checks.includes('push') &&
          !prober.probe.checks.includes('metadata')
        ) {
          continue;
        }
        const { deleted, failed } = await prober.cleanup();
        this.logger.info('Deleted this instance’s probe tags', {
          probe: prober.probe.name,
          deleted: deleted.join(', '),
          failed: failed.join(', '),
        });
      }
    })();
    return this.stopping;
  }

  /** What the API shows: this instance's last results per probe (no credentials). */
  status() {
    return {
      instance: this.instance,
      probes: [...this.probers.values()].map(prober => ({
        name: prober.probe.name,
        registry: prober.probe.registry,
        repository: prober.probe.repository,
        node: prober.probe.node,
        checks: prober.probe.checks,
        interval: prober.probe.interval.toISO(),
        tags: { pull: prober.probe.pullTag, ...prober.tags },
        lastRun: this.lastRun.get(prober.probe.name)?.toISOString(),
        results: prober.lastResults(),
      })),
    };
  }
}
