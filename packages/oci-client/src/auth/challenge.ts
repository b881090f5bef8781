/** One challenge of a `WWW-Authenticate` header. @public */
export interface AuthChallenge {
  /** Lowercased: `bearer`, `basic`, ... */
  scheme: string;
  /** Parameters with lowercased names: `realm`, `service`, `scope`, `error`, ... */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** Optional white space (RFC 9110 OWS and BWS): spaces and tabs. */
const OWS = /[ \t]/;

/**
 * Parses a `WWW-Authenticate` header (RFC 9110 section 11.6.1) into its
 * challenges. Quoted values may hold commas, spaces and escaped quotes, as
 * registries' scopes do: `scope="repository:a:pull,push repository:b:pull"`.
 * Several challenges in one header are split correctly.
 *
 * @public
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skip = (chars: RegExp) => {
    while (i < n && chars.test(header[i])) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(header[i])) i++;
    return header.slice(start, i);
  };
  const readQuoted = () => {
    let value = '';
    i++; // opening quote
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      value += header[i++];
    }
    i++; // closing quote
    return value;
  };
  /** An unquoted value; lenient: up to the next comma or space, so `realm=https://x/token` works. */
  const readBare = () => {
    const start = i;
    while (i < n && header[i] !== ',' && !/\s/.test(header[i])) i++;
    return header.slice(start, i);
  };
  /** Whether a `name=` follows, i.e. the next item is a parameter rather than a new scheme. */
  const paramFollows = () => {
    let j = i;
    while (j < n && TOKEN_CHAR.test(header[j])) j++;
    if (j === i) return false; // a parameter needs a name
    while (j < n && OWS.test(header[j])) j++;
    return j < n && header[j] === '=' && header[j + 1] !== '=';
  };

  while (i < n) {
    skip(/[\s,]/);
    const scheme = readToken();
    if (!scheme) {
      i++; // not a token: skip the character rather than loop forever
      continue;
    }
    const challenge: AuthChallenge = {
      scheme: scheme.toLowerCase(),
      params: {},
    };
    challenges.push(challenge);
    skip(OWS);
    while (i < n) {
      skip(/[\s,]/);
      if (!paramFollows()) {
        break; // the next challenge's scheme (token68 credentials are not used by registries)
      }
      const name = readToken().toLowerCase();
      skip(OWS);
      i++; // '='
      skip(OWS);
      const value = header[i] === '"' ? readQuoted() : readBare();
      // Defined, not assigned: a parameter named `__proto__` stays a parameter.
      Object.defineProperty(challenge.params, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      skip(OWS);
      if (header[i] === ',') i++;
    }
  }
  return challenges;
}
