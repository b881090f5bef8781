import { createHash } from 'node:crypto';
import { codeForStatus, OciError } from './errors';

/** Basic credentials for one registry. @public */
export interface Credentials {
  username: string;
  password: string;
}

/** @public */
export interface TransportOptions {
  /** Per-request timeout in milliseconds, for all registries or per registry. Default 30 000. */
  timeoutMs?: number | ((registry: string) => number | undefined);
  /** Credentials per registry host; anonymous when none. */
  credentials?: (registry: string) => Credentials | undefined;
  /** Whether a registry speaks plain HTTP; when unsaid, only localhost and 127.0.0.0/8 do. */
  insecure?: (registry: string) => boolean | undefined;
  /** The fetch to use; Node's own by default. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return (
    host === 'localhost' ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '[::1]'
  );
}

/** sha256 of a body, in digest form. */
export function sha256(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/**
 * Sends requests to one registry API: scheme, timeout, credentials and the
 * classification of failures. Higher layers speak in manifests and blobs.
 */
export class Transport {
  private readonly options: TransportOptions;

  constructor(options: TransportOptions = {}) {
    this.options = options;
  }

  baseUrl(endpoint: string): string {
    const insecure = this.options.insecure?.(endpoint) ?? isLoopback(endpoint);
    return `${insecure ? 'http' : 'https'}://${endpoint}`;
  }

  async request(
    registry: string,
    endpoint: string,
    path: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = `${this.baseUrl(endpoint)}${path}`;
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? 'oci-client',
      ...init.headers,
    };
    const credentials = this.options.credentials?.(registry);
    if (credentials) {
      headers.authorization = `Basic ${Buffer.from(
        `${credentials.username}:${credentials.password}`,
      ).toString('base64')}`;
    }
    const { timeoutMs: timeout } = this.options;
    const timeoutMs =
      (typeof timeout === 'function' ? timeout(registry) : timeout) ?? 30_000;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: init.method ?? 'GET',
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut =
        error instanceof Error &&
        (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new OciError(
        timedOut ? 'TIMEOUT' : 'UNKNOWN',
        timedOut
          ? `${registry} did not answer ${
              init.method ?? 'GET'
            } ${path} within ${timeoutMs} ms`
          : `${registry} could not be reached: ${(error as Error).message}`,
        { host: registry, cause: error },
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new OciError(
        codeForStatus(response.status),
        `${registry} answered ${response.status} to ${
          init.method ?? 'GET'
        } ${path}`,
        { host: registry, status: response.status },
      );
    }
    return response;
  }

  /** Reads a body up to `maxBytes`, failing with TOO_LARGE beyond it. */
  async readBody(
    response: Response,
    maxBytes: number,
    what: string,
    registry: string,
  ): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length'));
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new OciError(
        'TOO_LARGE',
        `${what} is ${declared} bytes, over the ${maxBytes} byte limit`,
        { host: registry },
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        total += chunk.length;
        if (total > maxBytes) {
          throw new OciError(
            'TOO_LARGE',
            `${what} exceeds the ${maxBytes} byte limit`,
            { host: registry },
          );
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    return Buffer.concat(chunks);
  }
}
