/**
 * Focus given back where it was when a panel opened (the button that opened it): closing a panel
 * removes the focused element, and focus would otherwise fall to the page, losing a keyboard or
 * screen-reader user's place.
 */
import { tick } from 'svelte';

export interface FocusReturn {
  /** Notes the element with focus now (call when the panel opens). */
  remember(): void;
  /** Focuses it again once the panel is gone (if it is still on the page). */
  giveBack(): void;
}

export function focusReturn(): FocusReturn {
  let opener: HTMLElement | undefined;
  return {
    remember() {
      const active = document.activeElement;
      opener = active instanceof HTMLElement && active !== document.body ? active : undefined;
    },
    giveBack() {
      const target = opener;
      opener = undefined;
      void tick().then(() => {
        if (target?.isConnected && document.activeElement === document.body) target.focus();
      });
    },
  };
}
