import type { CoverageCounts, CoverageView } from '../../api/coverage';

/**
 * One collator for every sort of building and unit names: "2" before "10", Chinese names in
 * pinyin order. Made once: `localeCompare` with a locale makes a collator per call, which at a
 * district's 4,000 units cost more than the whole coverage query.
 */
export const householdCollator = new Intl.Collator('zh-CN', { numeric: true });

export type CoverageCell = { building: string; unit: string; residents: number; tested: number; exempt: number };

function counts(residents: number, tested: number, exempt: number): CoverageCounts {
  return { residents, tested, exempt, untested: residents - tested - exempt };
}

/** Units grouped into buildings with their sums, and the round's totals, as a desk and HQ show them. */
export function groupCells(cells: Iterable<CoverageCell>): { totals: CoverageCounts; buildings: CoverageView['buildings'] } {
  const byBuilding = new Map<string, CoverageView['buildings'][number]>();
  const totals = counts(0, 0, 0);
  for (const c of cells) {
    let b = byBuilding.get(c.building);
    if (!b) {
      b = { building: c.building, ...counts(0, 0, 0), units: [] };
      byBuilding.set(c.building, b);
    }
    const unit = { unit: c.unit, ...counts(c.residents, c.tested, c.exempt) };
    b.units.push(unit);
    for (const k of ['residents', 'tested', 'exempt', 'untested'] as const) {
      b[k] += unit[k];
      totals[k] += unit[k];
    }
  }
  const buildings = [...byBuilding.values()].sort((a, z) => householdCollator.compare(a.building, z.building));
  for (const b of buildings) b.units.sort((a, z) => householdCollator.compare(a.unit, z.unit));
  return { totals, buildings };
}
