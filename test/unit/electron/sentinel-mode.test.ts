import { describe, expect, it, vi } from 'vitest';
import type { Workplace } from '../../../electron/api/gate';
import { SENTINEL_RETRY_MS, SentinelMode } from '../../../electron/main/sentinel.main';
import { BrowserWindow } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

function mode(initial: Workplace | null) {
  const window = new BrowserWindow({});
  const timers: { fn: () => void; ms: number }[] = [];
  const retryCore = vi.fn();
  const sentinel = new SentinelMode({
    window: () => window as never,
    askWorkplace: async () => initial,
    retryCore,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
  });
  return { window, timers, retryCore, sentinel };
}

const workplaceEvent = (workplace: Workplace) => ({ type: 'event' as const, event: 'station.workplace' as const, payload: { workplace, direction: 'in' as const } });

describe('the Electron window of a sentinel', () => {
  it('is a kiosk while the station works as a sentinel, and a window again when it does not', async () => {
    const m = mode('sentinel');
    await m.sentinel.learn();
    expect(m.window.kiosk).toBe(true);
    m.sentinel.observe(workplaceEvent('gate'));
    expect(m.window.kiosk).toBe(false);
    m.sentinel.observe(workplaceEvent('sentinel'));
    expect(m.window.kiosk).toBe(true);
    // A window made later (after the unlock window) is made a kiosk too.
    const later = new BrowserWindow({});
    m.sentinel.applyTo(later as never);
    expect(later.kiosk).toBe(true);
  });

  it('starts a failed core again by itself at a sentinel, once per failure; elsewhere staff are asked', async () => {
    const desk = mode('desk');
    await desk.sentinel.learn();
    expect(desk.sentinel.coreFailed()).toBe(false);
    expect(desk.timers).toEqual([]);

    const m = mode('sentinel');
    await m.sentinel.learn();
    expect(m.sentinel.coreFailed()).toBe(true);
    expect(m.sentinel.coreFailed()).toBe(true);
    expect(m.timers.map((t) => t.ms)).toEqual([SENTINEL_RETRY_MS]);
    m.timers[0]?.fn();
    expect(m.retryCore).toHaveBeenCalledTimes(1);
    // It fails again: another retry, for as long as it takes.
    expect(m.sentinel.coreFailed()).toBe(true);
    expect(m.timers).toHaveLength(2);
  });

  it('keeps what it knew when the core cannot say (a core that failed knows nothing)', async () => {
    const m = mode(null);
    m.sentinel.observe(workplaceEvent('sentinel'));
    await m.sentinel.learn();
    expect(m.sentinel.unattended()).toBe(true);
  });
});
