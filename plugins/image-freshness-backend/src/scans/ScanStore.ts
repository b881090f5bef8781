import type { ImageError } from 'backstage-plugin-image-freshness-common';
import type { ScanSettings, ScanTarget } from './config';

/** One kept tag of a repository scan. */
export interface ScannedImage {
  tag: string;
  /** What the tag pointed at (an index digest for multi-arch images). */
  digest?: string;
  /** Bytes of the platform's manifest: config plus layers. */
  size?: number;
  /** Build time (ISO 8601), when the image records one. */
  created?: string;
  mediaType?: string;
  /** Why this tag could not be read by the last scan; digest and size are the last good ones. */
  error?: ImageError;
}

/** `Success` or `Failed`, as the registry operator reports a scan. */
export type ScanStatus = 'Success' | 'Failed';

/** The last good scan of one repository under one filter, with the last attempt's status. */
export interface RepositoryScan {
  repository: string;
  key: string;
  source: ScanTarget['source'];
  settings: ScanSettings;
  /** When the repository was last scanned, successfully or not. */
  lastScanTime?: Date;
  lastSuccessTime?: Date;
  lastScanStatus: ScanStatus;
  message?: string;
  /** The last scan's error; `images` are the last good ones. */
  error?: ImageError;
  /** How many tags the last good scan listed. */
  tagCount?: number;
  /** The kept tags, best first. */
  images: ScannedImage[];
}

/** Persistence of repository scans; see KnexScanStore. */
export interface ScanStore {
  listScans(): Promise<RepositoryScan[]>;
  /** The scans of one repository (one per filter and sort). */
  getScans(repository: string): Promise<RepositoryScan[]>;
  saveScan(scan: RepositoryScan): Promise<void>;
  /** Removes scans no longer configured; returns how many. */
  deleteScansExcept(
    keep: Array<{ repository: string; key: string }>,
  ): Promise<number>;
}
