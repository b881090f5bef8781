import type { LoggerService } from '@backstage/backend-plugin-api';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoredEntity } from '../database/FreshnessStore';
import { createKeyFilter, MetricsConfig } from './config';
import {
  DEFAULT_SNAPSHOT_SERIES,
  SeriesGuards,
  SnapshotSeries,
} from './series';

/** One HTTP exchange with a registry, as the OCI client reports it. */
export interface RegistryRequestObservation {
  /** The host contacted, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  host: string;
  method: string;
  /** The HTTP status; undefined when no answer came. */
  status?: number;
  /** The error class when no usable answer came (TIMEOUT, SERVER_ERROR, TOO_LARGE). */
  error?: string;
  durationSeconds: number;
}

/** What one snapshot of the store applied to the registry. */
export interface SnapshotSummary {
  /** Series written, by metric. */
  series: Record<string, number>;
  /** Series dropped by `maxSeries`, by metric. */
  dropped: Record<string, number>;
}

/** Registry request duration buckets, in seconds. */
const REQUEST_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The plugin's Prometheus metrics, in its own prom-client Registry (never the
 * global one): the series rendered from a snapshot of the store (see
 * {@link SnapshotSeries}), replaced whole by {@link applySnapshot}, and the
 * plugin's self-health, observed as it happens. Rendering never calls a
 * registry, a cluster or the database.
 */
export class MetricsCollector {
  private readonly registry = new Registry();
  private readonly families: ReadonlyArray<{
    series: SnapshotSeries;
    gauge: Gauge;
  }>;
  private readonly guards: SeriesGuards;
  private readonly maxSeries: number;
  private readonly logger?: LoggerService;

  private readonly requests: Counter<'host' | 'method' | 'code'>;
  private readonly requestDuration: Histogram<'host' | 'method'>;
  private readonly resolveErrors: Counter<'host' | 'error'>;
  private readonly lastRefresh: Gauge;
  private readonly refreshDuration: Gauge;
  private readonly dropped: Counter<'metric'>;
  private readonly snapshotSeries: Gauge<'metric'>;
  private readonly snapshotTimestamp: Gauge;
  private readonly registered = new Set<Gauge>();

