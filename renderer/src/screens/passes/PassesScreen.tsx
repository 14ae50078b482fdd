import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import {
  PASS_MAX_DAYS,
  PASS_STATES,
  type HouseholdPassesView,
  type HouseholdRef,
  type PassHouseholdView,
  type PassPreview,
  type PassState,
  type PassView,
} from '../../../../electron/api/passes';
import { useStation } from '../../app/station';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { useScanCapture } from '../../scanner/ScanCapture';
import { useRefresh } from '../../upload/useRefresh';
import { useSession } from '../operators/SessionProvider';
import './passes.css';

const PASS_EVENTS = ['passes.changed'] as const;
const PAGE = 50;
/** Sites keep one clock (UTC+8): a pass's days are the site's. */
const SITE_OFFSET_MS = 8 * 3600_000;

function siteDay(ms: number): string {
  return new Date(ms + SITE_OFFSET_MS).toISOString().slice(0, 10);
}

function siteDate(iso: string): string {
  return siteDay(Date.parse(iso));
}

const sameHousehold = (a: HouseholdRef | null, b: HouseholdRef) => a !== null && a.building === b.building && a.unit === b.unit && a.room === b.room;

/**
 * Resident passes (出入证): find a household of the roster, see its residents and their passes,
 * issue passes (a new one replaces a resident's earlier pass), preview and print them on the label
 * printer, revoke one with a reason (site admins), and look through every pass of the site.
 */
export function PassesScreen() {
  const client = useStation();
  const session = useSession();
  const { t, errorText } = useStationTranslation('passes');
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [picked, setPicked] = useState<HouseholdRef | null>(null);
  const [household, setHousehold] = useState<PassHouseholdView | null>(null);
  const [preview, setPreview] = useState<{ pass: PassView; image: PassPreview } | null>(null);
  const [revoking, setRevoking] = useState<PassView | null>(null);
  const [version, setVersion] = useState(0);
  const [listQuery, setListQuery] = useState('');

  // A scan here finds passes: a pass's QR, or a resident's ID card. A badge still switches operator.
  useScanCapture((text, source) => {
    if (session.isBadge(text)) void session.identify(text, source);
    else setListQuery(text.trim().slice(0, 64));
  });

  const say = useCallback((text: string, error = false) => setNotice({ text, error }), []);
  const fail = useCallback((error: ApiError) => say(errorText(error), true), [say, errorText]);

  const loadHousehold = useCallback(() => {
    if (!picked) {
      setHousehold(null);
      return;
    }
    void client.call('pass.residents', { household: picked }).then((r) => (r.ok ? setHousehold(r.value) : (setHousehold(null), fail(r.error))));
  }, [client, picked, fail]);
  const refreshAll = useCallback(() => {
    loadHousehold();
    setVersion((v) => v + 1);
  }, [loadHousehold]);
  useRefresh(refreshAll, PASS_EVENTS);
  useEffect(loadHousehold, [loadHousehold]);

  const openPreview = (pass: PassView) => {
    void client.call('pass.preview', { passId: pass.id }).then((r) => (r.ok ? setPreview({ pass, image: r.value }) : fail(r.error)));
  };
  const print = (pass: PassView) => {
    void client.call('pass.print', { passId: pass.id }).then((r) => {
      if (!r.ok) return fail(r.error);
      if (r.value.printed) say(t('done.printed', { name: pass.name }));
      else say(t('done.printFailed', { name: pass.name, fault: t(`labels:printer.fault.${r.value.fault ?? 'printer-error'}`) }), true);
    });
  };
  const actions = { preview: openPreview, print, revoke: session.may('pass.revoke') ? setRevoking : null };

  return (
    <div className="passes" data-testid="passes-screen">
      <div className="passes-notice" role="status" data-testid="passes-notice" data-error={notice?.error ? 'true' : 'false'}>
        {notice?.text ?? ''}
      </div>
      <HouseholdPicker picked={picked} onPick={setPicked} version={version} onError={fail} />
      <section className="side-block passes-household" data-testid="passes-household">
        {household ? (
          <>
            <h2 className="side-heading">{t('residents.heading', { household: household.household })}</h2>
            <IssueForm
              // Another household, or its residents changed: all of them are ticked again.
              key={`${household.household}|${household.residents.map((r) => r.ref).join(',')}`}
              household={household}
              actions={actions}
              onIssued={(issued) => {
                say(t('done.issued', { count: issued.length }));
                refreshAll();
              }}
              onError={fail}
            />
          </>
        ) : (
          <p className="muted" data-testid="passes-pick">
            {t('residents.pick')}
          </p>
        )}
      </section>
      <PassList version={version} actions={actions} onError={fail} query={listQuery} onQuery={setListQuery} />
      <Modal open={preview !== null} onCancel={() => setPreview(null)} labelledBy="pass-preview-title">
        {preview ? (
          <div className="modal-body" data-testid="passes-preview">
            <h2 id="pass-preview-title">{t('preview.title', { name: preview.pass.name })}</h2>
            <img className="passes-preview-image" data-testid="passes-preview-image" src={preview.image.png} alt={t('preview.alt')} style={{ aspectRatio: `${preview.image.widthMm} / ${preview.image.heightMm}` }} />
            <div className="modal-actions">
              <button type="button" className="btn" data-testid="passes-preview-close" onClick={() => setPreview(null)}>
                {t('actions.close')}
              </button>
              <button type="button" className="btn btn-primary" data-testid="passes-preview-print" data-autofocus onClick={() => print(preview.pass)}>
                {t('actions.print')}
              </button>
            </div>
          </div>
        ) : null}
      </Modal>
      <RevokeDialog
        pass={revoking}
        onClose={() => setRevoking(null)}
        onRevoke={async (reason) => {
          if (!revoking) return null;
          const r = await client.call('pass.revoke', { passId: revoking.id, reason });
          if (!r.ok) return r.error;
          say(t('done.revoked', { name: r.value.name }));
          setRevoking(null);
          refreshAll();
          return null;
        }}
      />
    </div>
  );
}

