/**
 * The Electron side of the unattended sentinel: while the station works as one, its window is a
 * kiosk (full screen, no way out but the site admin's screens), and a core that fails is started
 * again by itself after a pause, with no dialog: nobody stands at a sentinel to press "retry".
 * Elsewhere a failure is staff's to see (`core-failure.main.ts`).
 */
import type { BrowserWindow } from 'electron';
import type { Workplace } from '../api/gate';
import type { WireEvent } from '../api/wire';
import { createLogger } from '../core/log';

const log = createLogger('sentinel');

/** How long a failed core rests before a sentinel starts it again. */
export const SENTINEL_RETRY_MS = 30_000;

export type SentinelWindowHost = {
  window(): BrowserWindow | null;
  /** Asks the core what the station works as (`station.workplace`). */
  askWorkplace(): Promise<Workplace | null>;
  retryCore(): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
};

export class SentinelMode {
  private workplace: Workplace | null = null;
  private retrying = false;

  constructor(private readonly host: SentinelWindowHost) {}

  /** Whether nobody is there to answer a dialog. */
  unattended(): boolean {
    return this.workplace === 'sentinel';
  }

  /** Every event from the core passes here: the workplace may have changed. */
  observe(event: WireEvent): void {
    if (event.type === 'event' && event.event === 'station.workplace') this.adopt(event.payload.workplace);
  }

  /** The core is up (first start or a restart): what it works as now. */
  async learn(): Promise<void> {
    const workplace = await this.host.askWorkplace();
    if (workplace) this.adopt(workplace);
  }

  /** A window made after the workplace was known. */
  applyTo(window: BrowserWindow | null): void {
    if (!window || window.isDestroyed()) return;
    window.setKiosk(this.unattended());
  }

  /**
   * The core failed for good: at a sentinel it is started again after a pause (and again, for as
   * long as it fails; each failure is logged). Returns false where staff are to be asked instead.
   */
  coreFailed(): boolean {
    if (!this.unattended()) return false;
    if (this.retrying) return true;
    this.retrying = true;
    log.error({ retryInMs: SENTINEL_RETRY_MS }, 'core failed at an unattended sentinel: starting it again without asking');
    const schedule = this.host.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    schedule(() => {
      this.retrying = false;
      this.host.retryCore();
    }, SENTINEL_RETRY_MS);
    return true;
  }

  private adopt(workplace: Workplace): void {
    if (workplace === this.workplace) return;
    this.workplace = workplace;
    log.info({ workplace }, 'station works as');
    this.applyTo(this.host.window());
  }
}
