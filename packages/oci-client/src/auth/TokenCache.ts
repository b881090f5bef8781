import { InFlight } from '../transport/InFlight';

/** A token and how long it stays valid, as a token endpoint answered. @public */
export interface IssuedToken {
  token: string;
  /** Seconds from now; registries default to 60 when they say nothing. */
  expiresInSeconds: number;
}

/** Options for {@link TokenCache}. @public */
export interface TokenCacheOptions {
  /** The clock, in milliseconds; `Date.now` by default. */
  now?: () => number;
  /** Entries beyond which expired tokens are swept; default 10 000. */
  maxEntries?: number;
}

interface Entry {
  token: string;
  /** When to stop using it: a little before it really expires. */
  refreshAt: number;
}

/**
 * Bearer tokens per realm, service, scope and credentials, kept until shortly
 * before they expire. Concurrent requests for the same key share one token
 * request. Pass one instance to several clients to share tokens between them.
 *
 * @public
 */
export class TokenCache {
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new InFlight<string>();

  constructor(options: TokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The cached token for `key`, else the one `issue` obtains (shared by concurrent callers). */
  async get(key: string, issue: () => Promise<IssuedToken>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry && entry.refreshAt > this.now()) {
      return entry.token;
    }
    return this.pending.run(key, () =>
      issue().then(issued => {
        this.store(key, issued);
        return issued.token;
      }),
    );
  }

  /** Forgets `token` under `key` (a registry refused it), unless a newer one replaced it. */
  invalidate(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) {
      this.entries.delete(key);
    }
  }

  /** How many tokens are cached. */
  get size(): number {
    return this.entries.size;
  }

  private store(key: string, issued: IssuedToken): void {
    const lifetimeMs = Math.max(0, issued.expiresInSeconds) * 1000;
    // Renew a little early, so a token never expires on its way to the registry.
    const margin = Math.min(30_000, lifetimeMs / 10);
    const now = this.now();
    if (this.entries.size >= this.maxEntries) {
      for (const [k, e] of this.entries) {
        if (e.refreshAt <= now) this.entries.delete(k);
      }
    }
    this.entries.set(key, {
      token: issued.token,
      refreshAt: now + lifetimeMs - margin,
    });
  }
}
