/** The two views of a lane's list: who is on site now, and everyone today. */
export type ListTab = 'onSite' | 'today';

/** The tabs above a lane's list (visitors, vehicles); `word` gives each tab's words. */
export function ListTabs({ tab, onTab, word, testPrefix, className }: { tab: ListTab; onTab: (tab: ListTab) => void; word: (tab: ListTab) => string; testPrefix: string; className: string }) {
  return (
    <div className={className} role="tablist">
      {(['onSite', 'today'] as const).map((k) => (
        <button key={k} type="button" role="tab" aria-selected={tab === k} className={`segment${tab === k ? ' is-active' : ''}`} data-testid={`${testPrefix}-tab-${k}`} onClick={() => onTab(k)}>
          {word(k)}
        </button>
      ))}
    </div>
  );
}
