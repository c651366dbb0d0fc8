/** Records alerts; every channel of the alert "delivers" unless listed in `failingChannels`. */
import type { Alert, AlertDelivery, Clock, Notifier } from '../ports.js';
import { FaultInjector } from './faults.js';

export class FakeNotifier implements Notifier {
  readonly alerts: Alert[] = [];
  readonly failingChannels = new Set<string>();

  constructor(
    private readonly clock: Clock,
    readonly faults: FaultInjector = new FaultInjector(),
  ) {}

  async send(alert: Alert): Promise<AlertDelivery[]> {
    this.faults.hit('notifier.send', [alert]);
    this.alerts.push(structuredClone(alert));
    const at = this.clock.now().toISOString();
    return alert.channels.map((channel) =>
      this.failingChannels.has(channel)
        ? { channel, status: 'failed', attempts: 3, at, error: 'channel unavailable' }
        : { channel, status: 'sent', attempts: 1, at },
    );
  }

  ofKind(kind: Alert['kind']): Alert[] {
    return this.alerts.filter((a) => a.kind === kind);
  }
}
