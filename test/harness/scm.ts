/*
 * GitHub and GitLab API stand-ins for rebuild triggers: the endpoints a
 * workflow dispatch and a pipeline creation use, with the real APIs' status
 * codes, headers and error bodies, so the real octokit (pointed here through
 * `integrations.github[].apiBaseUrl`) and the GitLab pipeline API client run
 * their own request and error code. Every request is recorded; a test can
 * script the next answers (401, 404, 422, 429 with Retry-After, 5xx) or hold
 * a request after receiving it (a backend stopped mid-dispatch).
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A request a stand-in received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** the Authorization (GitHub) or PRIVATE-TOKEN (GitLab) header */
  credential?: string;
  body: any;
}

/** An answer a test scripts for the next write request. */
export interface ScriptedAnswer {
  /** only for a write whose path contains this (default: any write) */
  path?: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What both stand-ins offer. */
export interface ApiStandIn {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** every request received, oldest first */
  requests: ReceivedRequest[];
  /** the write requests (dispatches, pipeline creations) received */
  writes(): ReceivedRequest[];
  /** answers for the next writes, in order, instead of the normal one */
  script(...answers: ScriptedAnswer[]): void;
  /** receive the next write, record it, and never answer it (until stop) */
  holdNext(): void;
  stop(): Promise<void>;
}

type Route = (req: ReceivedRequest) => {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

async function startStandIn(options: {
  isWrite(method: string, path: string): boolean;
  route: Route;
}): Promise<ApiStandIn> {
  const requests: ReceivedRequest[] = [];
  const scripted: ScriptedAnswer[] = [];
  let hold = false;
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
      const method = req.method ?? 'GET';
      const received: ReceivedRequest = {
        method,
        path,
        credential:
          (req.headers.authorization as string | undefined) ??
          (req.headers['private-token'] as string | undefined),
        body,
      };
      requests.push(received);
      const write = options.isWrite(method, path);
      if (write && hold) {
        hold = false;
        held.push(res);
        return;
      }
      const scriptedIndex = write
        ? scripted.findIndex(a => !a.path || path.includes(a.path))
        : -1;
      const answer =
        scriptedIndex >= 0
          ? scripted.splice(scriptedIndex, 1)[0]
          : options.route(received);
      res.writeHead(answer.status, {
        ...(answer.body === undefined
          ? {}
          : { 'content-type': 'application/json; charset=utf-8' }),
        ...answer.headers,
      });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter(r => options.isWrite(r.method, r.path)),
    script: (...answers) => scripted.push(...answers),
    holdNext: () => {
      hold = true;
    },
    async stop() {
      held.forEach(res => res.destroy());
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/** A workflow of a GitHub repository the stand-in knows. */
export interface StandInWorkflow {
  owner: string;
  repo: string;
  /** the workflow file name, e.g. `rebuild.yaml` */
  file: string;
  /** whether it has `on: workflow_dispatch` (default true) */
  dispatch?: boolean;
  /** the inputs it declares (default: any) */
  inputs?: string[];
}

/**
 * GitHub's REST API for workflow dispatches:
 * `POST /repos/{owner}/{repo}/actions/workflows/{file}/dispatches` → 204, or
 * 200 `{workflow_run_id, run_url, html_url}` when `return_run_details` is
 * set; `GET /repos/{owner}/{repo}/actions/runs/{id}` → the run with its
 * `run_number`. Errors as GitHub answers them: 401 `Bad credentials`, 404
 * `Not Found`, 422 `Workflow does not have 'workflow_dispatch' trigger`,
 * 422 `Unexpected inputs provided`.
 */
export async function startGithubStandIn(options: {
  token: string;
  workflows: StandInWorkflow[];
}): Promise<ApiStandIn> {
  const runs = new Map<
    number,
    { number: number; owner: string; repo: string }
  >();
  let nextRun = 7_000_000_100;
  const dispatchPath =
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/dispatches$/;
  const runPath = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/;
  const message = (status: number, text: string) => ({
    status,
    body: {
      message: text,
      documentation_url: 'https://docs.github.com/rest',
      status: String(status),
    },
  });

  const stand: ApiStandIn = await startStandIn({
    isWrite: (method, path) => method === 'POST' && dispatchPath.test(path),
    route(req) {
      const valid = [`token ${options.token}`, `Bearer ${options.token}`];
      if (!valid.includes(req.credential ?? '')) {
        return message(401, 'Bad credentials');
      }
      const dispatch = dispatchPath.exec(req.path);
      if (req.method === 'POST' && dispatch) {
        const [, owner, repo, file] = dispatch.map(decodeURIComponent);
        const workflow = options.workflows.find(
          w => w.owner === owner && w.repo === repo && w.file === file,
        );
        if (!workflow) return message(404, 'Not Found');
        if (workflow.dispatch === false) {
          return message(
            422,
            "Workflow does not have 'workflow_dispatch' trigger",
          );
        }
        if (typeof req.body?.ref !== 'string') {
          return message(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
        }
        const unexpected = Object.keys(req.body.inputs ?? {}).filter(
          k => workflow.inputs && !workflow.inputs.includes(k),
        );
        if (unexpected.length) {
          return message(
            422,
            `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
          );
        }
        if (!req.body.return_run_details) return { status: 204 };
        const id = nextRun++;
        runs.set(id, { number: runs.size + 123, owner, repo });
        return {
          status: 200,
          body: {
            workflow_run_id: id,
            run_url: `${stand.url}/repos/${owner}/${repo}/actions/runs/${id}`,
            html_url: `https://github.example/${owner}/${repo}/actions/runs/${id}`,
          },
        };
      }
      const run = runPath.exec(req.path);
      if (req.method === 'GET' && run) {
        const found = runs.get(Number(run[3]));
        if (!found) return message(404, 'Not Found');
        return {
          status: 200,
          body: {
            id: Number(run[3]),
            run_number: found.number,
            status: 'queued',
            html_url: `https://github.example/${found.owner}/${found.repo}/actions/runs/${run[3]}`,
          },
        };
      }
      return message(404, 'Not Found');
    },
  });
  return stand;
}

/**
 * GitLab's pipeline API: `POST /api/v4/projects/:id/pipeline` (`:id` the
 * URL-encoded path) with `PRIVATE-TOKEN` → 201 with the pipeline's `id`,
 * `iid` and `web_url`; 401 `401 Unauthorized`, 404 `404 Project Not Found`.
 */
export async function startGitlabStandIn(options: {
  token: string;
  projects: string[];
}): Promise<ApiStandIn> {
  let nextId = 900;

  const pipelinePath = /^\/api\/v4\/projects\/([^/]+)\/pipeline$/;
  const stand: ApiStandIn = await startStandIn({
    isWrite: (method, path) => method === 'POST' && pipelinePath.test(path),
    route(req) {
      if (req.credential !== options.token) {
        return { status: 401, body: { message: '401 Unauthorized' } };
      }
      const match = pipelinePath.exec(req.path);
      const project = match ? decodeURIComponent(match[1]) : undefined;
      if (req.method !== 'POST' || !project) {
        return { status: 404, body: { error: '404 Not Found' } };
      }
      if (!options.projects.includes(project)) {
        return { status: 404, body: { message: '404 Project Not Found' } };
      }
      if (typeof req.body?.ref !== 'string') {
        return { status: 400, body: { error: 'ref is missing' } };
      }
      const id = nextId++;
      return {
        status: 201,
        body: {
          id,
          iid: id - 880,
          project_id: 42,
          ref: req.body.ref,
          status: 'created',
          source: 'api',
          web_url: `${stand.url}/${project}/-/pipelines/${id}`,
        },
      };
    },
  });
  return stand;
}
