/**
 * The notifications module for the image-freshness backend plugin: owners
 * hear when an entity's image turns stale or a rebuild becomes due.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleNotifications as default } from './module';
export { NOTIFICATIONS_TASK } from './module';
export {
  readNotificationsConfig,
  type NotificationsConfig,
  type TransitionKind,
} from './config';
export { OwnerNotifier, type NotifierRunSummary } from './OwnerNotifier';
export {
  KnexTransitionStore,
  type NotifiedTransition,
  type TransitionKey,
  type TransitionStore,
} from './TransitionStore';
