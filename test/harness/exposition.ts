/*
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * for tests that check a /metrics body is well formed and compare bodies:
 * every sample line must parse (name, escaped label values, a number), belong
 * to a family announced by `# TYPE`, and appear once.
 */

/** One sample: `name{labels} value`. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition. */
export interface Exposition {
  /** family name → type (`counter`, `gauge`, `histogram`, ...) */
  types: Map<string, string>;
  /** every sample, keyed by {@link seriesKey} */
  series: Map<string, ExpositionSample>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

/** A sample's identity: its name and labels in sorted order. */
export function seriesKey(
  name: string,
  labels: Record<string, string>,
): string {
  const pairs = Object.keys(labels)
    .sort()
    .map(k => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${pairs.join(',')}}`;
}

/** The family a sample belongs to, given the families announced so far. */
export function familyOf(name: string, types: Map<string, string>): string {
  if (types.has(name)) return name;
  const suffix = SUFFIXES.find(s => name.endsWith(s));
  return suffix ? name.slice(0, -suffix.length) : name;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    throw new Error(`Not a sample value ${JSON.stringify(text)} in: ${line}`);
  }
  return value;
}

/** Reads `{a="x",b="y"}` at the start of `text`; answers the labels and the rest. */
function parseLabels(
  text: string,
  line: string,
): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new Error(`${why} in: ${line}`);
  };
  while (text[i] !== '}') {
    const name = LABEL_NAME.exec(text.slice(i))?.[0] ?? fail('No label name');
    i += name.length;
    if (text.slice(i, i + 2) !== '="') fail(`No ="value" after ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) fail('Unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else fail(`Bad escape \\${e}`);
      } else {
        value += c;
      }
    }
    if (name in labels) fail(`Label ${name} twice`);
    labels[name] = value;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('No , or } after a label');
  }
  return { labels, rest: text.slice(i + 1) };
}

/** Parses the lines of one family's block (or of a whole body). */
function parseLines(text: string): Exposition {
  const types = new Map<string, string>();
  const series = new Map<string, ExpositionSample>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
      if (type) {
        if (!TYPES.has(type[2]) || types.has(type[1])) {
          throw new Error(`Bad or repeated TYPE line: ${line}`);
        }
        types.set(type[1], type[2]);
      } else if (!/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(`${line} `)) {
        throw new Error(`Unknown comment line: ${line}`);
      }
      continue;
    }
    const name = METRIC_NAME.exec(line)?.[0];
    if (!name) throw new Error(`No metric name in: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      ({ labels, rest } = parseLabels(rest, line));
    }
    const fields = rest.trim().split(' ');
    if (!rest.startsWith(' ') || fields.length > 2) {
      throw new Error(`Not "name{labels} value [timestamp]": ${line}`);
    }
    if (!types.has(familyOf(name, types))) {
      throw new Error(
        `Sample of a family with no TYPE line before it: ${line}`,
      );
    }
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new Error(`Series twice: ${key}`);
    series.set(key, { name, labels, value: parseValue(fields[0], line) });
  }
  return { types, series };
}

/**
 * Parses an exposition; throws an error naming the first line that is not
 * well formed. Each family's lines must stand together, `# HELP` first, as
 * the format asks. With `memo`, a family block already parsed (the same text)
 * is not parsed again: scrapes between two snapshots share most of their
 * text, and a load test reads many.
 */
export function parseExposition(
  text: string,
  memo?: Map<string, Exposition>,
): Exposition {
  const types = new Map<string, string>();
  const series = new Map<string, ExpositionSample>();
  if (memo && memo.size > 200) memo.clear();
  for (const block of text.split(/\n(?=# HELP )/)) {
    let parsed = memo?.get(block);
    if (!parsed) {
      parsed = parseLines(block);
      memo?.set(block, parsed);
    }
    for (const [name, type] of parsed.types) {
      if (types.has(name)) throw new Error(`Family ${name} twice`);
      types.set(name, type);
    }
    for (const [key, sample] of parsed.series) {
      if (series.has(key)) throw new Error(`Series twice: ${key}`);
      series.set(key, sample);
    }
  }
  return { types, series };
}
