import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { connectStation } from './api';
import { App } from './app/App';
import { StationProvider } from './app/station';
import { WorkplaceProvider } from './app/workplace';
import { DeskStateProvider } from './desk/DeskStateProvider';
import { FeedbackProvider } from './feedback/FeedbackProvider';
import { initI18n } from './i18n';
import { LabelJobsProvider } from './labels/LabelJobsProvider';
import { GateProvider } from './screens/gate/GateProvider';
import { SessionProvider } from './screens/operators/SessionProvider';
import './styles.css';

const i18n = initI18n();
const client = connectStation();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <StationProvider client={client}>
        <SessionProvider>
          <DeskStateProvider>
            <FeedbackProvider>
              <WorkplaceProvider>
                <GateProvider>
                  <LabelJobsProvider>
                    <App />
                  </LabelJobsProvider>
                </GateProvider>
              </WorkplaceProvider>
            </FeedbackProvider>
          </DeskStateProvider>
        </SessionProvider>
      </StationProvider>
    </I18nextProvider>
  </StrictMode>,
);
