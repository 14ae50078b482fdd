import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../../electron/api/contract';
import { mainlandMobile, type HouseholdView, type VisitView } from '../../../../../electron/api/gate';
import { useStation } from '../../../app/station';
import { useStationTranslation } from '../../../i18n';
import { ListTabs, type ListTab } from '../ListTabs';
import { useRefresh } from '../../../upload/useRefresh';
import { useGate } from '../GateProvider';
import { shownLevel } from '../words';
import './visitors.css';
import { isValidIdNumber } from '../../../../../electron/api/gb11643';

/** Expected stays offered as one press each, in minutes; or until a time. */
const STAYS = [30, 60, 120, 240, 480] as const;
type Stay = (typeof STAYS)[number] | 'until';
/** The list follows registrations and leavings, and readings attached to a visitor's passage. */
const LIST_EVENTS = ['gate.visit', 'gate.passage'] as const;
/** Ask for households once typing pauses this long. */
const SEARCH_AFTER_MS = 250;

/** What the ID number field says while it is typed: nothing yet, right, or what is wrong (the core checks again). */
function idNumberState(value: string): 'empty' | 'ok' | 'bad' {
  const v = value.trim();
  if (v === '') return 'empty';
  return isValidIdNumber(v) ? 'ok' : 'bad';
}

/** A time for `<input type="datetime-local">` (local time, to the minute). */
function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function hhmm(iso: string, language: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit', hour12: false });
}

/**
 * Visitor registration at the gate (访客登记): an outsider's name, ID number, mobile phone, reason,
 * the household they visit (found on the roster in use by building-unit-room) and how long they
 * stay; each field says what is wrong while it is typed. Below, the visitors on site (those past
 * their expected stay marked) with a button to record one leaving, or today's visits.
 */
