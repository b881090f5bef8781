import type {
  ErrorClass,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import type { DispatchedRun } from './dispatch';

/** One base move of one managed image: the claim's unique key. */
export interface BaseMoveKey {
  entityRef: string;
  image: string;
  /** The digest the base tag points to now. */
  baseDigest: string;
}

/** A claim request: the key and what the attempt is about. */
export interface ClaimRequest extends BaseMoveKey {
  baseName: string;
  builtOnDigest?: string;
  provider: 'github' | 'gitlab';
  target: string;
  trigger: 'scheduled' | 'manual';
  triggeredBy?: string;
}

/** The claim a caller holds: it alone may dispatch and record this try. */
export interface Claim {
  key: BaseMoveKey;
  /** A random token: recording checks it, so a stale holder cannot overwrite a newer try. */
  token: string;
  /** The try's number (1 for the first). */
  attempt: number;
}

/** Why a claim was refused: the base move's attempt that stands. */
export type ClaimRefusal = { claimed: false; existing: RebuildAttempt };

/** The answer a try recorded. */
export type RecordedOutcome =
  | { outcome: 'triggered'; run: DispatchedRun }
  | {
      outcome: 'failed' | 'unknown';
      error: { class: ErrorClass; message: string; status?: number };
      nextRetryAt: Date;
    };

/**
 * Rebuild attempts, one per base move (entity, image, new base digest), in
 * the plugin's database. Claims are atomic: an insert that ignores a
 * conflict on the unique key, or a conditional update of a failed try that
 * is due; of concurrent claimers exactly one wins.
 */
export interface RebuildStore {
  /**
   * Claims the base move's try: a new row, or a `failed`/`unknown` row whose
   * retry is due (`force`: due now, for a manual trigger). Refused while
   * another try is pending or after one triggered.
   */
  claim(
    request: ClaimRequest,
    now: Date,
    options?: { force?: boolean },
  ): Promise<({ claimed: true } & Claim) | ClaimRefusal>;
  /** Records the answer of the held try; false when the claim was taken over meanwhile. */
  record(claim: Claim, outcome: RecordedOutcome, now: Date): Promise<boolean>;
  /**
   * Marks tries pending since before `cutoff` (their holder stopped before
   * recording an answer) as `unknown`, retried at `retryAt(attempt)`; answers
   * the attempts it marked.
   */
  expirePending(
    cutoff: Date,
    now: Date,
    retryAt: (attempt: number) => Date,
  ): Promise<RebuildAttempt[]>;
  /** The attempts of an entity, newest first. */
  listForEntity(entityRef: string): Promise<RebuildAttempt[]>;
  get(key: BaseMoveKey): Promise<RebuildAttempt | undefined>;
}
