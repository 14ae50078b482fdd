import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BoxSettings, BoxView } from '../../../../electron/api/boxes';
import type { ApiError, Result, ScanSource } from '../../../../electron/api/contract';
import { download } from '../../app/download';
import { useStation } from '../../app/station';
import { ManualEntry } from '../../desk/ManualEntry';
import { Modal } from '../../desk/Modal';
import type { Message } from '../../feedback/feedback';
import { useFeedback } from '../../feedback/FeedbackProvider';
import { useStationTranslation } from '../../i18n';
import { useScanCapture } from '../../scanner/ScanCapture';
import { useRefresh } from '../../upload/useRefresh';
import { useSession } from '../operators/SessionProvider';
import { BoxPanel } from './BoxPanel';
import { HandOverDialog } from './HandOverDialog';
import { BoxLists, QueueSetting } from './BoxLists';
import { RemoveTubeDialog } from './RemoveTubeDialog';
import './boxes.css';

const BOX_EVENTS = ['boxes.changed'] as const;
const m = (key: string, params?: Record<string, string | number>): Message => ({ key: `boxes:${key}`, params });

/** The box shown last, kept while staff look at another screen and come back. */
let shownBoxCode: string | null = null;

type Dialog = { kind: 'seal' } | { kind: 'remove'; tubeCode: string } | { kind: 'handOver' } | null;

/**
 * Boxing and hand-over (装箱交接): scan a box's code to open it (or resume it, or look at a sealed
 * one), scan sealed tubes into it, take one out with a reason, seal it with its counts (its label
 * prints), save or print its manifest, and hand it to a transporter, after which it is read-only.
 * Beside it: the end of the day's sealed tubes in no box and boxes not handed over, and the latest
 * boxes handed over with the lab's receipt. Every refusal is the core's, in words; nothing changes.
 */
