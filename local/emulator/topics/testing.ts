/**
 * Test helper: serves a topics module on its own HTTPS origin built from the emulator core (router, origin
 * server, generated CA), for tests that run without the whole emulator.
 */
import { Clock } from '../core/clock.js';
import { FaultInjector } from '../core/faults.js';
import { RequestLog } from '../core/request-log.js';
import { Router } from '../core/router.js';
import { OriginServer } from '../core/server.js';
import { Timers } from '../core/timers.js';
import { emulatorTls } from '../core/tls.js';
import { createTopicsModule, type TopicDeclaration, type TopicsModule } from './index.js';

export interface ServedTopics {
  topics: TopicsModule;
  origin: string;
  caCert: string;
  stop(): Promise<void>;
}

export async function serveTopics(declarations: TopicDeclaration[] = []): Promise<ServedTopics> {
  const tls = await emulatorTls();
  const clock = new Clock();
  let origin = '';
  const topics = createTopicsModule({ clock, origin: () => origin }, declarations);
  const router = new Router().addAll(topics.controlRoutes, 'control').addAll(topics.routes, 'topics');
  const timers = new Timers();
  const server = await OriginServer.listen({
    server: 'emulator',
    name: 'emulator',
    router,
    tls,
    clock,
    faults: new FaultInjector(),
    log: new RequestLog(),
    timers,
    bodyLimitBytes: 1024 * 1024,
  });
  origin = server.origin;
  return {
    topics,
    origin,
    caCert: tls.caCert,
    stop: async () => {
      timers.cancelAll();
      await server.close();
    },
  };
}
