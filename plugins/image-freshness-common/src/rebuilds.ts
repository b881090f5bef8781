import type { ErrorClass } from './errors';

/**
 * Where a rebuild attempt stands: `pending` (claimed, the dispatch under
 * way), `triggered` (GitHub or GitLab accepted it), `failed` (refused or
 * unreachable; retried at `nextRetryAt`), `unknown` (the backend stopped
 * after claiming and before recording the answer: the dispatch may or may
 * not have been sent; retried at `nextRetryAt`).
 *
 * @public
 */
export type RebuildOutcome = 'pending' | 'triggered' | 'failed' | 'unknown';

/**
 * One rebuild of a managed image for one base move (the rebuild module's
 * `GET /rebuilds/:kind/:namespace/:name`). There is at most one per entity,
 * image and new base digest: retries update it.
 *
 * @public
 */
export interface RebuildAttempt {
  entityRef: string;
  /** The managed image (reference as written). */
  image: string;
  /** The base reference, e.g. `docker.io/library/node:22`. */
  baseName: string;
  /** The digest the base tag points to now: the base move this rebuild is for. */
  baseDigest: string;
  /** The digest the image was built on. */
  builtOnDigest?: string;
  provider: 'github' | 'gitlab';
  /** What was triggered: `owner/repo .github/workflows/rebuild.yaml@main` or `group/project@main`. */
  target: string;
  /** `scheduled` (the rebuild became due) or `manual` (the Trigger rebuild button). */
  trigger: 'scheduled' | 'manual';
  /** The user who triggered a manual rebuild. */
  triggeredBy?: string;
  outcome: RebuildOutcome;
  /** How many dispatches were tried (1 unless retried). */
  attempts: number;
  /** When the latest try started (ISO 8601). */
  attemptedAt: string;
  /** When the latest try's answer was recorded (ISO 8601). */
  finishedAt?: string;
  /** The run GitHub or GitLab started, when its answer names one. */
  run?: { id?: number; number?: number; url?: string };
  /** Why the latest try failed, and what to do. */
  error?: { class: ErrorClass; message: string; status?: number };
  /** When a failed or unknown attempt is tried again (ISO 8601). */
  nextRetryAt?: string;
}

/** The answer of `GET /rebuilds/:kind/:namespace/:name`. @public */
export interface EntityRebuilds {
  entityRef: string;
  /** Newest first. */
  attempts: RebuildAttempt[];
}
