import { useState, type ComponentType } from 'react';
import { useStationTranslation } from '../../i18n';
import { VehicleLane } from './vehicles/VehicleLane';
import { VisitorPanel } from './visitors/VisitorPanel';
import { DirectionToggle } from './DirectionToggle';
import { GateCountsView } from './GateCountsView';
import { useGate } from './GateProvider';
import { PassagePanel } from './PassagePanel';
import { RecentPassages } from './RecentPassages';
import './gate.css';

/** A lane of the gate: its tab (`titleKey`, gate.json) and what it shows. */
type Lane = { id: string; titleKey: string; Component: ComponentType };

/** The gate's lanes, in tab order (人车分流: people and vehicles apart), one line each. */
const LANES: Lane[] = [
  { id: 'people', titleKey: 'lanes.people', Component: PeopleLane },
  { id: 'visitors', titleKey: 'lanes.visitors', Component: VisitorPanel },
  { id: 'vehicles', titleKey: 'lanes.vehicles', Component: VehicleLane },
];

/**
 * The attended gate (卡点): the lanes' tabs and the direction in or out, then the lane. Scans
 * need no focus: the wedge listener takes them anywhere (App.tsx sends them to the gate here).
 */
export function GateScreen() {
  const { t } = useStationTranslation('gate');
  const [laneId, setLaneId] = useState(LANES[0]!.id);
  const lane = LANES.find((l) => l.id === laneId) ?? LANES[0]!;
  return (
    <div className="gate" data-testid="gate-screen">
      <div className="gate-bar">
        <nav className="gate-lanes" aria-label={t('lanes.label')} data-testid="gate-lanes">
          {LANES.map((l) => (
            <button
              key={l.id}
              type="button"
              className={`gate-lane-tab ${l.id === lane.id ? 'is-active' : ''}`}
              data-testid={`gate-lane-${l.id}`}
              aria-current={l.id === lane.id ? 'page' : undefined}
              onClick={() => setLaneId(l.id)}
            >
              {t(l.titleKey)}
            </button>
          ))}
        </nav>
        <DirectionToggle />
      </div>
      <lane.Component />
    </div>
  );
}

/** People on foot: the current passage big, today's counts and chart, the recent passages. */
function PeopleLane() {
  const gate = useGate();
  return (
    <div className="gate-people" data-testid="gate-people">
      <div className="gate-main">
        <PassagePanel passage={gate.current} refusal={gate.refusal} />
      </div>
      <aside className="gate-side">
        <GateCountsView counts={gate.counts} />
        <RecentPassages passages={gate.recent} currentId={gate.current?.id ?? null} onPick={gate.select} />
      </aside>
    </div>
  );
}
