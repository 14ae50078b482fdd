import type { GateCounts } from '../../../../electron/api/gate';
import { useStationTranslation } from '../../i18n';
import { GateHourChart } from './GateHourChart';

const TILES = [
  { key: 'in', testId: 'gate-count-in' },
  { key: 'out', testId: 'gate-count-out' },
  { key: 'onSiteNow', testId: 'gate-count-onsite' },
  { key: 'fevers', testId: 'gate-count-fevers', alarm: true },
  { key: 'referrals', testId: 'gate-count-referrals', alarm: true },
  { key: 'keyPersons', testId: 'gate-count-keypersons', alarm: true },
] as const;

/** Today at this gate: in, out, on site now, fevers, referrals, key persons; visitors and vehicles; then the day hour by hour. */
export function GateCountsView({ counts }: { counts: GateCounts | null }) {
  const { t } = useStationTranslation('gate');
  return (
    <section className="gate-side-block" aria-labelledby="gate-counts-heading" data-testid="gate-counts">
      <h2 id="gate-counts-heading" className="side-heading">
        {t('counts.heading', { day: counts?.day ?? '' })}
      </h2>
      <dl className="gate-counts">
        {TILES.map((tile) => {
          const n = counts ? counts[tile.key] : null;
          return (
            <div key={tile.key} className={`gate-count ${'alarm' in tile && n ? 'gate-count-alarm' : ''}`}>
              <dt>{t(`counts.${tile.key}`)}</dt>
              <dd data-testid={tile.testId}>{n ?? '–'}</dd>
            </div>
          );
        })}
      </dl>
      {counts ? (
        <p className="gate-counts-more" data-testid="gate-counts-more">
          <span data-testid="gate-count-visitors">{t('counts.visitorsOnSite', { n: counts.visitors.onSiteNow, overstaying: counts.visitors.overstaying })}</span>
          <span data-testid="gate-count-vehicles">{t('counts.vehicles', { in: counts.vehicles.in, out: counts.vehicles.out, onSite: counts.vehicles.onSiteNow })}</span>
        </p>
      ) : null}
      {counts ? <GateHourChart counts={counts} /> : null}
    </section>
  );
}
