import {
  createExtensionPoint,
  type SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import type { Handler } from 'express';
import type { CredentialSource } from 'oci-client';
import type { Registry } from 'prom-client';
import type { BaseImageFacts } from './baseImageFacts';
import type { EntityImageReports } from './entityReports';

/**
 * A scheduled task of a feature. The core schedules it, and for `global`
 * tasks hands the claim back when the backend shuts down mid-run.
 *
 * @public
 */
export interface FeatureTask {
  /** Unique in the backend, e.g. `image-freshness-registry-probe-ghcr`. */
  id: string;
  /** Read from config with a default (see `readTaskSchedule`). */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** `global`: one replica at a time; `local`: every replica (e.g. a probe per node). */
  scope: 'global' | 'local';
  /** One run; stop soon after `signal` aborts. */
  fn(signal: AbortSignal): Promise<void>;
}

/**
 * What every feature answers, built-in or from a module: its scheduled
 * tasks, its routes (under `/api/image-freshness`), the metrics it renders
 * live on `/metrics`, and what to do at shutdown. The core composes them in
 * one loop.
 *
 * @public
 */
export interface ImageFreshnessFeature {
  /** Names the feature in logs. */
  readonly name: string;
  tasks?: FeatureTask[];
  router?: Handler;
  /** A prom-client registry of its own (never the global one), rendered on each scrape. */
  metrics?: Registry;
  shutdown?(): Promise<void>;
}

/**
 * What the core shares with features: the same host check and registry
 * access its own client uses, so a feature's requests obey the allow and
 * block lists and find the same credentials.
 *
 * @public
 */
export interface ImageFreshnessFeatureContext {
  /** Rejects (an `OciError` with code `BLOCKED_HOST`) for a host the allow/block lists refuse; resolves otherwise. */
  checkHost(host: string): Promise<void>;
  /**
   * Throws (an `OciError` with code `BLOCKED_HOST`) when a connection to
   * `host` may not go to `address`; for oci-client's `checkAddress`, which
   * asks it for every socket it opens (DNS rebinding cannot pass).
   */
  checkAddress?(host: string, address: string): void;
  /** The resolver `checkAddress`'s connections use; oci-client's `resolveHost`. */
  resolveHost?(hostname: string): Promise<string[]>;
  /** Credentials for a registry: `imageFreshness.registries[]`, the Docker config file, then credential providers. */
  credentials: CredentialSource;
  /** Whether a registry speaks plain HTTP: as configured, else only loopback hosts. */
  isInsecure(registry: string): boolean;
  /** The stored base-image facts and tracking policies (the core always gives them). */
  baseImages?: BaseImageFacts;
  /** The entity reports with their verdicts, as the API serves them (the core always gives them). */
  reports?: EntityImageReports;
}

/**
 * Builds a feature once the core's parts exist.
 *
 * @public
 */
export type ImageFreshnessFeatureFactory = (
  context: ImageFreshnessFeatureContext,
) => ImageFreshnessFeature | Promise<ImageFreshnessFeature>;

/**
 * Adds features: scheduled work, routes and metrics of a module's own
 * (registry health probes, for one).
 *
 * @public
 */
export interface ImageFreshnessFeaturesExtensionPoint {
  addFeature(...factories: ImageFreshnessFeatureFactory[]): void;
}

/**
 * The extension point for features.
 *
 * @public
 */
export const imageFreshnessFeaturesExtensionPoint =
  createExtensionPoint<ImageFreshnessFeaturesExtensionPoint>({
    id: 'image-freshness.features',
  });
