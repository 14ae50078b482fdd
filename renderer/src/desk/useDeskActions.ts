import { useCallback, useMemo } from 'react';
import type { Capacity, Result, ScanOutcome, ScanSource } from '../../../electron/api/contract';
import { useStation } from '../app/station';
import type { Message } from '../feedback/feedback';
import { useFeedback } from '../feedback/FeedbackProvider';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';

const m = (key: string, params?: Record<string, string | number>): Message => ({ key: `desk:${key}`, params });

/**
 * Every desk action: calls the core, then gives the outcome as banner + sound. Returns whether
 * the core accepted, so dialogs know when to close.
 */
export function useDeskActions() {
  const client = useStation();
  const { show } = useFeedback();
  const { t, language } = useStationTranslation('desk');

  const mode = useCallback((capacity: Capacity) => (capacity === 1 ? t('tube.capacitySingle') : t('tube.capacity', { capacity })), [t]);

  const showOutcome = useCallback(
    (outcome: ScanOutcome) => {
      switch (outcome.kind) {
        case 'tube.opened':
          show(
            'info',
            m('outcome.tubeOpened', { code: outcome.tubeCode }),
            outcome.sealedPrevious ? m('outcome.sealedPrevious', { code: outcome.sealedPrevious }) : null,
            outcome.voidedPrevious ? m('outcome.voidedPrevious', { code: outcome.voidedPrevious }) : null,
            outcome.capacity === 1 ? m('outcome.tubeOpenedDetailSingle') : m('outcome.tubeOpenedDetail', { capacity: outcome.capacity }),
          );
          return;
        case 'person.bound': {
          const params = { label: outcome.person.label, count: outcome.count, capacity: outcome.capacity, code: outcome.tubeCode };
          if (outcome.tubeSealed) show('full', m('outcome.full', params), m('outcome.fullDetail', params));
          else show('accepted', m('outcome.bound', params), m('outcome.boundDetail', params));
          return;
        }
        case 'person.needsConfirmation': {
          const { pending } = outcome;
          show(
            'confirm',
            m('outcome.needsConfirmation', { label: pending.person.label }),
            pending.previousTubeCode
              ? m('outcome.needsConfirmationDetail', { code: pending.previousTubeCode, time: formatTime(pending.previousBoundAt, language) })
              : m('outcome.needsConfirmationDetailElsewhere', { station: pending.previousStation ?? '', time: formatTime(pending.previousBoundAt, language) }),
          );
          return;
        }
        case 'operator.pinNeeded':
          // The sign-in screen asks for their PIN (SessionProvider); the banner says why it came up.
          show('info', m('outcome.operatorPinNeeded', { name: outcome.operator.name, code: outcome.operator.code }));
          return;
      }
    },
    [show, language],
  );

  const run = useCallback(
    async <T,>(call: Promise<Result<T>>, onValue: (value: T) => void): Promise<boolean> => {
      const result = await call;
      if (!result.ok) {
        show('rejected', m('outcome.rejected'), { error: result.error });
        return false;
      }
      onValue(result.value);
      return true;
    },
    [show],
  );

  /** A scan from a serial or HID scanner: the core already ran it; show it like a typed one. */
  const showDeviceScan = useCallback(
    (result: Result<ScanOutcome>) => {
      if (result.ok) showOutcome(result.value);
      else show('rejected', m('outcome.rejected'), { error: result.error });
    },
    [show, showOutcome],
  );

  return useMemo(
    () => ({
      showDeviceScan,
      submitScan: (text: string, source: ScanSource) => run(client.call('scan.submit', { text, source }), showOutcome),
      newTube: () => run(client.call('tube.new', {}), showOutcome),
      seal: () => run(client.call('tube.seal', {}), (tube) => show('full', m('outcome.sealed', { code: tube.code }), m('outcome.sealedDetail', { count: tube.count }))),
      undo: (reason: string) =>
        run(client.call('binding.undo', { reason }), (undone) =>
          show(
            'info',
            m('outcome.undone', { label: undone.person.label }),
            m(undone.tubeReopened ? 'outcome.undoneReopened' : 'outcome.undoneDetail', { code: undone.tubeCode, count: undone.count }),
          ),
        ),
      voidTube: (tubeCode: string, reason: string) =>
        run(client.call('tube.void', { tubeCode, reason }), (tube) => show('info', m('outcome.voided', { code: tube.code }), m('outcome.voidedDetail', { reason }))),
      confirm: (token: string) => run(client.call('binding.confirm', { token }), showOutcome),
      bindResident: (ref: string) => run(client.call('desk.bindResident', { ref }), showOutcome),
      cancel: (token: string, label: string) => run(client.call('binding.cancel', { token }), () => show('info', m('outcome.cancelled', { label }))),
      setCapacity: (capacity: Capacity) =>
        run(client.call('desk.setCapacity', { capacity }), () =>
          show('info', capacity === 1 ? m('outcome.capacitySetSingle') : m('outcome.capacitySet', { capacity }), m('outcome.capacitySetDetail')),
        ),
      search: (query: string) => client.call('tube.search', { query }),
      mode,
    }),
    [client, run, showOutcome, showDeviceScan, show, mode],
  );
}

export type DeskActions = ReturnType<typeof useDeskActions>;
