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
      /** Basic credentials. */
      credentials?: {
        username: string;
        /** @visibility secret */
        password: string;
      };
      /**
       * Speak plain HTTP. Default true only for localhost and 127.0.0.0/8.
       */
      insecure?: boolean;
      /**
       * Per-request timeout.
       * @default 30s
       */
      timeout?: HumanDuration | string;
    }>;
  };
}
