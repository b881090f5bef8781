import { Text } from '@backstage/ui';

const list = {
  margin: 0,
  display: 'grid',
  gridTemplateColumns: 'max-content minmax(0, 1fr)',
  columnGap: 'var(--bui-space-4, 16px)',
  rowGap: 'var(--bui-space-1, 4px)',
  fontFamily: 'monospace',
  fontSize: '0.8rem',
};

/** A titled list of keys and values, sorted by key; `empty` when there are none. */
export function KeyValues(props: {
  title: string;
  values: Record<string, string>;
  empty: string;
}) {
  const entries = Object.entries(props.values).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  return (
    <section aria-label={props.title}>
      <Text as="h3" variant="body-medium" weight="bold">
        {props.title} ({entries.length})
      </Text>
      {entries.length ? (
        <dl style={list}>
          {entries.map(([key, value]) => (
            <div key={key} style={{ display: 'contents' }}>
              <dt style={{ color: 'var(--bui-fg-secondary)' }}>{key}</dt>
              <dd style={{ margin: 0, wordBreak: 'break-all' }}>{value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <Text as="p" variant="body-small" color="secondary">
          {props.empty}
        </Text>
      )}
    </section>
  );
}
