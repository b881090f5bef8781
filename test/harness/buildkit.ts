/*
 * Image indexes with SLSA provenance attestations laid out exactly as BuildKit writes them
 * (moby/buildkit docs/attestations/attestation-storage.md and slsa-definitions.md), built in
 * memory and pushed to a real registry over the distribution API. There is no BuildKit here:
 * this is the documented format, field by field.
 *
 * - The index lists the platform images first, then one attestation manifest per image, with
 *   platform unknown/unknown and the annotations `vnd.docker.reference.type:
 *   attestation-manifest` and `vnd.docker.reference.digest: <image digest>`.
 * - The attestation manifest is an OCI artifact (`artifactType:
 *   application/vnd.docker.attestation.manifest.v1+json`, the empty config, `subject` the
 *   image) or, with `ociArtifact: false`, the legacy form (an image config for unknown/unknown).
 * - Its layer is an in-toto statement (`application/vnd.in-toto+json`, annotated
 *   `in-toto.io/predicate-type`) whose subject is the image digest and whose predicate is SLSA
 *   provenance v0.2 (`materials`, `invocation.parameters`, `buildConfig`, `metadata`) or v1
 *   (`buildDefinition.resolvedDependencies`, `.externalParameters.request`,
 *   `.internalParameters.buildConfig`, `runDetails.metadata.buildkit_metadata`).
 * - Images are named by BuildKit's Package URLs (`pkg:docker/<familiar name>@<tag>?platform=`),
 *   their digests in `digest.sha256`; build steps (`llbDefinition`, mode=max) are LLB ops as
 *   BuildKit's JSON encodes them (`{ id: "stepN", op: { Op: { exec | source | file | merge } },
 *   inputs: ["stepM:0"] }`, the last step the result with one input and no op), in the
 *   depth-first order BuildKit lists them.
 */
import {
  BuiltImage,
  buildImage,
  ImageSpec,
  MEDIA_TYPES,
  Platform,
  PushAuth,
  pushBuilt,
  putIndex,
  sha256,
} from './images';

export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const ATTESTATION_ARTIFACT =
  'application/vnd.docker.attestation.manifest.v1+json';
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', data: '{}' };

/** An image a build resolved (a FROM, a COPY --from=image, or the gateway frontend). */
export interface ResolvedImage {
  /** As written in the Dockerfile: `127.0.0.1:5000/base/node:22`, `alpine:3.17`. */
  ref: string;
  /** What BuildKit resolved it to (the tag's digest at build time). */
  digest: string;
  /** The platform it was resolved for; default the image's; null for none. */
  platform?: Platform | null;
}

/** A step of a Dockerfile stage. */
export type StageStep =
  | { run: string }
  | {
      copy: string;
      /** Default the build context. */
      from?: { stage: number } | { image: number } | 'context';
      /** COPY --link: a file op on scratch merged onto the stage. */
      link?: boolean;
    };

/** A Dockerfile stage: FROM an image of the build, another stage, or scratch. */
export interface Stage {
  from: { image: number } | { stage: number } | 'scratch';
  /** The FROM line (1-based) in `dockerfile`, for BuildKit's source map. */
  line?: number;
  steps?: StageStep[];
}

/** The provenance BuildKit would write for one platform image. */
export interface ProvenanceSpec {
  version: 'v0.2' | 'v1';
  /** Every image the Dockerfile resolved, in order. */
  images: ResolvedImage[];
  /** A gateway frontend (`# syntax=`): `request.args.source`, listed first among the materials. */
  frontend?: ResolvedImage;
  /** mode=max: the Dockerfile's stages become `buildConfig.llbDefinition`; the last is the target. */
  stages?: Stage[];
  /** The Dockerfile text, for the source map (mode=max). */
  dockerfile?: string;
  /** Replaces the statement bytes (malformed or huge statements). */
  statement?: Buffer;
  /** Default true: the OCI artifact form; false: the legacy image form. */
  ociArtifact?: boolean;
  /** The layer's predicate-type annotation; default the predicate type. */
  predicateTypeAnnotation?: string | null;
}

/** One platform image of the index, and its provenance (none: no attestation). */
export interface BuildKitImage {
  image: ImageSpec;
  provenance?: ProvenanceSpec;
}

