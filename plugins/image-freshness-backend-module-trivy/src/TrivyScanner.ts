import type {
  ScannerAvailability,
  VulnerabilityCounts,
  VulnerabilityScanner,
  VulnerabilityScanRequest,
} from 'backstage-plugin-image-freshness-node';
import type { Duration } from 'luxon';
import type { TrivyConfig } from './config';
import { TrivyRunner } from './TrivyRunner';

/**
 * Trivy as the image-freshness vulnerability scanner: finds the binary
 * (`imageFreshness.trivy.path`, else `trivy` on the PATH) once, then runs
 * `trivy image` on each image the core hands it.
 */
export class TrivyScanner implements VulnerabilityScanner {
  readonly name = 'trivy';
  readonly title = 'Trivy';
  readonly severities: TrivyConfig['severities'];
  readonly rescanInterval: Duration;
  readonly failureAdvice =
    "See Trivy's message; it is retried after the rescan interval (imageFreshness.trivy.rescanInterval).";
  private readonly config: TrivyConfig;
  private readonly env?: NodeJS.ProcessEnv;
  private runner?: TrivyRunner;

  constructor(options: {
    config: TrivyConfig;
    /** The environment Trivy is looked up in and run with; default process.env. */
    env?: NodeJS.ProcessEnv;
  }) {
    this.config = options.config;
    this.env = options.env;
    this.severities = options.config.severities;
    this.rescanInterval = options.config.rescanInterval;
  }

  async locate(): Promise<ScannerAvailability> {
    const found = await TrivyRunner.locate({
      path: this.config.path,
      env: this.env,
    });
    if (!found.available) return found;
    this.runner = new TrivyRunner({
      path: found.path,
      severities: this.config.severities,
      timeoutMs: this.config.timeout.toMillis(),
      args: this.config.args,
      env: this.env,
    });
    return { available: true, version: found.version };
  }

  async scan(request: VulnerabilityScanRequest): Promise<VulnerabilityCounts> {
    if (!this.runner) {
      throw new Error('Trivy was not located: call locate() first');
    }
    return this.runner.scan(request);
  }
}
