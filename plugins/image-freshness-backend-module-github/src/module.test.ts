import { startCredentialBackend } from '@internal/test/harness/credentialBackend';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import type { JsonObject } from '@backstage/types';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GithubStandIn, startGithubStandIn } from '../test/githubStandIn';
import { GHCR_APP_TOKEN_ADVICE, GHCR_USER } from './GhcrCredentialProvider';
import { imageFreshnessModuleGithub } from './module';

jest.setTimeout(120_000);

// the registry, like GHCR, takes the classic personal access token only
const PAT = 'ghp_classicStandInToken000000000000000001';

describe('GHCR credentials from the GitHub integration', () => {
  let registry: TestRegistry;
  let github: GithubStandIn;
  let digest: string;
  let image: string;

  beforeAll(async () => {
    registry = await startRegistry({
      basicAuth: { username: GHCR_USER, password: PAT },
    });
    digest = (
      await pushImage(
        registry.url,
        'team/api',
        '1.0',
        {},
        {
          username: GHCR_USER,
          password: PAT,
        },
      )
    ).digest;
    image = `${registry.host}/team/api:1.0`;
    github = await startGithubStandIn();
  });
  afterAll(async () => {
    await github?.stop();
    await registry?.stop();
  });

  /** An integration with the stand-in's App instead of a token. */
  function appIntegration(): JsonObject {
    return {
      apps: [
        {
          appId: 1,
          clientId: 'stand-in-client',
          clientSecret: 'stand-in-client-secret',
          webhookSecret: 'stand-in-webhook-secret',
          privateKey: github.privateKey,
        },
      ],
    };
  }

  async function resolveWith(
    integration: JsonObject,
    module = true,
    imageFreshness: JsonObject = {},
  ) {
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleGithub],
      config: {
        integrations: {
          github: [
            {
              host: github.host,
              apiBaseUrl: github.apiBaseUrl,
              ...integration,
            },
          ],
        },
        ...(module
          ? {
              imageFreshness: {
                ...imageFreshness,
                github: {
                  hosts: [registry.host],
                  integrationHost: github.host,
                },
              },
            }
          : {}),
      },
      images: [image],
      entities: 1,
    });
    try {
      const report = await backend.resolve();
      return {
        report,
        text: [...backend.logs(), JSON.stringify(report)].join('\n'),
      };
    } finally {
      await backend.stop();
    }
  }

  it("resolves the image with the integration's personal access token, without calling GitHub and without showing it", async () => {
    const { report, text } = await resolveWith({ token: PAT });
    expect(report.containers[0].error).toBeUndefined();
    expect(report.containers[0].metadata?.digest).toBe(digest);
    expect(github.requests()).toEqual([]);
    expect(text).not.toContain(PAT);
  });

  it('says that GHCR takes only classic personal access tokens when the registry refuses an App installation token', async () => {
    const { report, text } = await resolveWith(appIntegration());
    expect(github.requests()).toEqual(
      expect.arrayContaining([
        'GET /app/installations 200',
        'POST /app/installations/1/access_tokens 201',
      ]),
    );
    expect(github.issued().length).toBeGreaterThan(0);
    const error = report.containers[0].error;
    expect(error?.class).toBe('AUTHENTICATION');
    expect(error?.message).toContain(
      `No credentials for ${registry.host}: the github-ghcr credential provider: ${registry.host} refused the GitHub App installation token the integration for ${github.host} gave for team/api; ${GHCR_APP_TOKEN_ADVICE}`,
    );
    for (const token of [
      ...github.issued(),
      'stand-in-client-secret',
      github.privateKey.split('\n')[1],
    ]) {
      expect(text).not.toContain(token);
    }
  });

  it('names the integration to configure when it has no token for the owner', async () => {
    const { report } = await resolveWith({});
    expect(report.containers[0].error).toMatchObject({
      class: 'AUTHENTICATION',
      message: expect.stringContaining(
        `the github-ghcr credential provider: the GitHub integration for ${github.host} has no token for ${registry.host}/team; configure integrations.github for ${github.host} with a classic personal access token with read:packages`,
      ),
    });
  });

  it('comes after registries[] credentials and the Docker config file: neither asks the provider', async () => {
    const app = appIntegration();
    const before = github.requests().length;
    const configured = await resolveWith(app, true, {
      registries: [
        {
          host: registry.host,
          credentials: { username: GHCR_USER, password: PAT },
        },
      ],
    });
    expect(configured.report.containers[0].metadata?.digest).toBe(digest);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ghcr-docker-config-'));
    try {
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          auths: {
            [registry.host]: {
              auth: Buffer.from(`${GHCR_USER}:${PAT}`).toString('base64'),
            },
          },
        }),
      );
      const fromFile = await resolveWith(app, true, { dockerConfigFile: file });
      expect(fromFile.report.containers[0].metadata?.digest).toBe(digest);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // the App's installation token was never asked for
    expect(github.requests()).toHaveLength(before);
  });

  it('adds nothing without imageFreshness.github, even with an integration', async () => {
    const { report } = await resolveWith({ token: PAT }, false);
    expect(report.containers[0].error).toMatchObject({
      class: 'AUTHENTICATION',
      message: expect.stringContaining(
        `no credentials are configured for ${registry.host}`,
      ),
    });
  });
});
