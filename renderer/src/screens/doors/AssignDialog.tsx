import { useEffect, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import { DOOR_TAGS, type DoorArea, type DoorGroupSummary, type DoorSetupView, type DoorTag } from '../../../../electron/api/doors';
import { useStation } from '../../app/station';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { useSession } from '../operators/SessionProvider';

type Props = {
  /** Closed (null), a new group ('new'), or the group whose assignment changes. */
  target: 'new' | DoorGroupSummary | null;
  onSaved: (group: DoorGroupSummary) => void;
  onClose: () => void;
};

/** Forms a door-to-door group, or gives one other households, staff or people to sample. */
export function AssignDialog({ target, onSaved, onClose }: Props) {
  return (
    <Modal open={target !== null} onCancel={onClose} labelledBy="doors-assign-title" className="doors-assign-modal">
      {target !== null ? <AssignForm target={target} onSaved={onSaved} onClose={onClose} /> : null}
    </Modal>
  );
}

const areaKey = (a: DoorArea) => `${a.building}\u0000${a.unit ?? ''}`;

function AssignForm({ target, onSaved, onClose }: Props & { target: 'new' | DoorGroupSummary }) {
  const client = useStation();
  const session = useSession();
  const { t, errorText } = useStationTranslation(['doors', 'operators']);
  const editing = target === 'new' ? null : target;
  const [setup, setSetup] = useState<DoorSetupView | null>(null);
  const [name, setName] = useState(editing?.name ?? '');
  const [collectorId, setCollectorId] = useState(editing?.collector.id ?? session.view?.operator?.id ?? '');
  const [helperIds, setHelperIds] = useState<string[]>(editing?.helpers.map((h) => h.id) ?? []);
  const [areas, setAreas] = useState<Set<string>>(new Set(editing?.areas.map(areaKey) ?? []));
  const [tags, setTags] = useState<DoorTag[]>(editing?.tags ?? []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void client.call('door.setup', {}).then((r) => {
      if (!r.ok) return setError(errorText(r.error));
      setSetup(r.value);
      // The one signed in leads by default, when they may; else the first who may.
      const leads = r.value.operators.filter((o) => o.role === 'collector' || o.role === 'admin');
      setCollectorId((id) => (leads.some((o) => o.id === id) ? id : (leads[0]?.id ?? '')));
    });
  }, [client, errorText]);

  const toggle = <T,>(list: T[], item: T): T[] => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);
  const toggleArea = (a: DoorArea) =>
    setAreas((current) => {
      const next = new Set(current);
      if (next.has(areaKey(a))) next.delete(areaKey(a));
      else next.add(areaKey(a));
      return next;
    });

  const chosen: DoorArea[] = [...areas].map((k) => {
    const [building, unit] = k.split('\u0000') as [string, string];
    return { building, unit: unit === '' ? null : unit };
  });
  const collectors = setup?.operators.filter((o) => o.role === 'collector' || o.role === 'admin') ?? [];
  const problem: string | null = !setup
    ? null
    : setup.rosterResidents === 0
      ? t('assign.noRoster')
      : !setup.round
        ? t('assign.noRound')
        : chosen.length === 0
          ? t('assign.noAreas')
          : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy || problem || name.trim() === '') return;
    setBusy(true);
    const args = { name: name.trim(), collectorId, helperIds: helperIds.filter((id) => id !== collectorId), areas: chosen, tags, ...(editing ? { groupId: editing.id } : {}) };
    void client.call('door.assign', args).then((r) => {
      setBusy(false);
      if (r.ok) onSaved(r.value);
      else setError(errorText(r.error as ApiError));
    });
  };

  return (
    <form className="modal-body doors-assign" data-testid="doors-assign-dialog" onSubmit={submit}>
      <h2 id="doors-assign-title">{editing ? t('assign.titleEdit') : t('assign.titleNew')}</h2>
      {setup ? (
        <>
          <div className="doors-assign-row">
            <label className="field">
              <span>{t('assign.name')}</span>
              <input className="input" data-testid="doors-assign-name" maxLength={40} placeholder={t('assign.namePlaceholder')} value={name} onChange={(e) => setName(e.target.value)} data-autofocus />
            </label>
            <label className="field">
              <span>{t('assign.collector')}</span>
              <select className="input" data-testid="doors-assign-collector" value={collectorId} onChange={(e) => setCollectorId(e.target.value)}>
                {collectors.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}（{t(`operators:roles.${o.role}`)}）
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset className="doors-assign-set">
            <legend>{t('assign.helpers')}</legend>
            {setup.operators
              .filter((o) => o.id !== collectorId)
              .map((o) => (
                <label key={o.id} className="doors-check">
                  <input type="checkbox" data-testid={`doors-assign-helper-${o.name}`} checked={helperIds.includes(o.id)} onChange={() => setHelperIds((ids) => toggle(ids, o.id))} />
                  {o.name}
                </label>
              ))}
          </fieldset>
          <fieldset className="doors-assign-set doors-assign-areas">
            <legend>{t('assign.areas')}</legend>
            {setup.buildings.map((b) => {
              const whole = areas.has(areaKey({ building: b.building, unit: null }));
              return (
                <div key={b.building} className="doors-assign-building">
                  <label className="doors-check doors-check-building">
                    <input type="checkbox" data-testid={`doors-assign-building-${b.building}`} checked={whole} onChange={() => toggleArea({ building: b.building, unit: null })} />
                    {t('group.building', { building: b.building })} · {t('assign.wholeBuilding')}
                  </label>
                  {b.units.map((u) => (
                    <label key={u.unit} className="doors-check">
                      <input
                        type="checkbox"
                        data-testid={`doors-assign-unit-${b.building}-${u.unit}`}
                        disabled={whole}
                        checked={whole || areas.has(areaKey({ building: b.building, unit: u.unit }))}
                        onChange={() => toggleArea({ building: b.building, unit: u.unit })}
                      />
                      <span className="doors-check-text">
                        {t('assign.unitLabel', { unit: u.unit })} <small className="muted">{t('assign.counts', { households: u.households, residents: u.residents })}</small>
                      </span>
                    </label>
                  ))}
                </div>
              );
            })}
          </fieldset>
          <fieldset className="doors-assign-set">
            <legend>{t('assign.tags')}</legend>
            {DOOR_TAGS.map((tag) => (
              <label key={tag} className="doors-check">
                <input type="checkbox" data-testid={`doors-assign-tag-${tag}`} checked={tags.includes(tag)} onChange={() => setTags((ts) => toggle(ts, tag))} />
                {t(`tags.${tag}`)}
              </label>
            ))}
            <p className="muted">{t('assign.tagsHint')}</p>
          </fieldset>
        </>
      ) : null}
      {problem || error ? (
        <p className="modal-problem" role="alert" data-testid="doors-assign-problem">
          {error ?? problem}
        </p>
      ) : null}
      <div className="modal-actions">
        <button type="submit" className="btn btn-primary" data-testid="doors-assign-save" disabled={busy || !setup || problem !== null || name.trim() === '' || collectorId === ''}>
          {t('assign.save')}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {t('actions.cancel')}
        </button>
      </div>
    </form>
  );
}
