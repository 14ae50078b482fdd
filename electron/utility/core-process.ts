/**
 * The core's home in the desktop app: the entry `utilityProcess.fork` runs. It owns the database
 * off the window's and the main process's threads, and serves the wire protocol on every
 * MessagePort the main process hands it. Like the rest of the core it never imports electron:
 * the few members of Electron's ports it uses are typed here.
 */
import { StationCore } from '../core/core';
import { StorageKeyError } from '../core/db/cipher';
import { classifyStorageError } from '../core/db/database';
import { DatabaseFromTheFutureError } from '../core/db/migrations';
import { createLogger } from '../core/log';
import { openWireSession, type WireSession } from '../core/transport';
import { hostToCoreSchema, type CoreToHost, type HostToCore, type StartupFailure, type StartupFailureCode } from './core-protocol';

const log = createLogger('core-process');

/** Electron's MessagePortMain, as far as this process uses it. */
export type ClientPort = {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
};

/** Electron's `process.parentPort` in a utility process. */
export type ParentPort = {
  on(event: 'message', listener: (event: { data: unknown; ports: ClientPort[] }) => void): unknown;
  postMessage(message: CoreToHost): void;
};

export type CoreProcess = {
  /** Finishes every change already accepted, closes the database, then exits. */
  shutdown(): Promise<void>;
};

type Client = { port: ClientPort; session: WireSession };

export function runCoreProcess(parent: ParentPort, exit: (code: number) => void = (code) => process.exit(code)): CoreProcess {
  let core: StationCore | null = null;
  let closing: Promise<void> | null = null;
  const clients = new Set<Client>();

  const attach = (port: ClientPort): void => {
    if (!core || closing) {
      port.close();
      return;
    }
    const client: Client = { port, session: openWireSession(core, (message) => port.postMessage(message)) };
    clients.add(client);
    port.on('message', (event) => {
      // After shutdown begins nothing new is accepted: the caller gets host.unreachable, not a lost write.
      if (!closing) client.session.receive(event.data);
    });
    port.on('close', () => {
      client.session.close();
      clients.delete(client);
    });
    port.start();
  };

  const open = ({ dataDir, dataKey, devices, hqUrl }: Extract<HostToCore, { type: 'open' }>): void => {
    if (core) {
      log.warn('open received twice; the database is already open');
      return;
    }
    try {
      core = new StationCore({ dataDir, dataKey: Buffer.from(dataKey, 'hex'), devices, upload: { start: true, hqUrl } });
      parent.postMessage({ type: 'ready' });
    } catch (err) {
      log.error({ err }, 'core failed to start');
      parent.postMessage({ type: 'fatal', error: startupFailure(err) });
    }
  };

  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      if (core) {
        // The writer commits in arrival order, so once this empty change has committed every
        // change accepted before it has too; one more turn lets their answers go out.
        await core.writer.run(() => undefined).catch(() => undefined);
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (const client of clients) {
          client.session.close();
          client.port.close();
        }
        clients.clear();
        core.close();
        log.info('core closed');
      }
      exit(0);
    })();
    return closing;
  };

  parent.on('message', (event) => {
    const parsed = hostToCoreSchema.safeParse(event.data);
    if (!parsed.success) {
      log.warn('malformed message from the host');
      for (const port of event.ports) port.close();
      return;
    }
    const message = parsed.data;
    if (message.type === 'open') {
      open(message);
      for (const port of event.ports) attach(port);
    } else {
      void shutdown();
    }
  });

  return { shutdown };
}

function startupFailure(err: unknown): StartupFailure {
  if (err instanceof StorageKeyError && (err.code === 'storage.keyWrong' || err.code === 'storage.plain')) return { code: err.code };
  if (err instanceof DatabaseFromTheFutureError) {
    return { code: 'storage.newerVersion', params: { found: err.found, supported: err.supported } };
  }
  const code = classifyStorageError(err)?.code;
  return { code: code !== undefined && isStartupFailureCode(code) ? code : 'internal' };
}

function isStartupFailureCode(code: string): code is StartupFailureCode {
  return code === 'storage.full' || code === 'storage.readonly' || code === 'storage.corrupt' || code === 'storage.busy';
}

const { parentPort } = process as unknown as { parentPort?: ParentPort | null };
if (parentPort) {
  const running = runCoreProcess(parentPort);
  process.once('SIGTERM', () => void running.shutdown());
}
