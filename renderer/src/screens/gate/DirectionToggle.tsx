import { DIRECTIONS } from '../../../../electron/api/gate';
import { useStationTranslation } from '../../i18n';
import { useGate } from './GateProvider';

/** In or out, big: every scan at this gate (wedge, serial, HID) is recorded in the direction shown. */
export function DirectionToggle() {
  const { t } = useStationTranslation('gate');
  const gate = useGate();
  return (
    <div className="gate-direction" role="group" aria-labelledby="gate-direction-label" data-testid="gate-direction" data-direction={gate.direction}>
      <span id="gate-direction-label" className="gate-direction-label">
        {t('directionToggle.label')}
      </span>
      {DIRECTIONS.map((d) => (
        <button
          key={d}
          type="button"
          className={`gate-direction-btn gate-direction-${d} ${gate.direction === d ? 'is-active' : ''}`}
          data-testid={`gate-direction-${d}`}
          aria-pressed={gate.direction === d}
          title={t('directionToggle.hint')}
          onClick={() => gate.direction !== d && void gate.setDirection(d)}
        >
          {d === 'in' ? '→ ' : '← '}
          {t(`direction.${d}`)}
        </button>
      ))}
    </div>
  );
}
