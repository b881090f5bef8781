import {
  DefaultGithubCredentialsProvider,
  type ScmIntegrationRegistry,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';
import type { Clock } from 'backstage-plugin-image-freshness-common';
import {
  classifyAnswer,
  classifyNoAnswer,
  DispatchError,
  type DispatchedRun,
  type Dispatcher,
  type RebuildRequest,
} from './dispatch';
import type { RebuildTarget } from './targets';

type GithubTarget = Extract<RebuildTarget, { provider: 'github' }>;
type GitlabTarget = Extract<RebuildTarget, { provider: 'gitlab' }>;

/** GitHub's error answer as octokit throws it (RequestError). */
interface OctokitError {
  status?: number;
  response?: {
    headers?: Record<string, string | undefined>;
    data?: { message?: string } | string;
  };
}

/**
 * Dispatches rebuilds with the integrations' credentials: GitHub Actions
 * `workflow_dispatch` through octokit (the integration's `apiBaseUrl`, a
 * token from `DefaultGithubCredentialsProvider`: a GitHub App's or the
 * configured token), GitLab's `POST /projects/:id/pipeline` with the
 * integration's token.
 */
export class ScmDispatcher implements Dispatcher {
  private readonly github: DefaultGithubCredentialsProvider;
  private readonly returnRunDetails: boolean;

  constructor(options: {
    integrations: ScmIntegrationRegistry;
    returnRunDetails: boolean;
  }) {
    this.github = DefaultGithubCredentialsProvider.fromIntegrations(
      options.integrations,
    );
    this.returnRunDetails = options.returnRunDetails;
  }

  dispatch(
    target: RebuildTarget,
    request: RebuildRequest,
    options: { signal?: AbortSignal; now: Clock },
  ): Promise<DispatchedRun> {
    return target.provider === 'github'
      ? this.dispatchGithub(target, request, options)
      : this.dispatchGitlab(target, request, options);
  }

  private async dispatchGithub(
    target: GithubTarget,
    request: RebuildRequest,
    options: { signal?: AbortSignal; now: Clock },
  ): Promise<DispatchedRun> {
    const { token } = await this.github
      .getCredentials({ url: target.url })
      .catch(error => {
        throw new DispatchError({
          class: 'AUTHENTICATION',
          message: `No GitHub credentials for ${target.owner}/${target.repo}: ${error.message}`,
        });
      });
    if (!token) {
      throw new DispatchError({
        class: 'AUTHENTICATION',
        message: `No GitHub token for ${target.owner}/${target.repo}: configure integrations.github (a token, or a GitHub App installed on ${target.owner}) with Actions: write`,
      });
    }
    const octokit = new Octokit({
      baseUrl: target.apiBaseUrl,
      auth: token,
      request: { signal: options.signal },
    });
    const params = {
      owner: target.owner,
      repo: target.repo,
      workflow_id: target.workflow,
      ref: target.ref,
      inputs: {
        image: request.image,
        'base-image': request.baseName,
        'base-digest': request.baseDigest,
        'built-on-digest': request.builtOnDigest ?? '',
      },
      // GitHub answers 200 with the run's id and URLs when asked (2026); 204 without.
      ...(this.returnRunDetails ? { return_run_details: true } : {}),
    };
    let data: unknown;
    try {
      ({ data } = await octokit.rest.actions.createWorkflowDispatch(params));
    } catch (error) {
      throw this.githubError(target, error, options.now);
    }
    const details = (data ?? {}) as {
      workflow_run_id?: number;
      html_url?: string;
    };
    if (!details.workflow_run_id) return {};
    const run: DispatchedRun = {
      id: details.workflow_run_id,
      url: details.html_url,
    };
    // The run number (#123) is in the run itself; without it the run is still linked.
    try {
      const { data: found } = await octokit.rest.actions.getWorkflowRun({
        owner: target.owner,
        repo: target.repo,
        run_id: details.workflow_run_id,
      });
      return {
        ...run,
        number: found.run_number,
        url: run.url ?? found.html_url,
      };
    } catch {
      return run;
    }
  }

  private githubError(
    target: GithubTarget,
    error: unknown,
    now: Clock,
  ): DispatchError {
    const e = error as OctokitError;
    if (!e?.response || typeof e.status !== 'number') {
      return classifyNoAnswer(target, error);
    }
    const headers = e.response.headers ?? {};
    const data = e.response.data;
    return classifyAnswer({
      target,
      status: e.status,
      message: typeof data === 'string' ? data : data?.message ?? '',
      header: name => headers[name],
      now: now(),
    });
  }

  private async dispatchGitlab(
    target: GitlabTarget,
    request: RebuildRequest,
    options: { signal?: AbortSignal; now: Clock },
  ): Promise<DispatchedRun> {
    if (!target.token) {
      throw new DispatchError({
        class: 'AUTHENTICATION',
        message: `No GitLab token for ${target.project}: configure integrations.gitlab with a token that has the api scope`,
      });
    }
    const url = `${target.apiBaseUrl.replace(
      /\/+$/,
      '',
    )}/projects/${encodeURIComponent(target.project)}/pipeline`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'private-token': target.token,
        },
        body: JSON.stringify({
          ref: target.ref,
          variables: [
            ['IMAGE', request.image],
            ['BASE_IMAGE', request.baseName],
            ['BASE_DIGEST', request.baseDigest],
            ['BUILT_ON_DIGEST', request.builtOnDigest ?? ''],
          ].map(([key, value]) => ({ key, value, variable_type: 'env_var' })),
        }),
        signal: options.signal,
      });
    } catch (error) {
      throw classifyNoAnswer(target, error);
    }
    const text = await response.text().catch(() => '');
    let body: {
      id?: number;
      iid?: number;
      web_url?: string;
      message?: unknown;
    };
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    if (!response.ok) {
      throw classifyAnswer({
        target,
        status: response.status,
        message: apiMessage(body.message),
        header: name => response.headers.get(name) ?? undefined,
        now: options.now(),
      });
    }
    return { id: body.id, number: body.iid, url: body.web_url };
  }
}

/** GitLab's `message`: a string, or an object of field errors. */
function apiMessage(message: unknown): string {
  if (typeof message === 'string') return message;
  return message ? JSON.stringify(message) : '';
}
