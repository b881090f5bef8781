/**
 * One gauge family written once per snapshot and rendered once, straight to
 * the Prometheus text format (0.0.4) in the same bytes prom-client gives for
 * a `Gauge` set with the same samples (`GaugeText.test.ts` compares the two).
 *
 * Why not a prom-client `Gauge`: its `set` checks every label name, sorts the
 * label keys to hash them and keeps each label set for a render that formats
 * them again; for series written once and rendered once that is most of a
 * snapshot's cost (`bench:metrics`, 67,000 series: the figures are in the
 * backend README). The live series, observed as they happen, stay prom-client's.
 */
export class GaugeText {
  /** Each series' label part (`a="x",b="y"`), in first-written order, and its value. */
  private readonly samples = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  /** Sets a series' value (the last one set wins, in its first place). */
  set(labels: Readonly<Record<string, string>>, value: number): void {
    this.samples.set(this.labelPart(labels), value);
  }

  /** Forgets every series. */
  clear(): void {
    this.samples.clear();
  }

  /** The family's HELP, TYPE and sample lines, without a final newline. */
  render(): string {
    const name = escapeText(this.name);
    const lines = [`# HELP ${name} ${escapeText(this.help)}`];
    lines.push(`# TYPE ${name} gauge`);
    for (const [labels, value] of this.samples) {
      const set = labels ? `{${labels}}` : '';
      lines.push(`${name}${set} ${valueText(value)}`);
    }
    return lines.join('\n');
  }

  /** Labels in the family's label-name order; absent ones left out. */
  private labelPart(labels: Readonly<Record<string, string>>): string {
    let part = '';
    for (const labelName of this.labelNames) {
      const value = labels[labelName];
      if (value === undefined) continue;
      if (part) part += ',';
      part += `${labelName}="${escapeLabelValue(value)}"`;
    }
    return part;
  }
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** HELP text and names: backslash and line feed escaped. */
function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label values: backslash, line feed and double quote escaped. */
function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return escapeText(value).replace(/"/g, '\\"');
}

/** A sample value as prom-client writes it. */
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}
