/**
 * An in-memory registry for tests that need exact manifest, index and config
 * bytes (malformed ones too) behind the real client: one repository,
 * `localhost:5000/app`, answered through the client's `fetch` option.
 */
import { sha256 as digestOf } from '../transport/body';

/** A JSON value. */
export type Json =
  | null
  | boolean
  | number
  | string
  | Json[]
  | { [key: string]: Json };

/** Serves what was put, by tag or digest; 404 with a distribution error body otherwise. */
export class MemoryRegistry {
  readonly manifests = new Map<string, { bytes: Buffer; type: string }>();
  readonly blobs = new Map<string, Buffer>();

  putBlob(value: Json | Buffer): string {
    const bytes = Buffer.isBuffer(value)
      ? value
      : Buffer.from(JSON.stringify(value));
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }

  putManifest(value: Json | Buffer, type: string, tag?: string): string {
    const bytes = Buffer.isBuffer(value)
      ? value
      : Buffer.from(JSON.stringify(value));
    const digest = digestOf(bytes);
    this.manifests.set(digest, { bytes, type });
    if (tag) this.manifests.set(tag, { bytes, type });
    return digest;
  }

  /** The registry's answers, as `fetch`. */
  fetch = async (input: string | URL | Request): Promise<Response> => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const path = decodeURIComponent(url.pathname);
    if (path === '/v2/') return new Response('{}', { status: 200 });
    const manifest = /^\/v2\/app\/manifests\/(.+)$/.exec(path);
    const found = manifest && this.manifests.get(manifest[1]);
    if (found) {
      return new Response(found.bytes, {
        status: 200,
        headers: {
          'content-type': found.type,
          'docker-content-digest': digestOf(found.bytes),
        },
      });
    }
    const blob = /^\/v2\/app\/blobs\/(.+)$/.exec(path);
    const bytes = blob && this.blobs.get(blob[1]);
    if (bytes) return new Response(bytes, { status: 200 });
    return new Response(
      JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: path }] }),
      { status: 404, headers: { 'content-type': 'application/json' } },
    );
  };
}
