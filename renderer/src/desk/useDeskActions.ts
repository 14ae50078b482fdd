import { useCallback, useMemo } from 'react';
import type { ApiError, Capacity, Result, ScanOutcome, ScanSource } from '../../../electron/api/contract';
import { useStation } from '../app/station';
import { useFeedback } from '../feedback/FeedbackProvider';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';

/**
 * Every desk action: calls the core, then gives the outcome as banner + sound. Returns whether
 * the core accepted, so dialogs know when to close.
 */
export function useDeskActions() {
  const client = useStation();
  const { show } = useFeedback();
  const { t, errorText, language } = useStationTranslation('desk');

  const mode = useCallback((capacity: Capacity) => (capacity === 1 ? t('tube.capacitySingle') : t('tube.capacity', { capacity })), [t]);

  const rejected = useCallback((error: ApiError) => show('rejected', t('outcome.rejected'), errorText(error)), [show, t, errorText]);

  const showOutcome = useCallback(
    (outcome: ScanOutcome) => {
      switch (outcome.kind) {
        case 'tube.opened': {
          const notes = [
            outcome.sealedPrevious ? t('outcome.sealedPrevious', { code: outcome.sealedPrevious }) : null,
            outcome.voidedPrevious ? t('outcome.voidedPrevious', { code: outcome.voidedPrevious }) : null,
            t('outcome.tubeOpenedDetail', { mode: mode(outcome.capacity) }),
          ];
          show('info', t('outcome.tubeOpened', { code: outcome.tubeCode }), notes.filter(Boolean).join(' '));
          return;
        }
        case 'person.bound': {
          const params = { label: outcome.person.label, count: outcome.count, capacity: outcome.capacity, code: outcome.tubeCode };
          if (outcome.tubeSealed) show('full', t('outcome.full', params), t('outcome.fullDetail', params));
          else show('accepted', t('outcome.bound', params), t('outcome.boundDetail', params));
          return;
        }
        case 'person.needsConfirmation': {
          const { pending } = outcome;
          show(
            'confirm',
            t('outcome.needsConfirmation', { label: pending.person.label }),
            t('outcome.needsConfirmationDetail', { code: pending.previousTubeCode, time: formatTime(pending.previousBoundAt, language) }),
          );
          return;
        }
        case 'operator.switched':
          show('info', t('outcome.operatorSwitched', { name: outcome.operator.name, code: outcome.operator.code }));
          return;
      }
    },
    [show, t, mode, language],
  );

  const run = useCallback(
    async <T>(call: Promise<Result<T>>, onValue: (value: T) => void): Promise<boolean> => {
      const result = await call;
      if (!result.ok) {
        rejected(result.error);
        return false;
      }
      onValue(result.value);
      return true;
    },
    [rejected],
  );

  return useMemo(
    () => ({
      submitScan: (text: string, source: ScanSource) => run(client.call('scan.submit', { text, source }), showOutcome),
      newTube: () => run(client.call('tube.new', {}), showOutcome),
      seal: () =>
        run(client.call('tube.seal', {}), (tube) =>
          show('full', t('outcome.sealed', { code: tube.code }), t('outcome.sealedDetail', { count: tube.count })),
        ),
      undo: (reason: string) =>
        run(client.call('binding.undo', { reason }), (undone) =>
          show(
            'info',
            t('outcome.undone', { label: undone.person.label }),
            t(undone.tubeReopened ? 'outcome.undoneReopened' : 'outcome.undoneDetail', { code: undone.tubeCode, count: undone.count }),
          ),
        ),
      voidTube: (tubeCode: string, reason: string) =>
        run(client.call('tube.void', { tubeCode, reason }), (tube) =>
          show('info', t('outcome.voided', { code: tube.code }), t('outcome.voidedDetail', { reason })),
        ),
      confirm: (token: string) => run(client.call('binding.confirm', { token }), showOutcome),
      cancel: (token: string, label: string) => run(client.call('binding.cancel', { token }), () => show('info', t('outcome.cancelled', { label }))),
      setCapacity: (capacity: Capacity) =>
        run(client.call('desk.setCapacity', { capacity }), () => show('info', t('outcome.capacitySet', { mode: mode(capacity) }), t('outcome.capacitySetDetail'))),
      search: (query: string) => client.call('tube.search', { query }),
      mode,
    }),
    [client, run, showOutcome, show, t, mode],
  );
}

export type DeskActions = ReturnType<typeof useDeskActions>;