export interface PushedBuildKitIndex {
  digest: string;
  images: Array<{ digest: string; platform: Platform }>;
  /** Per image with provenance: the attestation manifest and statement digests. */
  attestations: Array<{ digest: string; statement: string; subject: string }>;
  /** The statements as pushed (parsed), per attestation. */
  statements: unknown[];
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** `docker.io/library/alpine` → `alpine`; `docker.io/x/y` → `x/y`; other hosts kept: distribution's FamiliarName. */
function splitReference(ref: string): {
  familiar: string;
  full: string;
  tag?: string;
  digest?: string;
} {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0];
  const hasHost =
    rest.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasHost ? rest : `docker.io/${rest}`;
  if (name.startsWith('docker.io/') && name.split('/').length === 2) {
    name = `docker.io/library/${name.slice('docker.io/'.length)}`;
  }
  const familiar = name.replace(/^docker\.io\/(library\/)?/, '');
  if (!tag && !digest) tag = 'latest';
  return { familiar, full: name, tag, digest };
}

/** Go's url.PathEscape for a qualifier value: `/` escaped, `:` kept. */
function pathEscape(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':');
}

function formatPlatform(p: Platform): string {
  // containerd's Normalize drops arm64's default variant v8
  const variant =
    p.architecture === 'arm64' && p.variant === 'v8' ? undefined : p.variant;
  return [p.os, p.architecture, variant].filter(Boolean).join('/');
}

/** BuildKit's RefToPURL (util/purl): `pkg:docker/<ns>/<name>@<tag>?digest=...&platform=...`. */
export function dockerPurl(ref: string, platform?: Platform | null): string {
  const { familiar, tag, digest } = splitReference(ref);
  const parts = familiar.split('/');
  const name = parts.pop()!;
  const namespace = parts.map(p => encodeURIComponent(p)).join('/');
  const qualifiers: string[] = [];
  if (digest) qualifiers.push(`digest=${pathEscape(digest)}`);
  if (platform)
    qualifiers.push(`platform=${pathEscape(formatPlatform(platform))}`);
  return `pkg:docker/${namespace ? `${namespace}/` : ''}${encodeURIComponent(
    name,
  )}${tag ? `@${pathEscape(tag)}` : ''}${
    qualifiers.length ? `?${qualifiers.join('&')}` : ''
  }`;
}

interface LlbNode {
  op: Record<string, unknown>;
  inputs: Array<{ node: LlbNode; output: number }>;
}

/** The Dockerfile frontend's LLB for the stages, in BuildKit's JSON step form. */
function llbDefinition(
  spec: ProvenanceSpec,
  platform: Platform,
): { steps: object[]; locations: Record<string, object> } {
  const llbPlatform = {
    Architecture: platform.architecture,
    OS: platform.os,
    ...(platform.variant ? { Variant: platform.variant } : {}),
  };
  const located = new Map<LlbNode, number>();
  const sources = new Map<string, LlbNode>();
  const source = (identifier: string, line?: number): LlbNode => {
    const known = sources.get(identifier);
    if (known) return known;
    const node: LlbNode = {
      op: { Op: { source: { identifier } }, platform: llbPlatform },
      inputs: [],
    };
    sources.set(identifier, node);
    if (line) located.set(node, line);
    return node;
  };
  const image = (index: number, line?: number) => {
    const resolved = spec.images[index];
    const { full, tag, digest } = splitReference(resolved.ref);
    return source(
      `docker-image://${full}${tag ? `:${tag}` : ''}@${
        digest ?? resolved.digest
      }`,
      line,
    );
  };
  const context = () => source('local://context');
  const stages: Array<LlbNode | undefined> = [];
  for (const stage of spec.stages ?? []) {
    let root: LlbNode | undefined;
    if (stage.from !== 'scratch') {
      root =
        'image' in stage.from
          ? image(stage.from.image, stage.line)
          : stages[stage.from.stage];
    }
    for (const step of stage.steps ?? []) {
      if ('run' in step) {
        root = {
          op: {
            Op: {
              exec: {
                meta: { args: ['/bin/sh', '-c', step.run], cwd: '/' },
                mounts: [root ? { dest: '/' } : { input: -1, dest: '/' }],
              },
            },
            platform: llbPlatform,
          },
          inputs: root ? [{ node: root, output: 0 }] : [],
        };
        continue;
      }
      const from = step.from ?? 'context';
      let src: LlbNode | undefined;
      if (from === 'context') src = context();
      else src = 'stage' in from ? stages[from.stage] : image(from.image);
      const copy = { src: step.copy, dest: step.copy };
      if (step.link || !root) {
        const copied: LlbNode = {
          op: {
            Op: {
              file: {
                actions: [
                  {
                    input: -1,
                    secondaryInput: src ? 0 : -1,
                    output: 0,
                    Action: { copy },
                  },
                ],
              },
            },
            platform: llbPlatform,
          },
          inputs: src ? [{ node: src, output: 0 }] : [],
        };
        root = root
          ? {
              op: {
                Op: { merge: { inputs: [{}, { input: 1 }] } },
                platform: llbPlatform,
              },
              inputs: [
                { node: root, output: 0 },
                { node: copied, output: 0 },
              ],
            }
          : copied;
      } else {
        root = {
          op: {
            Op: {
              file: {
                actions: [
                  {
                    input: 0,
                    secondaryInput: src ? 1 : -1,
                    output: 0,
                    Action: { copy },
                  },
                ],
              },
            },
            platform: llbPlatform,
          },
          inputs: [
            { node: root, output: 0 },
            ...(src ? [{ node: src, output: 0 }] : []),
          ],
        };
      }
    }
    stages.push(root);
  }
  const target = stages[stages.length - 1];
  if (!target) {
    throw new Error(
      'the target stage is empty scratch: BuildKit has no steps for it',
    );
  }
  const result: LlbNode = {
    op: { Op: {} },
    inputs: [{ node: target, output: 0 }],
  };
  // BuildKit's walkDigests: depth first, inputs before the step, each once.
  const order: LlbNode[] = [];
  const visit = (node: LlbNode) => {
    if (order.includes(node)) return;
    for (const input of node.inputs) visit(input.node);
    order.push(node);
  };
  visit(result);
  const id = (node: LlbNode) => `step${order.indexOf(node)}`;
  const locations: Record<string, object> = {};
  for (const [node, line] of located) {
    if (order.includes(node)) {
      locations[id(node)] = {
        locations: [{ ranges: [{ start: { line }, end: { line } }] }],
      };
    }
  }
  return {
    steps: order.map(node => ({
      id: id(node),
      op: node.op,
      ...(node.inputs.length
        ? { inputs: node.inputs.map(i => `${id(i.node)}:${i.output}`) }
        : {}),
    })),
    locations,
  };
}

