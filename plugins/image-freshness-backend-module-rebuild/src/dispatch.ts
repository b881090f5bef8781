import type {
  Clock,
  ErrorClass,
} from 'backstage-plugin-image-freshness-common';
import type { RebuildTarget } from './targets';

/** What a rebuild is for: the inputs (GitHub) or variables (GitLab) it carries. */
export interface RebuildRequest {
  entityRef: string;
  image: string;
  baseName: string;
  baseDigest: string;
  builtOnDigest?: string;
}

/** The run GitHub or GitLab started, as far as its answer tells. */
export interface DispatchedRun {
  id?: number;
  number?: number;
  url?: string;
}

/**
 * A refused or failed dispatch, classified. `sent: 'maybe'` when the request
 * may have reached the API and its answer was lost (a timeout or a cut
 * connection): the outcome is unknown.
 */
export class DispatchError extends Error {
  readonly class: ErrorClass;
  readonly status?: number;
  /** When the API asked to be called again (Retry-After, a rate limit's reset). */
  readonly retryAt?: Date;
  readonly sent: 'no' | 'maybe';

  constructor(options: {
    class: ErrorClass;
    message: string;
    status?: number;
    retryAt?: Date;
    sent?: 'no' | 'maybe';
  }) {
    super(options.message);
    this.name = 'DispatchError';
    this.class = options.class;
    this.status = options.status;
    this.retryAt = options.retryAt;
    this.sent = options.sent ?? 'no';
  }
}

/** The headers of an HTTP answer, whatever client read it. */
export type HeaderGetter = (name: string) => string | undefined;

/** What each provider needs said in the errors. */
const PROVIDERS = {
  github: {
    name: 'GitHub',
    scope:
      'a token (integrations.github) that may run workflows: a GitHub App or fine-grained token with Actions: write, or a classic token with the repo and workflow scopes',
    what: (t: Extract<RebuildTarget, { provider: 'github' }>) =>
      `workflow ${t.workflow} of ${t.owner}/${t.repo}`,
  },
  gitlab: {
    name: 'GitLab',
    scope:
      'a token (integrations.gitlab) with the api scope and at least the Developer role on the project',
    what: (t: Extract<RebuildTarget, { provider: 'gitlab' }>) =>
      `project ${t.project}`,
  },
};

/** The moment a 429/403 answer says to try again: Retry-After (seconds or a date), else the rate limit's reset time. */
export function retryAtFrom(header: HeaderGetter, now: Date): Date | undefined {
  const retryAfter = header('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) {
      return new Date(now.getTime() + seconds * 1000);
    }
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return new Date(date);
  }
  const reset = Number(
    header('x-ratelimit-reset') ?? header('ratelimit-reset'),
  );
  if (Number.isFinite(reset) && reset > 0) return new Date(reset * 1000);
  return undefined;
}

/**
 * Classifies an HTTP error answer of GitHub's or GitLab's API, one table for
 * both: 401 and 403 AUTHENTICATION with the scope needed (a 403 that is a
 * rate limit is RATE_LIMITED), 404 and a 422 for a workflow without
 * `workflow_dispatch` NOT_FOUND, 429 RATE_LIMITED, 5xx SERVER_ERROR, other
 * 4xx INVALID_REQUEST; the API's own message is kept.
 */
export function classifyAnswer(options: {
  target: RebuildTarget;
  status: number;
  message: string;
  header: HeaderGetter;
  now: Date;
}): DispatchError {
  const { target, status, header, now } = options;
  const provider = PROVIDERS[target.provider];
  const what =
    target.provider === 'github'
      ? PROVIDERS.github.what(target)
      : PROVIDERS.gitlab.what(target);
  // the API's own words, without a closing period (advice follows)
  const apiSaid = options.message.trim().replace(/\.+$/, '');
  const said = `${provider.name} answered ${status} for ${what}${
    apiSaid ? `: ${apiSaid}` : ''
  }`;
  const fail = (errorClass: ErrorClass, advice: string, retryAt?: Date) =>
    new DispatchError({
      class: errorClass,
      status,
      retryAt,
      message: `${said}. ${advice}`,
    });
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (header('x-ratelimit-remaining') === '0' ||
        /rate limit/i.test(options.message)));
  if (rateLimited) {
    return fail(
      'RATE_LIMITED',
      'Rate limited; retried no earlier than the API asked.',
      retryAtFrom(header, now),
    );
  }
  if (status === 401 || status === 403) {
    return fail('AUTHENTICATION', `Configure ${provider.scope}.`);
  }
  if (
    status === 422 &&
    target.provider === 'github' &&
    /workflow_dispatch/i.test(options.message)
  ) {
    return fail(
      'NOT_FOUND',
      `Add a workflow_dispatch trigger to ${target.workflow} (on: workflow_dispatch, with the inputs listed in the rebuild module's README).`,
    );
  }
  if (status === 404) {
    return fail(
      'NOT_FOUND',
      target.provider === 'github'
        ? `Check image-freshness/rebuild-workflow and that ${target.workflow} exists on ${target.ref}, and that the token can see the repository.`
        : `Check the project URL and that the token can see the project.`,
    );
  }
  if (status >= 500) {
    return fail('SERVER_ERROR', 'Retried later with backoff.');
  }
  return fail(
    'INVALID_REQUEST',
    target.provider === 'github'
      ? `Check image-freshness/rebuild-ref and that the workflow declares the inputs image, base-image, base-digest and built-on-digest.`
      : `Check image-freshness/rebuild-ref and that the project's pipeline runs for it.`,
  );
}

const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * A request that got no answer: refused connections were never sent
 * (SERVER_ERROR); anything else (a timeout, a cut connection) may have
 * reached the API, so its outcome is unknown.
 */
export function classifyNoAnswer(
  target: RebuildTarget,
  error: unknown,
): DispatchError {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code =
    (error as { code?: string })?.code ??
    cause?.code ??
    /\b(E[A-Z]+)\b/.exec(String((error as Error)?.message))?.[1];
  const name = PROVIDERS[target.provider].name;
  if (code && NOT_SENT.has(code)) {
    return new DispatchError({
      class: 'SERVER_ERROR',
      message: `${name} API at ${target.apiBaseUrl} is unreachable (${code}); retried later with backoff.`,
    });
  }
  return new DispatchError({
    class: 'TIMEOUT',
    sent: 'maybe',
    message: `${name} API at ${target.apiBaseUrl} gave no answer (${
      code ?? (error as Error)?.message ?? 'no answer'
    }): the dispatch may have been sent. Check the runs; retried after a backoff step.`,
  });
}

/** Sends one rebuild; answers the run or throws a {@link DispatchError}. */
export interface Dispatcher {
  dispatch(
    target: RebuildTarget,
    request: RebuildRequest,
    options: { signal?: AbortSignal; now: Clock },
  ): Promise<DispatchedRun>;
}
