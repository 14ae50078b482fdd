import { useCallback } from 'react';
import type { Role } from '../../../../electron/api/operators';
import { useStationTranslation } from '../../i18n';

/** A role as staff call it (信息采集员, site admin …). */
export function useRoleWords(): (role: Role) => string {
  const { t } = useStationTranslation('operators');
  return useCallback((role: Role) => t(`roles.${role}`), [t]);
}
