import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { app, BrowserWindow, dialog, utilityProcess } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
};

const argv = process.argv;
beforeAll(async () => {
  process.argv = ['/opt/Station/station'];
  // A core that finds its data folder read-only.
  utilityProcess.program = (parent, exit) =>
    parent.on('message', (event) => {
      if ((event.data as { type: string }).type === 'shutdown') return exit(0);
      parent.postMessage({ type: 'fatal', error: { code: 'storage.readonly' } });
    });
  dialog.showMessageBox.mockResolvedValueOnce({ response: 0 }).mockResolvedValueOnce({ response: 1 });
  await import('../../../electron/main/main.js');
});
afterAll(() => {
  process.argv = argv;
});

it('uses data/ in the Station app-data folder when no --data is given', async () => {
  app.becomeReady();
  await until(() => utilityProcess.children.length === 1);
  expect(utilityProcess.children[0]?.received[0]).toEqual({ type: 'open', dataDir: '/tmp/station-fake-appdata/Station/data', dataKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
});

it('shows a core that cannot open its database to staff, in both languages, and lets them retry or quit', async () => {
  await until(() => dialog.showMessageBox.mock.calls.length === 1);
  const [parent, options] = dialog.showMessageBox.mock.calls[0] as [unknown, { type: string; message: string; detail: string; buttons: string[] }];
  expect(parent).toBe(BrowserWindow.instances[0]);
  expect(options.type).toBe('error');
  expect(options.message).toMatch(/数据文件夹无法写入/);
  expect(options.message).toMatch(/data folder cannot be written/);
  expect(options.detail).toBe('storage.readonly');
  expect(options.buttons).toHaveLength(2);

  // Retry starts a fresh core process; it fails the same way, and this time staff quit.
  await until(() => utilityProcess.children.length === 2);
  await until(() => dialog.showMessageBox.mock.calls.length === 2);
  await until(() => app.quit.mock.calls.length > 0);
  expect(utilityProcess.children).toHaveLength(2);
});