/** The in-toto statement BuildKit writes for `subject`, for SLSA v0.2 or v1. */
export function provenanceStatement(
  spec: ProvenanceSpec,
  subject: {
    repository: string;
    tag: string;
    digest: string;
    platform: Platform;
  },
): object {
  const materials = [
    ...(spec.frontend ? [spec.frontend] : []),
    ...spec.images,
  ].map(m => ({
    uri: dockerPurl(
      m.ref,
      m.platform === null ? undefined : m.platform ?? subject.platform,
    ),
    digest: { sha256: m.digest.replace(/^sha256:/, '') },
  }));
  const request = {
    frontend: spec.frontend ? 'gateway.v0' : 'dockerfile.v0',
    args: spec.frontend ? { source: spec.frontend.ref } : {},
    locals: [{ name: 'context' }, { name: 'dockerfile' }],
  };
  const definition = spec.stages
    ? llbDefinition(spec, subject.platform)
    : undefined;
  const source =
    definition && spec.dockerfile
      ? {
          locations: definition.locations,
          infos: [
            {
              filename: 'Dockerfile',
              language: 'Dockerfile',
              data: Buffer.from(spec.dockerfile).toString('base64'),
            },
          ],
        }
      : undefined;
  const buildConfig = definition
    ? { llbDefinition: definition.steps }
    : undefined;
  const statementSubject = [
    {
      name: dockerPurl(
        `${subject.repository}:${subject.tag}`,
        subject.platform,
      ),
      digest: { sha256: subject.digest.replace(/^sha256:/, '') },
    },
  ];
  const times = {
    started: '2026-11-20T10:00:00Z',
    finished: '2026-11-20T10:01:00Z',
  };
  if (spec.version === 'v1') {
    return {
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: SLSA_V1,
      subject: statementSubject,
      predicate: {
        buildDefinition: {
          buildType:
            'https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md',
          externalParameters: { configSource: { path: 'Dockerfile' }, request },
          internalParameters: {
            ...(buildConfig ? { buildConfig } : {}),
            builderPlatform: 'linux/amd64',
          },
          resolvedDependencies: materials,
        },
        runDetails: {
          builder: { id: '' },
          metadata: {
            invocationID: 'rpv7a389uzil5lqmrgwhijwjz',
            startedOn: times.started,
            finishedOn: times.finished,
            buildkit_completeness: {
              request: !!definition,
              resolvedDependencies: false,
            },
            buildkit_hermetic: false,
            ...(source ? { buildkit_metadata: { source } } : {}),
          },
        },
      },
    };
  }
  return {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: SLSA_V02,
    subject: statementSubject,
    predicate: {
      builder: { id: '' },
      buildType: 'https://mobyproject.org/buildkit@v1',
      materials,
      invocation: {
        configSource: { entryPoint: 'Dockerfile' },
        parameters: request,
        environment: { platform: 'linux/amd64' },
      },
      ...(buildConfig ? { buildConfig } : {}),
      metadata: {
        buildInvocationID: 'rpv7a389uzil5lqmrgwhijwjz',
        buildStartedOn: times.started,
        buildFinishedOn: times.finished,
        completeness: {
          parameters: !!definition,
          environment: true,
          materials: false,
        },
        reproducible: false,
        ...(source
          ? { 'https://mobyproject.org/buildkit@v1#metadata': { source } }
          : {}),
      },
    },
  };
}

