export { ReloadFailed, ReportLoadError, SourceErrors } from './ReportProblems';
