import { ResponseErrorPanel, WarningPanel } from '@backstage/core-components';
import Button from '@material-ui/core/Button';
import type { ImageError } from 'backstage-plugin-image-freshness-common';
import { ImageErrorNotice } from '../ImageErrorNotice';

/**
 * Errors about sources (a cluster that did not answer, the Kubernetes backend
 * missing): the report is partial, and this says which part is missing.
 */
export function SourceErrors(props: {
  errors: Array<ImageError & { source: string }>;
}) {
  const { errors } = props;
  if (errors.length === 0) {
    return null;
  }
  const sources = [...new Set(errors.map(e => e.source))];
  return (
    <WarningPanel
      severity="warning"
      title={`${
        sources.length === 1 ? 'One source' : `${sources.length} sources`
      } could not be read, so this report may be incomplete`}
      message={`Not read: ${sources.join(
        ', ',
      )}. Their containers below are as they were last read.`}
      defaultExpanded
    >
      <div>
        {errors.map((error, i) => (
          <ImageErrorNotice key={i} error={error} source={error.source} />
        ))}
      </div>
    </WarningPanel>
  );
}

/** A reload failed while an earlier report is on screen. */
export function ReloadFailed(props: { error?: Error }) {
  if (!props.error) {
    return null;
  }
  return (
    <WarningPanel
      severity="warning"
      title="Could not reload the report; showing the last one"
      message={props.error.message}
    />
  );
}

/** Shown when the report could not be loaded at all, with a way to try again. */
export function ReportLoadError(props: { error?: Error; retry: () => void }) {
  return (
    <>
      <ResponseErrorPanel
        error={props.error ?? new Error('No report')}
        title="Could not load the image report"
      />
      <Button
        variant="outlined"
        color="primary"
        style={{ marginTop: 16 }}
        onClick={props.retry}
      >
        Try again
      </Button>
    </>
  );
}
