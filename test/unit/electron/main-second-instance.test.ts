import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { app, BrowserWindow, utilityProcess } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

beforeAll(async () => {
  app.singleInstance = false;
  await import('../../../electron/main/main.js');
});
afterAll(() => {
  app.singleInstance = true;
});

it('a second instance of the app quits at once and starts nothing', async () => {
  app.becomeReady();
  await new Promise((resolve) => setImmediate(resolve));
  expect(app.quit).toHaveBeenCalled();
  expect(BrowserWindow.instances).toHaveLength(0);
  expect(utilityProcess.children).toHaveLength(0);
});
