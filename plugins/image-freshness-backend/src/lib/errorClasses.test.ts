import { ERROR_ADVICE } from 'backstage-plugin-image-freshness-common';
import { OciError } from 'oci-client';
import { adviceFor, classForStatus, classOf } from './errorClasses';

describe('classForStatus', () => {
  it.each([
    [400, 'INVALID_REQUEST'],
    [401, 'AUTHENTICATION'],
    [403, 'AUTHENTICATION'],
    [404, 'NOT_FOUND'],
    [405, 'INVALID_REQUEST'],
    [408, 'TIMEOUT'],
    [409, 'INVALID_REQUEST'],
    [413, 'TOO_LARGE'],
    [422, 'INVALID_REQUEST'],
    [429, 'RATE_LIMITED'],
    [500, 'SERVER_ERROR'],
    [502, 'SERVER_ERROR'],
    [503, 'SERVER_ERROR'],
    [504, 'TIMEOUT'],
    [302, 'UNKNOWN'],
  ])('%i is %s', (status, errorClass) => {
    expect(classForStatus(status)).toBe(errorClass);
  });
});

describe('classOf', () => {
  it("classifies a registry's answer by its status, whatever code the client gave it", () => {
    const gatewayTimeout = new OciError('SERVER_ERROR', 'r answered 504', {
      status: 504,
    });
    expect(classOf(gatewayTimeout)).toBe('TIMEOUT');
    const conflict = new OciError('UNKNOWN', 'r answered 409', {
      status: 409,
    });
    expect(classOf(conflict)).toBe('INVALID_REQUEST');
  });

  it('keeps the client’s class for a failure without an answer', () => {
    for (const code of [
      'TIMEOUT',
      'BLOCKED_HOST',
      'DIGEST_MISMATCH',
      'TOO_LARGE',
      'SERVER_ERROR',
    ] as const) {
      expect(classOf(new OciError(code, 'no answer'))).toBe(code);
    }
  });

  it('classifies an abort (shutdown, the run’s timeout) and a timer as TIMEOUT, anything else UNKNOWN', () => {
    const controller = new AbortController();
    controller.abort();
    expect(classOf(controller.signal.reason)).toBe('TIMEOUT');
    expect(classOf(new DOMException('late', 'TimeoutError'))).toBe('TIMEOUT');
    expect(classOf(new TypeError('boom'))).toBe('UNKNOWN');
    expect(classOf('a string')).toBe('UNKNOWN');
    expect(classOf(undefined)).toBe('UNKNOWN');
  });
});

describe('adviceFor', () => {
  it('words the advice for what failed, falling back to the registry table', () => {
    expect(adviceFor('AUTHENTICATION')).toBe(ERROR_ADVICE.AUTHENTICATION);
    expect(adviceFor('AUTHENTICATION', 'cluster')).toContain('RBAC');
    expect(adviceFor('AUTHENTICATION', 'cluster')).not.toBe(
      ERROR_ADVICE.AUTHENTICATION,
    );
    expect(adviceFor('NOT_FOUND', 'kubernetes-backend')).toContain(
      '@backstage/plugin-kubernetes-backend',
    );
    // no cluster-specific words for a digest mismatch: the registry's stand
    expect(adviceFor('DIGEST_MISMATCH', 'cluster')).toBe(
      ERROR_ADVICE.DIGEST_MISMATCH,
    );
  });
});
