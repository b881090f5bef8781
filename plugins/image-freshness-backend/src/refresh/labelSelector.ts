/*
 * Kubernetes label selectors, parsed and matched here so that the
 * cluster-wide source can assign a cluster's objects to entities without
 * asking the API server once per entity. The grammar and the matching rules
 * are those of the API server (k8s.io/apimachinery, pkg/labels/selector.go):
 * a lexer that splits on whitespace and the symbols `= ! ( ) , > <`, the
 * keywords `in` and `notin` (plain values inside a value list), requirements
 * joined by commas, keys validated as qualified names and values as label
 * values. No npm package parses this grammar (the Kubernetes JavaScript
 * client only passes selectors through), hence a hand-written one; the
 * fuzz test holds it to the Kubernetes API stand-in's server-side filtering.
 */

/** One requirement of a parsed selector; all must hold. */
export type LabelRequirement =
  | { key: string; operator: 'exists' | 'doesNotExist' }
  | { key: string; operator: 'in' | 'notin'; values: readonly string[] }
  | { key: string; operator: 'gt' | 'lt'; value: bigint };

/** A selector the API server would reject; the message says why, in its words. */
export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(`unable to parse requirement: ${message}`);
    this.name = 'LabelSelectorError';
  }
}

type TokenType =
  | 'identifier'
  | 'end'
  | '('
  | ')'
  | ','
  | '!'
  | '='
  | '=='
  | '!='
  | '>'
  | '<'
  | 'in'
  | 'notin';

interface Token {
  type: TokenType;
  text: string;
}

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOL_TOKENS = new Set(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INT64_MAX = 2n ** 63n - 1n;

function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i];
    if (WHITESPACE.has(c)) {
      i++;
    } else if (c === '\0') {
      // The API server's lexer reads a NUL byte as the end of the string.
      break;
    } else if (SYMBOLS.has(c)) {
      // the longest run of symbols that is one token (`!=`, `==`), else one
      const two = selector.slice(i, i + 2);
      const text = SYMBOL_TOKENS.has(two) ? two : c;
      tokens.push({ type: text as TokenType, text });
      i += text.length;
      // a NUL right after a symbol is consumed with it
      if (selector[i] === '\0') i++;
    } else {
      let j = i;
      while (
        j < selector.length &&
        selector[j] !== '\0' &&
        !SYMBOLS.has(selector[j]) &&
        !WHITESPACE.has(selector[j])
      ) {
        j++;
      }
      const text = selector.slice(i, j);
      const type = text === 'in' || text === 'notin' ? text : 'identifier';
      tokens.push({ type, text });
      // a NUL that ends an identifier is consumed with it
      i = selector[j] === '\0' ? j + 1 : j;
    }
  }
  tokens.push({ type: 'end', text: '' });
  return tokens;
}

/** Whether `key` is a qualified name: `[DNS subdomain/]name`. */
function checkKey(key: string): void {
  const parts = key.split('/');
  const name = parts.length === 2 ? parts[1] : parts[0];
  const prefix = parts.length === 2 ? parts[0] : undefined;
  const invalid = (why: string) =>
    new LabelSelectorError(`key: Invalid value: "${key}": ${why}`);
  if (parts.length > 2) throw invalid('a qualified name has at most one "/"');
  if (prefix !== undefined) {
    if (prefix.length === 0) throw invalid('prefix part must be non-empty');
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      throw invalid('prefix part must be a DNS subdomain');
    }
  }
  if (name.length === 0) throw invalid('name part must be non-empty');
  if (name.length > 63 || !NAME.test(name)) {
    throw invalid(
      'name part must be a qualified name of at most 63 characters',
    );
  }
}

function checkValue(key: string, value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new LabelSelectorError(
      `values[${key}]: Invalid value: "${value}": a valid label value is empty or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric`,
    );
  }
}

