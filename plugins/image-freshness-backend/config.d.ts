import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the image-freshness backend plugin. */
  imageFreshness?: {
    /**
     * Whether this replica takes part in the plugin's global tasks: the
     * refresh, repository scans, vulnerability scans and modules' global
     * tasks (each runs on one replica at a time). Set false on replicas that
     * only serve the API, the pages and `/metrics`, so that no refresh shares
     * their event loop; at least one replica must keep them. The Refresh
     * button and per-replica (`local`) tasks work either way.
     * @default true
     */
    globalTasks?: boolean;
    /**
     * Schedules of the other global tasks (Backstage's schedule shape:
     * frequency, timeout, initialDelay), each with its default.
     */
    schedules?: {
      /**
       * Repository scans: how often due repositories are looked for.
       * @default { frequency: { minutes: 5 }, timeout: { minutes: 30 }, initialDelay: { seconds: 30 } }
       */
      scans?: {
        frequency: HumanDuration | string;
        timeout: HumanDuration | string;
        initialDelay?: HumanDuration | string;
      };
      /**
       * Vulnerability scans (with a scanner module): how often due digests are looked for.
       * @default { frequency: { minutes: 10 }, timeout: { hours: 1 }, initialDelay: { minutes: 1 } }
       */
      vulnerabilities?: {
        frequency: HumanDuration | string;
        timeout: HumanDuration | string;
        initialDelay?: HumanDuration | string;
      };
    };
    /**
     * When the refresh task runs (one replica at a time). Each entity is
     * refreshed once per `frequency`: a run refreshes the entities due (never
     * refreshed, or last refreshed a frequency ago, less a minute), so one
     * refreshed with the Refresh button in between is not redone. With a cron
     * or `{ trigger: manual }` frequency every run refreshes every entity. A
     * run stopped at `timeout` or by a shutdown starts no entity after that.
     * @default { frequency: { minutes: 30 }, timeout: { minutes: 10 }, initialDelay: { seconds: 15 } }
     */
    schedule?: {
      frequency:
        | HumanDuration
        | string
        | { cron: string }
        | { trigger: 'manual' };
      timeout: HumanDuration | string;
      initialDelay?: HumanDuration | string;
    };
    /** How much one scheduled refresh does. */
    refresh?: {
      /**
       * The most entities one run refreshes: the due ones, never refreshed
       * first, then the longest ago; the rest come first at the next run. The
       * default is large enough that a normal catalog is refreshed whole at
       * every run.
       * @default 10000
       */
      batchSize?: number;
      /**
       * How many entities a run refreshes at once. More keeps the registries
       * busier while entities are written; each one in flight with the
       * per-entity Kubernetes source asks every cluster 13 requests.
       * @default 16
       */
      concurrency?: number;
    };
    /** How the scheduled refresh reads Kubernetes workloads. */
    kubernetes?: {
      /**
       * `clusterWide`: each run lists every cluster once (Pods, Deployments,
       * ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, a page at a
       * time through the Kubernetes backend's proxy) and assigns the objects
       * to entities itself, with the Kubernetes backend's rules.
       * `perEntity`: the Kubernetes backend's workloads query for every
       * entity (13 list requests per entity per cluster). `auto`: cluster-wide
       * for clusters whose auth the Kubernetes backend holds itself
       * (serviceAccount, aws, azure, googleServiceAccount, localKubectlProxy)
       * with a built-in `kubernetes.serviceLocatorMethod` (multiTenant,
       * singleTenant, catalogRelation), per entity for the others
       * (google, oidc, aks, custom auth providers or locators) and for a
       * cluster whose proxy answers 401, 403 or 404. The Refresh button always
       * uses the workloads query. The refresh log and
       * `image_freshness_kubernetes_source_info` say which source each
       * cluster used and why.
       * @default auto
       */
      source?: 'auto' | 'clusterWide' | 'perEntity';
      /**
       * Objects per list page (`limit`) of the cluster-wide source.
       * @default 500
       */
      pageSize?: number;
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
     * The org-wide overview, `GET /api/image-freshness/overview` (the
     * `/image-freshness` page).
     */
    overview?: {
      /**
       * How old the overview's in-memory copy of the stored images may get
       * before a request reloads it (in the background: that request is
       * answered from the copy it has). A scheduled refresh on this replica
       * drops the copy, so the next request reads the new one.
       * @default 30s
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
  };
}
