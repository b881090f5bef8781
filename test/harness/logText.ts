/**
 * A process's output as it comes, read whole or from a point on. Kept as the
 * chunks that came, with where each starts: a bench's backend logs megabytes
 * (a line per request), and a string grown by `+=` is copied whole by the
 * first read after each chunk, where a poll for what is new should cost what
 * is new.
 */
export class LogText {
  private readonly chunks: string[] = [];
  private readonly starts: number[] = [];
  private length = 0;
  private joined = '';

  append(chunk: string) {
    this.chunks.push(chunk);
    this.starts.push(this.length);
    this.length += chunk.length;
  }

  /** Everything from `from` on (a length an earlier answer had; 0: all of it). */
  text(from = 0): string {
    if (from <= 0) {
      if (this.joined.length !== this.length) {
        this.joined = this.chunks.join('');
      }
      return this.joined;
    }
    // the first chunk that ends after `from`
    let first = this.chunks.length;
    while (
      first > 0 &&
      this.starts[first - 1] + this.chunks[first - 1].length > from
    ) {
      first--;
    }
    return this.chunks
      .slice(first)
      .join('')
      .slice(from - (this.starts[first] ?? this.length));
  }
}
