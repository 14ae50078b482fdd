import { useEffect, useRef, useState } from 'react';
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
  /** The query `results` answer: until the current one is answered, they are stale. */
  const [answered, setAnswered] = useState('');
  const [active, setActive] = useState(0);
  /** Enter was pressed before the current query was answered: pick its first resident when it is. */
  const pickWhenAnswered = useRef(false);
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    if (!open) {
      setQuery('');
      setResults([]);
      setAnswered('');
      setActive(0);
      pickWhenAnswered.current = false;
    }
  }, [open]);

  useEffect(() => {
    const q = query.trim();
    if (q.length === 0) {
      setResults([]);
      setAnswered('');
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      void client.call('roster.search', { query: q }).then((r) => {
        if (!live || !r.ok) return;
        setResults(r.value);
        setAnswered(q);
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
    pickWhenAnswered.current = false;
    onPick(resident);
    onClose();
  };

  const current = query.trim() !== '' && answered === query.trim();
  useEffect(() => {
    if (current && pickWhenAnswered.current) pick(results[0]);
    pickWhenAnswered.current = false;
    // Runs when an answer arrives, not on every keystroke.
  }, [answered, results]);

  useEffect(() => {
    list.current?.children[active]?.scrollIntoView({ block: 'nearest' });
  }, [active]);

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
            // Keys that finish a pinyin input method's word are the input method's.
            if (e.nativeEvent.isComposing) return;
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((i) => Math.max(0, Math.min(results.length - 1, i + 1)));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((i) => Math.max(0, i - 1));
            } else if (e.key === 'Enter') {
              e.preventDefault();
              if (current) pick(results[active]);
              else if (query.trim() !== '') pickWhenAnswered.current = true;
            }
          }}
        />
        {current && results.length === 0 ? <p className="muted">{t('residents.none')}</p> : null}
        <ol className={`resident-results${current ? '' : ' is-stale'}`} data-testid="resident-results" role="listbox" aria-label={t('residents.title')} ref={list}>
          {results.map((r, i) => (
            <li
              key={r.ref}
              role="option"
              className={i === active ? 'is-active' : ''}
              aria-selected={i === active}
              onMouseEnter={() => setActive(i)}
              onClick={() => pick(r)}
            >
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
