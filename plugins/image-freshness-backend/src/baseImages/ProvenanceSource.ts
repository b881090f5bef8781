import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import {
  AttestationContentError,
  formatReference,
  InFlight,
  OciClient,
  parseReference,
} from 'oci-client';
import { toImageError } from '../registry/imageErrors';
import type { HostPolicy } from '../registry/HostPolicy';
import type { BuildRecordStore, StoredProvenance } from './BuildRecordStore';
import { baseFromProvenance, PROVENANCE_PREDICATE_TYPES } from './provenance';

/** The largest provenance statement read (BuildKit's mode=max with build steps is rarely above 1 MiB). */
export const MAX_PROVENANCE_BYTES = 4 * 1024 * 1024;

/**
 * Reads the base of an image from BuildKit's SLSA provenance attestation,
 * once per image manifest digest: the attestation manifest the image's index
 * attaches to it, its in-toto statements of the SLSA provenance types, and
 * the base they name (see `baseFromProvenance`). The outcome is kept in the
 * store (a digest never changes); transient failures (network, 5xx, 429,
 * credentials) are not, so the next refresh asks again. Requests go through
 * the plugin's one OCI client, so the host policy, credentials and limits
 * apply as to every registry request.
 */
export class ProvenanceSource {
  private readonly client: Pick<OciClient, 'readAttestations'>;
  private readonly hosts: Pick<HostPolicy, 'check'>;
  private readonly store: BuildRecordStore;
  private readonly maxStatementBytes: number;
  private readonly inFlight = new InFlight<StoredProvenance>();

  constructor(options: {
    client: Pick<OciClient, 'readAttestations'>;
    hosts: Pick<HostPolicy, 'check'>;
    store: BuildRecordStore;
    maxStatementBytes?: number;
  }) {
    this.client = options.client;
    this.hosts = options.hosts;
    this.store = options.store;
    this.maxStatementBytes = options.maxStatementBytes ?? MAX_PROVENANCE_BYTES;
  }

  /**
   * What the provenance of `image` (as written) says about its base. Images
   * not in an index have no BuildKit attestation: nothing is asked.
   */
  async find(
    image: string,
    metadata: ImageMetadata,
    at: Date,
  ): Promise<StoredProvenance> {
    if (!metadata.indexDigest) {
      return { none: 'the image is not in an index, so it has no attestation' };
    }
    return this.inFlight.run(metadata.digest, () =>
      this.read(image, metadata as Required<ImageMetadata>, at),
    );
  }

  private async read(
    image: string,
    metadata: Pick<Required<ImageMetadata>, 'digest' | 'indexDigest'>,
    at: Date,
  ): Promise<StoredProvenance> {
    const known = await this.store.getProvenance(metadata.digest);
    if (known) return known;
    let index: string;
    try {
      const ref = parseReference(image);
      index = formatReference({
        ...ref,
        tag: undefined,
        digest: metadata.indexDigest,
      });
    } catch (error) {
      return { error: toImageError(error, image, at) };
    }
    let outcome: StoredProvenance;
    try {
      await this.hosts.check(parseReference(index).registry);
      const attestations = await this.client.readAttestations(
        index,
        metadata.digest,
        {
          predicateTypes: PROVENANCE_PREDICATE_TYPES,
          maxStatementBytes: this.maxStatementBytes,
        },
      );
      if (!attestations) {
        outcome = { none: 'its index has no attestation for it' };
      } else {
        const finding = baseFromProvenance(attestations.statements);
        outcome =
          finding.kind === 'base'
            ? {
                base: {
                  name: finding.name,
                  digest: finding.digest,
                  scratch: finding.scratch,
                  source: {
                    kind: 'provenance',
                    provenance: {
                      attestation: attestations.digest,
                      ...finding.info,
                    },
                  },
                },
              }
            : {
                none: `its provenance attestation ${attestations.digest} does not tell the base: ${finding.reason}`,
              };
      }
    } catch (error) {
      const failure = toImageError(error, index, at);
      if (!(error instanceof AttestationContentError)) {
        // transient: asked again on the next refresh
        return { error: failure };
      }
      outcome = { error: failure };
    }
    await this.store.putProvenance(metadata.digest, outcome, at);
    return outcome;
  }
}
