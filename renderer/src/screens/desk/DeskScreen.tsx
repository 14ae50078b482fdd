import { useEffect, useRef, useState } from 'react';
import { CapacitySelector } from '../../desk/CapacitySelector';
import { ConfirmDialog } from '../../desk/ConfirmDialog';
import { ConflictStrip } from '../../desk/ConflictStrip';
import { useDeskState } from '../../desk/DeskStateProvider';
import { ManualEntry } from '../../desk/ManualEntry';
import { ReasonDialog } from '../../desk/ReasonDialog';
import { ResidentSearch } from '../../desk/ResidentSearch';
import { TubeList } from '../../desk/TubeList';
import { TubePanel } from '../../desk/TubePanel';
import { TubeSearch } from '../../desk/TubeSearch';
import { useDeskActions } from '../../desk/useDeskActions';
import { useStation } from '../../app/station';
import { useStationTranslation } from '../../i18n';
import { useLabelJobs } from '../../labels/LabelJobsProvider';
import { PrintOnOpenToggle } from '../../labels/PrintOnOpenToggle';
import { PrintStrip, REPRINT_KEY } from '../../labels/PrintStrip';

type OpenDialog = 'undo' | 'void' | 'residents' | null;

/**
 * The sampling desk: the open tube, big, and everything else one key away (F2 new tube, F3
 * search, F4 seal, F5 find a resident in the roster, F6 reprint a label, F7 type a code, F8 undo, F9 void). Scans themselves need no focus at all:
 * the wedge listener catches them anywhere.
 */
export function DeskScreen() {
  const desk = useDeskState();
  const actions = useDeskActions();
  const { t } = useStationTranslation('desk');
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const client = useStation();
  const searchRef = useRef<HTMLInputElement>(null);
  const manualRef = useRef<HTMLInputElement>(null);
  const labels = useLabelJobs();
  // F6 reprints what did not print; with nothing pending, the open (else the latest) tube's label.
  const reprintTarget = desk?.openTube?.code ?? desk?.recentTubes[0]?.code ?? null;
  const reprintNow = labels.unprinted.length > 0 ? labels.reprintUnprinted : reprintTarget ? () => labels.reprint(reprintTarget) : null;

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      // F5 finds a resident here; in the kiosk browser it would otherwise reload the page.
      if (e.key === 'F5') e.preventDefault();
      if (e.defaultPrevented && e.key !== 'F5') return;
      if (document.querySelector('dialog[open]')) return;
      const keys: Record<string, () => void> = {
        F2: () => void actions.newTube(),
        F3: () => searchRef.current?.focus(),
        F5: () => setDialog('residents'),
        F4: () => void actions.seal(),
        [REPRINT_KEY]: () => void reprintNow?.(),
        F7: () => manualRef.current?.focus(),
        F8: () => setDialog('undo'),
        F9: () => setDialog('void'),
      };
      const action = keys[e.key];
      if (!action || e.ctrlKey || e.altKey || e.metaKey) return;
      e.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [actions, reprintNow]);

  // Serial and HID scanners reach the core directly; their outcomes get the same colour and sound.
  useEffect(() => client.on('scan.outcome', ({ result }) => actions.showDeviceScan(result)), [client, actions]);

  if (!desk) return <div className="loading">{t('common:connection.connectingBanner')}</div>;

  const lastMember = desk.openTube?.members[desk.openTube.members.length - 1];
  const lastTube = desk.openTube ?? desk.recentTubes[0];
  const undoSubject = lastTube
    ? lastMember
      ? t('reason.undoSubject', { code: lastTube.code, label: lastMember.person.label })
      : t('reason.undoSubjectTube', { code: lastTube.code })
    : '';
  const voidCandidate = desk.openTube?.code ?? desk.recentTubes.find((tube) => tube.state !== 'voided')?.code ?? '';

  return (
    <div className="desk">
      <div className="desk-main">
        <ConflictStrip conflicts={desk.conflicts} />
        <TubePanel desk={desk} mode={actions.mode} />
        <PrintStrip tubeCode={reprintTarget} />
        <section className="side-block" aria-labelledby="recent-heading">
          <h2 id="recent-heading" className="side-heading">
            {t('recent.heading')}
          </h2>
          {desk.recentTubes.length === 0 ? <p className="muted">{t('recent.empty')}</p> : <TubeList tubes={desk.recentTubes} testId="recent-tubes" onReprint={labels.settings?.hasPrinter ? (code) => void labels.reprint(code) : undefined} />}
        </section>
      </div>
      <aside className="desk-side">
        <div className="actions" role="toolbar" aria-label={t('title')}>
          <button type="button" className="btn btn-big btn-primary" data-testid="new-tube" onClick={() => void actions.newTube()}>
            {t('actions.newTube')} <kbd>F2</kbd>
          </button>
          <button type="button" className="btn btn-big" data-testid="seal" disabled={!desk.openTube} onClick={() => void actions.seal()}>
            {t('actions.seal')} <kbd>F4</kbd>
          </button>
          <button type="button" className="btn btn-big" data-testid="find-resident" onClick={() => setDialog('residents')}>
            {t('actions.residents')} <kbd>F5</kbd>
          </button>
          <button type="button" className="btn btn-big" data-testid="undo" onClick={() => setDialog('undo')}>
            {t('actions.undo')} <kbd>F8</kbd>
          </button>
          <button type="button" className="btn btn-big btn-danger-outline" data-testid="void" onClick={() => setDialog('void')}>
            {t('actions.void')} <kbd>F9</kbd>
          </button>
        </div>
        <CapacitySelector value={desk.capacity} onChange={(c) => void actions.setCapacity(c)} />
        <PrintOnOpenToggle />
        <ManualEntry inputRef={manualRef} onSubmit={(text) => actions.submitScan(text, 'manual')} />
        <TubeSearch inputRef={searchRef} search={actions.search} />
      </aside>
      <ResidentSearch open={dialog === 'residents'} onClose={() => setDialog(null)} onPick={(r) => void actions.bindResident(r.ref)} />
      <ConfirmDialog pending={desk.pending} onConfirm={(token) => void actions.confirm(token)} onCancel={(token, label) => void actions.cancel(token, label)} />
      <ReasonDialog kind="undo" open={dialog === 'undo'} subject={undoSubject} onSubmit={(reason) => actions.undo(reason)} onClose={() => setDialog(null)} />
      <ReasonDialog
        kind="void"
        open={dialog === 'void'}
        subject=""
        initialTubeCode={voidCandidate}
        onSubmit={(reason, code) => actions.voidTube(code, reason)}
        onClose={() => setDialog(null)}
      />
    </div>
  );
}
