import type { LoggerService } from '@backstage/backend-plugin-api';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { yieldToEventLoop } from '../lib/eventLoop';
import { GaugeText } from './GaugeText';
import { createKeyFilter, MetricsConfig } from './config';
import {
  DEFAULT_SNAPSHOT_SERIES,
  SeriesGuards,
  SnapshotSeries,
} from './series';
import type { SnapshotEntity } from './series';

const deflateRawAsync = promisify(zlib.deflateRaw);
const gzipAsync = promisify(zlib.gzip);

/** A gzip member header: deflate, no name, no mtime, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

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

/** What one snapshot of the store applied. */
export interface SnapshotSummary {
  /** Series written, by metric. */
  series: Record<string, number>;
  /** Series dropped by `maxSeries`, by metric. */
  dropped: Record<string, number>;
}

/** The body of a scrape, in chunks to write in order. */
export interface Exposition {
  chunks: Buffer[];
  /** `gzip` when the chunks, concatenated, are one gzip stream. */
  encoding?: 'gzip';
}

/**
 * The snapshot's text compressed once: a gzip header and a deflate stream left
 * open at a byte boundary with no reference to what follows (a full flush),
 * so each scrape only compresses its live part, appends it and closes the
 * stream with the CRC-32 and length of the whole.
 */
interface CompressedSnapshot {
  head: Buffer;
  crc: number;
  length: number;
}

/** The store-derived families as rendered for one snapshot. */
interface RenderedSnapshot {
  text: Buffer;
  gzip?: Promise<CompressedSnapshot>;
}

async function compressSnapshot(text: Buffer): Promise<CompressedSnapshot> {
  const body = await deflateRawAsync(text, {
    finishFlush: zlib.constants.Z_FULL_FLUSH,
  });
  return {
    head: Buffer.concat([GZIP_HEADER, body]),
    crc: zlib.crc32(text),
    length: text.length,
  };
}

/**
 * Samples written between turns of the event loop while the snapshot is
 * replaced: a few milliseconds of work (see bench:metrics).
 */
const SAMPLES_PER_TURN = 2000;

/** Registry request duration buckets, in seconds. */
const REQUEST_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The plugin's Prometheus metrics, in two parts:
 *
 * - the snapshot: the families rendered from the store (see
 *   {@link SnapshotSeries}), replaced whole by {@link applySnapshot} and
 *   rendered once per snapshot, since they only change then (written
 *   straight to text, see {@link GaugeText});
 * - the live registry, a prom-client Registry of its own (never the global
 *   one): the plugin's self-health, observed as it happens and rendered at
 *   every scrape.
 *
 * A scrape concatenates the two; it never calls a registry, a cluster or the
 * database, and never re-formats the snapshot's series.
 */
export class MetricsCollector {
  private readonly liveRegistry = new Registry();
  private readonly families: ReadonlyArray<{
    series: SnapshotSeries;
    text: GaugeText;
  }>;
  private readonly guards: SeriesGuards;
  private readonly maxSeries: number;
  private readonly logger?: LoggerService;
  private rendered: Promise<RenderedSnapshot>;
  private applying: Promise<unknown> = Promise.resolve();

