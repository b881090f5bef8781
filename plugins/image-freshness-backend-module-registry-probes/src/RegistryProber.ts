import type { LoggerService } from '@backstage/backend-plugin-api';
import { createHash, randomBytes } from 'node:crypto';
import {
  Descriptor,
  ImageManifest,
  isIndex,
  MEDIA_TYPES,
  OciClient,
  OciError,
} from 'oci-client';
import type { CheckType, HealthProbeConfig } from './config';
import {
  errorCode,
  ProbeErrorClass,
  probeErrorClass,
  ProbeLabels,
  ProbeMetrics,
} from './ProbeMetrics';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** The outcome of one check. */
export interface CheckResult {
  type: CheckType;
  success: boolean;
  at: string;
  /** Successful checks: seconds, retries included. */
  durationSeconds?: number;
  /** Pull, push and metadata: the artifact's size in bytes. */
  bytes?: number;
  /** Failed checks: the exporter's class, the client's own class, and what happened. */
  error?: { class: ProbeErrorClass; code: string; message: string };
}

/** The generated artifacts: an OCI 1.1 artifact with the empty config. */
const ARTIFACT_TYPE = 'application/vnd.backstage.image-freshness.probe.v1';
const FILE_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';
const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_CONFIG_DESCRIPTOR: Descriptor = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: `sha256:${createHash('sha256').update(EMPTY_CONFIG).digest('hex')}`,
  size: EMPTY_CONFIG.length,
};
const INSTANCE_ANNOTATION = 'dev.backstage.image-freshness.probe.instance';
/** The pull check reads blobs into memory: at most this much per blob. */
const MAX_PULL_BLOB_BYTES = 64 * 1024 * 1024;

/** Failures worth another attempt; the others (401, 404, 400, a blocked host) would only repeat. */
const RETRYABLE = new Set([
  'TIMEOUT',
  'SERVER_ERROR',
  'RATE_LIMITED',
  'UNKNOWN',
]);

function isNotFound(error: unknown): boolean {
  return error instanceof OciError && error.code === 'NOT_FOUND';
}

/**
 * One registry health probe, as the registry exporter runs it, on this
 * backend instance:
 * - pull: reads the manifest and blobs of the known tag (`pullTag`), and
 *   re-creates that artifact when the tag is missing;
 * - push: pushes two freshly generated artifacts as one manifest to
 *   `push-<instance>`, a tag unique to this instance (the previous push's
 *   manifest is then deleted, by digest);
 * - metadata: re-tags the pull artifact as `metadata-<instance>`;
 * - authentication: logs in from scratch with a client that has no cached
 *   token (the registry's challenge, then a token from its realm with the
 *   credentials, or Basic), proven by one authorised request.
 * Each attempt has a timeout; failures worth repeating are retried with
 * exponential backoff. Every outcome lands in the exporter's metrics.
 * `cleanup` deletes this instance's tags (by digest), never the pull tag.
 */
export class RegistryProber {
  readonly probe: HealthProbeConfig;
  private readonly instance: string;
  private readonly client: OciClient;
  private readonly loginClient: () => OciClient;
  private readonly metrics: ProbeMetrics;
  private readonly logger: LoggerService;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: Clock;
  private readonly labels: ProbeLabels;
  private lastPushDigest?: string;
  private results = new Map<CheckType, CheckResult>();

  constructor(options: {
    probe: HealthProbeConfig;
    /** Unique to this backend instance; names its tags. */
    instance: string;
    /** The probe's client: its credentials, no retries of its own (the probe retries). */
    client: OciClient;
    /** A new client with an empty token cache, for the authentication check. */
    loginClient: () => OciClient;
    metrics: ProbeMetrics;
    logger: LoggerService;
    sleep?: (ms: number) => Promise<void>;
    now?: Clock;
  }) {
    this.now = options.now ?? systemClock;
    this.probe = options.probe;
    this.instance = options.instance;
    this.client = options.client;
    this.loginClient = options.loginClient;
    this.metrics = options.metrics;
    this.logger = options.logger.child({
      probe: options.probe.name,
      registry: options.probe.registry,
    });
    this.sleep =
      options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
    this.labels = {
      tested_registry: options.probe.name,
      node: options.probe.node,
    };
    this.metrics.initialise(this.labels, this.probe.checks);
  }

  /** The tags this instance writes. */
  get tags(): { push: string; metadata: string } {
    return {
      push: `push-${this.instance}`,
      metadata: `metadata-${this.instance}`,
    };
  }

  /** The last result of each check. */
  lastResults(): CheckResult[] {
    return this.probe.checks.flatMap(type => {
      const result = this.results.get(type);
      return result ? [result] : [];
    });
  }

