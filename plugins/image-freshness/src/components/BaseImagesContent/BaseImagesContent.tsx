import { InfoCard } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';

/**
 * The "Base images" entity tab. Base discovery is not built yet; the tab says
 * what it will show.
 *
 * @public
 */
export function BaseImagesContent() {
  return (
    <InfoCard title="Base images">
      <Typography variant="body1" paragraph>
        This tab will show, for every image this entity runs, the base image it
        was built on and whether a rebuild is due.
      </Typography>
      <Typography variant="body2" component="ul">
        <li>the base image name and the digest the image was built on</li>
        <li>
          the digest the base tag points to now, and the newest allowed tag
        </li>
        <li>when the base moved and when the rebuild is (or was) due</li>
        <li>
          where the base was found: an OCI annotation, a config label, or the
          Dockerfile&apos;s FROM line
        </li>
      </Typography>
    </InfoCard>
  );
}
