/**
 * The target of `rel="next"` in a `Link` header
 * (`</v2/_catalog?last=b&n=2>; rel="next"`), resolved against the URL of the
 * page that carried it; undefined when there is none.
 */
export function nextLink(
  header: string | null,
  base: string,
): string | undefined {
  if (!header) return undefined;
  // Split on commas outside <...>: URLs may contain commas.
  const links = header.match(/<[^>]*>[^<]*/g) ?? [];
  for (const link of links) {
    const target = /^<([^>]*)>/.exec(link)?.[1];
    const rels = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(link)?.[1];
    if (
      target !== undefined &&
      rels?.toLowerCase().split(/\s+/).includes('next')
    ) {
      try {
        return new URL(target, base).href;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
