import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import type { IsolationHouseholdView, IsolationSlot, IsolationTaskView, IsolationTasksView, IsolationView } from '../../../../electron/api/isolation';
import { useStation } from '../../app/station';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import './isolation.css';

const ISOLATION_EVENTS = ['isolation.changed', 'desk.changed'] as const;
/** Sites keep one clock (UTC+8): a task's time is the site's. */
const SITE_OFFSET_MS = 8 * 3600_000;

function siteClock(iso: string): string {
  return new Date(Date.parse(iso) + SITE_OFFSET_MS).toISOString().slice(11, 16);
}

const whoOf = (i: IsolationView) => i.household || i.persons.map((p) => p.name).join('、');

type Reading = { task: IsolationTaskView; slot: IsolationSlot };

/**
 * Home isolation (居家隔离): put a household of the roster or one person in isolation, today's
 * tasks of every isolation (sampling, morning and evening temperature) with the overdue ones
 * highlighted, a temperature recorded (typed, or the thermometer's last reading), the isolations
 * under way, and ending one with a reason (which closes its schedule).
 */
export function IsolationScreen() {
  const client = useStation();
  const { t, errorText } = useStationTranslation('isolation');
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [tasks, setTasks] = useState<IsolationTasksView | null>(null);
  const [isolations, setIsolations] = useState<IsolationView[]>([]);
  const [reading, setReading] = useState<Reading | null>(null);
  const [ending, setEnding] = useState<IsolationView | null>(null);

  const say = useCallback((text: string, error = false) => setNotice({ text, error }), []);
  const fail = useCallback((error: ApiError) => say(errorText(error), true), [say, errorText]);

  const load = useCallback(() => {
    void client.call('isolation.tasks', {}).then((r) => (r.ok ? setTasks(r.value) : fail(r.error)));
    void client.call('isolation.list', { open: true, limit: 100, offset: 0 }).then((r) => (r.ok ? setIsolations(r.value.isolations) : fail(r.error)));
  }, [client, fail]);
  useRefresh(load, ISOLATION_EVENTS);
  useEffect(load, [load]);

  return (
    <div className="isolation" data-testid="isolation-screen">
      <div className="isolation-notice" role="status" data-testid="isolation-notice" data-error={notice?.error ? 'true' : 'false'}>
        {notice?.text ?? ''}
      </div>
      <StartForm
        onStarted={(view) => {
          say(t('done.started', { who: whoOf(view), count: view.persons.length }));
          load();
        }}
        onError={fail}
      />
      <section className="side-block isolation-tasks" data-testid="isolation-tasks">
        {/* What was missed first, in the alarm colour: staff follow it up before today's round. */}
        {tasks && tasks.overdue.length > 0 ? (
          <>
            <h2 className="side-heading isolation-overdue-heading" data-testid="isolation-overdue-heading">
              {t('tasks.overdueHeading', { count: tasks.overdue.length })}
            </h2>
            <TaskTable tasks={tasks.overdue} testId="isolation-overdue" onRecord={null} />
          </>
        ) : null}
        <h2 className="side-heading isolation-today-heading">{t('tasks.heading', { today: tasks?.today ?? '' })}</h2>
        {tasks && tasks.tasks.length === 0 ? (
          <p className="muted" data-testid="isolation-no-tasks">
            {t('tasks.none')}
          </p>
        ) : (
          <TaskTable tasks={tasks?.tasks ?? []} testId="isolation-today" onRecord={setReading} />
        )}
      </section>
      <section className="side-block isolation-list" data-testid="isolation-list">
        <h2 className="side-heading">{t('list.heading')}</h2>
        {isolations.length === 0 ? (
          <p className="muted" data-testid="isolation-list-empty">
            {t('list.empty')}
          </p>
        ) : (
          <ul className="isolation-cards">
            {isolations.map((i) => (
              <li key={i.id} className="isolation-card" data-testid="isolation-card" data-state={i.state} data-overdue={i.overdue > 0 ? 'true' : 'false'}>
                <div className="isolation-card-who">{whoOf(i)}</div>
                <div className="muted">{i.persons.map((p) => `${p.name} ${p.maskedIdNumber}`).join('，')}</div>
                <div>
                  <span className="isolation-badge" data-state={i.state}>
                    {t(`list.state.${i.state}`)}
                  </span>{' '}
                  {i.dayNumber !== null ? <strong data-testid="isolation-day">{t('list.dayOf', { day: i.dayNumber })}</strong> : null}{' '}
                  <span className="muted">{t('list.days', { start: i.startDay, until: i.untilDay })}</span>
                </div>
                <div className="muted">
                  {i.reason} · {t('list.origin', { station: i.stationName })}
                </div>
                {i.overdue > 0 ? <div className="isolation-overdue-count">{t('list.overdue', { count: i.overdue })}</div> : null}
                <button type="button" className="btn" data-testid="isolation-end" onClick={() => setEnding(i)}>
                  {t('list.end')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <ReadingDialog
        reading={reading}
        onClose={() => setReading(null)}
        onSave={async (celsius, source) => {
          if (!reading) return null;
          const r = await client.call('isolation.reading', { isolationId: reading.task.isolationId, personId: reading.task.personId, slot: reading.slot, celsius, source });
          if (!r.ok) return r.error;
          say(t('done.reading', { name: reading.task.name, celsius: r.value.celsius.toFixed(1) }));
          setReading(null);
          load();
          return null;
        }}
      />
      <EndDialog
        isolation={ending}
        onClose={() => setEnding(null)}
        onEnd={async (reason) => {
          if (!ending) return null;
          const r = await client.call('isolation.end', { isolationId: ending.id, reason });
          if (!r.ok) return r.error;
          say(t('done.ended', { who: whoOf(ending) }));
          setEnding(null);
          load();
          return null;
        }}
      />
    </div>
  );
}

function TaskTable({ tasks, testId, onRecord }: { tasks: IsolationTaskView[]; testId: string; onRecord: ((r: Reading) => void) | null }) {
  const { t } = useStationTranslation('isolation');
  return (
    <table className="isolation-table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t('tasks.person')}</th>
          <th>{t('tasks.household')}</th>
          <th>{t('tasks.task')}</th>
          <th>{t('tasks.status')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {tasks.map((task) => (
          <tr key={`${task.isolationId}|${task.personId}|${task.day}|${task.kind}`} className="isolation-task" data-testid="isolation-task" data-kind={task.kind} data-status={task.status} data-day={task.dayNumber}>
            <td>
              <strong>{task.name}</strong> <span className="muted isolation-id">{task.maskedIdNumber}</span>
            </td>
            <td>{task.household}</td>
            <td>
              {t('tasks.day', { day: task.dayNumber })} · {t(`tasks.kind.${task.kind}`)}
            </td>
            <td>
              <span className="isolation-status" data-status={task.status}>
                {t(`tasks.state.${task.status}`)}
              </span>
              {task.doneAt ? <span className="muted"> {t('tasks.doneAt', { time: siteClock(task.doneAt) })}</span> : null}
              {task.celsius !== null ? <span> {t('tasks.celsius', { celsius: task.celsius.toFixed(1) })}</span> : null}
            </td>
            <td>
              {task.kind === 'sampling' ? (
                task.status === 'pending' ? <span className="muted">{t('tasks.samplingHint')}</span> : null
              ) : onRecord && task.status !== 'done' ? (
                <button type="button" className="btn isolation-record" data-testid="isolation-record" onClick={() => onRecord({ task, slot: task.kind === 'temperatureMorning' ? 'morning' : 'evening' })}>
                  {t('tasks.record')}
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StartForm({ onStarted, onError }: { onStarted: (view: IsolationView) => void; onError: (e: ApiError) => void }) {
  const client = useStation();
  const { t } = useStationTranslation('isolation');
  const [kind, setKind] = useState<'household' | 'person'>('household');
  const [query, setQuery] = useState('');
  const [households, setHouseholds] = useState<IsolationHouseholdView[] | null>(null);
  const [picked, setPicked] = useState<IsolationHouseholdView | null>(null);
  const [idNumber, setIdNumber] = useState('');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState('');
  const [startDay, setStartDay] = useState('');
  const [untilDay, setUntilDay] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (kind !== 'household') return;
    void client.call('isolation.households', { query, limit: 20, offset: 0 }).then((r) => (r.ok ? setHouseholds(r.value.households) : onError(r.error)));
  }, [client, kind, query, onError]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (kind === 'household' && !picked) return;
    setBusy(true);
    const subject =
      kind === 'household' && picked
        ? { kind: 'household' as const, household: { building: picked.building, unit: picked.unit, room: picked.room } }
        : { kind: 'person' as const, idNumber, name, household: address };
    const r = await client.call('isolation.start', { subject, reason, ...(startDay ? { startDay } : {}), ...(untilDay ? { untilDay } : {}) });
    setBusy(false);
    if (!r.ok) return onError(r.error);
    setPicked(null);
    setIdNumber('');
    setName('');
    setReason('');
    onStarted(r.value);
  };

  return (
    <form className="side-block isolation-start" data-testid="isolation-start" onSubmit={(e) => void submit(e)}>
      <h2 className="side-heading">{t('start.heading')}</h2>
      <div className="isolation-kind" role="radiogroup">
        {(['household', 'person'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="isolation-kind" data-testid={`isolation-kind-${k}`} checked={kind === k} onChange={() => setKind(k)} /> {t(`start.${k}`)}
          </label>
        ))}
      </div>
      {kind === 'household' ? (
        <>
          <label className="field">
            <span>{t('start.search')}</span>
            <input className="input" data-testid="isolation-household-search" value={query} placeholder={t('start.searchHint')} onChange={(e) => setQuery(e.target.value)} />
          </label>
          {households && households.length === 0 && query === '' ? <p className="muted">{t('start.noRoster')}</p> : null}
          <ul className="isolation-households">
            {(households ?? []).map((h) => (
              <li key={h.household}>
                <button
                  type="button"
                  className={`isolation-household${picked?.household === h.household ? ' is-picked' : ''}`}
                  data-testid="isolation-household"
                  data-household={h.household}
                  onClick={() => setPicked(h)}
                >
                  <strong>{h.household}</strong> <span className="muted">{t('start.residents', { count: h.residents })}</span>
                </button>
              </li>
            ))}
          </ul>
          {picked ? <p data-testid="isolation-picked">{t('start.picked', { household: picked.household })}</p> : <p className="muted">{t('start.pickHousehold')}</p>}
        </>
      ) : (
        <>
          <label className="field">
            <span>{t('start.idNumber')}</span>
            <input className="input" data-testid="isolation-id-number" value={idNumber} maxLength={18} onChange={(e) => setIdNumber(e.target.value)} />
          </label>
          <label className="field">
            <span>{t('start.name')}</span>
            <input className="input" data-testid="isolation-name" value={name} maxLength={40} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span>{t('start.address')}</span>
            <input className="input" data-testid="isolation-address" value={address} maxLength={64} onChange={(e) => setAddress(e.target.value)} />
          </label>
        </>
      )}
      <label className="field">
        <span>{t('start.reason')}</span>
        <input className="input" data-testid="isolation-reason" value={reason} maxLength={200} placeholder={t('start.reasonHint')} onChange={(e) => setReason(e.target.value)} />
      </label>
      <div className="isolation-days">
        <label className="field">
          <span>{t('start.startDay')}</span>
          <input type="date" className="input" data-testid="isolation-start-day" value={startDay} onChange={(e) => setStartDay(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('start.untilDay')}</span>
          <input type="date" className="input" data-testid="isolation-until-day" value={untilDay} onChange={(e) => setUntilDay(e.target.value)} />
        </label>
      </div>
      <button type="submit" className="btn btn-primary" data-testid="isolation-submit" disabled={busy || reason.trim() === '' || (kind === 'household' ? !picked : idNumber.trim() === '' || name.trim() === '')}>
        {t('start.submit')}
      </button>
    </form>
  );
}

function ReadingDialog({ reading, onClose, onSave }: { reading: Reading | null; onClose: () => void; onSave: (celsius: number, source: 'typed' | 'thermometer') => Promise<ApiError | null> }) {
  const client = useStation();
  const { t, errorText } = useStationTranslation('isolation');
  const [value, setValue] = useState('');
  const [thermometer, setThermometer] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setValue('');
    setError(null);
    if (!reading) return;
    return client.on('thermometer.reading', ({ celsius }) => setThermometer(celsius));
  }, [client, reading]);
  const save = async (celsius: number, source: 'typed' | 'thermometer') => {
    const failed = await onSave(celsius, source);
    if (failed) setError(errorText(failed));
  };
  return (
    <Modal open={reading !== null} onCancel={onClose} labelledBy="isolation-reading-title">
      {reading ? (
        <form
          className="modal-body"
          data-testid="isolation-reading"
          onSubmit={(e) => {
            e.preventDefault();
            void save(Number(value), 'typed');
          }}
        >
          <h2 id="isolation-reading-title">{t('reading.title', { name: reading.task.name, slot: t(`tasks.kind.${reading.task.kind}`) })}</h2>
          <label className="field">
            <span>{t('reading.celsius')}</span>
            <input className="input" data-testid="isolation-celsius" inputMode="decimal" value={value} data-autofocus onChange={(e) => setValue(e.target.value)} />
          </label>
          {thermometer !== null ? (
            <button type="button" className="btn" data-testid="isolation-use-thermometer" onClick={() => void save(thermometer, 'thermometer')}>
              {t('reading.useThermometer', { celsius: thermometer.toFixed(1) })}
            </button>
          ) : null}
          {error ? <p className="isolation-error">{error}</p> : null}
          <div className="modal-actions">
            <button type="button" className="btn" onClick={onClose}>
              {t('actions.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" data-testid="isolation-reading-save" disabled={!/^\d{2}(\.\d)?$/.test(value.trim())}>
              {t('reading.submit')}
            </button>
          </div>
        </form>
      ) : null}
    </Modal>
  );
}

function EndDialog({ isolation, onClose, onEnd }: { isolation: IsolationView | null; onClose: () => void; onEnd: (reason: string) => Promise<ApiError | null> }) {
  const { t, errorText } = useStationTranslation('isolation');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setReason('');
    setError(null);
  }, [isolation]);
  return (
    <Modal open={isolation !== null} onCancel={onClose} labelledBy="isolation-end-title">
      {isolation ? (
        <form
          className="modal-body"
          data-testid="isolation-end-dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void onEnd(reason).then((failed) => failed && setError(errorText(failed)));
          }}
        >
          <h2 id="isolation-end-title">{t('end.title', { who: whoOf(isolation) })}</h2>
          <label className="field">
            <span>{t('end.reason')}</span>
            <input className="input" data-testid="isolation-end-reason" value={reason} maxLength={200} placeholder={t('end.reasonHint')} data-autofocus onChange={(e) => setReason(e.target.value)} />
          </label>
          {error ? <p className="isolation-error">{error}</p> : null}
          <div className="modal-actions">
            <button type="button" className="btn" onClick={onClose}>
              {t('actions.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" data-testid="isolation-end-submit" disabled={reason.trim() === ''}>
              {t('end.submit')}
            </button>
          </div>
        </form>
      ) : null}
    </Modal>
  );
}
