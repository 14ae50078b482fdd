import { useEffect, useState } from 'react';
import type { ResidentView } from '../../../electron/api/roster';
import { useStation } from '../app/station';
import { useStationTranslation } from '../i18n';
import { Modal } from './Modal';

const DEBOUNCE_MS = 150;

/**
 * Someone without a phone or a card (an elderly resident, a child): found in the roster by name,
 * building-unit-room or the last digits of the ID number, picked with the arrow keys and Enter,
 * and bound like a scanned person.
 */
export function ResidentSearch({ open, onClose, onPick }: { open: boolean; onClose: () => void; onPick: (resident: ResidentView) => void }) {
  const client = useStation();
  const { t } = useStationTranslation('desk');
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<ResidentView[]>([]);
  const [active, setActive] = useState(0);

  useEffect(() => {
    if (!open) {
      setQuery('');
      setResults([]);
      setActive(0);
    }
  }, [open]);

  useEffect(() => {
    const q = query.trim();
    if (q.length === 0) {
      setResults([]);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      void client.call('roster.search', { query: q }).then((r) => {
        if (!live || !r.ok) return;
        setResults(r.value);
        setActive(0);
      });
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, query]);

  const pick = (resident: ResidentView | undefined) => {
    if (!resident) return;
    onPick(resident);
    onClose();
  };

  return (
    <Modal open={open} onCancel={onClose} labelledBy="resident-search-title" className="modal-residents">
      <div className="modal-body" data-testid="resident-search">
        <h2 id="resident-search-title">{t('residents.title')}</h2>
        <input
          className="resident-query"
          data-autofocus
          value={query}
          placeholder={t('residents.placeholder')}
          aria-label={t('residents.title')}
          data-testid="resident-query"
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((i) => Math.min(results.length - 1, i + 1));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((i) => Math.max(0, i - 1));
            } else if (e.key === 'Enter') {
              e.preventDefault();
              pick(results[active]);
            }
          }}
        />
        {query.trim() && results.length === 0 ? <p className="muted">{t('residents.none')}</p> : null}
        <ol className="resident-results" data-testid="resident-results">
          {results.map((r, i) => (
            <li key={r.ref} className={i === active ? 'is-active' : ''} aria-selected={i === active} onMouseEnter={() => setActive(i)} onClick={() => pick(r)}>
              <span className="resident-name">{r.name}</span>
              <span>{[r.building, r.unit, r.room].filter(Boolean).join('-')}</span>
              <span className="resident-id">{r.maskedIdNumber}</span>
              <span className="resident-tags">{r.tags.map((tag) => t(`roster:tag.${tag}`)).join(' ')}</span>
            </li>
          ))}
        </ol>
        <p className="muted">{t('residents.hint')}</p>
      </div>
    </Modal>
  );
}
