import { DockerfileError, parseDockerfile } from './DockerfileParser';

/** The DockerfileError parsing `content` throws (fails the test when it throws none, or another error). */
function dockerfileError(content: string): DockerfileError {
  let error: unknown;
  try {
    parseDockerfile(content);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DockerfileError);
  return error as DockerfileError;
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseDockerfile', () => {
  it('follows stage aliases of a multi-stage build to the real image, substituting global ARG defaults', () => {
    const base = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG NODE_VERSION=22.11.0',
        'ARG VARIANT=bookworm-slim',
        'FROM node:${NODE_VERSION}-${VARIANT} AS base',
        'WORKDIR /app',
        'FROM base AS deps',
        'RUN npm ci \\',
        '  --omit=dev',
        'FROM golang:1.23 AS tools',
        'FROM deps AS Final',
        'COPY --from=tools /go/bin/x /usr/bin/x',
        'CMD ["node", "index.js"]',
      ].join('\n'),
    );
    expect(base).toEqual({
      image: 'node:22.11.0-bookworm-slim',
      scratch: false,
      digest: undefined,
      line: 4,
      text: 'FROM node:${NODE_VERSION}-${VARIANT} AS base',
      platform: undefined,
      stages: ['deps', 'base'],
    });
  });

  it('uses only ARGs declared before the first FROM in FROM lines, as Docker does', () => {
    const base = parseDockerfile(
      [
        'ARG NODE=22',
        'FROM node:$NODE AS build',
        'ARG NODE=23',
        'RUN echo $NODE',
        'FROM build',
      ].join('\n'),
    );
    expect(base.image).toBe('node:22');
    expect(base.line).toBe(2);
  });

  it('knows ${VAR:-default}, ${VAR:+alt}, several ARGs on one line, ARGs built from ARGs and empty ARGs', () => {
    const base = parseDockerfile(
      [
        'ARG REGISTRY=registry.example.com MIRROR',
        'ARG IMAGE=${REGISTRY}/library/python',
        'ARG SUFFIX',
        'FROM ${MIRROR:-$IMAGE}:3.13${SUFFIX}${SUFFIX:+-unused}',
      ].join('\n'),
    );
    expect(base.image).toBe('registry.example.com/library/python:3.13');
    expect(parseDockerfile('ARG B=alpine\nFROM ${A:-${B}}:3.20').image).toBe(
      'alpine:3.20',
    );
  });

  it('keeps a digest-pinned FROM and notes --platform with TARGET ARGs filled from the platform', () => {
    const base = parseDockerfile(
      [
        `FROM --platform=$BUILDPLATFORM golang:1.23@${DIGEST} AS build`,
        `FROM --platform=\${TARGETPLATFORM} alpine:3.20@${DIGEST}`,
      ].join('\n'),
      { platform: 'linux/arm64' },
    );
    expect(base).toMatchObject({
      image: `alpine:3.20@${DIGEST}`,
      digest: DIGEST,
      platform: 'linux/arm64',
      line: 2,
    });
    const build = parseDockerfile(
      [
        `FROM --platform=$BUILDPLATFORM golang:1.23@${DIGEST} AS build`,
        'FROM build',
      ].join('\n'),
    );
    // a build-machine ARG is unknown here: noted as written
    expect(build.platform).toBe('$BUILDPLATFORM');
    expect(build.image).toBe(`golang:1.23@${DIGEST}`);
  });

  it('substitutes TARGETARCH in image names', () => {
    expect(
      parseDockerfile('ARG TARGETARCH\nFROM example/tool:1-${TARGETARCH}', {
        platform: 'linux/arm64/v8',
      }).image,
    ).toBe('example/tool:1-arm64');
  });

  it('recognises scratch, also through an alias', () => {
    expect(
      parseDockerfile(
        'FROM golang:1.23 AS build\nFROM scratch AS final\nCOPY --from=build /app /app\nFROM final',
      ),
    ).toMatchObject({
      image: 'scratch',
      scratch: true,
      line: 2,
      stages: ['final'],
    });
  });

  it('treats a stage-name-looking image that is not an earlier stage as an image', () => {
    expect(parseDockerfile('FROM later\nFROM alpine AS later').image).toBe(
      'alpine',
    );
  });

  it.each([
    ['FROM\nRUN true', 1, 'FROM names no image'],
    ['FROM node:22\nFROM --platform=linux/arm64', 2, 'FROM names no image'],
    ['FROM node:22 AS', 1, 'FROM has 2 arguments (node:22 AS)'],
    ['FROM node:22 build', 1, 'FROM has 2 arguments'],
    [
      'FROM node:22 FOR build',
      1,
      'FROM expects AS before the stage name, not "FOR"',
    ],
    ['FROM node:22\nFORM node:23', 2, 'unknown instruction "FORM"'],
    ['RUN echo\nFROM node:22', 1, 'RUN comes before the first FROM'],
    ['ARG\nFROM node:22', 1, 'ARG names no variable'],
    ['FROM node:${VERSION', 1, 'unclosed variable "${VERSION"'],
    ['FROM node:${VERSION%.*}', 1, 'unsupported variable "${VERSION%.*}"'],
    [
      'ARG BASE\nFROM ${BASE}',
      2,
      'FROM ${BASE} names no image (ARG BASE has no default value',
    ],
    ['ARG V\nFROM node:$V', 2, 'FROM node:: Invalid image reference'],
    ['FROM Node:22', 1, 'the repository "Node" must be lowercase'],
    ['FROM node@sha256:123', 1, 'the digest "sha256:123"'],
  ])('rejects %j at line %i', (content, line, message) => {
    const error = dockerfileError(content);
    expect(error.line).toBe(line);
    expect(error.message).toContain(message);
  });

  it('names the ARG when an empty variable makes the reference invalid', () => {
    expect(() => parseDockerfile('ARG V\nFROM node:$V')).toThrow(
      /ARG V has no default value before the first FROM; give it one, e\.g\. ARG V=\.\.\./,
    );
  });

  it('rejects a Dockerfile without FROM', () => {
    expect(() => parseDockerfile('# nothing here\n')).toThrow(
      'there is no FROM instruction',
    );
  });

  // Counterexamples found by DockerfileParser.fuzz.test.ts: before, a RangeError.
  it('stops ARGs that double themselves with the line and what to check', () => {
    const content = [
      'ARG A0=a',
      ...Array.from({ length: 30 }, (_, i) => `ARG A${i + 1}=$A${i}$A${i}`),
      'FROM alpine:$A30',
    ].join('\n');
    const error = dockerfileError(content);
    expect(error.line).toBe(18);
    expect(error.message).toBe(
      '"$A16$A16" expands to more than 65536 characters; check the ARGs it uses, they repeat themselves',
    );
  });

  it('refuses variables nested thousands deep instead of overflowing the stack', () => {
    const content = `ARG A0=a\nFROM ${'${U:-'.repeat(5350)}alpine${'}'.repeat(
      5350,
    )}:$A0`;
    const error = dockerfileError(content);
    expect(error.line).toBe(2);
    expect(error.message).toContain(
      'variables nested more than 32 deep in "${U:-${U:-',
    );
  });

  it('still reads a default nested a few levels deep', () => {
    expect(
      parseDockerfile('ARG B=alpine\nFROM ${A:-${C:-${D:-${B}}}}:3.20').image,
    ).toBe('alpine:3.20');
  });
});
