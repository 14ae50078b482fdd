import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError, PendingConfirmation, Result, ScanSource } from '../../../../electron/api/contract';
import type { DoorGroupSummary, DoorHousehold, DoorHouseholdView, DoorListView, DoorMode, DoorResidentView, DoorSampleOutcome } from '../../../../electron/api/doors';
import { useStation } from '../../app/station';
import { ConfirmDialog } from '../../desk/ConfirmDialog';
import { formatTime } from '../../desk/format';
import { ReasonDialog } from '../../desk/ReasonDialog';
import type { Message } from '../../feedback/feedback';
import { useFeedback } from '../../feedback/FeedbackProvider';
import { useStationTranslation } from '../../i18n';
import { useScanCapture } from '../../scanner/ScanCapture';
import { useRefresh } from '../../upload/useRefresh';
import { useSession } from '../operators/SessionProvider';
import { AssignDialog } from './AssignDialog';
import { DoorList } from './DoorList';
import { DoorView, type DoorActions } from './DoorView';
import { NotHomeDialog, RefuseDialog } from './VisitDialogs';
import { areaWords, sameHousehold, typedTemperature } from './words';
import './doors.css';

/** What the door screen reads again after: its own visits, the desk's tubes, other stations' sampling, rounds. */
const DOOR_EVENTS = ['doors.changed', 'desk.changed', 'coverage.changed', 'rounds.changed'] as const;

const m = (key: string, params?: Record<string, string | number>): Message => ({ key: `doors:${key}`, params });

type Asked = { pending: PendingConfirmation; again: () => Promise<Result<DoorSampleOutcome>> };

/**
 * Door to door (入户采样), on the laptop or tablet a "1 + N" group carries: the group's list by
 * building, unit and room with where each household stands, the revisit list and the progress; at
 * a door, the tube (single, or the site's pool size), each person scanned or picked and sampled,
 * or recorded not home or refusing, with the temperature taken. Scans need no focus: the wedge
 * listener (and the station's serial or HID scanner) brings them here while a household is picked.
 */
