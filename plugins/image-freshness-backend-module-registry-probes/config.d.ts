import { HumanDuration } from '@backstage/types';

export interface Config {
  imageFreshness?: {
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
