import type { BoxReceiptView, BoxView } from '../../../../electron/api/boxes';
import { useStationTranslation } from '../../i18n';
import { receiptShown, siteTime } from './words';

/**
 * The box shown, big: its code and state, tubes and people against its capacity, every tube in
 * it (each removable with a reason while the box is open), and once handed over who took it, the
 * count they confirmed and the cold-chain note, read-only; then the lab's receipt when it comes.
 */
export function BoxPanel({ box, mayRemove, onRemove }: { box: BoxView | null; mayRemove: boolean; onRemove: (tubeCode: string) => void }) {
  const { t } = useStationTranslation('boxes');
  if (!box) {
    return (
      <section className="side-block box-panel box-panel-empty" data-testid="box-none">
        <p className="box-none-title">{t('panel.none')}</p>
        <p className="muted">{t('panel.noneHint')}</p>
      </section>
    );
  }
  const open = box.state === 'open';
  return (
    <section className={`side-block box-panel box-panel-${box.state}`} data-testid="box-panel" data-state={box.state} data-code={box.code}>
      <header className="box-head">
        <span className="box-code" data-testid="box-code">
          {box.code}
        </span>
        <span className={`box-chip box-chip-${box.state}`} data-testid="box-state">
          {t(`state.${box.state}`)}
        </span>
        {box.state === 'handedOver' ? (
          <span className="box-readonly" data-testid="box-readonly">
            {t('panel.readOnly')}
          </span>
        ) : null}
      </header>
      <div className="box-figures">
        <div className="box-figure">
          <span className="box-figure-value" data-testid="box-count">
            {box.tubeCount}
            <small>/{box.capacity}</small>
          </span>
          <span className="box-figure-label">{t('panel.tubes')}</span>
        </div>
        <div className="box-figure">
          <span className="box-figure-value" data-testid="box-people">
            {box.personCount}
          </span>
          <span className="box-figure-label">{t('panel.people')}</span>
        </div>
        <dl className="box-times">
          <div>
            <dt>{t('panel.openedAt')}</dt>
            <dd>{siteTime(box.openedAt)}</dd>
          </div>
          {box.sealedAt ? (
            <div>
              <dt>{t('panel.sealedAt')}</dt>
              <dd data-testid="box-sealed-at">{siteTime(box.sealedAt)}</dd>
            </div>
          ) : null}
        </dl>
      </div>
      {box.handOver ? <HandOverShown handOver={box.handOver} /> : null}
      {box.receipt ? <ReceiptShownPanel receipt={box.receipt} /> : null}
      {box.tubes.length === 0 ? (
        <p className="muted box-tubes-empty">{open ? t('panel.emptyOpen') : t('panel.empty')}</p>
      ) : (
        <table className="box-tubes" data-testid="box-tubes">
          <thead>
            <tr>
              <th>{t('panel.number')}</th>
              <th>{t('panel.tubeCode')}</th>
              <th>{t('panel.tubePeople')}</th>
              <th>{t('panel.addedAt')}</th>
              {open && mayRemove ? <th aria-label={t('panel.remove')} /> : null}
            </tr>
          </thead>
          <tbody>
            {/* Newest first: the tube just scanned is at the top, where the eye is. */}
            {box.tubes
              .map((tube, i) => ({ tube, n: i + 1 }))
              .reverse()
              .map(({ tube, n }) => (
                <tr key={tube.code} data-testid={`box-tube-${tube.code}`}>
                  <td className="box-tube-n">{n}</td>
                  <td className="box-tube-code">{tube.code}</td>
                  <td>{t('panel.peopleCount', { count: tube.personCount })}</td>
                  <td className="muted">{siteTime(tube.addedAt).slice(11)}</td>
                  {open && mayRemove ? (
                    <td>
                      <button type="button" className="btn btn-danger-outline box-remove" data-testid={`box-remove-${tube.code}`} onClick={() => onRemove(tube.code)}>
                        {t('actions.remove')}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function HandOverShown({ handOver }: { handOver: NonNullable<BoxView['handOver']> }) {
  const { t } = useStationTranslation('boxes');
  const who = handOver.transporter.kind === 'operator' ? t('handOver.byOperator', { name: handOver.transporter.name }) : t('handOver.byName', { name: handOver.transporter.name, phone: handOver.transporter.maskedPhone });
  return (
    <div className="box-handover" data-testid="box-handover">
      <h3>{t('handOver.shownTitle')}</h3>
      <dl>
        <div>
          <dt>{t('handOver.at')}</dt>
          <dd>{siteTime(handOver.at)}</dd>
        </div>
        <div>
          <dt>{t('handOver.transporter')}</dt>
          <dd data-testid="box-handover-transporter">{who}</dd>
        </div>
        <div>
          <dt>{t('handOver.counted')}</dt>
          <dd data-testid="box-handover-count">{t('handOver.countedValue', { count: handOver.tubeCount })}</dd>
        </div>
        <div>
          <dt>{t('handOver.coldChain')}</dt>
          <dd data-testid="box-handover-note">{handOver.coldChainNote || t('handOver.noNote')}</dd>
        </div>
      </dl>
    </div>
  );
}

/** The lab's receipt: matched, or every tube missing, broken or extra with the lab's reason. */
export function ReceiptShownPanel({ receipt }: { receipt: BoxReceiptView }) {
  const { t } = useStationTranslation('boxes');
  const shown = receiptShown(receipt);
  return (
    <div className={`box-receipt box-receipt-${shown.tone}`} data-testid="box-receipt" data-tone={shown.tone}>
      <h3>{t(shown.heading.key, shown.heading.params)}</h3>
      <p className="box-receipt-by">{t(shown.by.key, shown.by.params)}</p>
      <ul className="box-receipt-counts">
        {shown.counts.map((c) => (
          <li key={c.status} className={`box-receipt-count box-receipt-count-${c.status}`} data-testid={`box-receipt-${c.status}`}>
            {t(c.words.key, c.words.params)}
          </li>
        ))}
      </ul>
      {shown.rows.length > 0 ? (
        <table className="box-receipt-table" data-testid="box-receipt-discrepancies">
          <thead>
            <tr>
              <th>{t('receipt.tube')}</th>
              <th>{t('receipt.what')}</th>
              <th>{t('receipt.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.rows.map((row) => (
              <tr key={`${row.status}-${row.tubeCode}`} data-testid={`box-receipt-row-${row.tubeCode}`}>
                <td className="box-tube-code">{row.tubeCode}</td>
                <td>
                  <span className={`box-chip box-chip-${row.status}`}>{t(row.statusWords.key)}</span>
                </td>
                <td>{row.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
