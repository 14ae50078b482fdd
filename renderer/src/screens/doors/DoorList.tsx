import { useState } from 'react';
import type { DoorCounts, DoorHousehold, DoorHouseholdRow, DoorListView } from '../../../../electron/api/doors';
import { useStationTranslation } from '../../i18n';
import { householdName, sameHousehold, shortTime } from './words';

type Tab = 'all' | 'revisit' | 'toVisit' | 'progress';

type Props = { list: DoorListView; picked: DoorHousehold | null; onPick: (h: DoorHousehold) => void };

/**
 * The group's list: every household by building and unit (a tile per room, coloured by where it
 * stands), the households to visit again with the time nobody was home, those still to visit, and
 * the progress per building.
 */
export function DoorList({ list, picked, onPick }: Props) {
  const { t } = useStationTranslation('doors');
  const [tab, setTab] = useState<Tab>('all');
  const toVisit = list.households.filter((h) => h.status === 'toVisit');
  const tabs: { id: Tab; label: string }[] = [
    { id: 'all', label: t('tabs.all', { count: list.households.length }) },
    { id: 'revisit', label: t('tabs.revisit', { count: list.revisits.length }) },
    { id: 'toVisit', label: t('tabs.toVisit', { count: toVisit.length }) },
    { id: 'progress', label: t('tabs.progress') },
  ];
  return (
    <section className="side-block doors-list" data-testid="doors-list">
      <nav className="doors-tabs" aria-label={t('tabs.label')}>
        {tabs.map((x) => (
          <button
            key={x.id}
            type="button"
            className={`doors-tab ${x.id === tab ? 'is-active' : ''} ${x.id === 'revisit' && list.revisits.length > 0 ? 'doors-tab-alert' : ''}`}
            data-testid={`doors-tab-${x.id}`}
            aria-current={x.id === tab ? 'page' : undefined}
            onClick={() => setTab(x.id)}
          >
            {x.label}
          </button>
        ))}
      </nav>
      <div className="doors-list-body">
        {tab === 'all' ? <Tiles households={list.households} picked={picked} onPick={onPick} empty={t('list.empty')} /> : null}
        {tab === 'toVisit' ? <Tiles households={toVisit} picked={picked} onPick={onPick} empty={t('list.toVisitEmpty')} /> : null}
        {tab === 'revisit' ? <Revisits households={list.revisits} picked={picked} onPick={onPick} /> : null}
        {tab === 'progress' ? <Progress list={list} /> : null}
      </div>
    </section>
  );
}

