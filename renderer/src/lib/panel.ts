/**
 * A panel that opens in place (a form, a preview): focus moves into it, to its first field, so a
 * keyboard user is where the panel is; Escape inside it closes it (the caller gives focus back).
 */
export function panel(node: HTMLElement, close: () => void): { update(next: () => void): void; destroy(): void } {
  let onClose = close;
  const first = node.querySelector<HTMLElement>(
    'input:not([readonly]):not([type="hidden"]):not([disabled]), textarea, select, button:not([disabled])',
  );
  first?.focus();
  const onKey = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    event.preventDefault();
    onClose();
  };
  node.addEventListener('keydown', onKey);
  return {
    update(next) {
      onClose = next;
    },
    destroy() {
      node.removeEventListener('keydown', onKey);
    },
  };
}
