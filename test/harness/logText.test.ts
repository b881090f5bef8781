import { LogText } from './logText';

describe('LogText', () => {
  const chunks = ['first line\nsec', 'ond line\n', '', 'third', ' line\n'];
  const whole = chunks.join('');

  it('answers what came from any point on, within a chunk or at its edge', () => {
    const log = new LogText();
    chunks.forEach(chunk => log.append(chunk));
    for (let from = 0; from <= whole.length + 2; from++) {
      expect(log.text(from)).toBe(whole.slice(from));
    }
  });

  it('answers the whole text as it grows, and nothing new past its end', () => {
    const log = new LogText();
    expect(log.text()).toBe('');
    let seen = '';
    for (const chunk of chunks) {
      const before = log.text().length;
      log.append(chunk);
      seen += chunk;
      expect(log.text()).toBe(seen);
      expect(log.text(before)).toBe(chunk);
    }
    expect(log.text(whole.length)).toBe('');
  });
});
