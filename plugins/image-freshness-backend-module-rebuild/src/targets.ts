import type { Entity } from '@backstage/catalog-model';
import type { ScmIntegrationRegistry } from '@backstage/integration';

/** `"true"`: the scheduled task triggers the entity's rebuilds when they are due. */
export const ANNOTATION_AUTO_REBUILD = 'image-freshness/auto-rebuild';
/** GitHub: the workflow file to dispatch (`rebuild.yaml` or `.github/workflows/rebuild.yaml`). Absent for GitLab. */
export const ANNOTATION_REBUILD_WORKFLOW = 'image-freshness/rebuild-workflow';
/** The repository (GitHub) or project (GitLab) URL, when not `backstage.io/source-location`'s. */
export const ANNOTATION_REBUILD_REPOSITORY =
  'image-freshness/rebuild-repository';
/** The branch or tag to run on, when not the one in the repository URL (else `main`). */
export const ANNOTATION_REBUILD_REF = 'image-freshness/rebuild-ref';
const ANNOTATION_SOURCE_LOCATION = 'backstage.io/source-location';
const DEFAULT_REF = 'main';

/** What a rebuild of the entity's images dispatches. */
export type RebuildTarget =
  | {
      provider: 'github';
      /** The repository URL, for the credentials lookup. */
      url: string;
      apiBaseUrl: string;
      owner: string;
      repo: string;
      workflow: string;
      ref: string;
    }
  | {
      provider: 'gitlab';
      url: string;
      apiBaseUrl: string;
      /** `group/subgroup/project` */
      project: string;
      ref: string;
      token?: string;
    };

/** The target as the API and the UI show it. */
export function describeTarget(target: RebuildTarget): string {
  return target.provider === 'github'
    ? `${target.owner}/${target.repo} ${target.workflow}@${target.ref}`
    : `${target.project}@${target.ref}`;
}

/** Whether the scheduled task may trigger the entity's rebuilds. */
export function autoRebuild(entity: Entity): boolean {
  return (
    entity.metadata.annotations?.[ANNOTATION_AUTO_REBUILD]?.trim() === 'true'
  );
}

/** A target that cannot be told, with a message saying which annotation to fix. */
export class RebuildTargetError extends Error {}

/**
 * The entity's rebuild target from its annotations and the configured
 * integrations: the repository from `image-freshness/rebuild-repository` or
 * `backstage.io/source-location`, its host's integration deciding GitHub or
 * GitLab, the ref from `image-freshness/rebuild-ref` or the URL's
 * `tree/<ref>`, else `main`.
 */
export function resolveTarget(
  entity: Entity,
  integrations: ScmIntegrationRegistry,
): RebuildTarget {
  const annotations = entity.metadata.annotations ?? {};
  const raw =
    annotations[ANNOTATION_REBUILD_REPOSITORY] ??
    annotations[ANNOTATION_SOURCE_LOCATION];
  if (!raw) {
    throw new RebuildTargetError(
      `No repository to rebuild in: add ${ANNOTATION_SOURCE_LOCATION} or ${ANNOTATION_REBUILD_REPOSITORY}`,
    );
  }
  const location = raw.trim().replace(/^url:/, '');
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new RebuildTargetError(
      `The repository ${JSON.stringify(location)} is not a URL`,
    );
  }
  const github = integrations.github.byUrl(url.toString());
  const gitlab = github ? undefined : integrations.gitlab.byUrl(url.toString());
  const annotatedRef = annotations[ANNOTATION_REBUILD_REF]?.trim();
  const workflowAnnotation = annotations[ANNOTATION_REBUILD_WORKFLOW]?.trim();
  if (github) {
    const [owner, repoSegment, kind, urlRef] = segments(url.pathname);
    if (!owner || !repoSegment) {
      throw new RebuildTargetError(
        `The repository URL ${url} names no owner/repo`,
      );
    }
    if (!workflowAnnotation) {
      throw new RebuildTargetError(
        `No workflow to dispatch: add ${ANNOTATION_REBUILD_WORKFLOW} (the workflow file, e.g. rebuild.yaml)`,
      );
    }
    const config = github.config;
    return {
      provider: 'github',
      url: `${url.origin}/${owner}/${repoSegment}`,
      apiBaseUrl: config.apiBaseUrl ?? `https://api.${config.host}`,
      owner,
      repo: repoSegment.replace(/\.git$/, ''),
      workflow: workflowAnnotation.split('/').pop()!,
      ref:
        annotatedRef ||
        (kind === 'tree' || kind === 'blob' ? urlRef : undefined) ||
        DEFAULT_REF,
    };
  }
  if (gitlab) {
    const config = gitlab.config;
    const prefix = new URL(config.baseUrl).pathname.replace(/\/+$/, '');
    const path = url.pathname.startsWith(prefix)
      ? url.pathname.slice(prefix.length)
      : url.pathname;
    const [projectPath, rest = ''] = path.split('/-/');
    const project = segments(projectPath)
      .join('/')
      .replace(/\.git$/, '');
    if (!project) {
      throw new RebuildTargetError(`The project URL ${url} names no project`);
    }
    const [kind, urlRef] = segments(rest);
    return {
      provider: 'gitlab',
      url: url.toString(),
      apiBaseUrl: config.apiBaseUrl,
      project,
      ref:
        annotatedRef ||
        (kind === 'tree' || kind === 'blob' ? urlRef : undefined) ||
        DEFAULT_REF,
      token: config.token,
    };
  }
  throw new RebuildTargetError(
    `No GitHub or GitLab integration for ${url.host}: add it under integrations in app-config`,
  );
}

function segments(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map(s => decodeURIComponent(s));
}
