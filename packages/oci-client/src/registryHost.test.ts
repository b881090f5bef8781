import { parseReference } from './reference';
import {
  canonicalRegistry,
  imageRegistry,
  isDockerHub,
  isLoopback,
  isRegistryComponent,
  parseHost,
} from './registryHost';

describe('parseHost', () => {
  it.each([
    ['ghcr.io', { hostname: 'ghcr.io' }],
    ['GHCR.io:443', { hostname: 'ghcr.io', port: 443 }],
    ['127.0.0.1:5000', { hostname: '127.0.0.1', port: 5000 }],
    ['localhost', { hostname: 'localhost' }],
    ['[::1]:5000', { hostname: '::1', port: 5000 }],
    ['[FD00:EC2::254]', { hostname: 'fd00:ec2::254' }],
    // a bare IPv6 address has no port to split off
    ['::1', { hostname: '::1' }],
    ['fe80::1:5000', { hostname: 'fe80::1:5000' }],
    // not a host[:port]: whole, lowercase
    ['localhost:abc', { hostname: 'localhost:abc' }],
    ['[::1]x', { hostname: '[::1]x' }],
    ['', { hostname: '' }],
  ])('%j → %j', (host, parts) => {
    expect(parseHost(host)).toEqual(parts);
  });
});

describe('canonicalRegistry and isDockerHub', () => {
  it.each([
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['registry.hub.docker.com', 'docker.io'],
    ['Index.Docker.IO', 'docker.io'],
    ['GHCR.io', 'ghcr.io'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
    // a Docker Hub alias with a port is another registry
    ['docker.io:5000', 'docker.io:5000'],
  ])('%s → %s', (registry, canonical) => {
    expect(canonicalRegistry(registry)).toBe(canonical);
    expect(isDockerHub(registry)).toBe(canonical === 'docker.io');
  });
});

describe('isRegistryComponent (Docker: a "." or ":", or localhost)', () => {
  it.each([
    ['ghcr.io', true],
    ['localhost', true],
    ['localhost:5000', true],
    ['registry:5000', true],
    ['[::1]:5000', true],
    ['library', false],
    ['bitnami', false],
    ['LOCALHOST', false],
  ])('%s → %s', (component, isHost) => {
    expect(isRegistryComponent(component)).toBe(isHost);
  });
});

describe('imageRegistry (best effort)', () => {
  it.each([
    ['ghcr.io/acme/api:1', 'ghcr.io'],
    ['nginx:1.27', 'docker.io'],
    ['library/nginx', 'docker.io'],
    [`localhost:5000/a/b@sha256:${'1'.repeat(64)}`, 'localhost:5000'],
    ['[::1]:5000/app:1', '[::1]:5000'],
    ['registry.hub.docker.com/library/nginx', 'docker.io'],
    ['  quay.io/a/b  ', 'quay.io'],
    // malformed references still name their registry
    ['Bad/Name:1', 'docker.io'],
    ['REGISTRY.example.com/Bad/Name', 'registry.example.com'],
    ['user:token@registry.example.com/Bad Name', 'registry.example.com'],
    ['', 'docker.io'],
  ])('%s → %s', (image, registry) => {
    expect(imageRegistry(image)).toBe(registry);
  });

  it.each([
    'nginx',
    'docker.io/nginx',
    'index.docker.io/library/nginx:1',
    'registry-1.docker.io/nginx',
    'bitnami/redis:7',
    'localhost/app',
    'localhost:5000/team/app:dev',
    '127.0.0.1:41234/demo/api:1.0',
    'Registry.Example.com:5000/team/app',
    `quay.io/a/b:7@sha256:${'b'.repeat(64)}`,
  ])('agrees with parseReference on %s', image => {
    expect(imageRegistry(image)).toBe(
      canonicalRegistry(parseReference(image).registry),
    );
  });
});

describe('isLoopback', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['LOCALHOST:5000', true],
    ['127.0.0.1:41234', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['10.0.0.1:5000', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
    ['[::2]:5000', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});
