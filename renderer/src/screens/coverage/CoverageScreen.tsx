import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import type { CoverageResidentView, CoverageView, ExemptionReason } from '../../../../electron/api/coverage';
import { EXEMPTION_REASONS } from '../../../../electron/api/coverage';
import type { RoundView } from '../../../../electron/api/rounds';
import { useStation } from '../../app/station';
import { formatTime } from '../../desk/format';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import { CoverageChart } from './CoverageChart';
import './coverage.css';

const EVENTS = ['coverage.changed', 'rounds.changed', 'roster.changed', 'desk.changed'] as const;

function percent(tested: number, exempt: number, residents: number): string {
  return residents > 0 ? `${((100 * (tested + exempt)) / residents).toFixed(1)}%` : '–';
}

/** A file the core made, handed to the browser's download (the same under Electron and the kiosk). */
function download(fileName: string, mimeType: string, base64: string): void {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Coverage (应检尽检) of a round at this desk: residents of the roster sampled, exempt and not yet,
 * by building and unit, other desks counted as of the last sync (and it says so). A unit's list
 * shows who is missing; exemptions are recorded there; the not-yet list downloads for volunteers.
 */
export function CoverageScreen() {
  const client = useStation();
  const { t, language, errorText } = useStationTranslation('coverage');
  const [rounds, setRounds] = useState<RoundView[]>([]);
  const [roundId, setRoundId] = useState<string | null>(null);
  const [view, setView] = useState<CoverageView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [scope, setScope] = useState<{ building: string; unit?: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(() => {
    void client.call('round.list', {}).then((r) => r.ok && setRounds(r.value));
    void client.call('coverage.view', roundId ? { roundId } : {}).then((r) => {
      setError(r.ok ? null : r.error);
      setView(r.ok ? r.value : null);
    });
  }, [client, roundId]);
  useRefresh(refresh, EVENTS);
  useEffect(refresh, [refresh]);

  const exportList = async (format: 'csv' | 'xlsx') => {
    const r = await client.call('coverage.export', { ...(view?.round ? { roundId: view.round.id } : {}), ...(scope ?? {}), format });
    if (!r.ok) return setError(r.error);
    download(r.value.fileName, r.value.mimeType, r.value.base64);
    setNotice(t('export.done', { file: r.value.fileName, count: r.value.rows }));
  };

  const pickBuilding = useCallback((building: string) => setScope({ building }), []);
  const totals = view?.totals;
  return (
    <div className="coverage" data-testid="coverage-screen">
      <section className="coverage-head">
        <label>
          {t('round')}{' '}
          <select value={view?.round?.id ?? ''} onChange={(e) => setRoundId(e.target.value)} data-testid="coverage-round">
            {rounds.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        {view ? (
          <p className="muted" data-testid="coverage-as-of">
            {!view.enrolled ? t('notEnrolled') : view.asOf ? t('asOf', { time: formatTime(view.asOf, language) }) : t('neverSynced')}
          </p>
        ) : null}
        {error ? (
          <p className="coverage-error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
      </section>

      {view && !view.roster ? <p className="coverage-error coverage-wide">{t('noRoster')}</p> : null}

      {view && totals && view.roster ? (
        <>
          <section className="coverage-totals coverage-wide" data-testid="coverage-totals">
            <span>{t('totals.residents', { count: totals.residents })}</span>
            <span className="good">{t('totals.tested', { count: totals.tested })}</span>
            <span>{t('totals.exempt', { count: totals.exempt })}</span>
            <span className="bad" data-testid="coverage-untested">
              {t('totals.untested', { count: totals.untested })}
            </span>
            <strong>{t('totals.rate', { rate: percent(totals.tested, totals.exempt, totals.residents) })}</strong>
            {view.sampledNotOnRoster > 0 ? <span className="muted">{t('notOnRoster', { count: view.sampledNotOnRoster })}</span> : null}
          </section>
          <section className="coverage-wide">
            <CoverageChart view={view} onBuilding={pickBuilding} />
          </section>
          <section>
            <table className="coverage-table" data-testid="coverage-table">
              <thead>
                <tr>
                  <th>{t('table.building')}</th>
                  <th>{t('table.unit')}</th>
                  <th>{t('table.residents')}</th>
                  <th>{t('table.tested')}</th>
                  <th>{t('table.exempt')}</th>
                  <th>{t('table.untested')}</th>
                  <th>{t('table.rate')}</th>
                </tr>
              </thead>
              <tbody>
                {view.buildings.map((b) => [
                  <tr key={b.building} className={`building ${scope?.building === b.building && !scope.unit ? 'is-picked' : ''}`} onClick={() => setScope({ building: b.building })}>
                    <td>
                      <strong>{b.building}</strong>
                    </td>
                    <td />
                    <td className="n">{b.residents}</td>
                    <td className="n">{b.tested}</td>
                    <td className="n">{b.exempt}</td>
                    <td className={`n ${b.untested > 0 ? 'bad' : ''}`}>{b.untested}</td>
                    <td className="n">{percent(b.tested, b.exempt, b.residents)}</td>
                  </tr>,
                  ...b.units.map((u) => (
                    <tr
                      key={`${b.building}-${u.unit}`}
                      className={`unit ${scope?.building === b.building && scope.unit === u.unit ? 'is-picked' : ''}`}
                      onClick={() => setScope({ building: b.building, unit: u.unit })}
                      data-testid="coverage-unit"
                      data-building={b.building}
                      data-unit={u.unit}
                    >
                      <td />
                      <td>{u.unit}</td>
                      <td className="n">{u.residents}</td>
                      <td className="n">{u.tested}</td>
                      <td className="n">{u.exempt}</td>
                      <td className={`n ${u.untested > 0 ? 'bad' : ''}`}>{u.untested}</td>
                      <td className="n">{percent(u.tested, u.exempt, u.residents)}</td>
                    </tr>
                  )),
                ])}
              </tbody>
            </table>
          </section>
          <section>
            <h2>{t('export.heading')}</h2>
            <p>{t('export.scope', { scope: scope ? `${scope.building}${language === 'en' ? '-' : '栋'}${scope.unit ?? ''}${scope.unit && language !== 'en' ? '单元' : ''}` : t('export.whole') })}</p>
            <div className="coverage-actions">
              <button type="button" className="btn btn-primary" onClick={() => void exportList('xlsx')} data-testid="export-xlsx">
                {t('export.xlsx')}
              </button>
              <button type="button" className="btn" onClick={() => void exportList('csv')} data-testid="export-csv">
                {t('export.csv')}
              </button>
            </div>
            {notice ? <p className="muted">{notice}</p> : null}
            {scope && view.round ? <UnitList roundId={view.round.id} building={scope.building} unit={scope.unit} onChanged={refresh} /> : null}
          </section>
        </>
      ) : null}
    </div>
  );
}

function UnitList({ roundId, building, unit, onChanged }: { roundId: string; building: string; unit: string | undefined; onChanged: () => void }) {
  const client = useStation();
  const { t } = useStationTranslation('coverage');
  const [state, setState] = useState<'untested' | 'all'>('untested');
  const [rows, setRows] = useState<CoverageResidentView[]>([]);
  const [exempting, setExempting] = useState<CoverageResidentView | null>(null);
  const [reason, setReason] = useState<ExemptionReason>('away');
  const [note, setNote] = useState('');
  const load = useCallback(
    () =>
      void client.call('coverage.residents', { roundId, building, ...(unit !== undefined ? { unit } : {}), state, limit: 500 }).then((r) => {
        if (r.ok) setRows(r.value.rows);
      }),
    [client, roundId, building, unit, state],
  );
  useEffect(load, [load]);
  const act = (call: Promise<unknown>) =>
    void call.then(() => {
      setExempting(null);
      load();
      onChanged();
    });
  return (
    <div className="coverage-list" data-testid="coverage-list">
      <h3>{unit !== undefined ? t('list.heading', { building, unit }) : building}</h3>
      <div className="coverage-actions">
        {(['untested', 'all'] as const).map((s) => (
          <button key={s} type="button" className={`btn ${s === state ? 'btn-primary' : ''}`} onClick={() => setState(s)}>
            {t(`list.${s}`)}
          </button>
        ))}
      </div>
      <table>
        <tbody>
          {rows.map((r) => (
            <tr key={r.ref} data-state={r.state}>
              <td>{[r.building, r.unit, r.room].filter(Boolean).join('-')}</td>
              <td>{r.name}</td>
              <td>{r.maskedIdNumber}</td>
              <td className={r.state === 'untested' ? 'bad' : r.state === 'tested' ? 'good' : ''}>
                {r.state === 'exempt' && r.exemption ? t('state.exempt', { reason: t(`reason.${r.exemption.reason}`) }) : t(`state.${r.state}`)}
              </td>
              <td>
                {r.state === 'untested' ? (
                  <button type="button" className="btn" onClick={() => setExempting(r)}>
                    {t('list.exemptAction')}
                  </button>
                ) : r.state === 'exempt' ? (
                  <button type="button" className="btn" onClick={() => act(client.call('coverage.unexempt', { roundId, ref: r.ref }))}>
                    {t('list.lift')}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Modal open={exempting !== null} onCancel={() => setExempting(null)} labelledBy="exempt-title">
        {exempting ? (
          <form
            className="modal-body"
            onSubmit={(e) => {
              e.preventDefault();
              act(client.call('coverage.exempt', { roundId, ref: exempting.ref, reason, ...(note.trim() ? { note: note.trim() } : {}) }));
            }}
          >
            <h2 id="exempt-title">{t('exempt.title', { name: exempting.name })}</h2>
            <label>
              {t('exempt.reason')}{' '}
              <select value={reason} onChange={(e) => setReason(e.target.value as ExemptionReason)} data-autofocus>
                {EXEMPTION_REASONS.map((x) => (
                  <option key={x} value={x}>
                    {t(`reason.${x}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('exempt.note')} <input value={note} maxLength={200} onChange={(e) => setNote(e.target.value)} />
            </label>
            <div className="modal-actions">
              <button type="submit" className="btn btn-primary">
                {t('exempt.save')}
              </button>
              <button type="button" className="btn" onClick={() => setExempting(null)}>
                {t('common:actions.cancel')}
              </button>
            </div>
          </form>
        ) : null}
      </Modal>
    </div>
  );
}