type Actions = { preview: (p: PassView) => void; print: (p: PassView) => void; revoke: ((p: PassView) => void) | null };

/** A pass's state in words, with its validity, the revocation's reason, and where it was issued. */
function PassStateText({ pass }: { pass: PassView }) {
  const { t } = useStationTranslation('passes');
  const reason = pass.revoked ? (pass.revoked.reason === 'reissued' ? t('pass.reissued') : pass.revoked.reason) : null;
  return (
    <span className="passes-state" data-testid={`passes-state-${pass.id}`} data-state={pass.state}>
      <span className={`passes-chip passes-chip-${pass.state}`}>{t(`state.${pass.state}`)}</span>{' '}
      <span className="muted">{t('pass.validRange', { from: siteDate(pass.validFrom), until: siteDate(pass.validUntil) })}</span>
      {reason !== null ? <span className="passes-reason"> {t('pass.revokedBecause', { reason })}</span> : null}
      {pass.origin === 'feed' ? <span className="muted"> {t('pass.issuedElsewhere')}</span> : null}
    </span>
  );
}

function PassActions({ pass, actions }: { pass: PassView; actions: Actions }) {
  const { t } = useStationTranslation('passes');
  const printable = pass.state === 'valid' || pass.state === 'notYetValid';
  return (
    <span className="passes-actions">
      {printable ? (
        <>
          <button type="button" className="btn" data-testid={`passes-preview-${pass.id}`} onClick={() => actions.preview(pass)}>
            {t('actions.preview')}
          </button>
          <button type="button" className="btn" data-testid={`passes-print-${pass.id}`} onClick={() => actions.print(pass)}>
            {t('actions.print')}
          </button>
        </>
      ) : null}
      {actions.revoke && pass.state !== 'revoked' ? (
        <button type="button" className="btn btn-danger-outline" data-testid={`passes-revoke-${pass.id}`} onClick={() => actions.revoke?.(pass)}>
          {t('actions.revoke')}
        </button>
      ) : null}
    </span>
  );
}

