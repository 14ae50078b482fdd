import { useEffect, useRef, type ReactNode } from 'react';

type Props = { open: boolean; onCancel: () => void; labelledBy: string; className?: string; children: ReactNode };

/**
 * A native modal <dialog>: it traps focus and turns Esc into `cancel` without any script of
 * ours. The element marked `data-autofocus` gets the focus when it opens.
 */
export function Modal({ open, onCancel, labelledBy, className, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`modal ${className ?? ''}`}
      aria-labelledby={labelledBy}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      {open ? children : null}
    </dialog>
  );
}
