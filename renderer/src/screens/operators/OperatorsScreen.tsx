import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ApiError, Result } from '../../../../electron/api/contract';
import { PIN_MAX_DIGITS, ROLES, type OperatorRecord, type OperatorSettings, type Role } from '../../../../electron/api/operators';
import { useStation } from '../../app/station';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { ChangePinDialog } from './ChangePin';
import { useNewOperatorFields } from './new-operator';
import { useSession } from './SessionProvider';
import { useRoleWords } from './words';
import './operators.css';

/**
 * A site admin's operators: add one (with a role, a badge and a PIN typed twice), change a role,
 * reset a PIN (a temporary one its operator replaces at sign-in; one's own is changed with the
 * current PIN), disable, enable, unlock. Each change is journalled under the admin's name and goes
 * to HQ, which shares it with every station of the site; operators HQ made arrive the same way.
 */
export function OperatorsScreen() {
  const { t, errorText } = useStationTranslation('operators');
  const client = useStation();
  const session = useSession();
  const role = useRoleWords();
  const [operators, setOperators] = useState<OperatorRecord[] | null>(null);
  const [settings, setSettings] = useState<OperatorSettings | null>(null);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [resetting, setResetting] = useState<OperatorRecord | null>(null);
  const [changingPin, setChangingPin] = useState(false);

  const refresh = useCallback(() => {
    void client.call('operator.list', {}).then((r) => r.ok && setOperators(r.value));
    void client.call('operator.settings', {}).then((r) => r.ok && setSettings(r.value));
  }, [client]);
  useEffect(refresh, [refresh]);
  useEffect(() => client.on('operators.changed', refresh), [client, refresh]);

  /** Runs a change; says what happened in words, either way. */
  const act = async (call: Promise<Result<OperatorRecord>>, done: (o: OperatorRecord) => string): Promise<boolean> => {
    const r = await call;
    setNotice(r.ok ? { text: done(r.value), error: false } : { text: errorText(r.error), error: true });
    if (r.ok) refresh();
    return r.ok;
  };
  const me = session.view?.operator?.id;

  return (
    <div className="operators" data-testid="operators-screen">
      <section className="side-block">
        <h2 className="side-heading">{t('list.heading')}</h2>
        <div className="operators-notice" role="status" data-testid="operators-notice" data-error={notice?.error ? 'true' : 'false'}>
          {notice?.text ?? ''}
        </div>
        {operators === null ? null : operators.length === 0 ? (
          <p className="muted">{t('list.empty')}</p>
        ) : (
          <table className="operators-table" data-testid="operators-table">
            <thead>
              <tr>
                <th>{t('list.name')}</th>
                <th>{t('list.code')}</th>
                <th>{t('list.badge')}</th>
                <th>{t('list.role')}</th>
                <th>{t('list.state')}</th>
                <th>{t('list.origin')}</th>
                <th>{t('list.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {operators.map((o) => (
                <tr key={o.id} data-testid={`operator-${o.code}`} className={o.disabled ? 'is-disabled' : ''}>
                  <td>
                    {o.name}
                    {o.id === me ? t('list.you') : ''}
                  </td>
                  <td className="code">{o.code}</td>
                  <td className="code">{o.badge ?? '—'}</td>
                  <td>
                    <select
                      className="input"
                      aria-label={t('list.role')}
                      data-testid={`role-${o.code}`}
                      value={o.role}
                      onChange={(e) => void act(client.call('operator.update', { id: o.id, role: e.target.value as Role }), (x) => t('done.updated', { name: x.name, code: x.code }))}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {role(r)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td data-testid={`state-${o.code}`}>
                    <StateText operator={o} />
                  </td>
                  <td>{o.origin === 'here' ? t('list.here') : t('list.feed')}</td>
                  <td className="operators-actions">
                    {/* One's own PIN is changed with the current one, never reset. */}
                    {o.id === me ? (
                      <button type="button" className="btn" data-testid={`change-pin-${o.code}`} onClick={() => setChangingPin(true)}>
                        {t('actions.changeOwnPin')}
                      </button>
                    ) : (
                      <button type="button" className="btn" data-testid={`reset-${o.code}`} onClick={() => setResetting(o)}>
                        {t('actions.resetPin')}
                      </button>
                    )}
                    {o.lockedOut || o.wrongPins > 0 ? (
                      <button type="button" className="btn" data-testid={`unlock-${o.code}`} onClick={() => void act(client.call('operator.unlock', { id: o.id }), (x) => t('done.unlocked', { name: x.name }))}>
                        {t('actions.unlock')}
                      </button>
                    ) : null}
                    {o.disabled ? (
                      <button type="button" className="btn" data-testid={`enable-${o.code}`} onClick={() => void act(client.call('operator.enable', { id: o.id }), (x) => t('done.enabled', { name: x.name }))}>
                        {t('actions.enable')}
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="btn btn-danger-outline"
                        data-testid={`disable-${o.code}`}
                        disabled={o.id === me}
                        onClick={() => void act(client.call('operator.disable', { id: o.id }), (x) => t('done.disabled', { name: x.name }))}
                      >
                        {t('actions.disable')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <div className="operators-side">
        <CreateForm onCreate={(args) => act(client.call('operator.create', args), (x) => t('done.created', { name: x.name, code: x.code }))} />
        {settings ? <IdleLockForm settings={settings} onSaved={setSettings} /> : null}
      </div>
      <ChangePinDialog
        open={changingPin}
        onClose={() => {
          setChangingPin(false);
          refresh();
        }}
      />
      <ResetPinDialog
        operator={resetting}
        onClose={() => setResetting(null)}
        onReset={async (pin) => {
          if (!resetting) return null;
          const r = await client.call('operator.resetPin', { id: resetting.id, pin });
          if (!r.ok) return r.error;
          setNotice({ text: t('done.pinSet', { name: r.value.name }), error: false });
          setResetting(null);
          refresh();
          return null;
        }}
      />
    </div>
  );
}

function StateText({ operator: o }: { operator: OperatorRecord }) {
  const { t } = useStationTranslation('operators');
  if (o.disabled) return <span className="state-bad">{t('list.disabled')}</span>;
  if (o.lockedOut) return <span className="state-bad">{t('list.lockedOut')}</span>;
  if (!o.hasPin) return <span className="state-warn">{t('list.noPin')}</span>;
  if (o.wrongPins > 0) return <span className="state-warn">{t('list.wrongPins', { count: o.wrongPins })}</span>;
  if (o.mustChangePin) return <span className="state-warn">{t('list.mustChangePin')}</span>;
  return <span className="state-ok">{t('list.ok')}</span>;
}

type CreateArgs = { name: string; code: string; role: Role; pin: string; badge?: string };

function CreateForm({ onCreate }: { onCreate: (args: CreateArgs) => Promise<boolean> }) {
  const { t } = useStationTranslation('operators');
  const role = useRoleWords();
  const { name, setName, code, setCode, badge, setBadge, pin, setPin, again, setAgain, mismatch, take, clear } = useNewOperatorFields();
  const [chosen, setChosen] = useState<Role>('collector');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const fields = take();
    if (fields && (await onCreate({ ...fields, role: chosen }))) clear();
  };

  return (
    <form className="side-block operators-create" onSubmit={(e) => void submit(e)} data-testid="operator-create">
      <h2 className="side-heading">{t('create.heading')}</h2>
      <label className="field">
        <span className="field-label">{t('setup.name')}</span>
        <input className="input" data-testid="create-name" value={name} maxLength={50} required onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">{t('setup.code')}</span>
        <input className="input" data-testid="create-code" value={code} maxLength={32} required spellCheck={false} autoComplete="off" onChange={(e) => setCode(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">{t('list.role')}</span>
        <select className="input" data-testid="create-role" value={chosen} onChange={(e) => setChosen(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {role(r)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">{t('setup.badge')}</span>
        <input className="input" data-testid="create-badge" value={badge} maxLength={64} spellCheck={false} autoComplete="off" placeholder={t('setup.badgeHint')} onChange={(e) => setBadge(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">{t('setup.pin')}</span>
        <input className="input input-pin" data-testid="create-pin" type="password" inputMode="numeric" autoComplete="new-password" value={pin} maxLength={PIN_MAX_DIGITS} required onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))} />
      </label>
      <label className="field">
        <span className="field-label">{t('setup.pinAgain')}</span>
        <input className="input input-pin" data-testid="create-pin-again" type="password" inputMode="numeric" autoComplete="new-password" value={again} maxLength={PIN_MAX_DIGITS} required onChange={(e) => setAgain(e.target.value.replace(/\D/g, ''))} />
      </label>
      <p className="muted">{t('pinRules')}</p>
      {mismatch ? <p className="state-bad">{t('setup.mismatch')}</p> : null}
      <button type="submit" className="btn btn-primary" data-testid="create-submit">
        {t('create.submit')}
      </button>
      <p className="muted">{t('create.hint')}</p>
    </form>
  );
}

function ResetPinDialog({ operator, onClose, onReset }: { operator: OperatorRecord | null; onClose: () => void; onReset: (pin: string) => Promise<ApiError | null> }) {
  const { t, errorText } = useStationTranslation('operators');
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setPin('');
    setAgain('');
    setError(null);
  }, [operator]);
  return (
    <Modal open={operator !== null} onCancel={onClose} labelledBy="reset-pin-title">
      {operator ? (
        <form
          className="modal-body"
          data-testid="reset-pin-dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (pin !== again) {
              setError(t('setup.mismatch'));
              setAgain('');
              return;
            }
            void onReset(pin).then((err) => setError(err ? errorText(err) : null));
          }}
        >
          <h2 id="reset-pin-title">{t('reset.title', { name: operator.name, code: operator.code })}</h2>
          <p>{t('reset.explain')}</p>
          <label className="field">
            <span className="field-label">{t('setup.pin')}</span>
            <input className="input input-pin" data-testid="reset-pin" data-autofocus type="password" inputMode="numeric" autoComplete="new-password" value={pin} maxLength={PIN_MAX_DIGITS} required onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))} />
          </label>
          <label className="field">
            <span className="field-label">{t('setup.pinAgain')}</span>
            <input className="input input-pin" data-testid="reset-pin-again" type="password" inputMode="numeric" autoComplete="new-password" value={again} maxLength={PIN_MAX_DIGITS} required onChange={(e) => setAgain(e.target.value.replace(/\D/g, ''))} />
          </label>
          <p className="muted">{t('pinRules')}</p>
          <p className="state-bad" role="alert">
            {error ?? ''}
          </p>
          <div className="modal-actions">
            <button type="button" className="btn" onClick={onClose}>
              {t('common:actions.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" data-testid="reset-submit">
              {t('reset.submit')}
            </button>
          </div>
        </form>
      ) : null}
    </Modal>
  );
}

function IdleLockForm({ settings, onSaved }: { settings: OperatorSettings; onSaved: (s: OperatorSettings) => void }) {
  const { t } = useStationTranslation('operators');
  const client = useStation();
  const [minutes, setMinutes] = useState(String(settings.stationMinutes ?? settings.idleLockMinutes));
  const source =
    settings.source === 'site'
      ? t('settings.fromSite', { minutes: settings.idleLockMinutes })
      : settings.source === 'station'
        ? t('settings.fromStation', { minutes: settings.idleLockMinutes })
        : t('settings.fromDefault', { minutes: settings.idleLockMinutes });
  return (
    <form
      className="side-block"
      data-testid="idle-lock-form"
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(minutes);
        if (!Number.isInteger(n) || n < 1 || n > 240) return;
        void client.call('operator.setIdleLock', { minutes: n }).then((r) => r.ok && onSaved(r.value));
      }}
    >
      <h2 className="side-heading">{t('settings.heading')}</h2>
      <p className="muted" data-testid="idle-lock-source">
        {source}
      </p>
      <label className="field">
        <span className="field-label">{t('settings.minutes')}</span>
        <span className="manual-row">
          <input className="input" type="number" min={1} max={240} data-testid="idle-lock-minutes" value={minutes} onChange={(e) => setMinutes(e.target.value)} />
          <button type="submit" className="btn">
            {t('settings.save')}
          </button>
        </span>
      </label>
    </form>
  );
}
