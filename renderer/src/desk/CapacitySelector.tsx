import type { Capacity } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';

const OPTIONS: Capacity[] = [1, 5, 10, 20];

/** Pool size for the next tube: single (1:1), 5, 10 or 20 in one. */
export function CapacitySelector({ value, onChange }: { value: Capacity; onChange: (capacity: Capacity) => void }) {
  const { t } = useStationTranslation('desk');
  return (
    <div className="side-block" role="group" aria-labelledby="capacity-heading">
      <div id="capacity-heading" className="side-heading">
        {t('capacity.label')} <small>{t('capacity.hint')}</small>
      </div>
      <div className="segmented" data-testid="capacity">
        {OPTIONS.map((c) => (
          <button key={c} type="button" className={`segment ${c === value ? 'is-active' : ''}`} aria-pressed={c === value} onClick={() => c !== value && onChange(c)}>
            {t(`capacity.option${c}`)}
          </button>
        ))}
      </div>
    </div>
  );
}