export function DoorsScreen() {
  const client = useStation();
  const session = useSession();
  const { show } = useFeedback();
  const { t, language, list: listWords } = useStationTranslation(['doors', 'desk']);
  const [groups, setGroups] = useState<DoorGroupSummary[] | null>(null);
  const [groupId, setGroupId] = useState<string | null>(null);
  const [list, setList] = useState<DoorListView | null>(null);
  const [picked, setPicked] = useState<DoorHousehold | null>(null);
  const [door, setDoor] = useState<DoorHouseholdView | null>(null);
  const [modeChoice, setModeChoice] = useState<DoorMode | null>(null);
  const [temperature, setTemperature] = useState('');
  const [asked, setAsked] = useState<Asked | null>(null);
  const [assigning, setAssigning] = useState<'new' | DoorGroupSummary | null>(null);
  const [refusing, setRefusing] = useState<{ ref: string | null; who: string } | null>(null);
  const [notHome, setNotHome] = useState<{ ref: string | null; who: string } | null>(null);
  const [undoing, setUndoing] = useState(false);

  const fail = useCallback((error: ApiError) => show('rejected', { error }), [show]);

  const loadGroups = useCallback(() => {
    void client.call('door.groups', {}).then((r) => {
      if (!r.ok) return fail(r.error);
      setGroups(r.value);
      setGroupId((id) => (id !== null && r.value.some((g) => g.id === id) ? id : (r.value[0]?.id ?? null)));
    });
  }, [client, fail]);
  const loadList = useCallback(() => {
    if (groupId === null) return setList(null);
    void client.call('door.list', { groupId }).then((r) => (r.ok ? setList(r.value) : fail(r.error)));
  }, [client, groupId, fail]);
  const loadDoor = useCallback(() => {
    if (groupId === null || picked === null) return setDoor(null);
    void client.call('door.household', { groupId, household: picked }).then((r) => (r.ok ? setDoor(r.value) : (setDoor(null), setPicked(null), fail(r.error))));
  }, [client, groupId, picked, fail]);
  const refresh = useCallback(() => {
    loadGroups();
    loadList();
    loadDoor();
  }, [loadGroups, loadList, loadDoor]);
  useRefresh(refresh, DOOR_EVENTS);

  // Another group: its own households.
  useEffect(() => {
    setPicked(null);
    setModeChoice(null);
  }, [groupId]);

  const group = list?.group ?? groups?.find((g) => g.id === groupId) ?? null;
  const readOnly = group?.round.closed ?? true;
  const poolSize = list?.poolSize ?? 10;
  // Isolation is sampled one person to a tube; others in the site's pool size, unless staff choose.
  const mode: DoorMode = modeChoice ?? (group?.tags.includes('isolation') || poolSize === 1 ? 'single' : 'pooled');
  const tube = door?.tube ?? list?.tube ?? null;
  const mayAssign = session.may('door.assign');

  const temperatureC = (): number | undefined | null => {
    const c = typedTemperature(temperature);
    if (c !== undefined && Number.isNaN(c)) {
      fail({ code: 'door.temperatureInvalid', params: { celsius: temperature.trim() } });
      return null;
    }
    return c;
  };

  /** A door call's answer as banner, sound and the household as it is now. */
  const took = useCallback(
    (result: Result<DoorSampleOutcome>, again: () => Promise<Result<DoorSampleOutcome>>) => {
      if (!result.ok) return fail(result.error);
      const o = result.value;
      setDoor(o.household);
      loadList();
      switch (o.kind) {
        case 'tube.opened':
          show(
            'info',
            m('done.tubeOpened', { code: o.tubeCode }),
            m('done.tubeOpenedDetail', { mode: o.capacity === 1 ? t('tube.single') : t('tube.pooled', { size: o.capacity }) }),
            o.sealedPrevious ? m('done.sealedPrevious', { code: o.sealedPrevious }) : null,
          );
          return;
        case 'sampled': {
          setTemperature('');
          const params = { label: o.person.label, count: o.count, capacity: o.capacity, code: o.tubeCode };
          show(
            o.tubeSealed ? 'full' : 'accepted',
            m(o.tubeSealed ? 'done.full' : 'done.sampled', params),
            m(o.tubeSealed ? 'done.fullDetail' : 'done.sampledDetail', params),
            o.temperatureC !== null ? m('done.temperature', { celsius: o.temperatureC.toFixed(1) }) : null,
            o.livesAt ? m('done.livesAt', { household: o.livesAt }) : null,
          );
          return;
        }
        case 'needsConfirmation': {
          const p = o.pending;
          show(
            'confirm',
            { key: 'desk:outcome.needsConfirmation', params: { label: p.person.label } },
            p.previousTubeCode
              ? { key: 'desk:outcome.needsConfirmationDetail', params: { code: p.previousTubeCode, time: formatTime(p.previousBoundAt, language) } }
              : { key: 'desk:outcome.needsConfirmationDetailElsewhere', params: { station: p.previousStation ?? '', time: formatTime(p.previousBoundAt, language) } },
          );
          setAsked({ pending: p, again });
        }
      }
    },
    [fail, show, t, language, loadList],
  );

  const onScan = (text: string, source: ScanSource) => {
    if (session.isBadge(text)) return void session.identify(text, source);
    if (groupId === null || picked === null) return show('rejected', m('scan.pickHousehold'));
    const c = temperatureC();
    if (c === null) return;
    const args = { groupId, household: picked, text, source, mode, ...(c !== undefined ? { temperatureC: c } : {}) };
    void client.call('door.scan', args).then((r) => took(r, () => client.call('door.scan', { ...args, confirmRepeat: true })));
  };
  useScanCapture(onScan);
  // A serial or HID scanner's scans come as events (the core sends them here at a door-to-door station).
  const latestScan = useRef(onScan);
  useEffect(() => {
    latestScan.current = onScan;
  });
  useEffect(() => client.on('doors.deviceScan', (p) => latestScan.current(p.text, p.source)), [client]);
  // A thermometer at hand fills in the temperature.
  useEffect(() => client.on('thermometer.reading', (r) => setTemperature(r.celsius.toFixed(1))), [client]);

  const actions: DoorActions = {
    sample: (r: DoorResidentView) => {
      if (groupId === null || picked === null) return;
      const c = temperatureC();
      if (c === null) return;
      const args = { groupId, household: picked, ref: r.ref, ...(c !== undefined ? { temperatureC: c } : {}) };
      void client.call('door.sample', args).then((res) => took(res, () => client.call('door.sample', { ...args, confirmRepeat: true })));
    },
    notHome: (r) => setNotHome({ ref: r?.ref ?? null, who: r?.name ?? t('door.household') }),
    refuse: (r) => setRefusing({ ref: r?.ref ?? null, who: r?.name ?? t('door.household') }),
    newTube: () => {
      if (groupId === null || picked === null) return;
      void client.call('door.openTube', { groupId, household: picked, mode }).then((r) => took(r, () => client.call('door.openTube', { groupId, household: picked, mode })));
    },
    seal: () => {
      void client.call('tube.seal', {}).then((r) => {
        if (!r.ok) return fail(r.error);
        show('full', { key: 'desk:outcome.sealed', params: { code: r.value.code } }, { key: 'desk:outcome.sealedDetail', params: { count: r.value.count } });
        loadDoor();
      });
    },
    undo: () => setUndoing(true),
  };

  if (groups === null) return <p className="loading">…</p>;

  return (
    <div className="doors" data-testid="doors-screen">
      <header className="side-block doors-bar" data-testid="doors-bar">
        {groups.length === 0 || !group ? (
          <div className="doors-none" data-testid="doors-no-group">
            <strong>{t('group.none')}</strong>
            <p className="muted">{mayAssign ? t('group.noneHint') : t('group.noneWait')}</p>
          </div>
        ) : (
          <>
            <div className="doors-group">
              {groups.length > 1 ? (
                <select className="input doors-group-pick" aria-label={t('group.label')} data-testid="doors-group-pick" value={group.id} onChange={(e) => setGroupId(e.target.value)}>
                  {groups.map((g) => (
                    <option key={g.id} value={g.id}>
                      {g.name}
                    </option>
                  ))}
                </select>
              ) : (
                <strong className="doors-group-name" data-testid="doors-group-name">
                  {group.name}
                </strong>
              )}
              <span className="doors-group-who">
                {t('group.collector', { name: group.collector.name })}
                {group.helpers.length > 0 ? ` · ${t('group.helpers', { names: listWords(group.helpers.map((h) => h.name)) })}` : ''}
              </span>
              <span className="doors-group-where muted">
                {listWords(group.areas.map((a) => areaWords(t, a)))} · {group.tags.length > 0 ? t('group.whom', { tags: listWords(group.tags.map((x) => t(`tags.${x}`))) }) : t('group.everyone')}
              </span>
              {group.round.closed ? <span className="doors-closed">{t('group.roundClosed', { round: group.round.name })}</span> : null}
            </div>
            <div className="doors-headline" data-testid="doors-headline">
              <span className="doors-headline-big">{t('progress.households', { done: group.progress.done, total: group.progress.households })}</span>
              <span className="doors-headline-big">{t('progress.people', { sampled: group.progress.sampled, total: group.progress.residents })}</span>
              <span className="muted">{t('progress.counts', { revisit: group.progress.revisit, toVisit: group.progress.toVisit, refused: group.progress.refused })}</span>
            </div>
          </>
        )}
        {mayAssign ? (
          <div className="doors-bar-actions">
            {group && !group.round.closed ? (
              <button type="button" className="btn" data-testid="doors-edit-group" onClick={() => setAssigning(group)}>
                {t('group.edit')}
              </button>
            ) : null}
            <button type="button" className="btn" data-testid="doors-new-group" onClick={() => setAssigning('new')}>
              {t('group.new')}
            </button>
          </div>
        ) : null}
      </header>
      {list ? (
        <div className="doors-body">
          <DoorList list={list} picked={picked} onPick={(h) => setPicked({ building: h.building, unit: h.unit, room: h.room })} />
          {door && sameHousehold(picked, door) ? (
            <DoorView
              door={door}
              tube={tube}
              mode={mode}
              onMode={setModeChoice}
              poolSize={poolSize}
              temperature={temperature}
              onTemperature={setTemperature}
              readOnly={readOnly}
              actions={actions}
            />
          ) : (
            <section className="side-block doors-door doors-door-empty">
              <p className="muted">{t('door.pick')}</p>
            </section>
          )}
        </div>
      ) : null}
      <AssignDialog
        target={assigning}
        onClose={() => setAssigning(null)}
        onSaved={(saved) => {
          setAssigning(null);
          show('accepted', m('done.assigned', { name: saved.name }));
          setGroupId(saved.id);
          refresh();
        }}
      />
      <ConfirmDialog
        pending={asked?.pending ?? null}
        onConfirm={() => {
          const again = asked?.again;
          setAsked(null);
          if (again) void again().then((r) => took(r, again));
        }}
        onCancel={(token, label) => {
          setAsked(null);
          void client.call('binding.cancel', { token });
          show('info', m('done.cancelled', { label }));
        }}
      />
      <RefuseDialog
        who={refusing?.who ?? null}
        temperatureC={typedTemperature(temperature)}
        onClose={() => setRefusing(null)}
        onSubmit={async (reason) => {
          if (!refusing || groupId === null || picked === null) return null;
          const c = typedTemperature(temperature);
          const r = await client.call('door.refuse', {
            groupId,
            household: picked,
            reason,
            ...(refusing.ref ? { ref: refusing.ref } : {}),
            ...(c !== undefined && !Number.isNaN(c) ? { temperatureC: c } : {}),
          });
          if (!r.ok) return r.error;
          setDoor(r.value);
          loadList();
          setTemperature('');
          show('info', m('done.refused', { who: refusing.who }));
          setRefusing(null);
          return null;
        }}
      />
      <NotHomeDialog
        who={notHome?.who ?? null}
        onClose={() => setNotHome(null)}
        onSubmit={async (revisitAt) => {
          if (!notHome || groupId === null || picked === null) return null;
          const r = await client.call('door.notHome', { groupId, household: picked, ...(notHome.ref ? { ref: notHome.ref } : {}), ...(revisitAt ? { revisitAt } : {}) });
          if (!r.ok) return r.error;
          setDoor(r.value);
          loadList();
          show('info', m('done.notHome', { who: notHome.who }));
          setNotHome(null);
          return null;
        }}
      />
      <ReasonDialog
        kind="undo"
        open={undoing}
        subject={tube ? t('desk:reason.undoSubjectTube', { code: tube.code }) : ''}
        onClose={() => setUndoing(false)}
        onSubmit={async (reason) => {
          const r = await client.call('binding.undo', { reason });
          if (!r.ok) {
            fail(r.error);
            return false;
          }
          show('info', { key: 'desk:outcome.undone', params: { label: r.value.person.label } }, { key: 'desk:outcome.undoneDetail', params: { code: r.value.tubeCode, count: r.value.count } });
          setUndoing(false);
          loadDoor();
          return true;
        }}
      />
    </div>
  );
}
