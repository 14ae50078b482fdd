import { useCallback, useEffect, useState } from 'react';
import type { RosterChangeCounts, RosterChangeView, RosterProblemView } from '../../../../electron/api/roster';
import { useStation } from '../../app/station';
import { useStationTranslation } from '../../i18n';

const PAGE = 100;

/** Every row that had a problem, with its row number as the admin sees it in Excel, a page at a time. */
export function ProblemList({ importId }: { importId: string }) {
  const client = useStation();
  const { t } = useStationTranslation('roster');
  const [rows, setRows] = useState<RosterProblemView[]>([]);
  const [total, setTotal] = useState(0);
  const more = useCallback(
    (offset: number) =>
      void client.call('roster.problems', { importId, offset, limit: PAGE }).then((r) => {
        if (!r.ok) return;
        setTotal(r.value.total);
        setRows((prev) => (offset === 0 ? r.value.rows : [...prev, ...r.value.rows]));
      }),
    [client, importId],
  );
  useEffect(() => more(0), [more]);
  return (
    <div className="roster-problems">
      <h3>{t('problems.heading')}</h3>
      {total === 0 ? <p className="muted">{t('problems.none')}</p> : null}
      <table data-testid="roster-problems">
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${r.rowNo}-${i}`} className={r.refused ? 'is-refused' : 'is-warning'} data-row={r.rowNo}>
              <td className="roster-rowno">{t('problems.row', { row: r.rowNo })}</td>
              <td>{r.refused ? t('problems.refused') : t('problems.warning')}</td>
              <td>{r.problems.map((p) => t(`problem.${p.code}`, { value: p.value ?? '' })).join('；')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length < total ? (
        <button type="button" className="btn" onClick={() => more(rows.length)} data-testid="roster-problems-more">
          {t('problems.more', { count: Math.min(PAGE, total - rows.length) })}
        </button>
      ) : null}
    </div>
  );
}

/** What the new ledger changes against the roster in use: new, moved, changed, gone. */
export function ChangeList({ importId, counts }: { importId: string; counts: RosterChangeCounts }) {
  const client = useStation();
  const { t } = useStationTranslation('roster');
  const kinds = (['moved', 'changed', 'gone', 'new'] as const).filter((k) => counts[k] > 0);
  const [kind, setKind] = useState<keyof RosterChangeCounts>(kinds[0] ?? 'new');
  const [rows, setRows] = useState<RosterChangeView[]>([]);
  const [total, setTotal] = useState(0);
  const load = useCallback(
    (offset: number) =>
      void client.call('roster.changes', { importId, kind, offset, limit: PAGE }).then((r) => {
        if (!r.ok) return;
        setTotal(r.value.total);
        setRows((prev) => (offset === 0 ? r.value.rows : [...prev, ...r.value.rows]));
      }),
    [client, importId, kind],
  );
  useEffect(() => load(0), [load]);
  return (
    <div className="roster-changes">
      <h3>{t('changes.heading')}</h3>
      <div className="roster-tabs" role="tablist">
        {kinds.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={k === kind} className={`btn ${k === kind ? 'btn-primary' : ''}`} onClick={() => setKind(k)}>
            {t(`preview.${k}`, { count: counts[k] })}
          </button>
        ))}
      </div>
      <table data-testid="roster-change-rows">
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${r.maskedIdNumber}-${i}`}>
              <td>{r.rowNo !== null ? t('problems.row', { row: r.rowNo }) : ''}</td>
              <td>{r.name}</td>
              <td>{r.maskedIdNumber}</td>
              <td>{r.household}</td>
              <td className="muted">{r.before && r.kind !== 'gone' ? t('changes.was', { name: r.before.name, household: r.before.household }) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length < total ? (
        <button type="button" className="btn" onClick={() => load(rows.length)}>
          {t('problems.more', { count: Math.min(PAGE, total - rows.length) })}
        </button>
      ) : null}
    </div>
  );
}
