import type { ProvenanceSourceInfo } from 'backstage-plugin-image-freshness-common';
import { formatReference, parseReference } from 'oci-client';

/** The SLSA provenance predicate types BuildKit writes. */
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
/** @see SLSA_V02 */
export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
export const PROVENANCE_PREDICATE_TYPES = [SLSA_V1, SLSA_V02];

/** One statement as read from the attestation manifest. */
export interface ProvenanceStatement {
  predicateType: string;
  statement: Record<string, unknown>;
}

/** What the provenance says the final stage is built on. */
export type ProvenanceFinding =
  | {
      kind: 'base';
      /** The base as BuildKit named it, `alpine:3.17` or `host/repo:tag@sha256:...`. */
      name: string;
      /** The digest BuildKit resolved the base to (the tag's digest at build time). */
      digest?: string;
      scratch: boolean;
      info: Omit<ProvenanceSourceInfo, 'attestation'>;
    }
  /** The provenance does not tell the base; `reason` says why. */
  | { kind: 'unknown'; reason: string };

/** An image material: `pkg:docker/...` with its digest. */
interface ImageMaterial {
  uri: string;
  /** `registry/repository`, normalised. */
  repository: string;
  tag?: string;
  /** The digest named in the purl (a digest-pinned FROM). */
  pinned?: string;
  /** The digest BuildKit recorded for it. */
  digest?: string;
  /** The reference as BuildKit named it (familiar form). */
  name: string;
}

/** One step of BuildKit's `llbDefinition`. */
interface BuildStep {
  id: string;
  op: Record<string, unknown>;
  inputs: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * Parses a Package URL of type docker, as BuildKit writes them
 * (`pkg:docker/<namespace>/<name>@<tag>?digest=...&platform=...`, segments
 * percent-encoded), into an image material. Undefined for other URIs, for
 * `pkg:oci` (an image from a local layout, which no registry serves) and for
 * blob or bundle references.
 */
export function parseDockerPurl(
  uri: string,
  recorded?: unknown,
): ImageMaterial | undefined {
  if (!uri.startsWith('pkg:docker/')) return undefined;
  let rest = uri.slice('pkg:docker/'.length);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers = new Map<string, string>();
  const question = rest.lastIndexOf('?');
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split('&')) {
      const [key, value = ''] = pair.split('=');
      try {
        qualifiers.set(key.toLowerCase(), decodeURIComponent(value));
      } catch {
        return undefined;
      }
    }
    rest = rest.slice(0, question);
  }
  if (qualifiers.has('ref_type')) return undefined;
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let path: string;
  try {
    path = rest
      .split('/')
      .filter(Boolean)
      .map(segment => decodeURIComponent(segment))
      .join('/');
    version = version === undefined ? undefined : decodeURIComponent(version);
  } catch {
    return undefined;
  }
  const pinnedQualifier = qualifiers.get('digest');
  const versionIsDigest = version !== undefined && /^sha256:/.test(version);
  const tag = versionIsDigest ? undefined : version;
  const pinned = versionIsDigest ? version : pinnedQualifier;
  const name = `${path}${tag ? `:${tag}` : ''}${pinned ? `@${pinned}` : ''}`;
  let repository: string;
  try {
    const ref = parseReference(name);
    repository = `${ref.registry}/${ref.repository}`;
  } catch {
    return undefined;
  }
  const recordedHex = obj(recorded).sha256;
  const digest =
    typeof recordedHex === 'string' && SHA256_HEX.test(recordedHex)
      ? `sha256:${recordedHex}`
      : pinned;
  return { uri, repository, tag, pinned, digest, name };
}

/** The parts of a statement BuildKit's provenance base depends on, for v0.2 and v1. */
function partsOf(s: ProvenanceStatement) {
  const p = s.statement.predicate as Record<string, unknown>;
  if (s.predicateType === SLSA_V1) {
    const definition = obj(p.buildDefinition);
    return {
      materials: definition.resolvedDependencies,
      request: obj(obj(definition.externalParameters).request),
      buildConfig: obj(obj(definition.internalParameters).buildConfig),
      sourceMap: obj(
        obj(obj(obj(p.runDetails).metadata).buildkit_metadata).source,
      ),
    };
  }
  return {
    materials: p.materials,
    request: obj(obj(p.invocation).parameters),
    buildConfig: obj(p.buildConfig),
    sourceMap: obj(
      obj(obj(p.metadata)['https://mobyproject.org/buildkit@v1#metadata'])
        .source,
    ),
  };
}

/** The image a step chain starts from. */
type Root =
  | { kind: 'image'; identifier: string; step: string }
  | { kind: 'scratch' }
  | { kind: 'unknown'; why: string };

/** The Op oneof of a step: `{ exec }`, `{ source }`, `{ file }`, `{ merge }`, ... */
function opOf(step: BuildStep): [string | undefined, Record<string, unknown>] {
  const op = obj(step.op.Op);
  const kind = Object.keys(op).find(k => isObject(op[k]));
  return [kind, kind ? obj(op[kind]) : {}];
}

