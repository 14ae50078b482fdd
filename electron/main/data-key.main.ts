/**
 * The data key under Electron (see `core/vault`): kept by the OS's key store through `safeStorage`
 * when the OS has a real one. On Linux without one (`basic_text`: Chromium would "encrypt" with a
 * key written in its own source), Station does not pretend: a site admin's passphrase protects the
 * key, asked for in the unlock window at every start, and chosen there on the first.
 */
import { dialog, safeStorage } from 'electron';
import { StorageKeyError, type DataKey } from '../core/db/cipher';
import { createLogger } from '../core/log';
import { planDataKey } from '../core/vault/vault';
import type { OsKeyStore } from '../core/vault/wrapped-key';
import type { UnlockMode } from '../api/unlock';

const log = createLogger('data-key');

/** The OS's key store, or null when it has none worth the name. After `app` is ready. */
export async function osKeyStore(platform: NodeJS.Platform = process.platform): Promise<OsKeyStore | null> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return null;
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return null;
  return {
    encrypt: (plain) => safeStorage.encryptStringAsync(plain),
    decrypt: async (wrapped) => (await safeStorage.decryptStringAsync(wrapped)).result,
  };
}

/** Asks for a passphrase until `attempt` takes one; null when the admin closes the window instead. */
export type PassphrasePrompt = (mode: UnlockMode, attempt: (passphrase: string) => Promise<DataKey>) => Promise<DataKey | null>;

const KEY_ERRORS: Record<StorageKeyError['code'], string> = {
  'storage.locked':
    '找不到本机数据的密钥（密钥文件或系统密钥库缺失）。请联系管理员。\nThe key to this station’s data is missing (its key file or the system key store is gone). Ask the site admin.',
  'storage.keyWrong': '系统密钥库打不开本机数据的密钥（可能换了用户或机器）。请联系管理员。\nThe system key store cannot open this station’s key (another user or machine?). Ask the site admin.',
  'storage.keyFileUnsafe': '密钥文件可被其他用户读取，已拒绝使用。请联系管理员。\nThe key file can be read by other users and was refused. Ask the site admin.',
  'storage.keyFileInvalid': '密钥文件已损坏。请联系管理员。\nThe key file is damaged. Ask the site admin.',
  'storage.passphraseTooShort': '口令太短。\nThe passphrase is too short.',
  'storage.plain': '数据库未加密。请联系管理员。\nThe database is not encrypted. Ask the site admin.',
};

/**
 * The data key for `dataDir`, or null when the app should quit (the unlock window was closed, or
 * the key cannot be had: said in a dialog first).
 */
export async function unlockDataKey(dataDir: string, prompt: PassphrasePrompt, store: OsKeyStore | null): Promise<DataKey | null> {
  try {
    const plan = await planDataKey(dataDir, { osStore: store, create: store ? 'os' : 'passphrase' });
    if (plan.kind === 'ready') {
      log.info({ source: plan.source }, 'data key unlocked');
      return plan.key;
    }
    const key = plan.kind === 'passphrase' ? await prompt('unlock', plan.unlock) : await prompt('create', plan.create);
    if (key) log.info('data key unlocked with the passphrase');
    return key;
  } catch (err) {
    if (!(err instanceof StorageKeyError)) throw err;
    log.error({ code: err.code }, 'data key unavailable');
    await dialog.showMessageBox({ type: 'error', title: 'Station', message: KEY_ERRORS[err.code], detail: err.code, buttons: ['退出 Quit'], noLink: true });
    return null;
  }
}
