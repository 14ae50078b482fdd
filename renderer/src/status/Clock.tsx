import { useEffect, useState } from 'react';
import { useStationTranslation } from '../i18n';

/** The time of day, hours and minutes, for screens nobody is signed in to (the lock screen, the sentinel). */
export function Clock({ className }: { className?: string }) {
  const { language } = useStationTranslation();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 10_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time className={className} dateTime={now.toISOString()}>
      {now.toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' })}
    </time>
  );
}
