import { OciError } from './errors';
import { formatReference, parseReference, registryEndpoint } from './reference';

describe('parseReference', () => {
  it.each([
    ['nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['nginx:1.27', 'docker.io', 'library/nginx', '1.27', undefined],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    [
      'index.docker.io/library/nginx:1',
      'docker.io',
      'library/nginx',
      '1',
      undefined,
    ],
    [
      'registry-1.docker.io/nginx',
      'docker.io',
      'library/nginx',
      'latest',
      undefined,
    ],
    [
      'docker.io/library/nginx',
      'docker.io',
      'library/nginx',
      'latest',
      undefined,
    ],
    ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', undefined],
    ['ghcr.io/a__b/c--d.e:x', 'ghcr.io', 'a__b/c--d.e', 'x', undefined],
    [
      `nginx@sha512:${'c'.repeat(128)}`,
      'docker.io',
      'library/nginx',
      undefined,
      `sha512:${'c'.repeat(128)}`,
    ],
    ['bitnami/redis:7', 'docker.io', 'bitnami/redis', '7', undefined],
    ['ghcr.io/acme/api:v1.2.3', 'ghcr.io', 'acme/api', 'v1.2.3', undefined],
    ['localhost/app', 'localhost', 'app', 'latest', undefined],
    [
      'localhost:5000/team/app:dev',
      'localhost:5000',
      'team/app',
      'dev',
      undefined,
    ],
    [
      '127.0.0.1:41234/demo/api:1.0',
      '127.0.0.1:41234',
      'demo/api',
      '1.0',
      undefined,
    ],
    [
      `quay.io/a/b@sha256:${'a'.repeat(64)}`,
      'quay.io',
      'a/b',
      undefined,
      `sha256:${'a'.repeat(64)}`,
    ],
    [
      `quay.io/a/b:7@sha256:${'b'.repeat(64)}`,
      'quay.io',
      'a/b',
      '7',
      `sha256:${'b'.repeat(64)}`,
    ],
  ])('parses %s', (text, registry, repository, tag, digest) => {
    expect(parseReference(text)).toEqual({ registry, repository, tag, digest });
  });

  it('round-trips to the canonical form', () => {
    expect(formatReference(parseReference('nginx'))).toBe(
      'docker.io/library/nginx:latest',
    );
    const both = `ghcr.io/a/b:1@sha256:${'d'.repeat(64)}`;
    expect(formatReference(parseReference(both))).toBe(both);
  });

  it('sends Docker Hub requests to its API host', () => {
    expect(registryEndpoint('docker.io')).toBe('registry-1.docker.io');
    expect(registryEndpoint('ghcr.io')).toBe('ghcr.io');
  });

  it.each([
    ['', 'it is empty'],
    ['Nginx:1', 'the repository "Nginx"'],
    ['ghcr.io/acme/api:-bad', 'the tag "-bad"'],
    ['ghcr.io/acme/api@sha256:xyz', 'the digest "sha256:xyz"'],
    ['ghcr.io/acme api:1', 'whitespace'],
    ['ghcr.io//api', 'the repository "/api"'],
    ['nginx:', 'the tag ""'],
    [
      'localhost:abc/app',
      'the registry "localhost:abc" is not a valid host[:port]',
    ],
    [`ghcr.io/${'a'.repeat(250)}`, 'longer than 255 characters'],
    // Found by fuzzing: Docker Hub's `library/` counts towards the limit, else
    // the canonical form of an accepted reference would not parse again.
    ['a'.repeat(245), 'longer than 255 characters (263)'],
    ['ghcr.io/acme/api@sha256:ABC', 'or sha512: and 128'],
  ])('rejects %j naming the rule it breaks', (text, rule) => {
    let caught: unknown;
    try {
      parseReference(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OciError);
    expect((caught as OciError).code).toBe('INVALID_REQUEST');
    expect((caught as OciError).message).toContain(`"${text}"`);
    expect((caught as OciError).message).toContain(rule);
  });
});
