/** The unlock window's page (Electron only, `electron/main/unlock.main.ts`). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import type { UnlockApi } from '../../../electron/api/unlock';
import { initI18n } from '../i18n';
import { UnlockScreen } from './UnlockScreen';
import '../styles.css';

declare global {
  // Declaration merging with the DOM's Window needs an interface.
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions
  interface Window {
    /** Present only in the unlock window (electron/preload/unlock.preload.ts). */
    stationUnlock?: UnlockApi;
  }
}

const i18n = initI18n();
const root = document.getElementById('root');
if (!root) throw new Error('unlock.html has no #root');
const api = window.stationUnlock;
if (!api) throw new Error('the unlock page runs only in the unlock window');

createRoot(root).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <UnlockScreen api={api} />
    </I18nextProvider>
  </StrictMode>,
);
