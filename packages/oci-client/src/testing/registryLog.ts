import { randomUUID } from 'node:crypto';
import type { TestRegistry } from '@internal/test/harness/registry';

/** A request as the registry's access log recorded it. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

const ACCESS_LINE =
  /"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/1\.1" (\d{3})/;

/**
 * Waits until every request the registry answered so far is in its log.
 * Access lines arrive through a pipe, a little after the answers: a sentinel
 * request is sent last and waited for, however loaded the machine (the
 * sentinels are left out of {@link requestsSince}).
 */
async function settled(registry: TestRegistry): Promise<void> {
  const sentinel = `/v2/?settled=${randomUUID()}`;
  const answer = await fetch(`${registry.url}${sentinel}`);
  await answer.arrayBuffer();
  const logged = () => registry.logs().some(line => line.includes(sentinel));
  for (let waited = 0; !logged(); waited += 10) {
    if (waited > 30_000) {
      throw new Error(`the registry never logged ${sentinel}`);
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

/**
 * A position in the registry's log, for {@link requestsSince}: after every
 * request answered so far, so a late line of an earlier request does not
 * count as one made after the mark.
 */
export async function logMark(registry: TestRegistry): Promise<number> {
  await settled(registry);
  return registry.logs().length;
}

/** The requests the registry logged since `mark`, every one answered so far included. */
export async function requestsSince(
  registry: TestRegistry,
  mark: number,
): Promise<LoggedRequest[]> {
  await settled(registry);
  return registry
    .logs()
    .slice(mark)
    .filter(line => !line.includes('/v2/?settled='))
    .map(line => ACCESS_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(m => ({ method: m[1], path: m[2], status: Number(m[3]) }));
}

/** `METHOD path` of each request, for compact assertions. */
export function lines(requests: LoggedRequest[]): string[] {
  return requests.map(r => `${r.method} ${r.path} ${r.status}`);
}
