import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { mainlandMobile, type Direction, type GateCounts, type VehiclePassageView } from '../../api/gate';
import type { CoreContext } from '../context';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { maskPhone } from '../person/mask';
import type { Gate } from './gate';
import { checkPlate, requirePlate, type PlateKind } from './plate';
import { GateRecords } from './records';
import { siteHour, siteMinute } from './settings';
import { PreparedStatements } from '../db/statements';

/** "On site now": vehicles that entered within this long and have not left (as people's 24 hours). */
const ON_SITE_HOURS = 24;
/** The most vehicle passages a list holds. */
const VEHICLES_LISTED = 500;

export type VehiclesHost = {
  listening(): boolean;
  /** Tells the screens; called only after the change is committed. */
  vehicleChanged(view: VehiclePassageView): void;
};

export type VehicleArgs = {
  plate: string;
  direction?: Direction | undefined;
  driver: string;
  driverPhone?: string | undefined;
  passengers: number;
  purpose: string;
};

type VehicleRow = {
  id: string;
  plate: string;
  plate_kind: PlateKind;
  direction: Direction;
  driver: string;
  driver_phone: string | null;
  passengers: number;
  purpose: string;
  entry_id: string | null;
  at: string;
  exit_id: string | null;
  exit_at: string | null;
};

const VEHICLE_SELECT = `SELECT v.id, v.plate, v.plate_kind, v.direction, v.driver, v.driver_phone, v.passengers, v.purpose, v.entry_id, v.at,
  x.id AS exit_id, x.at AS exit_at
  FROM gate_vehicle_passage v LEFT JOIN gate_vehicle_passage x ON x.entry_id = v.id`;

/**
 * The gate's vehicle lane (车辆通道, 人车分流): a vehicle in or out by its plate (mainland formats,
 * `plate.ts`), its driver, passengers and purpose, counted apart from people. A vehicle leaving is
 * matched to the latest entry of its plate without an exit; one entering while its entry of the
 * last 24 hours has no exit is refused (record its exit first). Passengers scanned at the gate are
 * people's passages, as anyone's. Each passage is journalled (`gate.vehicle`).
 */
export class Vehicles {
  private prepared: PreparedStatements | null = null;

  constructor(
    private readonly ctx: CoreContext,
    private readonly gate: Gate,
    private readonly host: VehiclesHost,
  ) {}

  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  /** A vehicle through the lane: checked whole before anything is written, then recorded and journalled. */
  async pass(args: VehicleArgs): Promise<VehiclePassageView> {
    this.gate.requireGate();
    const { plate, kind } = requirePlate(args.plate);
    const direction = args.direction ?? this.gate.records.workplace().direction;
    const phoneText = args.driverPhone?.trim() ?? '';
    const driverPhone = phoneText === '' ? null : mainlandMobile(phoneText);
    if (phoneText !== '' && driverPhone === null) throw new DomainError('gate.phoneInvalid');
    if (direction === 'in' && args.driver === '') throw new DomainError('gate.driverNeeded');
    if (direction === 'in' && args.purpose === '') throw new DomainError('gate.purposeNeeded');
    const id = newId();
    await this.ctx.writer.run(() => this.record({ id, plate, kind, direction, driver: args.driver, driverPhone, passengers: args.passengers, purpose: args.purpose }, this.ctx.now()));
    const view = this.view(id);
    if (this.host.listening()) this.host.vehicleChanged(view);
    return view;
  }