export function BoxesScreen() {
  const client = useStation();
  const session = useSession();
  const { show } = useFeedback();
  const { t, errorText } = useStationTranslation('boxes');
  const [settings, setSettings] = useState<BoxSettings | null>(null);
  const [box, setBox] = useState<BoxView | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const manualRef = useRef<HTMLInputElement>(null);
  const mayBox = session.may('box.open');
  const mayPending = session.may('box.pending');

  const boxPattern = useMemo(() => {
    try {
      return settings ? new RegExp(settings.boxPattern, 'u') : null;
    } catch {
      return null;
    }
  }, [settings]);

  const say = useCallback((text: string, error = false) => setNotice({ text, error }), []);
  const refuse = useCallback((error: ApiError) => show('rejected', m('outcome.rejected'), { error }), [show]);
  const shown = useCallback((view: BoxView) => {
    shownBoxCode = view.code;
    setBox(view);
  }, []);

  // What is shown is kept fresh: another change here (a tube sealed at the desk changes no box; a
  // box changed by this screen's own call, or the lab's receipt arriving, does).
  const reload = useCallback(() => {
    void client.call('box.settings', {}).then((r) => r.ok && setSettings(r.value));
    const code = shownBoxCode;
    if (code) void client.call('box.state', { code }).then((r) => (r.ok ? setBox(r.value) : setBox(null)));
  }, [client]);
  useRefresh(reload, BOX_EVENTS);

  // With no box shown yet, the open box of this station (the newest), so boxing goes on where it was left.
  useEffect(() => {
    if (shownBoxCode || !mayPending) return;
    void client.call('box.pending', {}).then((r) => {
      const open = r.ok ? r.value.boxes.filter((b) => b.state === 'open').pop() : undefined;
      if (open && !shownBoxCode) void client.call('box.state', { code: open.code }).then((s) => s.ok && shown(s.value));
    });
  }, [client, mayPending, shown]);

  const run = useCallback(
    async <T,>(call: Promise<Result<T>>, onValue: (value: T) => void): Promise<boolean> => {
      const result = await call;
      if (!result.ok) {
        refuse(result.error);
        return false;
      }
      onValue(result.value);
      return true;
    },
    [refuse],
  );

  /** A box shown as it is (sealed, handed over, or for a role that does not box): what it is and what comes next. */
  const look = useCallback(
    (code: string) =>
      run(client.call('box.state', { code }), (view) => {
        shown(view);
        show('info', m('outcome.shown', { code }), m(`outcome.state.${view.state}`));
      }),
    [client, run, show, shown],
  );

  /** A box's code: opened (or resumed); a sealed or handed-over box is shown as it is. */
  const openBox = useCallback(
    async (code: string): Promise<boolean> => {
      setNotice(null);
      if (!mayBox) return look(code);
      const opened = await client.call('box.open', { code });
      if (!opened.ok) {
        if (opened.error.code === 'box.closed') return look(code);
        refuse(opened.error);
        return false;
      }
      const v = opened.value;
      shown(v);
      show('info', m(v.tubeCount === 0 ? 'outcome.opened' : 'outcome.resumed', { code }), m('outcome.openedDetail', { count: v.tubeCount, capacity: v.capacity }));
      return true;
    },
    [client, mayBox, look, show, shown, refuse],
  );

  const addTube = useCallback(
    (tubeCode: string): Promise<boolean> => {
      if (!box) {
        show('rejected', m('outcome.rejected'), m('scan.noBox', { code: tubeCode }));
        return Promise.resolve(false);
      }
      return run(client.call('box.addTube', { boxCode: box.code, tubeCode }), (view) => {
        shown(view);
        const full = view.tubeCount >= view.capacity;
        show(full ? 'full' : 'accepted', m('outcome.added', { code: tubeCode, count: view.tubeCount, capacity: view.capacity }), m(full ? 'outcome.addedFull' : 'outcome.addedDetail', { code: view.code, people: view.personCount }));
      });
    },
    [box, client, run, show, shown],
  );

  /** A scan or a typed code: a badge signs in, the site's box code opens its box, anything else goes into the box shown. */
  const submit = useCallback(
    (text: string, source: ScanSource): Promise<boolean> => {
      const code = text.trim();
      if (code === '') return Promise.resolve(false);
      if (session.isBadge(code)) return session.identify(code, source).then(() => true);
      if (boxPattern?.test(code)) return openBox(code);
      return addTube(code);
    },
    [session, boxPattern, openBox, addTube],
  );
  useScanCapture((text, source) => void submit(text, source));

  const printLabel = useCallback(
    async (code: string) => {
      const r = await client.call('box.printLabel', { code });
      if (!r.ok) return say(errorText(r.error), true);
      if (r.value.printed) say(t('print.labelPrinted', { code }));
      else say(t('print.labelFailed', { code, fault: t(`labels:printer.fault.${r.value.fault ?? 'printer-error'}`) }), true);
    },
    [client, say, t, errorText],
  );

  const seal = async () => {
    if (!box) return;
    setDialog(null);
    const ok = await run(client.call('box.seal', { code: box.code }), (view) => {
      shown(view);
      show('full', m('outcome.sealed', { code: view.code }), m('outcome.sealedDetail', { tubes: view.tubeCount, people: view.personCount }));
    });
    if (ok) await printLabel(box.code);
  };

  const saveManifest = async (code: string) => {
    const r = await client.call('box.manifest', { code });
    if (!r.ok) return say(errorText(r.error), true);
    download(r.value.fileName, 'application/pdf', r.value.pdfBase64);
    say(t('print.manifestSaved', { file: r.value.fileName }));
  };

  const printManifest = async (code: string) => {
    const r = await client.call('box.printManifest', { code });
    if (!r.ok) return say(errorText(r.error), true);
    const queue = r.value.queue ?? t('print.defaultQueue');
    say(r.value.requestId ? t('print.manifestSentJob', { code, queue, job: r.value.requestId }) : t('print.manifestSent', { code, queue }));
  };

  // F4 seals the open box, F7 takes a typed code; nothing while a dialog is open.
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || document.querySelector('dialog[open]')) return;
      if (e.key === 'F4' && box?.state === 'open' && box.tubeCount > 0 && mayBox) {
        e.preventDefault();
        setDialog({ kind: 'seal' });
      } else if (e.key === 'F7') {
        e.preventDefault();
        manualRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [box, mayBox]);

  const sealed = box !== null && box.state !== 'open';
  return (
    <div className="boxes" data-testid="boxes-screen">
      <div className="boxes-main">
        <div className="boxes-notice" role="status" data-testid="boxes-notice" data-error={notice?.error ? 'true' : 'false'}>
          {notice?.text ?? ''}
        </div>
        <BoxPanel box={box} mayRemove={mayBox} onRemove={(tubeCode) => setDialog({ kind: 'remove', tubeCode })} />
      </div>
      <aside className="boxes-side">
        <div className="actions" role="toolbar" aria-label={t('title')}>
          {mayBox ? (
            <button
              type="button"
              className="btn btn-big btn-primary"
              data-testid="box-seal"
              disabled={box?.state !== 'open' || box.tubeCount === 0}
              onClick={() => setDialog({ kind: 'seal' })}
            >
              {t('actions.seal')} <kbd>F4</kbd>
            </button>
          ) : null}
          <button type="button" className="btn btn-big" data-testid="box-hand-over" disabled={box?.state !== 'sealed'} onClick={() => setDialog({ kind: 'handOver' })}>
            {t('actions.handOver')}
          </button>
          {mayBox ? (
            <button type="button" className="btn btn-big" data-testid="box-print-label" disabled={!sealed} onClick={() => box && void printLabel(box.code)}>
              {t('actions.printLabel')}
            </button>
          ) : null}
          <button type="button" className="btn btn-big" data-testid="box-save-manifest" disabled={!sealed} onClick={() => box && void saveManifest(box.code)}>
            {t('actions.saveManifest')}
          </button>
          <button type="button" className="btn btn-big" data-testid="box-print-manifest" disabled={!sealed} onClick={() => box && void printManifest(box.code)}>
            {t('actions.printManifest')}
          </button>
        </div>
        <BoxLists shownCode={box?.code ?? null} onPick={(code) => void run(client.call('box.state', { code }), shown)} />
        <ManualEntry inputRef={manualRef} onSubmit={(text) => submit(text, 'manual')} />
        {settings ? <QueueSetting settings={settings} onSaved={setSettings} /> : null}
      </aside>
      <Modal open={dialog?.kind === 'seal'} onCancel={() => setDialog(null)} labelledBy="box-seal-title">
        {box && dialog?.kind === 'seal' ? (
          <form
            className="modal-body"
            data-testid="box-seal-dialog"
            onSubmit={(e) => {
              e.preventDefault();
              void seal();
            }}
          >
            <h2 id="box-seal-title">{t('seal.title', { code: box.code })}</h2>
            <p className="boxes-seal-counts">{t('seal.counts', { tubes: box.tubeCount, people: box.personCount })}</p>
            <p className="muted">{t('seal.hint')}</p>
            <div className="modal-actions">
              <button type="submit" className="btn btn-primary" data-testid="box-seal-confirm" data-autofocus>
                {t('seal.submit')}
              </button>
              <button type="button" className="btn" onClick={() => setDialog(null)}>
                {t('actions.cancel')}
              </button>
            </div>
          </form>
        ) : null}
      </Modal>
      <RemoveTubeDialog
        target={box && dialog?.kind === 'remove' ? { boxCode: box.code, tubeCode: dialog.tubeCode } : null}
        onClose={() => setDialog(null)}
        onRemove={(reason) =>
          box && dialog?.kind === 'remove'
            ? run(client.call('box.removeTube', { boxCode: box.code, tubeCode: dialog.tubeCode, reason }), (view) => {
                shown(view);
                show('info', m('outcome.removed', { code: dialog.tubeCode }), m('outcome.removedDetail', { reason, count: view.tubeCount, capacity: view.capacity }));
              })
            : Promise.resolve(false)
        }
      />
      <HandOverDialog
        box={dialog?.kind === 'handOver' ? box : null}
        boxPattern={boxPattern}
        onClose={() => setDialog(null)}
        onHandedOver={(view) => {
          shown(view);
          setDialog(null);
          show('accepted', m('outcome.handedOver', { code: view.code }), m('outcome.handedOverDetail', { tubes: view.tubeCount }));
        }}
      />
    </div>
  );
}
