import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the image-freshness backend plugin. */
  imageFreshness?: {
    /**
     * When the refresh task runs (one replica at a time).
     * @default { frequency: { minutes: 30 }, timeout: { minutes: 10 }, initialDelay: { seconds: 15 } }
     */
    schedule?: {
      frequency: HumanDuration | string;
      timeout: HumanDuration | string;
      initialDelay?: HumanDuration | string;
    };
    /**
     * How long a tag's digest is trusted before it is asked again (plus up to 10% jitter).
     * Metadata keyed by digest never expires.
     * @default 1h
     */
    cacheDuration?: HumanDuration | string;
    /**
     * Platform picked from multi-arch images, as os/architecture[/variant].
     * @default linux/amd64
     */
    platform?: string;
    /**
     * Images built longer ago than this are stale; past half of it they are aging.
     * @default 30d
     */
    maxAge?: HumanDuration | string;
    /**
     * How long a base-image update may wait before a rebuild is due: once a
     * base tag moved (or a newer allowed tag appeared) longer ago than this,
     * the image's base verdict is `rebuild-due`. An entity's
     * `image-freshness/rebuild-delay` annotation overrides it.
     * @default 7d
     */
    rebuildDelay?: HumanDuration | string;
    /**
     * Base images: what images are built on, and how newer versions of a base
     * are looked for.
     */
    baseImages?: {
      /**
       * Tracking policies, matched by base repository (as Kargo warehouses
       * define them). A base whose repository matches none is tracked with the
       * Digest strategy: only its tag's digest moving counts.
       * @default []
       */
      tracking?: Array<{
        /**
         * The base repository, normalised as image references are: `node`
         * means the default registry's `library/node`;
         * e.g. `registry.example.com/library/node`.
         */
        repository: string;
        /**
         * - `SemVer`: the highest version within `constraint` (tags such as
         *   `22.11.0-bookworm-slim` count as 22.11.0; narrow them with
         *   `allowTags`; floating tags such as `22-slim` do not compete).
         * - `Lexical`: the greatest tag in lexical order (e.g. date-stamped tags).
         * - `NewestBuild`: the most recently built tag. Warning: this reads the
         *   manifest and config of up to `discoveryLimit` tags (the lexically
         *   greatest allowed ones) on every tag discovery, a few requests per
         *   tag and four at a time; narrow it with `allowTags` and keep the
         *   limit small, or prefer SemVer or Lexical.
         * - `Digest`: no tag listing; only the tag in use moving to a new digest counts.
         */
        strategy: 'SemVer' | 'Lexical' | 'NewestBuild' | 'Digest';
        /** SemVer only: a semver range, e.g. `^22` or `>=1.4 <2`. */
        constraint?: string;
        /**
         * Regular expressions: a tag is a candidate only when it matches at
         * least one (all tags when empty), e.g. `-bookworm-slim$`.
         * @default []
         */
        allowTags?: string[];
        /**
         * Regular expressions: tags matching any of them are never candidates,
         * e.g. `-rc\.\d+`.
         * @default []
         */
        ignoreTags?: string[];
        /**
         * At most this many candidate tags are kept (and reported as newer
         * tags); NewestBuild reads the build time of at most this many.
         * @default 20
         */
        discoveryLimit?: number;
      }>;
    };
    /**
     * Registry hosts (host, host:port, or CIDR) exempt from the block list, e.g. a
     * registry on loopback: ['127.0.0.1:5000'] or ['10.0.0.0/8'].
     * @default []
     */
    allowedHosts?: string[];
    /**
     * Registry hosts (host, host:port, or CIDR) never contacted, in addition to the
     * defaults: loopback, link-local (169.254.0.0/16, fe80::/10) and cloud metadata
     * services, also when a name resolves to them.
     * @default []
     */
    blockedHosts?: string[];
    /**
     * Registries that need settings: credentials, plain HTTP.
     */
    registries?: Array<{
      /** Registry host as written in image references, e.g. ghcr.io or localhost:5000. */
      host: string;
      /**
       * Credentials: basic (`username` + `password`, e.g. a personal access token
       * as the password) or a ready bearer `token`. Use `${ENV_VAR}` for secrets.
       */
      credentials?: {
        username?: string;
        /** @visibility secret */
        password?: string;
        /** @visibility secret */
        token?: string;
      };
      /**
       * Speak plain HTTP. Default true only for localhost and 127.0.0.0/8.
       */
      insecure?: boolean;
      /**
       * Requests at once to this registry.
       * @default 8
       */
      maxConcurrency?: number;
      /**
       * Request starts per second to this registry.
       * @default unlimited
       */
      requestsPerSecond?: number;
      /**
       * Per-request timeout.
       * @default 30s
       */
      timeout?: HumanDuration | string;
    }>;
    /**
     * A Docker config.json whose `auths` provide credentials for registries not
     * configured above (`auth`, `username`/`password`, `identitytoken`).
     * Credential helpers (`credsStore`, `credHelpers`) are not run.
     */
    dockerConfigFile?: string;
    /**
     * The Prometheus route `GET /api/image-freshness/metrics`, rendered from
     * the plugin's database (never calling a registry or a cluster).
     */
    metrics?: {
      /**
       * Serve the route without credentials. When false, only services may read
       * it, e.g. Prometheus with a `backend.auth.externalAccess` static token
       * sent as `authorization: { credentials: TOKEN }`; anyone else gets 401
       * (a signed-in user 403).
       * @default false
       */
      public?: boolean;
      /**
       * Image label keys exported as `container_image_label` besides every
       * `org.opencontainers.image.*` key: exact keys, prefixes ending in `*`
       * (`dev.chainguard.*`), or `*` for all.
       * @default []
       */
      labelKeys?: string[];
      /**
       * Manifest annotation keys exported as `container_image_annotation`
       * besides every `org.opencontainers.image.*` key; same forms as labelKeys.
       * @default []
       */
      annotationKeys?: string[];
      /**
       * Label and annotation values longer than this are cut to this many characters.
       * @default 256
       */
      maxValueLength?: number;
      /**
       * At most this many series from the database; the rest is dropped and
       * counted in `image_freshness_metrics_dropped_series_total`.
       * @default 200000
       */
      maxSeries?: number;
      /**
       * How old the in-memory snapshot a scrape renders may get before it is
       * reloaded from the database (replicas that did not run the refresh catch
       * up this way; the one that did reloads right after it).
       * @default 1m
       */
      reloadInterval?: HumanDuration | string;
    };
    /**
     * Repository scans, served at `GET /api/image-freshness/scans`: list a
     * repository's tags, keep those the filter allows (sorted, limited), and
     * read each kept tag's digest, size and build time (through the plugin's
     * caches: a tag's digest is trusted for `cacheDuration`, a digest's size
     * and build time forever). Run on one replica at
     * a time; the task looks for due repositories every 5 minutes. The
     * repository of every base-image tracking policy (other than Digest) is
     * scanned too, with the policy's filter, every `cacheDuration`, and its
     * result is the base image's "newest allowed tag". A failed scan keeps
     * its last good result beside the error and is tried again after 5 minutes.
     * @default []
     */
    scans?: Array<{
      /** The repository, as in image references, e.g. `ghcr.io/acme/api` or `node`. */
      repository: string;
      /**
       * - `semver`: the highest versions (tags carrying major.minor.patch, e.g.
       *   `1.4.2` or `22.11.0-bookworm-slim`), within `constraint` when given.
       * - `lexical`: the greatest tags in lexical order (e.g. date-stamped tags).
       * - `newest-build`: the most recently built of the `limit` lexically
       *   greatest allowed tags (their build time is read).
       */
      sort: 'semver' | 'lexical' | 'newest-build';
      /**
       * Regular expressions: a tag is kept only when it matches at least one
       * (all tags when empty), e.g. `^v?\d`.
       * @default []
       */
      include?: string[];
      /**
       * Regular expressions: tags matching any of them are never kept, e.g. `-rc\.\d+`.
       * @default []
       */
      exclude?: string[];
      /** semver only: a semver range, e.g. `^2` or `>=1.4 <2`. */
      constraint?: string;
      /**
       * At most this many tags are kept (and read).
       * @default 20
       */
      limit?: number;
      /**
       * How long a scan result is trusted before the repository is scanned again.
       * @default 1h
       */
      interval?: HumanDuration | string;
      /**
       * Tags read at once within this scan (within the registry's own `maxConcurrency`).
       * @default 4
       */
      concurrency?: number;
    }>;
    /**
     * Vulnerability summaries with Trivy: every digest in use (entities'
     * images and scanned tags) is scanned with `trivy image --format json`,
     * one at a time, on one replica; the counts per severity are served at
     * `GET /api/image-freshness/vulnerabilities/:digest` and exported as
     * `container_image_vulnerabilities{digest,severity}`. Registry credentials
     * from `registries` (or `dockerConfigFile`) reach Trivy through its
     * environment. Without a `trivy` binary a warning is logged once and the
     * feature is reported unavailable at `GET /api/image-freshness/vulnerabilities`.
     */
    trivy?: {
      /**
       * The Trivy binary: a path, or a name looked up on the PATH.
       * @default trivy
       */
      path?: string;
      /**
       * Severities counted (and asked of Trivy): CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN.
       * @default [CRITICAL, HIGH, MEDIUM, LOW]
       */
      severities?: string[];
      /**
       * How long one image scan may take; past it Trivy is stopped and the
       * image skipped (logged), keeping its last good counts.
       * @default 5m
       */
      timeout?: HumanDuration | string;
      /**
       * How long a digest's counts are trusted before it is scanned again
       * (the vulnerability database changes daily).
       * @default 24h
       */
      rescanInterval?: HumanDuration | string;
      /**
       * Extra arguments for `trivy image`, e.g. `['--cache-dir', '/var/cache/trivy']`
       * or `['--server', 'http://trivy-server:4954']`.
       * @default []
       */
      args?: string[];
    };
    /**
     * Registry health probes, as the registry exporter runs them: on every
     * backend instance (each probes for itself), every `interval`, the
     * configured checks run in order and are exported at the metrics route as
     * `registry_exporter_success`, `registry_exporter_error_count`,
     * `registry_exporter_duration_seconds` and
     * `registry_exporter_image_size_mbytes` (labels `tested_registry`, `node`,
     * `type`, and `error` on the count). The last results of this instance are
     * served at `GET /api/image-freshness/health-probes`. At shutdown the
     * instance deletes its own `push-` and `metadata-` tags (by digest).
     * @default []
     */
    healthProbes?: Array<{
      /** Registry host as in image references, e.g. quay.io or registry.example.com:5000. */
      registry: string;
      /** A repository the probe may read, write and delete tags in, e.g. `platform/registry-probe`. */
      repository: string;
      /**
       * The `tested_registry` label (unique among probes).
       * @default the registry host
       */
      name?: string;
      /**
       * Credentials for this probe; without them, those of `registries` (or
       * `dockerConfigFile`) for the host, else anonymous.
       */
      credentials?: {
        username?: string;
        /** @visibility secret */
        password?: string;
        /** @visibility secret */
        token?: string;
      };
      /**
       * Speak plain HTTP. Default as in `registries`: true only for localhost
       * and 127.0.0.0/8.
       */
      insecure?: boolean;
      /**
       * - `pull`: read the `pullTag` artifact (manifest and blobs), re-created when missing;
       * - `push`: push two generated artifacts to `push-<instance>`, a tag unique to this backend instance;
       * - `metadata`: re-tag the pull artifact as `metadata-<instance>`;
       * - `authentication`: log in from scratch (a token from the registry's
       *   token endpoint, or Basic) and make one authorised request.
       * @default [pull, push, metadata, authentication]
       */
      checks?: Array<'pull' | 'push' | 'metadata' | 'authentication'>;
      /**
       * How often the checks run.
       * @default 5m
       */
      interval?: HumanDuration | string;
      /**
       * How long one attempt of a check may take.
       * @default 35s
       */
      timeout?: HumanDuration | string;
      /**
       * Retries of a failed attempt (timeouts, server and network errors, 429),
       * with exponential backoff; 401, 403, 404 and 400 are not retried.
       * @default 5
       */
      retries?: number;
      /**
       * The first backoff delay; it doubles with each retry.
       * @default 1s
       */
      retryDelay?: HumanDuration | string;
      /**
       * The `node` label.
       * @default the NODE_NAME environment variable, else the host name
       */
      node?: string;
      /**
       * The known tag the pull check reads (and re-creates when missing).
       * @default pull
       */
      pullTag?: string;
      /**
       * Size of each generated artifact, in bytes (256 to 67108864).
       * @default 1048576
       */
      artifactBytes?: number;
    }>;
  };
}