function parseInput(
  value: string,
): { step: string; output: number } | undefined {
  const match = /^(step\d+):(\d+)$/.exec(value);
  return match ? { step: match[1], output: Number(match[2]) } : undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value)
    ? value
    : fallback;
}

/**
 * Follows the final image's root filesystem back through BuildKit's build
 * steps to the source it starts from: the last step (no op, one input) is
 * the result; an exec step's output comes from the mount with that output
 * index; a file step's from the action with that output (its `input`, or an
 * earlier action's result); a merge's from its first (lowest) input. An
 * input of -1 is scratch.
 */
export function finalRoot(definition: unknown): Root {
  if (!Array.isArray(definition) || definition.length === 0) {
    return { kind: 'unknown', why: 'no build steps' };
  }
  const steps = new Map<string, BuildStep>();
  for (const raw of definition) {
    const step = obj(raw);
    if (typeof step.id !== 'string') continue;
    steps.set(step.id, {
      id: step.id,
      op: obj(step.op),
      inputs: Array.isArray(step.inputs)
        ? step.inputs.filter((i): i is string => typeof i === 'string')
        : [],
    });
  }
  const last = obj(definition[definition.length - 1]);
  const result = steps.get(String(last.id));
  if (!result || opOf(result)[0] !== undefined || result.inputs.length !== 1) {
    return {
      kind: 'unknown',
      why: 'the last build step is not the result (one input, no op)',
    };
  }
  let next: string | undefined = result.inputs[0];
  for (let hops = 0; hops <= steps.size; hops++) {
    const input = next ? parseInput(next) : undefined;
    const step = input && steps.get(input.step);
    if (!input || !step) {
      return { kind: 'unknown', why: `build step input "${next}" not found` };
    }
    const [kind, op] = opOf(step);
    const follow = (index: number): string | undefined | 'scratch' =>
      index === -1 ? 'scratch' : step.inputs[index];
    let chosen: string | undefined | 'scratch';
    if (kind === 'source') {
      const identifier = String(op.identifier ?? '');
      if (identifier.startsWith('docker-image://')) {
        return { kind: 'image', identifier, step: step.id };
      }
      return {
        kind: 'unknown',
        why: `the final stage starts from ${
          identifier || 'a source'
        }, not an image`,
      };
    } else if (kind === 'exec') {
      const mounts = Array.isArray(op.mounts) ? op.mounts.map(obj) : [];
      const mount = mounts.find(m => numberOr(m.output, 0) === input.output);
      if (!mount) {
        return {
          kind: 'unknown',
          why: `${step.id} has no output ${input.output}`,
        };
      }
      chosen = follow(numberOr(mount.input, 0));
    } else if (kind === 'file') {
      const actions = Array.isArray(op.actions) ? op.actions.map(obj) : [];
      let action = actions.find(a => numberOr(a.output, -1) === input.output);
      for (let depth = 0; action && depth <= actions.length; depth++) {
        const from = numberOr(action.input, 0);
        if (from < step.inputs.length || from === -1) {
          chosen = follow(from);
          break;
        }
        action = actions[from - step.inputs.length];
      }
      if (!action) {
        return {
          kind: 'unknown',
          why: `${step.id}'s output ${input.output} has no source`,
        };
      }
    } else if (kind === 'merge') {
      const inputs = Array.isArray(op.inputs) ? op.inputs.map(obj) : [];
      if (inputs.length === 0) {
        return { kind: 'unknown', why: `${step.id} merges nothing` };
      }
      chosen = follow(numberOr(inputs[0].input, 0));
    } else {
      return {
        kind: 'unknown',
        why: `the final stage passes through a ${kind ?? 'empty'} step (${
          step.id
        }), which is not followed`,
      };
    }
    if (chosen === 'scratch') return { kind: 'scratch' };
    next = chosen;
  }
  return { kind: 'unknown', why: 'the build steps loop' };
}

/** The FROM line of a step, from BuildKit's source map. */
function lineOf(
  sourceMap: Record<string, unknown>,
  step: string,
): ProvenanceSourceInfo['dockerfile'] {
  const locations = obj(obj(sourceMap.locations)[step]).locations;
  const first = Array.isArray(locations) ? obj(locations[0]) : {};
  const range = Array.isArray(first.ranges) ? obj(first.ranges[0]) : {};
  const line = numberOr(obj(range.start).line, 0);
  const infos = Array.isArray(sourceMap.infos) ? sourceMap.infos : [];
  const info = obj(infos[numberOr(first.sourceIndex, 0)]);
  if (line < 1 || typeof info.data !== 'string') return undefined;
  const text = Buffer.from(info.data, 'base64')
    .toString('utf8')
    .split(/\r?\n/)
    [line - 1]?.trim();
  if (!text) return undefined;
  return {
    path: typeof info.filename === 'string' ? info.filename : 'Dockerfile',
    line,
    text,
  };
}

function sameImage(
  material: ImageMaterial,
  ref: { repository: string; tag?: string; digest?: string },
): boolean {
  return (
    material.repository === ref.repository &&
    ((ref.tag !== undefined && material.tag === ref.tag) ||
      (ref.digest !== undefined &&
        (material.digest === ref.digest || material.pinned === ref.digest)))
  );
}

