import { useState } from 'react';
import { useScanCapture } from '../../scanner/ScanCapture';

/**
 * The fields of a new operator, as the first-run screen and the site admin's form both ask them:
 * name, staff code, badge (a scan fills it), and the PIN typed twice.
 */
export function useNewOperatorFields() {
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [badge, setBadge] = useState('');
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  // A badge scanned while the form is open fills the badge field.
  useScanCapture((text) => setBadge(text.trim()));
  /** What to send, or null (the second PIN cleared, the mismatch shown) when the two PINs differ. */
  const take = (): { name: string; code: string; pin: string; badge?: string } | null => {
    if (pin !== again) {
      setMismatch(true);
      setAgain('');
      return null;
    }
    setMismatch(false);
    return { name: name.trim(), code: code.trim(), pin, ...(badge.trim() ? { badge: badge.trim() } : {}) };
  };
  const clear = () => {
    setName('');
    setCode('');
    setBadge('');
    setPin('');
    setAgain('');
  };
  return { name, setName, code, setCode, badge, setBadge, pin, setPin, again, setAgain, mismatch, take, clear };
}