  constructor(options: {
    config: Pick<
      MetricsConfig,
      'labelKeys' | 'annotationKeys' | 'maxValueLength' | 'maxSeries'
    >;
    /** The families rendered from the store; default {@link DEFAULT_SNAPSHOT_SERIES}. */
    series?: readonly SnapshotSeries[];
    logger?: LoggerService;
  }) {
    const { config } = options;
    const registers = [this.registry];
    this.maxSeries = config.maxSeries;
    this.logger = options.logger;
    const maxLength = config.maxValueLength;
    this.guards = {
      labelKeyAllowed: createKeyFilter(config.labelKeys),
      annotationKeyAllowed: createKeyFilter(config.annotationKeys),
      value: text =>
        text.length > maxLength ? text.slice(0, maxLength) : text,
    };
    this.families = (options.series ?? DEFAULT_SNAPSHOT_SERIES).map(series => ({
      series,
      gauge: new Gauge({
        name: series.name,
        help: series.help,
        labelNames: series.labelNames,
        registers,
      }),
    }));

    this.requests = new Counter({
      name: 'image_freshness_registry_requests_total',
      help: 'HTTP requests to container registries, by host, method and status code (the error class when no answer came).',
      labelNames: ['host', 'method', 'code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'image_freshness_registry_request_duration_seconds',
      help: 'Duration of HTTP requests to container registries, in seconds.',
      labelNames: ['host', 'method'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.resolveErrors = new Counter({
      name: 'image_freshness_resolve_errors_total',
      help: 'Image resolutions that failed, by registry host and error class.',
      labelNames: ['host', 'error'],
      registers,
    });
    this.lastRefresh = new Gauge({
      name: 'image_freshness_last_refresh_timestamp_seconds',
      help: 'When the last scheduled refresh run on this replica finished, as a Unix Epoch Time.',
      // A gauge without labels would read 0 until set: registered on first use.
      registers: [],
    });
    this.refreshDuration = new Gauge({
      name: 'image_freshness_refresh_duration_seconds',
      help: 'How long the last scheduled refresh run on this replica took, in seconds.',
      // A gauge without labels would read 0 until set: registered on first use.
      registers: [],
    });
    this.dropped = new Counter({
      name: 'image_freshness_metrics_dropped_series_total',
      help: 'Series left out of /metrics because imageFreshness.metrics.maxSeries was reached, counted at each snapshot, by metric.',
      labelNames: ['metric'],
      registers,
    });
    this.snapshotSeries = new Gauge({
      name: 'image_freshness_metrics_snapshot_series',
      help: 'Series rendered from the current snapshot of the store, by metric.',
      labelNames: ['metric'],
      registers,
    });
    this.snapshotTimestamp = new Gauge({
      name: 'image_freshness_metrics_snapshot_timestamp_seconds',
      help: 'When the snapshot of the store that /metrics renders was read, as a Unix Epoch Time.',
      // A gauge without labels would read 0 until set: registered on first use.
      registers: [],
    });
  }

  /** The Content-Type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of everything. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Replaces every store-derived series with those of `entities`, read at
   * `loadedAt`. Synchronous, so no scrape sees half a snapshot.
   */
  applySnapshot(
    entities: readonly StoredEntity[],
    loadedAt: Date,
  ): SnapshotSummary {
    const summary: SnapshotSummary = { series: {}, dropped: {} };
    const budget = { left: this.maxSeries };
    for (const family of this.families) {
      const { name } = family.series;
      const { written, dropped } = this.writeFamily(family, entities, budget);
      summary.series[name] = written;
      this.snapshotSeries.set({ metric: name }, written);
      if (dropped > 0) {
        summary.dropped[name] = dropped;
        this.dropped.inc({ metric: name }, dropped);
      }
    }
    this.setUnlabelled(this.snapshotTimestamp, loadedAt.getTime() / 1000);
    if (Object.keys(summary.dropped).length > 0) {
      this.logger?.warn(
        'Metrics series dropped: imageFreshness.metrics.maxSeries reached',
        { maxSeries: this.maxSeries, dropped: JSON.stringify(summary.dropped) },
      );
    }
    return summary;
  }

  /** Replaces one family's samples, spending the shared series budget. */
  private writeFamily(
    family: { series: SnapshotSeries; gauge: Gauge },
    entities: readonly StoredEntity[],
    budget: { left: number },
  ): { written: number; dropped: number } {
    const { series, gauge } = family;
    const counts = { written: 0, dropped: 0 };
    gauge.reset();
    series.write(
      entities,
      (labels, value) => {
        if (budget.left > 0) {
          budget.left -= 1;
          counts.written += 1;
          gauge.set(labels, value);
        } else {
          counts.dropped += 1;
        }
      },
      this.guards,
    );
    return counts;
  }

  /** Counts one request to a registry and its duration. */
  observeRegistryRequest(request: RegistryRequestObservation): void {
    const method = request.method.toUpperCase();
    const code =
      request.status !== undefined
        ? String(request.status)
        : request.error ?? 'UNKNOWN';
    this.requests.inc({ host: request.host, method, code });
    this.requestDuration.observe(
      { host: request.host, method },
      request.durationSeconds,
    );
  }

  /** Counts failed image resolutions for a registry host and error class. */
  observeResolveError(host: string, errorClass: string, count = 1): void {
    this.resolveErrors.inc({ host, error: errorClass }, count);
  }

  /** Records a finished scheduled refresh run. */
  observeRefresh(run: { startedAt: Date; finishedAt: Date }): void {
    this.setUnlabelled(this.lastRefresh, run.finishedAt.getTime() / 1000);
    this.setUnlabelled(
      this.refreshDuration,
      (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
    );
  }

  /** Sets a gauge without labels, registering it on first use (absent until known). */
  private setUnlabelled(gauge: Gauge, value: number) {
    if (!this.registered.has(gauge)) {
      this.registry.registerMetric(gauge);
      this.registered.add(gauge);
    }
    gauge.set(value);
  }
}
