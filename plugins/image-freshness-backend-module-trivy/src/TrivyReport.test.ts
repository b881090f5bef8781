import { trivyReport } from '@internal/test/harness/fakeTrivy';
import { parseTrivyReport, TrivyReportError } from './TrivyReport';

describe('parseTrivyReport', () => {
  it('counts findings per severity across every target, zeros included', () => {
    const report = trivyReport([
      {
        target: 'registry.example.com/team/api (debian 12.8)',
        severities: ['CRITICAL', 'HIGH', 'HIGH', 'LOW', 'UNKNOWN'],
      },
      { target: 'usr/local/bin/app', severities: ['HIGH', 'MEDIUM'] },
    ]);
    expect(parseTrivyReport(JSON.stringify(report))).toEqual({
      counts: { CRITICAL: 1, HIGH: 3, MEDIUM: 1, LOW: 1, UNKNOWN: 1 },
      total: 7,
    });
    expect(
      parseTrivyReport(report, ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']),
    ).toEqual({
      counts: { CRITICAL: 1, HIGH: 3, MEDIUM: 1, LOW: 1 },
      total: 6,
    });
    expect(parseTrivyReport(report, ['CRITICAL'])).toEqual({
      counts: { CRITICAL: 1 },
      total: 1,
    });
  });

  it('reads targets without findings, clean images, odd severities and the pre-v2 array form', () => {
    const clean = {
      SchemaVersion: 2,
      ArtifactName: 'x',
      Results: [
        { Target: 'app (alpine 3.20.3)', Class: 'os-pkgs', Type: 'alpine' },
        { Target: 'package-lock.json', Vulnerabilities: null },
      ],
    };
    expect(parseTrivyReport(clean, ['CRITICAL', 'HIGH'])).toEqual({
      counts: { CRITICAL: 0, HIGH: 0 },
      total: 0,
    });
    // an image with nothing to scan has no Results at all
    expect(parseTrivyReport({ SchemaVersion: 2, ArtifactName: 'x' })).toEqual({
      counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 },
      total: 0,
    });
    // lower case counts as its severity; anything else (or none) as UNKNOWN
    const odd = trivyReport([{ severities: ['critical', 'NEGLIGIBLE'] }]);
    (odd as any).Results[0].Vulnerabilities.push({ VulnerabilityID: 'X' });
    expect(parseTrivyReport(odd)).toMatchObject({
      counts: { CRITICAL: 1, UNKNOWN: 2 },
      total: 3,
    });
    // Trivy before SchemaVersion 2 printed the Results array itself
    const legacy = [
      {
        Target: 'trivy-ci-test (alpine 3.7.1)',
        Vulnerabilities: [
          { VulnerabilityID: 'CVE-2018-16840', Severity: 'HIGH' },
          { VulnerabilityID: 'CVE-2019-3822', Severity: 'CRITICAL' },
        ],
      },
      { Target: 'php-app/composer.lock', Vulnerabilities: null },
    ];
    expect(
      parseTrivyReport(JSON.stringify(legacy), ['CRITICAL', 'HIGH']),
    ).toEqual({ counts: { CRITICAL: 1, HIGH: 1 }, total: 2 });
  });

  it('refuses output that is not a Trivy JSON report, saying what is wrong', () => {
    expect(() => parseTrivyReport('Total: 3 (HIGH: 3)')).toThrow(
      TrivyReportError,
    );
    expect(() => parseTrivyReport('Total: 3 (HIGH: 3)')).toThrow(
      /not JSON.*--format json/,
    );
    expect(() => parseTrivyReport({ Results: 'none' })).toThrow(
      /documented shape/,
    );
    expect(() =>
      parseTrivyReport({ Results: [{ Vulnerabilities: [{ Severity: 3 }] }] }),
    ).toThrow(/Results.0.Vulnerabilities.0.Severity/);
    expect(() => parseTrivyReport('42')).toThrow(TrivyReportError);
  });
});