function describe(materials: ImageMaterial[]): string {
  return materials.map(m => m.name).join(', ');
}

/**
 * The base the final stage of a BuildKit build starts from, per its SLSA
 * provenance (v1 `buildDefinition.resolvedDependencies`, v0.2 `materials`):
 *
 * - with build steps (mode=max: `buildConfig.llbDefinition`), the image the
 *   final image's root filesystem starts from, matched to its material for
 *   the recorded digest (or scratch);
 * - without them (mode=min), the one image the build used, if it used one
 *   (the gateway frontend's own image, `request.args.source`, does not
 *   count); with several, it cannot be told, and the reason says so.
 */
export function baseFromProvenance(
  statements: ProvenanceStatement[],
): ProvenanceFinding {
  const reasons: string[] = [];
  for (const s of statements) {
    const finding = fromStatement(s);
    if (finding.kind === 'base') return finding;
    reasons.push(finding.reason);
  }
  return {
    kind: 'unknown',
    reason:
      reasons.join('; ') ||
      'the attestation holds no SLSA provenance (v0.2 or v1) statement',
  };
}

function fromStatement(s: ProvenanceStatement): ProvenanceFinding {
  const { materials, request, buildConfig, sourceMap } = partsOf(s);
  const list = (Array.isArray(materials) ? materials : [])
    .map(obj)
    .filter(m => typeof m.uri === 'string')
    .map(m => parseDockerPurl(m.uri as string, m.digest))
    .filter((m): m is ImageMaterial => m !== undefined);
  const frontendSource = obj(request.args).source;
  let frontend: ImageMaterial | undefined;
  if (typeof frontendSource === 'string') {
    try {
      const ref = parseReference(frontendSource);
      frontend = list.find(m =>
        sameImage(m, {
          repository: `${ref.registry}/${ref.repository}`,
          tag: ref.tag,
          digest: ref.digest,
        }),
      );
    } catch {
      // not a reference: nothing to leave out
    }
  }
  const images = list.filter(m => m !== frontend);
  const field =
    s.predicateType === SLSA_V1 ? 'resolvedDependencies' : 'materials';
  const base = (
    material: ImageMaterial,
    determinedBy: ProvenanceSourceInfo['determinedBy'],
    dockerfile?: ProvenanceSourceInfo['dockerfile'],
  ): ProvenanceFinding => ({
    kind: 'base',
    name: material.name,
    digest: material.digest,
    scratch: false,
    info: {
      predicateType: s.predicateType,
      uri: material.uri,
      determinedBy,
      ...(dockerfile ? { dockerfile } : {}),
    },
  });

  if (Array.isArray(buildConfig.llbDefinition)) {
    const root = finalRoot(buildConfig.llbDefinition);
    if (root.kind === 'scratch') {
      return {
        kind: 'base',
        name: 'scratch',
        scratch: true,
        info: {
          predicateType: s.predicateType,
          uri: 'scratch',
          determinedBy: 'build-steps',
        },
      };
    }
    if (root.kind === 'image') {
      let ref: ReturnType<typeof parseReference> | undefined;
      try {
        ref = parseReference(root.identifier.slice('docker-image://'.length));
      } catch {
        ref = undefined;
      }
      if (ref) {
        const wanted = {
          repository: `${ref.registry}/${ref.repository}`,
          tag: ref.tag,
          digest: ref.digest,
        };
        const dockerfile = lineOf(sourceMap, root.step);
        const material = images.find(m => sameImage(m, wanted));
        if (material) return base(material, 'build-steps', dockerfile);
        if (ref.digest) {
          return {
            kind: 'base',
            name: formatReference(ref),
            digest: ref.digest,
            scratch: false,
            info: {
              predicateType: s.predicateType,
              uri: root.identifier,
              determinedBy: 'build-steps',
              ...(dockerfile ? { dockerfile } : {}),
            },
          };
        }
        return {
          kind: 'unknown',
          reason: `the final stage starts from ${root.identifier}, which the provenance's ${field} do not list with a digest`,
        };
      }
    }
    if (root.kind === 'unknown' && root.why.startsWith('the final stage')) {
      return {
        kind: 'unknown',
        reason: `${root.why}, so the provenance names no base for it`,
      };
    }
    if (images.length !== 1) {
      return {
        kind: 'unknown',
        reason: `the final stage's base cannot be told from the build steps (${
          root.kind === 'unknown' ? root.why : 'unreadable image reference'
        }), and the ${field} list ${images.length} images (${
          describe(images) || 'none'
        })`,
      };
    }
  }
  if (images.length === 1) {
    return base(images[0], 'only-image');
  }
  if (images.length === 0) {
    return {
      kind: 'unknown',
      reason: `the provenance's ${field} list no image (built FROM scratch, or from images it did not record)`,
    };
  }
  return {
    kind: 'unknown',
    reason: `the provenance's ${field} list ${images.length} images (${describe(
      images,
    )}) and no build steps (provenance mode=min), so which one the final stage is built on cannot be told; build with --provenance=mode=max or record org.opencontainers.image.base.name`,
  };
}
