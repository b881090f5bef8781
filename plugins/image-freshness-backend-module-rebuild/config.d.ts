import { HumanDuration } from '@backstage/types';

export interface Config {
  imageFreshness?: {
    /**
     * Rebuild triggers (rebuild module): a GitHub Actions `workflow_dispatch`
     * or a GitLab pipeline, once per base move, for managed images of
     * entities annotated `image-freshness/auto-rebuild: "true"` whose base
     * verdict is `rebuild-due`. The module is off without this section.
     * Credentials come from `integrations.github` / `integrations.gitlab`.
     */
    rebuild?: {
      /**
       * How often the rebuild task runs (one replica at a time).
       * @default { frequency: { minutes: 5 }, timeout: { minutes: 5 }, initialDelay: { minutes: 1 } }
       */
      schedule?: {
        frequency: HumanDuration | string | { cron: string };
        timeout: HumanDuration | string;
        initialDelay?: HumanDuration | string;
      };
      /**
       * The first retry's delay after a failed dispatch; doubled per try. A
       * rate limit's Retry-After or reset time is waited for when longer.
       * @default 5m
       */
      minRetryDelay?: HumanDuration | string;
      /**
       * The longest delay between retries.
       * @default 6h
       */
      maxRetryDelay?: HumanDuration | string;
      /**
       * A try claimed but without a recorded answer (the backend stopped
       * mid-dispatch) is marked `unknown` after this, and retried one backoff
       * step later: the dispatch may have been sent, so a rebuild can run
       * twice in that case, recorded, never silently.
       * @default 15m
       */
      unknownOutcomeAfter?: HumanDuration | string;
      github?: {
        /**
         * Ask GitHub for the started run (`return_run_details`: 200 with the
         * run's id and URL instead of 204); turn off for a GitHub Enterprise
         * Server that refuses the parameter.
         * @default true
         */
        returnRunDetails?: boolean;
      };
    };
  };
}
