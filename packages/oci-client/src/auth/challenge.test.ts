import { parseChallenges } from './challenge';

describe('parseChallenges', () => {
  it('reads a registry bearer challenge whose scope holds commas and spaces', () => {
    expect(
      parseChallenges(
        'Bearer realm="http://127.0.0.1:4000/token",service="test-registry",scope="repository:c/d:pull repository:a/b:pull,push",error="insufficient_scope"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'http://127.0.0.1:4000/token',
          service: 'test-registry',
          scope: 'repository:c/d:pull repository:a/b:pull,push',
          error: 'insufficient_scope',
        },
      },
    ]);
  });

  it('splits several challenges in one header and lowercases schemes and names', () => {
    expect(
      parseChallenges(
        'Basic realm="Registry Realm", BEARER Realm="https://auth.example/token" , service=reg',
      ),
    ).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'reg' },
      },
    ]);
  });

  it('unescapes quoted characters and accepts bare URL values', () => {
    expect(
      parseChallenges(
        'Bearer realm=https://auth.example/token,scope="say \\"hi\\", then go"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          scope: 'say "hi", then go',
        },
      },
    ]);
  });

  it('survives garbage without looping', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(
      parseChallenges('"unterminated').flatMap(c => Object.keys(c.params)),
    ).toEqual([]);
    expect(
      parseChallenges('Bearer realm="never closed').map(c => c.params),
    ).toEqual([{ realm: 'never closed' }]);
    expect(parseChallenges('Bearer realm="x" ,, ,').map(c => c.params)).toEqual(
      [{ realm: 'x' }],
    );
  });

  // Counterexamples found by challenge.fuzz.test.ts.
  it('takes tabs around "=" as white space, as RFC 9110 allows', () => {
    expect(
      parseChallenges(
        'Bearer realm\t=\t"https://auth.example/token",scope=\t"repository:a/b:pull,push repository:c:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          scope: 'repository:a/b:pull,push repository:c:pull',
        },
      },
    ]);
  });

  it('reads no parameter without a name', () => {
    expect(parseChallenges('B=')).toEqual([{ scheme: 'b', params: {} }]);
  });

  it('keeps a parameter named __proto__ as a parameter', () => {
    const [challenge] = parseChallenges('Bearer __proto__="x", realm="r"');
    expect(Object.keys(challenge.params)).toEqual(['__proto__', 'realm']);
    expect(
      Object.getOwnPropertyDescriptor(challenge.params, '__proto__'),
    ).toMatchObject({ value: 'x' });
    expect(Object.getPrototypeOf(challenge.params)).toBe(Object.prototype);
  });
});
