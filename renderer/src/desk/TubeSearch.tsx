import { useEffect, useState, type RefObject } from 'react';
import type { TubeSummary } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';
import { TubeList } from './TubeList';
import type { DeskActions } from './useDeskActions';

const DEBOUNCE_MS = 250;

/** Finds tubes by code or by a member's name (`tube.search`), as the user types. */
export function TubeSearch({ search, inputRef }: { search: DeskActions['search']; inputRef: RefObject<HTMLInputElement | null> }) {
  const { t, errorText } = useStationTranslation('desk');
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<TubeSummary[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (q.length < 2) {
      setResults(null);
      setProblem(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      void search(q).then((result) => {
        if (!live) return;
        if (result.ok) {
          setResults(result.value);
          setProblem(null);
        } else {
          setProblem(errorText(result.error));
        }
      });
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query, search, errorText]);

  return (
    <section className="side-block search" aria-labelledby="search-heading">
      <label className="field">
        <span id="search-heading" className="side-heading">
          {t('search.label')} <kbd>F3</kbd>
        </span>
        <input
          ref={inputRef}
          type="search"
          className="input"
          data-testid="search-input"
          value={query}
          placeholder={t('search.placeholder')}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') e.currentTarget.blur();
          }}
        />
      </label>
      <div aria-live="polite" data-testid="search-status" className="search-status">
        {problem ?? (results === null ? (query.trim().length > 0 ? t('search.hint') : '') : results.length === 0 ? t('search.none') : t('search.results', { count: results.length }))}
      </div>
      {results && results.length > 0 ? <TubeList tubes={results} testId="search-results" /> : null}
    </section>
  );
}
