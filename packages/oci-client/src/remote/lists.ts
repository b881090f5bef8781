import { OciError } from '../errors';
import { ImageReference } from '../reference';
import { nextLink } from '../transport/link';
import { RequestKind } from '../transport/observer';
import {
  parseJson,
  RemoteContext,
  repositoryName,
  repositoryScope,
  RequestOptions,
} from './context';

/** Options for listing tags or repositories. @public */
export interface ListOptions extends RequestOptions {
  /** Asks for pages of this size (`n`); servers may ignore it. Default: the server's choice. */
  pageSize?: number;
  /** Stops after this many pages; default 10 000. */
  maxPages?: number;
}

/** The largest page accepted, in bytes. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;

/**
 * Reads every page: follows `Link: <...>; rel="next"` (relative or absolute)
 * and stops when there is none, when a page repeats, or when a page adds
 * nothing new (a server that ignores `last`).
 */
async function paginate(
  ctx: RemoteContext,
  options: {
    registry: string;
    repository?: string;
    path: string;
    kind: RequestKind;
    scopes: string[];
    what: string;
    ref: ImageReference;
    read: (page: unknown) => string[] | null | undefined;
  },
  list: ListOptions,
): Promise<string[]> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const maxPages = list.maxPages ?? 10_000;
  let url: string | undefined = list.pageSize
    ? `${options.path}?n=${list.pageSize}`
    : options.path;
  for (let page = 0; url && page < maxPages; page++) {
    const response = await ctx.transport.send({
      registry: options.registry,
      repository: options.repository,
      method: 'GET',
      url,
      kind: options.kind,
      scopes: options.scopes,
      maxBytes: MAX_PAGE_BYTES,
      what: `GET ${options.what}${page ? ` (page ${page + 1})` : ''}`,
      signal: list.signal,
    });
    seen.add(response.url);
    const before = names.size;
    const entries = options.read(
      parseJson<unknown>(response.body, options.ref, options.what),
    );
    if (entries !== null && entries !== undefined && !Array.isArray(entries)) {
      throw new OciError(
        'SERVER_ERROR',
        `${options.registry} answered ${options.what} with a list that is not an array; report it to the registry operator.`,
        { host: options.registry },
      );
    }
    for (const entry of entries ?? []) {
      if (typeof entry === 'string') names.add(entry);
    }
    const next = nextLink(response.headers.get('link'), response.url);
    url = next && !seen.has(next) && names.size > before ? next : undefined;
  }
  return [...names];
}

/** Every tag of the reference's repository, across pages; `tags: null` (no tags) is an empty list. */
export function listTags(
  ctx: RemoteContext,
  ref: ImageReference,
  options: ListOptions = {},
): Promise<string[]> {
  return paginate(
    ctx,
    {
      registry: ref.registry,
      repository: ref.repository,
      path: `/v2/${ref.repository}/tags/list`,
      kind: 'tags',
      scopes: [repositoryScope(ref.repository, 'pull')],
      what: `the tags of ${repositoryName(ref)}`,
      ref,
      read: page => (page as { tags?: string[] | null })?.tags,
    },
    options,
  );
}

/** Every repository of a registry (`/v2/_catalog`), across pages. */
export function listRepositories(
  ctx: RemoteContext,
  registry: string,
  options: ListOptions = {},
): Promise<string[]> {
  return paginate(
    ctx,
    {
      registry,
      path: '/v2/_catalog',
      kind: 'catalog',
      scopes: ['registry:catalog:*'],
      what: `the repositories of ${registry}`,
      ref: { registry, repository: '_catalog' },
      read: page => (page as { repositories?: string[] | null })?.repositories,
    },
    options,
  );
}