/**
 * Parses a label selector as the API server does: `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (a,b)`,
 * `key notin (a,b)`, `key>1`, `key<1`, joined by commas. The empty
 * selector selects everything. Throws {@link LabelSelectorError} for what
 * the API server answers 400 to.
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  let position = 0;
  // In value position the keywords are plain identifiers.
  const asValue = (t: Token): TokenType =>
    t.type === 'in' || t.type === 'notin' ? 'identifier' : t.type;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const requirements: LabelRequirement[] = [];

  const parseExactValue = (key: string): string => {
    const t = peek();
    if (t.type === 'end' || t.type === ',') return '';
    next();
    if (asValue(t) !== 'identifier') {
      throw new LabelSelectorError(`found '${t.text}', expected: identifier`);
    }
    checkValue(key, t.text);
    return t.text;
  };

  const parseValues = (key: string): string[] => {
    const open = next();
    if (open.type !== '(') {
      throw new LabelSelectorError(`found '${open.text}' expected: '('`);
    }
    const values = new Set<string>();
    const first = peek();
    if (first.type === ')') {
      next();
      return [''];
    }
    if (asValue(first) !== 'identifier' && first.type !== ',') {
      throw new LabelSelectorError(
        `found '${first.text}', expected: ',', ')' or identifier`,
      );
    }
    for (;;) {
      const t = next();
      if (asValue(t) === 'identifier') {
        values.add(t.text);
        const after = peek();
        if (after.type === ',') continue;
        if (after.type === ')') break;
        throw new LabelSelectorError(
          `found '${after.text}', expected: ',' or ')'`,
        );
      } else if (t.type === ',') {
        if (values.size === 0) values.add('');
        const after = peek();
        if (after.type === ')') {
          values.add('');
          break;
        }
        if (after.type === ',') {
          next();
          values.add('');
        }
      } else {
        throw new LabelSelectorError(
          `found '${t.text}', expected: ',', or identifier`,
        );
      }
    }
    if (next().type !== ')') {
      throw new LabelSelectorError(`found '${first.text}', expected: ')'`);
    }
    for (const value of values) checkValue(key, value);
    return [...values];
  };

  const parseRequirement = (): LabelRequirement => {
    let t = next();
    let negated = false;
    if (t.type === '!') {
      negated = true;
      t = next();
    }
    if (asValue(t) !== 'identifier') {
      throw new LabelSelectorError(`found '${t.text}', expected: identifier`);
    }
    const key = t.text;
    checkKey(key);
    if (negated) return { key, operator: 'doesNotExist' };
    const after = peek();
    if (after.type === 'end' || after.type === ',') {
      return { key, operator: 'exists' };
    }
    const op = next();
    switch (op.type) {
      case 'in':
      case 'notin':
        return { key, operator: op.type, values: parseValues(key) };
      case '=':
      case '==':
        return { key, operator: 'in', values: [parseExactValue(key)] };
      case '!=':
        return { key, operator: 'notin', values: [parseExactValue(key)] };
      case '>':
      case '<': {
        const raw = parseExactValue(key);
        if (!/^[0-9]+$/.test(raw) || BigInt(raw) > INT64_MAX) {
          throw new LabelSelectorError(
            `values[0]: Invalid value: "${raw}": for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        }
        return {
          key,
          operator: op.type === '>' ? 'gt' : 'lt',
          value: BigInt(raw),
        };
      }
      default:
        throw new LabelSelectorError(
          `found '${op.text}', expected: ${BINARY_OPERATORS}`,
        );
    }
  };

  for (;;) {
    const t = peek();
    if (t.type === 'end') return requirements;
    if (asValue(t) !== 'identifier' && t.type !== '!') {
      throw new LabelSelectorError(
        `found '${t.text}', expected: !, identifier, or 'end of string'`,
      );
    }
    requirements.push(parseRequirement());
    const separator = next();
    if (separator.type === 'end') return requirements;
    if (separator.type !== ',') {
      throw new LabelSelectorError(
        `found '${separator.text}', expected: ',' or 'end of string'`,
      );
    }
    const following = peek();
    if (asValue(following) !== 'identifier' && following.type !== '!') {
      throw new LabelSelectorError(
        `found '${following.text}', expected: identifier after ','`,
      );
    }
  }
}

/** Whether `labels` satisfy every requirement (the API server's `Matches`). */
export function matchesLabelSelector(
  labels: Readonly<Record<string, string>>,
  requirements: readonly LabelRequirement[],
): boolean {
  for (const r of requirements) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    let ok: boolean;
    switch (r.operator) {
      case 'exists':
        ok = has;
        break;
      case 'doesNotExist':
        ok = !has;
        break;
      case 'in':
        ok = has && r.values.includes(labels[r.key]);
        break;
      case 'notin':
        ok = !has || !r.values.includes(labels[r.key]);
        break;
      default: {
        const value = has ? labels[r.key] : '';
        // strconv.ParseInt: an optional sign, decimal digits, int64 range
        if (!/^[+-]?[0-9]+$/.test(value)) {
          ok = false;
          break;
        }
        const n = BigInt(value);
        ok =
          n >= -INT64_MAX - 1n &&
          n <= INT64_MAX &&
          (r.operator === 'gt' ? n > r.value : n < r.value);
      }
    }
    if (!ok) return false;
  }
  return true;
}

/**
 * The values an object's `key` label must have for the selector to match
 * (from `key=v`, `key==v` or `key in (...)`), for an index lookup; none
 * when no requirement pins the key.
 */
export function requiredValues(
  requirements: readonly LabelRequirement[],
  key: string,
): readonly string[] | undefined {
  for (const r of requirements) {
    if (r.key === key && r.operator === 'in') return r.values;
  }
  return undefined;
}
