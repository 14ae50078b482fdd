import { useCallback, useRef, useState } from 'react';
import type { ApiError, Result } from '../../../../electron/api/contract';
import type { CoverageResidentView, CoverageView, ExemptionReason } from '../../../../electron/api/coverage';
import { EXEMPTION_REASONS } from '../../../../electron/api/coverage';
import type { RoundView } from '../../../../electron/api/rounds';
import { download } from '../../app/download';
import { useStation } from '../../app/station';
import { formatTime } from '../../desk/format';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import { CoverageChart } from './CoverageChart';
import './coverage.css';

const EVENTS = ['coverage.changed', 'rounds.changed', 'roster.changed', 'desk.changed'] as const;

/** Up to this many units in all, every building's units are listed; beyond, those of the building picked. */
const ALL_UNITS_UP_TO = 60;
/** Residents of a building or unit listed at a time. */
const LIST_PAGE = 200;
/** The list follows sampling at any desk, as the counts do. */
const LIST_EVENTS = ['coverage.changed', 'desk.changed'] as const;

function percent(tested: number, exempt: number, residents: number): string {
  return residents > 0 ? `${((100 * (tested + exempt)) / residents).toFixed(1)}%` : '–';
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

  const asked = useRef(0);
  const refresh = useCallback(() => {
    // Only the latest question's answer is shown: an older round's view can arrive after a newer one.
    const mine = ++asked.current;
    void client.call('round.list', {}).then((r) => r.ok && mine === asked.current && setRounds(r.value));
    void client.call('coverage.view', roundId ? { roundId } : {}).then((r) => {
      if (mine !== asked.current) return;
      setError(r.ok ? null : r.error);
      setView(r.ok ? r.value : null);
    });
  }, [client, roundId]);
  // Asks when the link comes up and whenever the round picked changes, then after each change.
  useRefresh(refresh, EVENTS);

  const exportList = async (format: 'csv' | 'xlsx') => {
    const r = await client.call('coverage.export', { ...(view?.round ? { roundId: view.round.id } : {}), ...(scope ?? {}), format });
    if (!r.ok) return setError(r.error);
    download(r.value.fileName, r.value.mimeType, r.value.base64);
    setNotice(t('export.done', { file: r.value.fileName, count: r.value.rows }));
  };

  const pickBuilding = useCallback((building: string) => setScope({ building }), []);
  const totals = view?.totals;
  const unitCount = view ? view.buildings.reduce((n, b) => n + b.units.length, 0) : 0;
  const allUnits = unitCount <= ALL_UNITS_UP_TO;
  const scopeName = (where: { building: string; unit?: string | undefined }) =>
    where.unit !== undefined ? t('list.heading', { building: where.building, unit: where.unit }) : t('list.buildingHeading', { building: where.building });
  return (
    <div className="cards coverage" data-testid="coverage-screen">
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
                  ...(allUnits || scope?.building === b.building ? b.units : []).map((u) => (
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
                {!allUnits ? (
                  <tr className="muted">
                    <td colSpan={7}>{t('table.showUnits', { count: unitCount })}</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </section>
          <section>
            <h2>{t('export.heading')}</h2>
            <p>{t('export.scope', { scope: scope ? scopeName(scope) : t('export.whole') })}</p>
            <div className="coverage-actions">
              <button type="button" className="btn btn-primary" onClick={() => void exportList('xlsx')} data-testid="export-xlsx">
                {t('export.xlsx')}
              </button>
              <button type="button" className="btn" onClick={() => void exportList('csv')} data-testid="export-csv">
                {t('export.csv')}
              </button>
            </div>
            {notice ? <p className="muted">{notice}</p> : null}
            {scope && view.round ? <UnitList
                key={`${view.round.id} ${scope.building} ${scope.unit ?? ''}`}
                roundId={view.round.id}
                building={scope.building}
                unit={scope.unit}
                heading={scopeName(scope)}
                onChanged={refresh}
              /> : null}
          </section>
        </>
      ) : null}
    </div>
  );
}

function UnitList({ roundId, building, unit, heading, onChanged }: { roundId: string; building: string; unit: string | undefined; heading: string; onChanged: () => void }) {
  const client = useStation();
  const { t, errorText } = useStationTranslation('coverage');
  const [state, setState] = useState<'untested' | 'all'>('untested');
  const [rows, setRows] = useState<CoverageResidentView[]>([]);
  const [total, setTotal] = useState(0);
  const [shown, setShown] = useState(LIST_PAGE);
  const [exempting, setExempting] = useState<CoverageResidentView | null>(null);
  const [reason, setReason] = useState<ExemptionReason>('away');
  const [note, setNote] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const load = useCallback(
    () =>
      void client.call('coverage.residents', { roundId, building, ...(unit !== undefined ? { unit } : {}), state, offset: 0, limit: shown }).then((r) => {
        if (!r.ok) return setError(r.error);
        setRows(r.value.rows);
        setTotal(r.value.total);
      }),
    [client, roundId, building, unit, state, shown],
  );
  useRefresh(load, LIST_EVENTS);
  const act = (call: Promise<Result<unknown>>) =>
    void call.then((r) => {
      setError(r.ok ? null : r.error);
      setExempting(null);
      load();
      onChanged();
    });
  return (
    <div className="coverage-list" data-testid="coverage-list">
      <h3>{heading}</h3>
      <div className="coverage-actions">
        {(['untested', 'all'] as const).map((s) => (
          <button
            key={s}
            type="button"
            className={`btn ${s === state ? 'btn-primary' : ''}`}
            onClick={() => {
              setState(s);
              setShown(LIST_PAGE);
            }}
          >
            {t(`list.${s}`)}
          </button>
        ))}
      </div>
      {error ? (
        <p className="coverage-error" role="alert">
          {errorText(error)}
        </p>
      ) : null}
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
      <p className="muted" data-testid="coverage-list-count">
        {t('list.shown', { shown: rows.length, total })}{' '}
        {rows.length < total ? (
          <button type="button" className="btn" onClick={() => setShown((n) => n + LIST_PAGE)} data-testid="coverage-list-more">
            {t('list.more')}
          </button>
        ) : null}
      </p>
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
