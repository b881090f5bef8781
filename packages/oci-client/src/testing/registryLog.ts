import type { TestRegistry } from '@internal/test/harness/registry';

/** A request as the registry's access log recorded it. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

const ACCESS_LINE =
  /"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/1\.1" (\d{3})/;

/** A position in the registry's log, for {@link requestsSince}. */
export function logMark(registry: TestRegistry): number {
  return registry.logs().length;
}

/**
 * The requests the registry logged since `mark`, once its log has settled
 * (access lines arrive through a pipe, a little after the answers).
 */
export async function requestsSince(
  registry: TestRegistry,
  mark: number,
): Promise<LoggedRequest[]> {
  let count = -1;
  for (let i = 0; i < 50; i++) {
    await new Promise(resolve => setTimeout(resolve, 25));
    const now = registry.logs().length;
    if (now === count) break;
    count = now;
  }
  return registry
    .logs()
    .slice(mark)
    .map(line => ACCESS_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(m => ({ method: m[1], path: m[2], status: Number(m[3]) }));
}

/** `METHOD path` of each request, for compact assertions. */
export function lines(requests: LoggedRequest[]): string[] {
  return requests.map(r => `${r.method} ${r.path} ${r.status}`);
}
