import { Counter, Registry } from 'prom-client';

/** The rebuild module's metrics, in a prom-client Registry of its own (rendered on the plugin's `/metrics`). */
export class RebuildMetrics {
  readonly registry = new Registry();
  private readonly attempts = new Counter({
    name: 'image_freshness_rebuild_attempts_total',
    help: 'Rebuild dispatches tried by this replica, by outcome (triggered, failed, unknown), error class, provider (github, gitlab) and trigger (scheduled, manual)',
    labelNames: ['outcome', 'error', 'provider', 'trigger'] as const,
    registers: [this.registry],
  });

  attempt(labels: {
    outcome: 'triggered' | 'failed' | 'unknown';
    error?: string;
    provider: string;
    trigger: string;
  }): void {
    // one label order for every series
    this.attempts.inc({
      outcome: labels.outcome,
      error: labels.error ?? '',
      provider: labels.provider,
      trigger: labels.trigger,
    });
  }
}