  private readonly requests: Counter<'host' | 'method' | 'code'>;
  private readonly requestDuration: Histogram<'host' | 'method'>;
  private readonly resolveErrors: Counter<'host' | 'error'>;
  private readonly sourceErrors: Counter<'source' | 'error'>;
  private readonly lastRefresh: Gauge;
  private readonly refreshDuration: Gauge;
  private readonly dropped: Counter<'metric'>;
  private readonly snapshotSeries: Gauge<'metric'>;
  private readonly snapshotTimestamp: Gauge;
  private readonly registered = new Set<Gauge>();
  /** Other parts' registries (health probes, vulnerabilities), rendered live at each scrape. */
  private readonly otherLiveRegistries: Registry[] = [];

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
      text: new GaugeText(series.name, series.help, series.labelNames),
    }));
    // Until the first snapshot: the families' HELP and TYPE, no samples.
    this.rendered = this.renderSnapshot();

    const registers = [this.liveRegistry];
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
    this.sourceErrors = new Counter({
      name: 'image_freshness_source_errors_total',
      help: 'Sources of containers that could not be read in a refresh (a Kubernetes cluster, the Kubernetes backend), by source and error class.',
      labelNames: ['source', 'error'],
      registers,
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
    // Gauges without labels would read 0 until set: registered on first use.
    this.lastRefresh = new Gauge({
      name: 'image_freshness_last_refresh_timestamp_seconds',
      help: 'When the last scheduled refresh run on this replica finished, as a Unix Epoch Time.',
      registers: [],
    });
    this.refreshDuration = new Gauge({
      name: 'image_freshness_refresh_duration_seconds',
      help: 'How long the last scheduled refresh run on this replica took, in seconds.',
      registers: [],
    });
    this.snapshotTimestamp = new Gauge({
      name: 'image_freshness_metrics_snapshot_timestamp_seconds',
      help: 'When the snapshot of the store that /metrics renders was read, as a Unix Epoch Time.',
      registers: [],
    });
  }

  /**
   * Adds a registry of another part of the plugin (its own series, e.g. the
   * health probes'), rendered live at every scrape after the collector's own.
   */
  addLiveRegistry(registry: Registry): void {
    this.otherLiveRegistries.push(registry);
  }

  /** The Content-Type of the exposition. */
  get contentType(): string {
    return this.liveRegistry.contentType;
  }

  /** The Prometheus text exposition of everything. */
  async render(): Promise<string> {
    const { chunks } = await this.exposition();
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * The exposition as chunks to write: the snapshot's text as rendered when it
   * was applied, then the live registry rendered now. With `gzip`, one gzip
   * stream whose snapshot part is compressed once per snapshot.
   */
  async exposition(options: { gzip?: boolean } = {}): Promise<Exposition> {
    const snapshot = await this.rendered;
    const texts = await Promise.all(
      [this.liveRegistry, ...this.otherLiveRegistries].map(r => r.metrics()),
    );
    const live = Buffer.from(texts.join('\n'), 'utf8');
    if (!options.gzip) {
      return { chunks: [snapshot.text, live] };
    }
    if (typeof zlib.crc32 !== 'function') {
      // Node before 20.15: two gzip members, which gzip readers join.
      const members = await Promise.all([
        gzipAsync(snapshot.text),
        gzipAsync(live),
      ]);
      return { chunks: members, encoding: 'gzip' };
    }
    snapshot.gzip ??= compressSnapshot(snapshot.text).catch(error => {
      snapshot.gzip = undefined;
      throw error;
    });
    const head = await snapshot.gzip;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(zlib.crc32(live, head.crc) >>> 0, 0);
    trailer.writeUInt32LE((head.length + live.length) % 2 ** 32, 4);
    return {
      chunks: [head.head, await deflateRawAsync(live), trailer],
      encoding: 'gzip',
    };
  }

  /**
   * Replaces every store-derived series with those of `entities`, read at
   * `loadedAt`. Scrapes see the previous snapshot until this one is rendered,
   * never half of one; calls are applied one after the other.
   */
  applySnapshot(
    entities: readonly SnapshotEntity[],
    loadedAt: Date,
  ): Promise<SnapshotSummary> {
    const applied = this.applying.then(() => this.applyNow(entities, loadedAt));
    this.applying = applied.catch(() => {});
    return applied;
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

  /** Counts failed reads of a source of containers (`kubernetes:CLUSTER`, `kubernetes`) by error class. */
  observeSourceError(source: string, errorClass: string, count = 1): void {
    this.sourceErrors.inc({ source, error: errorClass }, count);
  }

  /** Records a finished scheduled refresh run. */
  observeRefresh(run: { startedAt: Date; finishedAt: Date }): void {
    this.setUnlabelled(this.lastRefresh, run.finishedAt.getTime() / 1000);
    this.setUnlabelled(
      this.refreshDuration,
      (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
    );
  }

  private async applyNow(
    entities: readonly SnapshotEntity[],
    loadedAt: Date,
  ): Promise<SnapshotSummary> {
    const summary: SnapshotSummary = { series: {}, dropped: {} };
    const budget = { left: this.maxSeries };
    for (const family of this.families) {
      const { written, dropped } = await this.writeFamily(
        family,
        entities,
        budget,
      );
      summary.series[family.series.name] = written;
      if (dropped > 0) summary.dropped[family.series.name] = dropped;
      await yieldToEventLoop();
    }
    const rendered = await this.renderSnapshot();
    // The text is all a scrape needs: free the series.
    for (const { text } of this.families) text.clear();
    this.rendered = Promise.resolve(rendered);

    for (const [name, written] of Object.entries(summary.series)) {
      this.snapshotSeries.set({ metric: name }, written);
    }
    for (const [name, dropped] of Object.entries(summary.dropped)) {
      this.dropped.inc({ metric: name }, dropped);
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

  /**
   * Replaces one family's samples, spending the shared series budget; waiting
   * requests run after every {@link SAMPLES_PER_TURN} samples.
   */
  private async writeFamily(
    family: { series: SnapshotSeries; text: GaugeText },
    entities: readonly SnapshotEntity[],
    budget: { left: number },
  ): Promise<{ written: number; dropped: number }> {
    const { series, text } = family;
    const counts = { written: 0, dropped: 0 };
    text.clear();
    let thisTurn = 0;
    for (const [labels, value] of series.samples(entities, this.guards)) {
      if (budget.left > 0) {
        budget.left -= 1;
        counts.written += 1;
        text.set(labels, value);
      } else {
        counts.dropped += 1;
      }
      if (++thisTurn === SAMPLES_PER_TURN) {
        thisTurn = 0;
        await yieldToEventLoop();
      }
    }
    return counts;
  }

  /** Renders the snapshot's families as `Registry.metrics()` would, a family at a time. */
  private async renderSnapshot(): Promise<RenderedSnapshot> {
    const parts: string[] = [];
    for (const { text } of this.families) {
      parts.push(text.render());
      await yieldToEventLoop();
    }
    return { text: Buffer.from(`${parts.join('\n\n')}\n`, 'utf8') };
  }

  /** Sets a gauge without labels, registering it on first use (absent until known). */
  private setUnlabelled(gauge: Gauge, value: number) {
    if (!this.registered.has(gauge)) {
      this.liveRegistry.registerMetric(gauge);
      this.registered.add(gauge);
    }
    gauge.set(value);
  }
}
