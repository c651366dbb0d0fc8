export { ALERT_WEBHOOK_TYPES, type AlertWebhookBody, alertWebhookBody, sendToChannel } from './deliver.js';
export { createNotifier, type NotifierDeps } from './notifier.js';
export { channelWants, type RoutedChannel, routeAlert } from './routing.js';