export function VisitorPanel() {
  const client = useStation();
  const gate = useGate();
  const { t, language, errorText } = useStationTranslation(['gateVisitors', 'gate']);
  const [name, setName] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [phone, setPhone] = useState('');
  const [reason, setReason] = useState('');
  const [query, setQuery] = useState('');
  const [households, setHouseholds] = useState<HouseholdView[] | null>(null);
  const [householdError, setHouseholdError] = useState<ApiError | null>(null);
  const [household, setHousehold] = useState<string | null>(null);
  const [stay, setStay] = useState<Stay>(120);
  const [until, setUntil] = useState('');
  const [notice, setNotice] = useState<{ text: string; error: boolean; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState<ListTab>('onSite');
  const [visits, setVisits] = useState<VisitView[] | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);

  const refresh = useCallback(() => {
    void client.call('gate.visitors', { state: tab }).then((r) => r.ok && setVisits(r.value));
  }, [client, tab]);
  useRefresh(refresh, LIST_EVENTS);

  // Households for what is typed, once typing pauses; the latest question's answer only.
  const asked = useRef(0);
  useEffect(() => {
    const q = query.trim();
    const mine = ++asked.current;
    if (q === '' || household !== null) {
      setHouseholds(null);
      setHouseholdError(null);
      return;
    }
    const timer = setTimeout(() => {
      void client.call('gate.households', { query: q }).then((r) => {
        if (mine !== asked.current) return;
        setHouseholds(r.ok ? r.value : null);
        setHouseholdError(r.ok ? null : r.error);
      });
    }, SEARCH_AFTER_MS);
    return () => clearTimeout(timer);
  }, [client, query, household]);

  const idState = idNumberState(idNumber);
  const phoneState = phone.trim() === '' ? 'empty' : mainlandMobile(phone) ? 'ok' : 'bad';
  const untilMs = until === '' ? NaN : new Date(until).getTime();
  const untilBad = stay === 'until' && !(untilMs > Date.now());
  const ready = name.trim() !== '' && idState === 'ok' && phoneState === 'ok' && reason.trim() !== '' && household !== null && !untilBad;

  const clear = () => {
    setName('');
    setIdNumber('');
    setPhone('');
    setReason('');
    setQuery('');
    setHousehold(null);
    setStay(120);
    setUntil('');
    nameInput.current?.focus();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || busy || household === null) return;
    setBusy(true);
    const r = await client.call('gate.registerVisitor', {
      name: name.trim(),
      idNumber: idNumber.trim(),
      phone,
      reason: reason.trim(),
      household,
      stay: stay === 'until' ? { until: new Date(untilMs).toISOString() } : { minutes: stay },
    });
    setBusy(false);
    if (r.ok) {
      setNotice({ text: t('done.registered', { name: r.value.visit.person.label }), error: false });
      // The gate's current passage: its verdict is heard again when the thermometer's reading attaches.
      gate.select(r.value.passage);
      clear();
      refresh();
    } else {
      setNotice({ text: errorText(r.error), error: true, field: fieldOf(r.error) });
    }
  };

  const leave = async (visit: VisitView) => {
    const r = await client.call('gate.visitorLeave', { visitId: visit.id });
    if (r.ok) setNotice({ text: t('done.left', { name: visit.person.label, minutes: r.value.visit.left?.stayedMinutes ?? 0 }), error: false });
    else setNotice({ text: errorText(r.error), error: true });
    refresh();
  };

  return (
    <div className="visitor-panel" data-testid="visitor-panel">
      <form className="side-block visitor-form" data-testid="visitor-form" onSubmit={(e) => void submit(e)} noValidate>
        <h2 className="side-heading">{t('form.heading')}</h2>
        <div className="visitor-fields">
          <label className="field">
            <span className="field-label">{t('form.name')}</span>
            <input ref={nameInput} className="input" data-testid="visitor-name" value={name} maxLength={50} autoComplete="off" onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t('form.idNumber')}</span>
            <input
              className="input input-code"
              data-testid="visitor-id"
              data-state={idState}
              aria-invalid={idState === 'bad'}
              value={idNumber}
              maxLength={18}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => setIdNumber(e.target.value.replace(/\s/g, '').toUpperCase())}
            />
            {idState === 'bad' ? (
              <span className="field-check" data-testid="visitor-id-check">
                {t('check.idNumber')}
              </span>
            ) : null}
          </label>
          <label className="field">
            <span className="field-label">{t('form.phone')}</span>
            <input
              className="input input-code"
              data-testid="visitor-phone"
              type="tel"
              inputMode="tel"
              data-state={phoneState}
              aria-invalid={phoneState === 'bad'}
              value={phone}
              maxLength={20}
              autoComplete="off"
              onChange={(e) => setPhone(e.target.value)}
            />
            {phoneState === 'bad' ? (
              <span className="field-check" data-testid="visitor-phone-check">
                {t('check.phone')}
              </span>
            ) : null}
          </label>
          <label className="field">
            <span className="field-label">{t('form.reason')}</span>
            <input className="input" data-testid="visitor-reason" value={reason} maxLength={100} autoComplete="off" onChange={(e) => setReason(e.target.value)} />
          </label>
        </div>

        <div className="field" data-testid="visitor-household">
          <span className="field-label">{t('form.household')}</span>
          {household !== null ? (
            <div className="visitor-household-picked">
              <span data-testid="visitor-household-picked">{t('form.householdPicked', { household })}</span>
              <button
                type="button"
                className="btn"
                data-testid="visitor-household-change"
                onClick={() => {
                  setHousehold(null);
                  setQuery('');
                }}
              >
                {t('form.householdChange')}
              </button>
            </div>
          ) : (
            <>
              <input
                className="input input-code"
                data-testid="visitor-household-search"
                value={query}
                maxLength={40}
                placeholder={t('form.householdSearch')}
                spellCheck={false}
                autoComplete="off"
                onChange={(e) => setQuery(e.target.value)}
              />
              {householdError ? (
                <span className="field-check" data-testid="visitor-household-error">
                  {errorText(householdError)}
                </span>
              ) : households && households.length === 0 ? (
                <span className="field-check" data-testid="visitor-household-none">
                  {t('form.householdNone')}
                </span>
              ) : households ? (
                <ul className="visitor-households" data-testid="visitor-households">
                  {households.map((h) => (
                    <li key={h.household}>
                      <button type="button" className="btn visitor-household-option" data-testid={`visitor-household-option-${h.household}`} onClick={() => setHousehold(h.household)}>
                        <span className="input-code">{h.household}</span> <small>{t('form.householdResidents', { n: h.residents })}</small>
                      </button>
                    </li>
                  ))}
                </ul>
              ) : null}
            </>
          )}
        </div>

        <div className="field">
          <span className="field-label">{t('form.stay')}</span>
          <div className="visitor-stays" role="radiogroup" aria-label={t('form.stay')}>
            {STAYS.map((m) => (
              <button key={m} type="button" role="radio" aria-checked={stay === m} className={`segment${stay === m ? ' is-active' : ''}`} data-testid={`visitor-stay-${m}`} onClick={() => setStay(m)}>
                {m < 60 ? t('form.stayMinutes', { n: m }) : t('form.stayHours', { n: m / 60 })}
              </button>
            ))}
            <button
              type="button"
              role="radio"
              aria-checked={stay === 'until'}
              className={`segment${stay === 'until' ? ' is-active' : ''}`}
              data-testid="visitor-stay-until"
              onClick={() => {
                setStay('until');
                if (until === '') setUntil(localInputValue(Date.now() + 3600_000));
              }}
            >
              {t('form.stayUntil')}
            </button>
          </div>
          {stay === 'until' ? (
            <label className="field visitor-until">
              <span className="field-label">{t('form.untilTime')}</span>
              <input className="input" type="datetime-local" data-testid="visitor-until" data-state={untilBad ? 'bad' : 'ok'} value={until} onChange={(e) => setUntil(e.target.value)} />
              {untilBad ? (
                <span className="field-check" data-testid="visitor-until-check">
                  {t('check.untilTime')}
                </span>
              ) : null}
            </label>
          ) : null}
        </div>

        <div className="visitor-notice" role="status" data-testid="visitor-notice" data-error={notice?.error ? 'true' : 'false'} data-field={notice?.field ?? ''}>
          {notice?.text ?? ''}
        </div>
        <div className="visitor-actions">
          <button type="submit" className="btn btn-primary btn-big" data-testid="visitor-submit" disabled={!ready || busy}>
            {t('form.submit')}
          </button>
          <button type="button" className="btn" data-testid="visitor-clear" onClick={clear}>
            {t('form.clear')}
          </button>
        </div>
      </form>

      <section className="side-block visitor-list" data-testid="visitor-list">
        <ListTabs tab={tab} onTab={setTab} word={(k) => t(`list.${k}`)} testPrefix="visitors" className="visitor-tabs" />
        {visits === null ? null : visits.length === 0 ? (
          <p className="muted" data-testid="visitors-empty">
            {tab === 'onSite' ? t('list.empty') : t('list.emptyToday')}
          </p>
        ) : (
          <table className="visitor-table">
            <thead>
              <tr>
                <th>{t('list.name')}</th>
                <th>{t('list.household')}</th>
                <th>{t('list.reason')}</th>
                <th>{t('list.entered')}</th>
                <th>{t('list.until')}</th>
                <th>{t('list.state')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {visits.map((v) => (
                <tr key={v.id} data-testid={`visitor-row-${v.id}`} data-overstay={v.overstay ? 'true' : 'false'} className={v.overstay ? 'is-overstay' : v.left ? 'is-left' : ''}>
                  <td>
                    <strong>{v.person.label}</strong>
                    <br />
                    <small className="input-code">{v.maskedPhone ?? ''}</small>
                  </td>
                  <td className="input-code">{v.household ?? t('list.purged')}</td>
                  <td>{v.reason}</td>
                  <td>
                    {hhmm(v.enteredAt, language)}{' '}
                    <span
                      className={`visitor-verdict gate-level-${shownLevel(v.entry.verdict)}`}
                      data-testid={`visitor-verdict-${v.id}`}
                      data-level={shownLevel(v.entry.verdict)}
                      data-final={v.entry.verdict.final ? 'true' : 'false'}
                    >
                      {t(`gate:levelShort.${shownLevel(v.entry.verdict)}`)}
                    </span>
                    <br />
                    <small data-testid={`visitor-temperature-${v.id}`} className={`visitor-temp-${v.entry.temperature}`}>
                      {t(`gate:temperature.${v.entry.temperature}`)}
                    </small>
                  </td>
                  <td>{hhmm(v.expectedUntil, language)}</td>
                  <td data-testid={`visitor-state-${v.id}`}>
                    {v.left ? (
                      t('list.left', { minutes: v.left.stayedMinutes })
                    ) : v.overstay ? (
                      <span className="visitor-overstay">{t('list.overstay')}</span>
                    ) : (
                      <span className="visitor-on-site">{t('list.onSiteNow')}</span>
                    )}
                  </td>
                  <td>
                    {v.left ? null : (
                      <button type="button" className="btn" data-testid={`visitor-leave-${v.id}`} onClick={() => void leave(v)}>
                        {t('list.leave')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/** The form field a refusal is about, for the screen to point at. */
function fieldOf(error: ApiError): string | undefined {
  switch (error.code) {
    case 'gate.idNumberInvalid':
    case 'gate.visitorOnSite':
      return 'idNumber';
    case 'gate.phoneInvalid':
      return 'phone';
    case 'gate.householdUnknown':
    case 'gate.noRoster':
      return 'household';
    case 'gate.stayInvalid':
      return 'stay';
    default:
      return undefined;
  }
}

export default VisitorPanel;