  /** Runs the configured checks once, in order; never throws. */
  async runChecks(): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const type of this.probe.checks) {
      results.push(await this.check(type));
    }
    return results;
  }

  /** Deletes this instance's push and metadata tags; never throws. */
  async cleanup(): Promise<{ deleted: string[]; failed: string[] }> {
    const deleted: string[] = [];
    const failed: string[] = [];
    for (const tag of [this.tags.push, this.tags.metadata]) {
      try {
        if (await this.deleteTag(tag)) deleted.push(tag);
      } catch (error) {
        failed.push(tag);
        this.logger.warn('Could not delete a probe tag', {
          tag,
          errorClass: errorCode(error),
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return { deleted, failed };
  }

  private ref(tagOrDigest: string): string {
    const separator = tagOrDigest.includes(':') ? '@' : ':';
    return `${this.probe.registry}/${this.probe.repository}${separator}${tagOrDigest}`;
  }

  private async check(type: CheckType): Promise<CheckResult> {
    const started = performance.now();
    const at = this.now().toISOString();
    let result: CheckResult;
    try {
      const { bytes } = await this.runCheck(type);
      const durationSeconds = (performance.now() - started) / 1000;
      this.metrics.recordSuccess(this.labels, type, durationSeconds, bytes);
      result = { type, success: true, at, durationSeconds, bytes };
      this.logger.debug('Registry check succeeded', {
        type,
        durationSeconds,
      });
    } catch (error) {
      const errorClass = probeErrorClass(error);
      const code = errorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      this.metrics.recordFailure(this.labels, type, errorClass);
      result = {
        type,
        success: false,
        at,
        error: { class: errorClass, code, message },
      };
      this.logger.warn('Registry check failed', {
        type,
        errorClass,
        code,
        error: message,
      });
    }
    this.results.set(type, result);
    return result;
  }

  private runCheck(type: CheckType): Promise<{ bytes?: number }> {
    switch (type) {
      case 'pull':
        return this.pull();
      case 'push':
        return this.push();
      case 'metadata':
        return this.metadata();
      default:
        return this.authenticate();
    }
  }

  private async pull(): Promise<{ bytes: number }> {
    try {
      return await this.attempts(() => this.pullOnce());
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.logger.info('The pull tag is missing; re-creating it', {
        tag: this.probe.pullTag,
      });
      await this.attempts(() =>
        this.pushArtifact(this.probe.pullTag, [this.generate('pull', 1)]),
      );
      return await this.attempts(() => this.pullOnce());
    }
  }

  private async pullOnce(): Promise<{ bytes: number }> {
    const ref = this.ref(this.probe.pullTag);
    const manifest = await this.client.getManifest(ref);
    if (isIndex(manifest.mediaType, manifest.body)) {
      throw new OciError(
        'INVALID_REQUEST',
        `${ref} is an index, not the probe's artifact; point pullTag at a tag the probe may own`,
        { host: this.probe.registry },
      );
    }
    let bytes = 0;
    for (const layer of manifest.body.layers) {
      if (layer.size > MAX_PULL_BLOB_BYTES) {
        throw new OciError(
          'TOO_LARGE',
          `${ref} has a ${layer.size}-byte blob; the pull check reads blobs up to ${MAX_PULL_BLOB_BYTES} bytes. Point pullTag at the probe's own small artifact.`,
          { host: this.probe.registry },
        );
      }
      const blob = await this.client.getBlob(ref, layer.digest, {
        maxBytes: Math.max(layer.size, 1),
      });
      bytes += blob.length;
    }
    return { bytes };
  }

  private async push(): Promise<{ bytes: number }> {
    const files = [this.generate('push', 1), this.generate('push', 2)];
    const { digest, bytes } = await this.attempts(() =>
      this.pushArtifact(this.tags.push, files),
    );
    const previous = this.lastPushDigest;
    this.lastPushDigest = digest;
    if (previous && previous !== digest) {
      // The replaced push is this instance's own unique artifact: delete it.
      await this.client.deleteManifest(this.ref(previous)).catch(error =>
        this.logger.debug('Could not delete the previous push', {
          error: String(error),
        }),
      );
    }
    return { bytes };
  }

  private metadata(): Promise<{ bytes: number }> {
    return this.attempts(async () => {
      const source = await this.client.getManifest(
        this.ref(this.probe.pullTag),
      );
      await this.client.putManifest(
        this.ref(this.tags.metadata),
        source.raw,
        source.mediaType,
      );
      const layers = isIndex(source.mediaType, source.body)
        ? []
        : source.body.layers;
      return { bytes: layers.reduce((sum, l) => sum + l.size, 0) };
    });
  }

  private authenticate(): Promise<{ bytes?: number }> {
    return this.attempts(async () => {
      await this.loginClient().blobExists(
        this.ref('latest'),
        EMPTY_CONFIG_DESCRIPTOR.digest,
      );
      return {};
    });
  }

  /** `kind` test artifact `n`: a header naming this instance and the time, then random bytes (a new digest every time). */
  private generate(kind: string, n: number): Buffer {
    const header = Buffer.from(
      `${kind} test artifact ${n} of ${
        this.instance
      }, created at ${this.now().toISOString()}\n`,
    );
    const size = Math.max(this.probe.artifactBytes, header.length);
    return Buffer.concat([header, randomBytes(size - header.length)]);
  }

  /** Uploads the files and the empty config, and puts a manifest for them under `tag`. */
  private async pushArtifact(
    tag: string,
    files: Buffer[],
    annotations: Record<string, string> = {},
  ): Promise<{ digest: string; bytes: number }> {
    const layers: Descriptor[] = [];
    for (const [i, file] of files.entries()) {
      const { digest, size } = await this.client.uploadBlob(
        this.ref(tag),
        file,
      );
      layers.push({
        mediaType: FILE_MEDIA_TYPE,
        digest,
        size,
        annotations: {
          'org.opencontainers.image.title': `${tag}-${i + 1}.bin`,
        },
      });
    }
    await this.client.uploadBlob(this.ref(tag), EMPTY_CONFIG);
    const manifest: ImageManifest & { artifactType: string } = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: ARTIFACT_TYPE,
      config: EMPTY_CONFIG_DESCRIPTOR,
      layers,
      annotations: {
        'org.opencontainers.image.created': this.now().toISOString(),
        [INSTANCE_ANNOTATION]: this.instance,
        ...annotations,
      },
    };
    const { digest } = await this.client.putManifest(
      this.ref(tag),
      manifest,
      MEDIA_TYPES.ociManifest,
    );
    return { digest, bytes: layers.reduce((sum, l) => sum + l.size, 0) };
  }

  /**
   * Deletes `tag` by digest, which deletes every tag on that digest. A push
   * tag holding this instance's own push (unique content) is deleted as it
   * is. The metadata tag shares the pull artifact's digest (as other
   * instances' metadata tags may), so it is first replaced by a tombstone
   * manifest unique to this instance and moment, which is then deleted.
   */
  private async deleteTag(tag: string): Promise<boolean> {
    let digest: string;
    try {
      digest = (await this.once(() => this.client.headManifest(this.ref(tag))))
        .digest;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    const ownPush =
      tag === this.tags.push &&
      (await this.once(() => this.client.getManifest(this.ref(digest)))).body
        .annotations?.[INSTANCE_ANNOTATION] === this.instance;
    if (!ownPush) {
      digest = (
        await this.once(() =>
          this.pushArtifact(tag, [], {
            [`${INSTANCE_ANNOTATION}.tombstone`]: this.now().toISOString(),
          }),
        )
      ).digest;
    }
    await this.once(() => this.client.deleteManifest(this.ref(digest)));
    return true;
  }

  /**
   * Runs `fn` once with the per-attempt timeout. The shutdown's cleanup asks
   * this way: a backend stopping does not wait out the retries' backoff (a
   * registry down would hold it about a minute; Kubernetes kills a pod 30 s
   * after asking it to stop). A tag left behind is the instance's own.
   */
  private once<T>(fn: () => Promise<T>): Promise<T> {
    return this.withTimeout(fn(), this.probe.timeout.toMillis());
  }

  /** Runs `fn` with the per-attempt timeout, retrying what is worth it with exponential backoff. */
  private async attempts<T>(fn: () => Promise<T>): Promise<T> {
    const timeoutMs = this.probe.timeout.toMillis();
    const baseDelayMs = this.probe.retryDelay.toMillis();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.withTimeout(fn(), timeoutMs);
      } catch (error) {
        const code = errorCode(error);
        if (attempt >= this.probe.retries || !RETRYABLE.has(code)) throw error;
        const delay = baseDelayMs * 2 ** attempt;
        this.logger.debug('Registry check attempt failed; retrying', {
          attempt: attempt + 1,
          code,
          delayMs: delay,
        });
        await this.sleep(delay);
      }
    }
  }

  private withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new OciError(
              'TIMEOUT',
              `${this.probe.registry} did not complete a check attempt within ${timeoutMs} ms; raise imageFreshness.healthProbes[].timeout if it is slow`,
              { host: this.probe.registry },
            ),
          ),
        timeoutMs,
      );
    });
    // The abandoned attempt ends on the client's own timeout (the same value).
    work.catch(() => {});
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