/** Households of the roster in use, found by building-unit-room or a resident's name, with how many valid passes they hold. */
function HouseholdPicker({ picked, onPick, version, onError }: { picked: HouseholdRef | null; onPick: (h: HouseholdRef) => void; version: number; onError: (e: ApiError) => void }) {
  const client = useStation();
  const { t } = useStationTranslation('passes');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState<{ total: number; households: HouseholdPassesView[] } | null>(null);
  const [limit, setLimit] = useState(PAGE);

  useEffect(() => {
    const timer = setTimeout(() => {
      void client.call('pass.households', { query, limit, offset: 0 }).then((r) => (r.ok ? setPage(r.value) : onError(r.error)));
    }, 150);
    return () => clearTimeout(timer);
  }, [client, query, limit, version, onError]);

  return (
    <section className="side-block passes-households" data-testid="passes-households">
      <h2 className="side-heading">{t('households.heading')}</h2>
      <label className="field">
        <span className="field-label">{t('households.search')}</span>
        <input
          className="input"
          data-testid="passes-household-query"
          value={query}
          maxLength={64}
          placeholder={t('households.searchHint')}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => {
            setQuery(e.target.value);
            setLimit(PAGE);
          }}
        />
      </label>
      {page === null ? null : page.total === 0 ? (
        <p className="muted" data-testid="passes-households-empty">
          {query.trim() === '' ? t('households.noRoster') : t('households.empty')}
        </p>
      ) : (
        <>
          <p className="muted" data-testid="passes-households-total">
            {t('households.total', { total: page.total })}
          </p>
          <ul className="passes-household-list">
            {page.households.map((h) => (
              <li key={h.household}>
                <button
                  type="button"
                  className={`passes-household-button ${sameHousehold(picked, h) ? 'is-picked' : ''}`}
                  data-testid={`passes-household-${h.household}`}
                  aria-pressed={sameHousehold(picked, h)}
                  onClick={() => onPick({ building: h.building, unit: h.unit, room: h.room })}
                >
                  <span className="passes-household-name">{h.household}</span>
                  <span className="muted">{t('households.count', { residents: h.residents, valid: h.validPasses })}</span>
                </button>
              </li>
            ))}
          </ul>
          {page.households.length < page.total ? (
            <button type="button" className="btn" data-testid="passes-households-more" onClick={() => setLimit((l) => Math.min(200, l + PAGE))} disabled={limit >= 200}>
              {t('households.more')}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}

/** The household's residents with their passes, ticked for issuing, and the validity to issue with. */
function IssueForm({
  household,
  actions,
  onIssued,
  onError,
}: {
  household: PassHouseholdView;
  actions: Actions;
  onIssued: (issued: PassView[]) => void;
  onError: (e: ApiError) => void;
}) {
  const client = useStation();
  const { t } = useStationTranslation('passes');
  const today = siteDay(Date.now());
  const [from, setFrom] = useState(today);
  const [until, setUntil] = useState(siteDay(Date.now() + 29 * 86_400_000));
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(household.residents.map((r) => r.ref)));
  const [busy, setBusy] = useState(false);
  const [hint, setHint] = useState<string | null>(null);

  const toggle = (ref: string) =>
    setChosen((c) => {
      const next = new Set(c);
      if (next.has(ref)) next.delete(ref);
      else next.add(ref);
      return next;
    });
  const allChosen = household.residents.every((r) => chosen.has(r.ref));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const residents = household.residents.filter((r) => chosen.has(r.ref)).map((r) => r.ref);
    if (residents.length === 0) {
      setHint(t('issue.noneSelected'));
      return;
    }
    setHint(null);
    setBusy(true);
    const h = { building: household.building, unit: household.unit, room: household.room };
    void client.call('pass.issue', { household: h, residents, validFrom: from, validUntil: until }).then((r) => {
      setBusy(false);
      if (r.ok) onIssued(r.value);
      else onError(r.error);
    });
  };

  return (
    <form className="passes-issue" onSubmit={submit} data-testid="passes-issue-form">
      <table className="passes-table" data-testid="passes-residents">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label={t('residents.selectAll')}
                data-testid="passes-resident-all"
                checked={allChosen}
                onChange={() => setChosen(allChosen ? new Set() : new Set(household.residents.map((r) => r.ref)))}
              />
            </th>
            <th>{t('residents.name')}</th>
            <th>{t('residents.idNumber')}</th>
            <th>{t('residents.pass')}</th>
            <th>{t('residents.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {household.residents.map((r, i) => (
            <tr key={r.ref} data-testid={`passes-resident-${i}`}>
              <td>
                <input type="checkbox" aria-label={t('residents.select')} data-testid={`passes-resident-check-${i}`} checked={chosen.has(r.ref)} onChange={() => toggle(r.ref)} />
              </td>
              <td className="passes-name">{r.name}</td>
              <td className="code">{r.maskedIdNumber}</td>
              <td>{r.pass ? <PassStateText pass={r.pass} /> : <span className="muted">{t('residents.none')}</span>}</td>
              <td>{r.pass ? <PassActions pass={r.pass} actions={actions} /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <fieldset className="passes-validity">
        <legend>{t('issue.heading')}</legend>
        <label className="field">
          <span className="field-label">{t('issue.validFrom')}</span>
          <input className="input" type="date" data-testid="passes-valid-from" value={from} min={today} required onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t('issue.validUntil')}</span>
          <input className="input" type="date" data-testid="passes-valid-until" value={until} min={from} required onChange={(e) => setUntil(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="passes-issue" disabled={busy}>
          {t('issue.submit', { count: household.residents.filter((r) => chosen.has(r.ref)).length })}
        </button>
      </fieldset>
      <p className="muted">{t('issue.hint', { maxDays: PASS_MAX_DAYS })}</p>
      {hint ? (
        <p className="passes-hint" role="alert" data-testid="passes-issue-hint">
          {hint}
        </p>
      ) : null}
    </form>
  );
}

/** Every pass of the site, newest first: by name, ID number's last digits or a scanned code, and by state. */
function PassList({
  version,
  actions,
  onError,
  query,
  onQuery,
}: {
  version: number;
  actions: Actions;
  onError: (e: ApiError) => void;
  query: string;
  onQuery: (q: string) => void;
}) {
  const client = useStation();
  const { t } = useStationTranslation('passes');
  const [state, setState] = useState<PassState | ''>('');
  const [limit, setLimit] = useState(PAGE);
  const [page, setPage] = useState<{ total: number; passes: PassView[] } | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => {
      const args = { limit, offset: 0, ...(query.trim() ? { query: query.trim() } : {}), ...(state ? { state } : {}) };
      void client.call('pass.list', args).then((r) => (r.ok ? setPage(r.value) : onError(r.error)));
    }, 150);
    return () => clearTimeout(timer);
  }, [client, query, state, limit, version, onError]);

  return (
    <section className="side-block passes-list" data-testid="passes-list">
      <h2 className="side-heading">{t('list.heading')}</h2>
      <div className="passes-filters">
        <label className="field">
          <span className="field-label">{t('list.query')}</span>
          <input
            className="input"
            data-testid="passes-list-query"
            value={query}
            maxLength={64}
            placeholder={t('list.queryHint')}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => {
              onQuery(e.target.value);
              setLimit(PAGE);
            }}
          />
        </label>
        <label className="field">
          <span className="field-label">{t('list.state')}</span>
          <select className="input" data-testid="passes-list-state" value={state} onChange={(e) => setState(e.target.value as PassState | '')}>
            <option value="">{t('list.allStates')}</option>
            {PASS_STATES.map((s) => (
              <option key={s} value={s}>
                {t(`state.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {page === null ? null : page.total === 0 ? (
        <p className="muted" data-testid="passes-list-empty">
          {t('list.empty')}
        </p>
      ) : (
        <>
          <p className="muted" data-testid="passes-list-total">
            {t('list.total', { total: page.total })}
          </p>
          <table className="passes-table" data-testid="passes-list-table">
            <thead>
              <tr>
                <th>{t('list.name')}</th>
                <th>{t('list.household')}</th>
                <th>{t('list.validity')}</th>
                <th>{t('list.station')}</th>
                <th>{t('residents.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {page.passes.map((p) => (
                <tr key={p.id} data-testid={`passes-row-${p.id}`}>
                  <td className="passes-name">
                    {p.name}
                    <div className="muted code passes-nowrap">{p.maskedCode}</div>
                  </td>
                  <td className="passes-nowrap">{p.household}</td>
                  <td>
                    <PassStateText pass={p} />
                  </td>
                  <td className="passes-nowrap">{p.stationName}</td>
                  <td>
                    <PassActions pass={p} actions={actions} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.passes.length < page.total ? (
            <button type="button" className="btn" data-testid="passes-list-more" onClick={() => setLimit((l) => Math.min(200, l + PAGE))} disabled={limit >= 200}>
              {t('list.more')}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}

function RevokeDialog({ pass, onClose, onRevoke }: { pass: PassView | null; onClose: () => void; onRevoke: (reason: string) => Promise<ApiError | null> }) {
  const { t, errorText } = useStationTranslation('passes');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setReason('');
    setError(null);
  }, [pass]);
  return (
    <Modal open={pass !== null} onCancel={onClose} labelledBy="pass-revoke-title">
      {pass ? (
        <form
          className="modal-body"
          data-testid="passes-revoke-dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (busy || reason.trim() === '') return;
            setBusy(true);
            void onRevoke(reason.trim()).then((err) => {
              setBusy(false);
              setError(err ? errorText(err) : null);
            });
          }}
        >
          <h2 id="pass-revoke-title">{t('revoke.title', { name: pass.name })}</h2>
          <label className="field">
            <span className="field-label">{t('revoke.reason')}</span>
            <input className="input" data-testid="passes-revoke-reason" data-autofocus value={reason} maxLength={200} required onChange={(e) => setReason(e.target.value)} />
          </label>
          <p className="muted">{t('revoke.reasonHint')}</p>
          <p className="passes-hint" role="alert">
            {error ?? ''}
          </p>
          <div className="modal-actions">
            <button type="button" className="btn" data-testid="passes-revoke-cancel" onClick={onClose}>
              {t('actions.cancel')}
            </button>
            <button type="submit" className="btn btn-danger" data-testid="passes-revoke-submit" disabled={busy || reason.trim() === ''}>
              {t('revoke.submit')}
            </button>
          </div>
        </form>
      ) : null}
    </Modal>
  );
}
