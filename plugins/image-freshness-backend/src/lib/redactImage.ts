/**
 * A reference as written, without credentials someone put in front of the
 * host (`user:token@host/repo`). Applied where references enter (every
 * container source's images, before they are resolved, stored, logged or
 * served) and again on metric labels: a secret never reaches either.
 */
export function redactImage(image: string): string {
  const scheme = image.indexOf('://');
  const start = scheme === -1 ? 0 : scheme + 3;
  const slash = image.indexOf('/', start);
  // Without a scheme, an '@' before any '/' is a digest (`nginx@sha256:...`).
  if (slash === -1 && scheme === -1) {
    return image;
  }
  const at = image.lastIndexOf('@', slash === -1 ? image.length : slash);
  if (at < start) {
    return image;
  }
  return `${image.slice(0, start)}***@${image.slice(at + 1)}`;
}