function attestationManifest(
  statement: Buffer,
  predicateType: string | null,
  subject: BuiltImage,
  ociArtifact: boolean,
): BuiltImage {
  const layer = {
    mediaType: 'application/vnd.in-toto+json',
    digest: sha256(statement),
    size: statement.length,
    ...(predicateType
      ? { annotations: { 'in-toto.io/predicate-type': predicateType } }
      : {}),
  };
  let config: Buffer;
  let body: object;
  if (ociArtifact) {
    config = Buffer.from(EMPTY.data);
    body = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      artifactType: ATTESTATION_ARTIFACT,
      config: {
        mediaType: EMPTY.mediaType,
        digest: sha256(config),
        size: config.length,
        data: config.toString('base64'),
      },
      layers: [layer],
      subject: {
        mediaType: MEDIA_TYPES.manifest,
        digest: subject.digest,
        size: subject.manifest.length,
      },
    };
  } else {
    config = Buffer.from(
      JSON.stringify({
        architecture: 'unknown',
        os: 'unknown',
        config: {},
        rootfs: { type: 'layers', diff_ids: [sha256(statement)] },
      }),
    );
    body = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: {
        mediaType: MEDIA_TYPES.config,
        digest: sha256(config),
        size: config.length,
      },
      layers: [layer],
    };
  }
  const manifest = Buffer.from(JSON.stringify(body));
  return {
    manifest,
    digest: sha256(manifest),
    configDigest: sha256(config),
    blobs: [
      { digest: sha256(config), data: config },
      { digest: sha256(statement), data: statement },
    ],
  };
}

/**
 * Pushes an index as BuildKit pushes `docker buildx build --provenance=...`: the platform
 * images by digest, one attestation manifest per image that has `provenance`, then the index
 * under `tag`.
 */
export async function pushBuildKitIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  builds: BuildKitImage[],
  auth?: PushAuth,
): Promise<PushedBuildKitIndex> {
  const entries: object[] = [];
  const pushed: PushedBuildKitIndex = {
    digest: '',
    images: [],
    attestations: [],
    statements: [],
  };
  const images = builds.map(b => buildImage(b.image));
  for (const [i, image] of images.entries()) {
    const platform = builds[i].image.platform ?? DEFAULT_PLATFORM;
    await pushBuilt(registryUrl, repository, image.digest, image, auth);
    entries.push({
      mediaType: MEDIA_TYPES.manifest,
      digest: image.digest,
      size: image.manifest.length,
      platform,
    });
    pushed.images.push({ digest: image.digest, platform });
  }
  for (const [i, image] of images.entries()) {
    const spec = builds[i].provenance;
    if (!spec) continue;
    const platform = builds[i].image.platform ?? DEFAULT_PLATFORM;
    const statementObject = provenanceStatement(spec, {
      repository: `${new URL(registryUrl).host}/${repository}`,
      tag,
      digest: image.digest,
      platform,
    });
    const statement =
      spec.statement ?? Buffer.from(JSON.stringify(statementObject));
    const predicateType =
      spec.predicateTypeAnnotation === undefined
        ? { v1: SLSA_V1, 'v0.2': SLSA_V02 }[spec.version]
        : spec.predicateTypeAnnotation;
    const attestation = attestationManifest(
      statement,
      predicateType,
      image,
      spec.ociArtifact ?? true,
    );
    await pushBuilt(
      registryUrl,
      repository,
      attestation.digest,
      attestation,
      auth,
    );
    entries.push({
      mediaType: MEDIA_TYPES.manifest,
      digest: attestation.digest,
      size: attestation.manifest.length,
      annotations: {
        'vnd.docker.reference.digest': image.digest,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
      platform: { architecture: 'unknown', os: 'unknown' },
    });
    pushed.attestations.push({
      digest: attestation.digest,
      statement: sha256(statement),
      subject: image.digest,
    });
    pushed.statements.push(spec.statement ? undefined : statementObject);
  }
  pushed.digest = await putIndex(
    registryUrl,
    repository,
    tag,
    entries,
    undefined,
    auth,
  );
  return pushed;
}
