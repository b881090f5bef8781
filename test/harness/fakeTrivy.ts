import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A directory with fake `trivy` executables, standing in for the real one (which cannot be installed here). */
export interface FakeTrivyDir {
  dir: string;
  /**
   * Writes an executable `name` that answers `--version` like Trivy and, for
   * `image`, records its arguments and credentials environment to
   * `<name>.calls` and then runs `imageBody` (shell).
   */
  write(name: string, imageBody: string): string;
  /** The recorded calls of `name`: arguments and TRIVY_* variables, one JSON object a line. */
  calls(name: string): Array<{ args: string[]; env: Record<string, string> }>;
  remove(): void;
}

export function fakeTrivyDir(): FakeTrivyDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-trivy-'));
  return {
    dir,
    write(name, imageBody) {
      const file = path.join(dir, name);
      const calls = `${file}.calls`;
      fs.writeFileSync(
        file,
        `#!/bin/sh
if [ "$1" = "--version" ]; then
  echo "Version: 0.58.1"
  echo "Vulnerability DB:"
  echo "  Version: 2"
  exit 0
fi
node -e 'const env={};for(const k of Object.keys(process.env))if(k.startsWith("TRIVY_"))env[k]=process.env[k];require("fs").appendFileSync(process.argv[1],JSON.stringify({args:process.argv.slice(2),env})+"\\n")' ${JSON.stringify(
          calls,
        )} "$@"
${imageBody}
`,
        { mode: 0o755 },
      );
      return file;
    },
    calls(name) {
      const file = path.join(dir, `${name}.calls`);
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map(line => JSON.parse(line));
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Shell that prints `report` (JSON) to stdout. */
export function printReport(report: object): string {
  return `cat <<'REPORT'\n${JSON.stringify(report)}\nREPORT\n`;
}

/** A report as `trivy image --format json` writes it (SchemaVersion 2), trimmed to what matters. */
export function trivyReport(
  findings: Array<{ target?: string; severities: string[] }>,
): object {
  return {
    SchemaVersion: 2,
    CreatedAt: '2026-11-22T10:00:00.000000000Z',
    ArtifactName: 'registry.example.com/team/api@sha256:1111',
    ArtifactType: 'container_image',
    Metadata: {
      OS: { Family: 'debian', Name: '12.8' },
      ImageID: 'sha256:2222',
      RepoDigests: ['registry.example.com/team/api@sha256:1111'],
    },
    Results: findings.map((f, i) => ({
      Target: f.target ?? `target-${i}`,
      Class: 'os-pkgs',
      Type: 'debian',
      Vulnerabilities: f.severities.map((severity, j) => ({
        VulnerabilityID: `CVE-2026-${1000 + i * 100 + j}`,
        PkgName: `pkg-${j}`,
        InstalledVersion: '1.0.0',
        FixedVersion: '1.0.1',
        Status: 'fixed',
        Title: 'a finding',
        Severity: severity,
        SeveritySource: 'nvd',
        References: ['https://example.com/advisory'],
      })),
    })),
  };
}
