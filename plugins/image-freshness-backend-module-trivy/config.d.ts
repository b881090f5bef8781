import { HumanDuration } from '@backstage/types';

export interface Config {
  imageFreshness?: {
    /**
     * Vulnerability summaries with Trivy: every digest in use (entities'
     * images and scanned tags) is scanned with `trivy image --format json`,
     * one at a time, on one replica; the counts per severity are served at
     * `GET /api/image-freshness/vulnerabilities/:digest` and exported as
     * `container_image_vulnerabilities{digest,severity}`. Registry credentials
     * from `registries` (or `dockerConfigFile`) reach Trivy through its
     * environment. Installed with this module
     * (`backstage-plugin-image-freshness-backend-module-trivy`); without a
     * `trivy` binary a warning is logged once and the feature is reported
     * unavailable at `GET /api/image-freshness/vulnerabilities`.
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
  };
}
