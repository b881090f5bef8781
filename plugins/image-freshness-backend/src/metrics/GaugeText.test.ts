import { Gauge, Registry } from 'prom-client';
import { GaugeText } from './GaugeText';

/** What prom-client renders for a Gauge given the same samples. */
async function promClientText(
  name: string,
  help: string,
  labelNames: readonly string[],
  samples: ReadonlyArray<[Record<string, string>, number]>,
): Promise<string> {
  const registry = new Registry();
  const gauge = new Gauge({ name, help, labelNames, registers: [registry] });
  for (const [labels, value] of samples) gauge.set(labels, value);
  return registry.getSingleMetricAsString(name);
}

function gaugeText(
  name: string,
  help: string,
  labelNames: readonly string[],
  samples: ReadonlyArray<[Record<string, string>, number]>,
): string {
  const text = new GaugeText(name, help, labelNames);
  for (const [labels, value] of samples) text.set(labels, value);
  return text.render();
}

/** A deterministic pseudo-random source (mulberry32), so a failure repeats. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('GaugeText', () => {
  it('renders the bytes prom-client renders, escapes included', async () => {
    const samples: Array<[Record<string, string>, number]> = [
      [{ digest: 'sha256:aa', key: 'a"b', value: 'back\\slash\nline' }, 1],
      [{ digest: 'sha256:bb', key: 'k', value: '' }, 0],
      [{ digest: 'sha256:cc', key: 'ünï', value: 'c😀de' }, -2.5],
      [{ digest: 'sha256:aa', key: 'a"b', value: 'back\\slash\nline' }, 7],
    ];
    const help = 'Help with a \\ backslash\nand a line feed';
    const expected = await promClientText(
      'container_image_label',
      help,
      ['digest', 'key', 'value'],
      samples,
    );
    const actual = gaugeText(
      'container_image_label',
      help,
      ['digest', 'key', 'value'],
      samples,
    );
    expect(actual).toBe(expected);
    // The repeated series keeps its first place and takes the last value.
    expect(actual.split('\n')).toEqual([
      '# HELP container_image_label Help with a \\\\ backslash\\nand a line feed',
      '# TYPE container_image_label gauge',
      'container_image_label{digest="sha256:aa",key="a\\"b",value="back\\\\slash\\nline"} 7',
      'container_image_label{digest="sha256:bb",key="k",value=""} 0',
      'container_image_label{digest="sha256:cc",key="ünï",value="c😀de"} -2.5',
    ]);
  });

  it('renders a family without samples as its HELP and TYPE, like prom-client', async () => {
    const expected = await promClientText('x_info', 'Nothing yet.', ['a'], []);
    expect(gaugeText('x_info', 'Nothing yet.', ['a'], [])).toBe(expected);
    expect(expected).toBe('# HELP x_info Nothing yet.\n# TYPE x_info gauge');
  });

  it('renders special values as prom-client does', async () => {
    const samples: Array<[Record<string, string>, number]> = [
      [{ a: 'nan' }, NaN],
      [{ a: 'inf' }, Infinity],
      [{ a: '-inf' }, -Infinity],
      [{ a: 'big' }, 2 ** 53 + 2],
      [{ a: 'tiny' }, 1e-7],
      [{ a: 'seconds' }, 1796601600],
    ];
    expect(gaugeText('v', 'h', ['a'], samples)).toBe(
      await promClientText('v', 'h', ['a'], samples),
    );
  });

  it('matches prom-client over generated label sets, values and repeats', async () => {
    // Label values from an alphabet with every character the format escapes
    // and multi-byte ones. (No ',' or ':': prom-client hashes label sets as
    // `key:value,` unescaped, so it would merge sets that differ only there.)
    const alphabet = [
      'a',
      'Z',
      '0',
      '"',
      '\\',
      '\n',
      ' ',
      '=',
      '{',
      '}',
      'é',
      '😀',
    ];
    const labelNames = ['entity', 'digest', 'key', 'value'];
    const random = seeded(16);
    for (let round = 0; round < 200; round += 1) {
      const samples: Array<[Record<string, string>, number]> = [];
      const count = Math.floor(random() * 12);
      for (let i = 0; i < count; i += 1) {
        const repeat = samples.length > 0 && random() < 0.2;
        const labels: Record<string, string> = repeat
          ? { ...samples[Math.floor(random() * samples.length)][0] }
          : {};
        if (!repeat) {
          for (const labelName of labelNames) {
            if (random() < 0.15) continue;
            const length = Math.floor(random() * 6);
            labels[labelName] = Array.from(
              { length },
              () => alphabet[Math.floor(random() * alphabet.length)],
            ).join('');
          }
        }
        const value = Math.round((random() - 0.5) * 1e6) / 100;
        samples.push([labels, value]);
      }
      const actual = gaugeText('generated', 'Generated.', labelNames, samples);
      const expected = await promClientText(
        'generated',
        'Generated.',
        labelNames,
        samples,
      );
      expect({ round, text: actual }).toEqual({ round, text: expected });
    }
  });

  it('forgets its series when cleared', () => {
    const text = new GaugeText('x', 'h', ['a']);
    text.set({ a: '1' }, 1);
    text.clear();
    expect(text.render()).toBe('# HELP x h\n# TYPE x gauge');
  });
});
