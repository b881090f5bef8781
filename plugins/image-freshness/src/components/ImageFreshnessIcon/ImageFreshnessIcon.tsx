/**
 * The plugin's icon (a container with a clock), for the sidebar item; it
 * takes the text colour, like the sidebar's other icons.
 *
 * @public
 */
export function ImageFreshnessIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      width="1em"
      height="1em"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      style={{ fontSize: 24 }}
    >
      <path d="M21 10V7l-9-5-9 5v10l9 5 2-1.1" />
      <path d="M3 7l9 5 9-5M12 12v10" />
      <circle cx="18" cy="17" r="4" />
      <path d="M18 15.5V17l1 1" />
    </svg>
  );
}