/** Households grouped by building and unit, a tile each. */
function Tiles({ households, picked, onPick, empty }: { households: DoorHouseholdRow[]; picked: DoorHousehold | null; onPick: (h: DoorHousehold) => void; empty: string }) {
  const { t } = useStationTranslation('doors');
  if (households.length === 0) return <p className="muted doors-empty">{empty}</p>;
  const groups: { key: string; building: string; unit: string; rows: DoorHouseholdRow[] }[] = [];
  for (const h of households) {
    const last = groups[groups.length - 1];
    if (last?.building === h.building && last.unit === h.unit) last.rows.push(h);
    else groups.push({ key: `${h.building}|${h.unit}`, building: h.building, unit: h.unit, rows: [h] });
  }
  return (
    <>
      {groups.map((g) => (
        <div key={g.key} className="doors-unit">
          <h3 className="doors-unit-heading">{g.unit === '' ? t('list.unitWhole', { building: g.building }) : t('list.unit', { building: g.building, unit: g.unit })}</h3>
          <ul className="doors-tiles">
            {g.rows.map((h) => (
              <li key={h.room}>
                <button
                  type="button"
                  className={`doors-tile doors-tile-${h.status} ${sameHousehold(picked, h) ? 'is-picked' : ''}`}
                  data-testid={`doors-household-${householdName(h)}`}
                  data-status={h.status}
                  aria-pressed={sameHousehold(picked, h)}
                  title={`${householdName(h)} · ${t(`status.${h.status}`)}`}
                  onClick={() => onPick(h)}
                >
                  <span className="doors-tile-room">{h.room}</span>
                  <span className="doors-tile-meta">
                    <span className="doors-tile-people">{t('list.people', { done: h.counts.sampled + h.counts.exempt + h.counts.refused, total: h.counts.residents })}</span>
                    <TagMarks tags={h.tags} />
                  </span>
                  <span className="doors-tile-status">{t(`status.${h.status}`)}</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </>
  );
}

export function TagMarks({ tags }: { tags: readonly string[] }) {
  const { t } = useStationTranslation('doors');
  if (tags.length === 0) return null;
  return (
    <span className="doors-tag-marks">
      {tags.map((tag) => (
        <abbr key={tag} className={`doors-tag-mark doors-tag-${tag}`} title={t(`tags.${tag}`)}>
          {t(`tagShort.${tag}`)}
        </abbr>
      ))}
    </span>
  );
}

/** The revisit list: who was not home and when, and when to come back if they said. */
function Revisits({ households, picked, onPick }: { households: DoorHouseholdRow[]; picked: DoorHousehold | null; onPick: (h: DoorHousehold) => void }) {
  const { t, language } = useStationTranslation('doors');
  if (households.length === 0) return <p className="muted doors-empty">{t('list.revisitEmpty')}</p>;
  return (
    <ul className="doors-revisits" data-testid="doors-revisits">
      {households.map((h) => (
        <li key={householdName(h)}>
          <button
            type="button"
            className={`doors-revisit ${sameHousehold(picked, h) ? 'is-picked' : ''}`}
            data-testid={`doors-revisit-${householdName(h)}`}
            onClick={() => onPick(h)}
          >
            <span className="doors-revisit-name">{householdName(h)}</span>
            <span className="doors-revisit-when">
              {h.notHomeAt ? t('list.notHomeAt', { time: shortTime(h.notHomeAt, language) }) : null}
              {h.revisitAt ? <strong> · {t('list.revisitAt', { time: shortTime(h.revisitAt, language) })}</strong> : null}
            </span>
            <span className="doors-revisit-people">
              {t('list.people', { done: h.counts.sampled + h.counts.exempt + h.counts.refused, total: h.counts.residents })} <TagMarks tags={h.tags} />
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Bar({ c }: { c: DoorCounts }) {
  const pct = (n: number) => `${c.households === 0 ? 0 : (100 * n) / c.households}%`;
  return (
    <span className="doors-bar-chart" aria-hidden="true">
      <span className="doors-bar-done" style={{ width: pct(c.done) }} />
      <span className="doors-bar-revisit" style={{ width: pct(c.revisit) }} />
    </span>
  );
}

/** Progress per building: households done, to visit again, still to visit; people sampled, refusing, not home, left. */
function Progress({ list }: { list: DoorListView }) {
  const { t, language } = useStationTranslation('doors');
  const rows = [...list.buildings.map((b) => ({ key: b.building, name: t('progress.buildingName', { building: b.building }), c: b as DoorCounts }))];
  const total = list.group.progress;
  return (
    <div data-testid="doors-progress">
      <table className="doors-progress-table">
        <thead>
          <tr>
            <th>{t('progress.building')}</th>
            <th className="n">{t('progress.householdsColumn')}</th>
            <th className="n">{t('progress.done')}</th>
            <th className="n">{t('progress.revisit')}</th>
            <th className="n">{t('progress.toVisit')}</th>
            <th className="n">{t('progress.sampled')}</th>
            <th className="n">{t('progress.refused')}</th>
            <th className="n">{t('progress.due')}</th>
          </tr>
        </thead>
        <tbody>
          {[...rows, { key: '', name: t('group.label'), c: total }].map((r) => (
            <tr key={r.key} className={r.key === '' ? 'doors-progress-total' : ''} data-testid={`doors-progress-${r.key || 'group'}`}>
              <th scope="row">
                {r.name}
                <Bar c={r.c} />
              </th>
              <td className="n">{r.c.households}</td>
              <td className="n">{r.c.done}</td>
              <td className="n">{r.c.revisit}</td>
              <td className="n">{r.c.toVisit}</td>
              <td className="n">{r.c.sampled}</td>
              <td className="n">{r.c.refused}</td>
              <td className="n">{r.c.due + r.c.notHome}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted doors-as-of">{list.asOf ? t('progress.asOf', { time: shortTime(list.asOf, language) }) : t('progress.neverSynced')}</p>
    </div>
  );
}
