/**
 * What staff see when the core cannot run: a native dialog (it works even when the page
 * cannot load), in both of the app's languages, saying what happened and what to do.
 */
import { dialog, type BrowserWindow, type MessageBoxOptions } from 'electron';
import type { StartupFailureCode } from '../utility/core-protocol';
import type { CoreHostState } from './core-host.main';

type FailedState = Extract<CoreHostState, { kind: 'failed' }>;

const STARTUP_MESSAGES: Record<StartupFailureCode, string> = {
  'storage.full': '磁盘已满，数据无法保存。请清理磁盘空间后重试。\nThe disk is full; nothing can be saved. Free some disk space, then retry.',
  'storage.readonly': '数据文件夹无法写入。请检查权限后重试。\nThe data folder cannot be written to. Check its permissions, then retry.',
  'storage.corrupt': '数据库已损坏。请勿继续使用本机，联系管理员恢复数据。\nThe database is damaged. Stop using this station and ask the site admin to restore it.',
  'storage.busy': '数据库正被另一个程序使用。请关闭它后重试。\nThe database is in use by another program. Close it, then retry.',
  'storage.newerVersion': '数据库由更新版本的 Station 创建。请安装最新版本。\nThe database was written by a newer version of Station. Install the latest version.',
  'storage.keyWrong':
    '本机的密钥打不开这个数据库（数据文件夹可能来自另一台机器）。请联系管理员。\nThis station’s key does not open the database (the data folder may come from another machine). Ask the site admin.',
  'storage.plain': '数据库未加密，可能是手工放回的副本。请联系管理员。\nThe database is not encrypted: it may be a copy put back by hand. Ask the site admin.',
  internal: '数据服务无法启动。\nThe data service could not start.',
};

const CRASHED_MESSAGE = '数据服务多次意外停止，暂时无法扫码。\nThe data service stopped unexpectedly several times; scanning is unavailable.';

export function coreFailureMessage(state: FailedState): MessageBoxOptions {
  const { cause } = state;
  const message = cause.kind === 'startup' ? STARTUP_MESSAGES[cause.failure.code] : CRASHED_MESSAGE;
  const detail =
    cause.kind === 'startup'
      ? [cause.failure.code, ...Object.entries(cause.failure.params ?? {}).map(([key, value]) => `${key}=${value}`)].join(' ')
      : `crashes=${cause.count}`;
  return {
    type: 'error',
    title: 'Station',
    message,
    detail,
    buttons: ['重试 Retry', '退出 Quit'],
    defaultId: 0,
    cancelId: 1,
    noLink: true,
  };
}

/** Shows the failure and answers whether staff chose to retry. */
export async function askRetryAfterCoreFailure(window: BrowserWindow | null, state: FailedState): Promise<boolean> {
  const options = coreFailureMessage(state);
  const { response } = window && !window.isDestroyed() ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options);
  return response === 0;
}
