import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../../electron/api/contract';
import { mainlandMobile, VEHICLE_MAX_PASSENGERS, type Direction, type VehiclePassageView } from '../../../../../electron/api/gate';
import { checkPlate, PLATE_MAX_LENGTH } from '../../../../../electron/api/plate';
import { useStation } from '../../../app/station';
import { useStationTranslation } from '../../../i18n';
import { ListTabs, type ListTab } from '../ListTabs';
import { useRefresh } from '../../../upload/useRefresh';
import './vehicles.css';

const LIST_EVENTS = ['gate.vehiclePassage'] as const;

function hhmm(iso: string, language: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit', hour12: false });
}

/**
 * The gate's vehicle lane (车辆通道): a plate checked while it is typed (mainland formats, new-energy
 * plates included; its kind shown), the driver, their phone, passengers and purpose, in or out.
 * Leaving, the plate alone is enough (the core takes the entry's driver and purpose). Below, the
 * vehicles on site, each with a button to record it leaving, or today's vehicle passages.
 */
export function VehicleLane() {
  const client = useStation();
  const { t, language, errorText } = useStationTranslation('gateVehicles');
  const [direction, setDirection] = useState<Direction>('in');
  const [plate, setPlate] = useState('');
  const [driver, setDriver] = useState('');
  const [phone, setPhone] = useState('');
  const [passengers, setPassengers] = useState(0);
  const [purpose, setPurpose] = useState('');
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState<ListTab>('onSite');
  const [vehicles, setVehicles] = useState<VehiclePassageView[] | null>(null);
  const plateInput = useRef<HTMLInputElement>(null);

  // The gate's direction, as the station is set; the gate keeper may switch it for this vehicle.
  useEffect(() => {
    void client.call('gate.settings', {}).then((r) => r.ok && setDirection(r.value.direction));
    return client.on('station.workplace', (view) => setDirection(view.direction));
  }, [client]);

  const refresh = useCallback(() => {
    void client.call('gate.vehicles', { state: tab }).then((r) => r.ok && setVehicles(r.value));
  }, [client, tab]);
  useRefresh(refresh, LIST_EVENTS);

  const checked = plate.trim() === '' ? null : checkPlate(plate);
  const phoneState = phone.trim() === '' ? 'empty' : mainlandMobile(phone) ? 'ok' : 'bad';
  const detailsNeeded = direction === 'in' && (driver.trim() === '' || purpose.trim() === '');
  const ready = checked?.ok === true && phoneState !== 'bad' && !detailsNeeded;

  const clear = () => {
    setPlate('');
    setDriver('');
    setPhone('');
    setPassengers(0);
    setPurpose('');
    plateInput.current?.focus();
  };

  const record = async (args: { plate: string; direction: Direction; driver: string; driverPhone?: string; passengers: number; purpose: string }): Promise<boolean> => {
    setBusy(true);
    const r = await client.call('gate.vehicle', args);
    setBusy(false);
    if (r.ok) setNotice({ text: t(r.value.direction === 'in' ? 'done.in' : 'done.out', { plate: r.value.plateDisplay }), error: false });
    else setNotice({ text: refusal(r.error), error: true });
    refresh();
    return r.ok;
  };

  /** A refused plate says what is wrong with it, as the field does while it is typed. */
  const refusal = (error: ApiError): string => {
    const problem = error.params?.problem;
    return error.code === 'gate.plateInvalid' && typeof problem === 'string' ? `${errorText(error)} ${t(`plate.${problem}`)}` : errorText(error);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || busy) return;
    const args = { plate, direction, driver: driver.trim(), passengers, purpose: purpose.trim(), ...(phone.trim() !== '' ? { driverPhone: phone } : {}) };
    if (await record(args)) clear();
  };

  return (
    <div className="vehicle-lane" data-testid="vehicle-lane">
      <form className="side-block vehicle-form" data-testid="vehicle-form" onSubmit={(e) => void submit(e)} noValidate>
        <h2 className="side-heading">{t('form.heading')}</h2>
        <div className="vehicle-directions" role="radiogroup" aria-label={t('form.direction')}>
          {(['in', 'out'] as const).map((d) => (
            <button key={d} type="button" role="radio" aria-checked={direction === d} className={`segment${direction === d ? ' is-active' : ''}`} data-testid={`vehicle-direction-${d}`} onClick={() => setDirection(d)}>
              {t(`form.${d}`)}
            </button>
          ))}
        </div>
        <label className="field">
          <span className="field-label">{t('form.plate')}</span>
          <input
            ref={plateInput}
            className="input input-code vehicle-plate-input"
            data-testid="vehicle-plate"
            data-state={checked === null ? 'empty' : checked.ok ? 'ok' : 'bad'}
            aria-invalid={checked?.ok === false}
            value={plate}
            maxLength={PLATE_MAX_LENGTH + 6}
            placeholder={t('form.platePlaceholder')}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => setPlate(e.target.value)}
          />
          <span className="vehicle-plate-check" data-testid="vehicle-plate-check" data-state={checked === null ? 'empty' : checked.ok ? 'ok' : 'bad'} data-kind={checked?.ok ? checked.kind : ''}>
            {checked === null ? '' : checked.ok ? `${checked.display} · ${t(`kind.${checked.kind}`)}` : t(`plate.${checked.problem}`)}
          </span>
        </label>
        <div className="vehicle-fields">
          <label className="field">
            <span className="field-label">{t('form.driver')}</span>
            <input className="input" data-testid="vehicle-driver" value={driver} maxLength={50} autoComplete="off" onChange={(e) => setDriver(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t('form.driverPhone')}</span>
            <input
              className="input input-code"
              data-testid="vehicle-phone"
              type="tel"
              inputMode="tel"
              data-state={phoneState}
              aria-invalid={phoneState === 'bad'}
              value={phone}
              maxLength={20}
              autoComplete="off"
              onChange={(e) => setPhone(e.target.value)}
            />
          </label>
          <div className="field">
            <span className="field-label">{t('form.passengers')}</span>
            <div className="vehicle-stepper">
              <button type="button" className="btn" data-testid="vehicle-passengers-minus" aria-label="−" disabled={passengers <= 0} onClick={() => setPassengers((n) => Math.max(0, n - 1))}>
                −
              </button>
              <input
                className="input vehicle-passengers"
                data-testid="vehicle-passengers"
                type="number"
                inputMode="numeric"
                min={0}
                max={VEHICLE_MAX_PASSENGERS}
                value={passengers}
                aria-label={t('form.passengers')}
                onChange={(e) => setPassengers(Math.min(VEHICLE_MAX_PASSENGERS, Math.max(0, Math.trunc(Number(e.target.value) || 0))))}
              />
              <button type="button" className="btn" data-testid="vehicle-passengers-plus" aria-label="+" disabled={passengers >= VEHICLE_MAX_PASSENGERS} onClick={() => setPassengers((n) => Math.min(VEHICLE_MAX_PASSENGERS, n + 1))}>
                +
              </button>
            </div>
          </div>
          <label className="field">
            <span className="field-label">{t('form.purpose')}</span>
            <input className="input" data-testid="vehicle-purpose" value={purpose} maxLength={100} autoComplete="off" onChange={(e) => setPurpose(e.target.value)} />
          </label>
        </div>
        {direction === 'out' ? <p className="muted">{t('form.outHint')}</p> : null}
        <div className="vehicle-notice" role="status" data-testid="vehicle-notice" data-error={notice?.error ? 'true' : 'false'}>
          {notice?.text ?? ''}
        </div>
        <button type="submit" className="btn btn-primary btn-big" data-testid="vehicle-submit" disabled={!ready || busy}>
          {t(direction === 'in' ? 'form.submitIn' : 'form.submitOut')}
        </button>
      </form>

      <section className="side-block vehicle-list" data-testid="vehicle-list">
        <ListTabs tab={tab} onTab={setTab} word={(k) => t(`list.${k}`)} testPrefix="vehicles" className="vehicle-tabs" />
        {vehicles === null ? null : vehicles.length === 0 ? (
          <p className="muted" data-testid="vehicles-empty">
            {tab === 'onSite' ? t('list.empty') : t('list.emptyToday')}
          </p>
        ) : (
          <table className="vehicle-table">
            <thead>
              <tr>
                <th>{t('list.plate')}</th>
                <th>{t('list.direction')}</th>
                <th>{t('list.at')}</th>
                <th>{t('list.driver')}</th>
                <th>{t('list.passengers')}</th>
                <th>{t('list.purpose')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {vehicles.map((v) => (
                <tr key={v.id} data-testid={`vehicle-row-${v.id}`} data-direction={v.direction}>
                  <td className="input-code vehicle-plate-cell" data-kind={v.plateKind}>
                    {v.plateDisplay}
                  </td>
                  <td data-testid={`vehicle-direction-${v.id}`}>
                    {t(`form.${v.direction}`)}
                    {/* An entry that has left, or an exit without its entry, says so under its direction. */}
                    {v.direction === 'in' && v.exit ? (
                      <>
                        <br />
                        <small>{t('list.left')}</small>
                      </>
                    ) : v.direction === 'out' && !v.entryId ? (
                      <>
                        <br />
                        <small className="vehicle-unmatched">{t('list.unmatched')}</small>
                      </>
                    ) : null}
                  </td>
                  <td>
                    {hhmm(v.at, language)}
                    {v.exit ? ` → ${hhmm(v.exit.at, language)}` : ''}
                  </td>
                  <td>
                    {v.driver}
                    {v.maskedDriverPhone ? (
                      <>
                        <br />
                        <small className="input-code">{v.maskedDriverPhone}</small>
                      </>
                    ) : null}
                  </td>
                  <td>{v.passengers}</td>
                  <td>{v.purpose}</td>
                  <td>
                    {v.direction === 'in' && v.exit === null && v.plate !== '' ? (
                      <button type="button" className="btn" data-testid={`vehicle-leave-${v.id}`} disabled={busy} onClick={() => void record({ plate: v.plate, direction: 'out', driver: '', passengers: v.passengers, purpose: '' })}>
                        {t('list.leave')}
                      </button>
                    ) : null}
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

export default VehicleLane;