  private record(
    v: { id: string; plate: string; kind: PlateKind; direction: Direction; driver: string; driverPhone: string | null; passengers: number; purpose: string },
    at: Date,
  ): void {
    const open = this.sql(
      `SELECT id, driver, purpose, at FROM gate_vehicle_passage v WHERE plate = ? AND direction = 'in'
       AND NOT EXISTS (SELECT 1 FROM gate_vehicle_passage x WHERE x.entry_id = v.id) ORDER BY seq DESC LIMIT 1`,
    ).get(v.plate) as { id: string; driver: string; purpose: string; at: string } | undefined;
    if (v.direction === 'in' && open && Date.parse(open.at) >= at.getTime() - ON_SITE_HOURS * 3600_000) {
      throw new DomainError('gate.vehicleOnSite', { plate: displayPlate(v.plate), since: siteMinute(Date.parse(open.at)) });
    }
    const entry = v.direction === 'out' ? (open ?? null) : null;
    // Leaving with driver or purpose left empty: the entry's.
    const driver = v.driver === '' && entry ? entry.driver : v.driver;
    const purpose = v.purpose === '' && entry ? entry.purpose : v.purpose;
    const s = this.gate.records.stamp(at);
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'gate.vehicle',
      entityId: v.id,
      payload: { plate: v.plate, plateKind: v.kind, direction: v.direction, driver, driverPhone: v.driverPhone, passengers: v.passengers, purpose, entryId: entry?.id ?? null },
    });
    const { day, hour } = siteHour(at.getTime());
    this.sql(
      `INSERT INTO gate_vehicle_passage (id, plate, plate_kind, direction, driver, driver_phone, passengers, purpose, entry_id, station_id, operator_id, at, day, hour, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      v.id,
      v.plate,
      v.kind,
      v.direction,
      driver,
      v.driverPhone,
      v.passengers,
      purpose,
      entry?.id ?? null,
      s.stationId,
      GateRecords.operatorColumn(s.operatorId),
      s.at,
      day,
      hour,
      seq,
    );
  }

  view(id: string): VehiclePassageView {
    const row = this.sql(`${VEHICLE_SELECT} WHERE v.id = ?`).get(id) as VehicleRow | undefined;
    if (!row) throw new DomainError('gate.passageNotFound', { id });
    return Vehicles.viewOf(row);
  }

  private static viewOf(row: VehicleRow): VehiclePassageView {
    return {
      id: row.id,
      at: row.at,
      direction: row.direction,
      plate: row.plate,
      plateDisplay: displayPlate(row.plate),
      plateKind: row.plate_kind,
      driver: row.driver,
      maskedDriverPhone: row.driver_phone === null ? null : maskPhone(row.driver_phone),
      passengers: row.passengers,
      purpose: row.purpose,
      entryId: row.entry_id,
      exit: row.exit_id !== null && row.exit_at !== null ? { id: row.exit_id, at: row.exit_at } : null,
    };
  }

  /** Vehicles on site now (entered within 24 hours, no exit), the latest first; or every vehicle passage of a site day. */
  list(state: 'onSite' | 'today', day: string, now: Date): VehiclePassageView[] {
    const rows =
      state === 'onSite'
        ? (this.sql(`${VEHICLE_SELECT} WHERE v.direction = 'in' AND v.at >= ? AND x.id IS NULL ORDER BY v.seq DESC LIMIT ${VEHICLES_LISTED}`).all(
            new Date(now.getTime() - ON_SITE_HOURS * 3600_000).toISOString(),
          ) as VehicleRow[])
        : (this.sql(`${VEHICLE_SELECT} WHERE v.day = ? ORDER BY v.seq DESC LIMIT ${VEHICLES_LISTED}`).all(day) as VehicleRow[]);
    return rows.map((r) => Vehicles.viewOf(r));
  }

  /** Vehicles in and out on a site day, per hour, and on site now. */
  counts(day: string, now: Date): GateCounts['vehicles'] {
    const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, in: 0, out: 0 }));
    const rows = this.sql('SELECT hour, direction, count(*) AS n FROM gate_vehicle_passage WHERE day = ? GROUP BY hour, direction').all(day) as {
      hour: number;
      direction: Direction;
      n: number;
    }[];
    for (const r of rows) hours[r.hour]![r.direction] += r.n;
    const onSite = this.sql(
      `SELECT count(*) AS n FROM gate_vehicle_passage v WHERE v.direction = 'in' AND v.at >= ?
       AND NOT EXISTS (SELECT 1 FROM gate_vehicle_passage x WHERE x.entry_id = v.id)`,
    ).get(new Date(now.getTime() - ON_SITE_HOURS * 3600_000).toISOString()) as { n: number };
    return {
      in: hours.reduce((n, h) => n + h.in, 0),
      out: hours.reduce((n, h) => n + h.out, 0),
      onSiteNow: onSite.n,
      hours,
    };
  }
}

/** As shown: the dot after the office letter (粤B·D12345); a plate purged after the retention period stays empty. */
function displayPlate(plate: string): string {
  const checked = checkPlate(plate);
  return checked.ok ? checked.display : plate;
}
