import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OciError } from '../errors';
import {
  chainCredentials,
  credentialsFromDockerConfig,
  credentialsFromDockerConfigFile,
  credentialsFromPullSecret,
  normaliseRegistryKey,
  staticCredentials,
} from './credentials';

const b64 = (text: string) => Buffer.from(text).toString('base64');

const dockerConfig = {
  auths: {
    'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
    'ghcr.io': { username: 'octo', password: 'ghp_x' },
    'http://127.0.0.1:5000': { auth: b64('local:pw') },
    'quay.io': { auth: b64('quay:all') },
    'quay.io/team': { auth: b64('quay:team') },
    'quay.io/team/special': { auth: b64('quay:special') },
    'login.example': { username: '<token>', identitytoken: 'refresh-me' },
    'tokens.example': { registrytoken: 'bearer-me' },
  },
  credsStore: 'desktop',
};

describe('normaliseRegistryKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io', undefined],
    ['registry-1.docker.io', 'docker.io', undefined],
    ['http://localhost:5000/v2/', 'localhost:5000', undefined],
    ['Quay.io/team/app', 'quay.io', 'team/app'],
  ])('%s', (key, registry, namespace) => {
    expect(normaliseRegistryKey(key)).toEqual({ registry, namespace });
  });
});

describe('credentialsFromDockerConfig', () => {
  const source = credentialsFromDockerConfig(JSON.stringify(dockerConfig));

  it('decodes auth (password with colons), username/password, identitytoken and registrytoken', () => {
    expect(source('docker.io', 'library/nginx')).toEqual({
      username: 'hubuser',
      password: 'hub:pass',
    });
    expect(source('ghcr.io')).toEqual({ username: 'octo', password: 'ghp_x' });
    expect(source('127.0.0.1:5000')).toEqual({
      username: 'local',
      password: 'pw',
    });
    expect(source('login.example')).toEqual({
      identityToken: 'refresh-me',
      username: '<token>',
    });
    expect(source('tokens.example')).toEqual({ token: 'bearer-me' });
    expect(source('gcr.io')).toBeUndefined();
  });

  it('prefers the longest namespace that contains the repository', () => {
    expect(source('quay.io', 'team/special/app')).toMatchObject({
      password: 'special',
    });
    expect(source('quay.io', 'team/app')).toMatchObject({ password: 'team' });
    expect(source('quay.io', 'teamster/app')).toMatchObject({
      password: 'all',
    });
    expect(source('quay.io')).toMatchObject({ password: 'all' });
  });

  it('names the broken entry without its secret', () => {
    expect(() =>
      credentialsFromDockerConfig({
        auths: { 'bad.example': { auth: b64('nocolon') } },
      }),
    ).toThrow(
      /"bad.example" has an "auth" value that is not base64 of username:password/,
    );
    expect(() => credentialsFromDockerConfig('{nope')).toThrow(OciError);
  });
});

describe('credentialsFromPullSecret', () => {
  const content = JSON.stringify({
    auths: { 'ghcr.io': { auth: b64('bot:ghs_1') } },
  });

  it('reads a kubernetes.io/dockerconfigjson Secret, its JSON, stringData and the bare content', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64(content) },
    };
    const expected = { username: 'bot', password: 'ghs_1' };
    expect(credentialsFromPullSecret(secret)('ghcr.io')).toEqual(expected);
    expect(
      credentialsFromPullSecret(JSON.stringify(secret))('ghcr.io'),
    ).toEqual(expected);
    expect(
      credentialsFromPullSecret({
        stringData: { '.dockerconfigjson': content },
      })('ghcr.io'),
    ).toEqual(expected);
    expect(credentialsFromPullSecret(content)('ghcr.io')).toEqual(expected);
  });

  it('reads the older kubernetes.io/dockercfg', () => {
    const secret = {
      type: 'kubernetes.io/dockercfg',
      data: {
        '.dockercfg': b64(
          JSON.stringify({ 'ghcr.io': { auth: b64('old:pw') } }),
        ),
      },
    };
    expect(credentialsFromPullSecret(secret)('ghcr.io')).toEqual({
      username: 'old',
      password: 'pw',
    });
  });

  it('refuses a secret of another type', () => {
    expect(() =>
      credentialsFromPullSecret({
        type: 'Opaque',
        data: { password: b64('x') },
      }),
    ).toThrow(/of type Opaque has neither .dockerconfigjson nor .dockercfg/);
  });
});

describe('credentialsFromDockerConfigFile and friends', () => {
  it('reads a file, treats a missing default as none and a missing explicit file as an error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-client-cfg-'));
    try {
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, JSON.stringify(dockerConfig));
      expect(credentialsFromDockerConfigFile(file)('ghcr.io')).toMatchObject({
        username: 'octo',
      });

      const saved = process.env.DOCKER_CONFIG;
      process.env.DOCKER_CONFIG = path.join(dir, 'absent');
      try {
        expect(credentialsFromDockerConfigFile()('ghcr.io')).toBeUndefined();
      } finally {
        if (saved === undefined) delete process.env.DOCKER_CONFIG;
        else process.env.DOCKER_CONFIG = saved;
      }
      expect(() =>
        credentialsFromDockerConfigFile(path.join(dir, 'nope.json')),
      ).toThrow(/nope.json cannot be read \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('chains sources, the first that knows the registry winning', async () => {
    const chained = chainCredentials(
      undefined,
      staticCredentials({ 'https://ghcr.io': { token: 'explicit' } }),
      credentialsFromDockerConfig(dockerConfig),
    );
    expect(await chained('ghcr.io')).toEqual({ token: 'explicit' });
    expect(await chained('docker.io')).toMatchObject({ username: 'hubuser' });
    expect(await chained('nowhere.example')).toBeUndefined();
  });
});
