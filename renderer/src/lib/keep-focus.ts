/**
 * A button that is disabled while its action runs loses the keyboard to the page, and a keyboard
 * or screen-reader user their place. This gives focus back when the button is enabled again, unless
 * focus went to another control meanwhile.
 */
export function keepFocus(node: HTMLElement): { destroy(): void } {
  /** The button had focus, and it went to no other control since. */
  let held = false;
  const onFocus = (): void => {
    held = true;
  };
  const onBlur = (event: FocusEvent): void => {
    if (event.relatedTarget !== null) held = false;
  };
  const observer = new MutationObserver(() => {
    if (node.hasAttribute('disabled') || !held) return;
    if (document.activeElement === document.body || document.activeElement === null) node.focus();
  });
  node.addEventListener('focus', onFocus);
  node.addEventListener('blur', onBlur);
  observer.observe(node, { attributes: true, attributeFilter: ['disabled'] });
  return {
    destroy() {
      node.removeEventListener('focus', onFocus);
      node.removeEventListener('blur', onBlur);
      observer.disconnect();
    },
  };
}
